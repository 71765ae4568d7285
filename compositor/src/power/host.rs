//! The compositor's two connections to `canopy-hostd`, each on a thread of its own so the
//! compositor never waits on the host: one sends the suspend requests and lock confirmations
//! (one at a time, in order), one watches hostd's events for announced host suspends and
//! resumes (reconnecting, 1 s doubling up to 30 s, when hostd goes away).

use std::sync::mpsc;
use std::time::Duration;

use canopy_lifecycle::{Address, HostClient};
use canopy_protocols::lifecycle::{Event as HostEvent, Request};
use smithay::reexports::calloop::channel::Sender;

/// What the threads report to the compositor's loop.
#[derive(Debug)]
pub enum FromHost {
    /// The answer to a suspend request.
    SuspendAnswered(Result<(), String>),
    /// A confirmation could not be given (hostd went ahead after its bound, or is gone).
    ConfirmFailed {
        id: u64,
        why: String,
    },
    Announced {
        id: u64,
    },
    Resumed,
    Watching(bool),
}

#[derive(Debug)]
pub enum ToHost {
    Suspend,
    Locked { id: u64 },
}

/// Requests wait at most this long for hostd (the suspend command itself is bounded by hostd).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

pub fn start(addr: Address, to_loop: Sender<FromHost>) -> mpsc::Sender<ToHost> {
    let (tx, rx) = mpsc::channel::<ToHost>();
    let (a, l) = (addr.clone(), to_loop.clone());
    let _ = std::thread::Builder::new().name("hostd requests".into()).spawn(move || requests(a, rx, l));
    let _ = std::thread::Builder::new().name("hostd watch".into()).spawn(move || watch_forever(addr, to_loop));
    tx
}

fn requests(addr: Address, rx: mpsc::Receiver<ToHost>, to_loop: Sender<FromHost>) {
    for job in rx {
        let result = HostClient::connect(&addr, "canopy", Some(REQUEST_TIMEOUT)).and_then(|mut c| match &job {
            ToHost::Suspend => c.action(&Request::Suspend),
            ToHost::Locked { id } => c.action(&Request::Locked { id: *id }),
        });
        let sent = match (job, result) {
            (ToHost::Suspend, r) => to_loop.send(FromHost::SuspendAnswered(r.map_err(|e| e.to_string()))),
            (ToHost::Locked { .. }, Ok(())) => Ok(()),
            (ToHost::Locked { id }, Err(e)) => to_loop.send(FromHost::ConfirmFailed { id, why: e.to_string() }),
        };
        if sent.is_err() {
            return;
        }
    }
}

fn watch_forever(addr: Address, to_loop: Sender<FromHost>) {
    let mut delay = Duration::from_secs(1);
    loop {
        match HostClient::connect(&addr, "canopy", Some(Duration::from_secs(10))).and_then(|c| c.watch()) {
            Ok((_, mut watcher)) => {
                delay = Duration::from_secs(1);
                if to_loop.send(FromHost::Watching(true)).is_err() {
                    return;
                }
                loop {
                    let msg = match watcher.next_event() {
                        Ok(HostEvent::SuspendDue { id, .. }) => FromHost::Announced { id },
                        Ok(HostEvent::Resumed) => FromHost::Resumed,
                        Ok(_) => continue,
                        Err(e) => {
                            tracing::info!("hostd watch ended: {e}");
                            break;
                        }
                    };
                    if to_loop.send(msg).is_err() {
                        return;
                    }
                }
                if to_loop.send(FromHost::Watching(false)).is_err() {
                    return;
                }
            }
            Err(e) => tracing::debug!("hostd watch: {e}"),
        }
        std::thread::sleep(delay);
        delay = (delay * 2).min(Duration::from_secs(30));
    }
}
