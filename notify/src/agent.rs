//! `canopy-notify-agent`, in an app VM: the session bus's notification server, sending each
//! notification to the GUI VM and turning what comes back (actions, closes) into the signals
//! apps wait for. The link reconnects when the GUI VM's daemon restarts; while it is down a few
//! notifications wait, and more are dropped with a log line (never blocking an app's call).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use canopy_common::transport::deadline::wait;
use canopy_common::transport::{Address, Stream};
use canopy_protocols::notify::{read_frame_bytes, write_frame, FromVm, Notification, ToVm, VERSION};
use rustix::event::PollFlags;

use crate::dbus::{self, Ids, Server, Signals, Sink};

/// Notifications that wait while the GUI VM cannot be reached.
const QUEUE: usize = 256;
/// Connecting, the hello and its answer; and a frame once begun.
const EXCHANGE_TIME: Duration = Duration::from_secs(5);
const WRITE_TIME: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

struct Link(SyncSender<FromVm>);

impl Link {
    fn send(&self, msg: FromVm) {
        match self.0.try_send(msg) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => tracing::warn!("{QUEUE} notifications wait for the GUI VM; dropped one"),
            Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

impl Sink for Link {
    fn notify(&self, n: Notification) {
        self.send(FromVm::Notify(n));
    }

    fn close(&self, id: u32) {
        self.send(FromVm::Close { id });
    }
}

/// Serves the session bus and forwards to `gui` until the process ends.
pub fn run(gui: &Address) -> anyhow::Result<()> {
    let (tx, rx) = sync_channel(QUEUE);
    let conn = dbus::serve(Server::new(Link(tx), Ids::default(), "canopy-notify-agent"))
        .context("cannot serve org.freedesktop.Notifications on the session bus")?;
    tracing::info!(gui = %gui, "serving org.freedesktop.Notifications on the session bus");
    forward(gui, rx, Signals(conn));
    Ok(())
}

/// Keeps a connection to the GUI VM and writes the queue to it, reconnecting as needed.
fn forward(gui: &Address, rx: Receiver<FromVm>, signals: Signals) {
    let mut pending: Option<FromVm> = None;
    let mut backoff = Duration::from_millis(100);
    let mut was_up = true;
    loop {
        let stream = match connect(gui) {
            Ok(s) => s,
            Err(e) => {
                if was_up {
                    tracing::info!(gui = %gui, "cannot reach the GUI VM's notification daemon: {e:#}; retrying");
                }
                was_up = false;
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        tracing::info!(gui = %gui, "connected to the GUI VM's notification daemon");
        was_up = true;
        backoff = Duration::from_millis(100);
        let alive = Arc::new(AtomicBool::new(true));
        let reader = match stream.try_clone() {
            Ok(s) => {
                let (alive, signals) = (alive.clone(), signals.clone());
                std::thread::spawn(move || {
                    read_back(&s, &signals);
                    alive.store(false, Ordering::SeqCst);
                    s.shutdown();
                })
            }
            Err(e) => {
                tracing::warn!("{e}");
                continue;
            }
        };
        loop {
            let msg = match pending.take() {
                Some(m) => m,
                None => match rx.recv_timeout(Duration::from_secs(1)) {
                    Ok(m) => m,
                    Err(RecvTimeoutError::Timeout) if alive.load(Ordering::SeqCst) => continue,
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => return,
                },
            };
            if let Err(e) = write_frame(&mut stream.until(Instant::now() + WRITE_TIME), &msg) {
                tracing::info!("the GUI VM's notification daemon went away: {e}");
                pending = Some(msg);
                break;
            }
        }
        stream.shutdown();
        let _ = reader.join();
    }
}

fn connect(gui: &Address) -> anyhow::Result<Stream> {
    let deadline = Instant::now() + EXCHANGE_TIME;
    let stream = Stream::connect_until(gui, deadline)?;
    write_frame(&mut stream.until(deadline), &FromVm::hello())?;
    let bytes = read_frame_bytes(&mut stream.until(deadline))?;
    match serde_json::from_slice(&bytes)? {
        ToVm::Welcome { version } if version == VERSION => Ok(stream),
        other => anyhow::bail!("unexpected answer to the hello: {other:?}"),
    }
}

/// Actions and closes from the GUI VM, as the D-Bus signals of this VM's bus.
fn read_back(stream: &Stream, signals: &Signals) {
    loop {
        if wait(stream, PollFlags::IN, None).is_err() {
            return;
        }
        let bytes = match read_frame_bytes(&mut stream.until(Instant::now() + EXCHANGE_TIME)) {
            Ok(b) => b,
            Err(e) => {
                tracing::info!("connection to the GUI VM ended: {e}");
                return;
            }
        };
        match serde_json::from_slice(&bytes) {
            Ok(ToVm::ActionInvoked { id, key }) => signals.action(id, &key),
            Ok(ToVm::Closed { id, reason }) => signals.closed(id, reason.code()),
            Ok(ToVm::Welcome { .. }) => {}
            Err(e) => tracing::warn!("unreadable message from the GUI VM: {e}"),
        }
    }
}
