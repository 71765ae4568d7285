//! logind in the GUI VM (`org.freedesktop.login1` on the system bus), watched from a thread of
//! its own. While canopy runs it takes the lid, power-key and suspend-key handling from logind (a
//! `block` inhibitor: canopy decides what they do) and holds a `delay` inhibitor on sleep, so a
//! sleep logind starts (`systemctl suspend` in the VM) waits for the lock: `PrepareForSleep(true)`
//! locks through the machine, and the inhibitor is closed only once every output shows the lock;
//! `PrepareForSleep(false)` is a resume, and a new delay inhibitor is taken. With no system bus or
//! no logind on it this is logged once, and canopy's own events drive sleep as before. logind
//! restarting (a new owner of its name) gets both inhibitors taken again; a system bus that goes
//! away is reconnected to, trying again with a growing pause (a quarter second up to 30 s).
//!
//! canopy's own suspends (lid, menu, idle, power key) still go to hostd, not to logind's
//! `Suspend`: the GUI VM is a guest, and it is the host that puts the laptop to sleep.

use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use canopy_ipc::PowerLogind;
use smithay::reexports::calloop::channel::{self, Sender};
use zbus::blocking::{proxy::Builder, Connection, Proxy};
use zbus::proxy::CacheProperties;

use super::machine::Event;
use crate::state::State;

/// What the logind thread reports.
#[derive(Debug)]
pub enum FromLogind {
    /// No logind to talk to (why).
    Absent(String),
    /// The `block` inhibitor on the lid and the power and suspend keys.
    KeysTaken(OwnedFd),
    /// A `delay` inhibitor on sleep.
    Delay(OwnedFd),
    /// `PrepareForSleep(start)`.
    PrepareForSleep(bool),
    /// logind left the bus (why): the inhibitors canopy holds are void until it is back.
    Lost(String),
}

/// The compositor's side: the inhibitors it holds (closing one lets logind go on) and what
/// `canopy msg power state` shows.
#[derive(Debug, Default)]
pub struct Logind {
    keys: Option<OwnedFd>,
    delay: Option<OwnedFd>,
    pub state: PowerLogind,
}

const KEYS: &str = "handle-lid-switch:handle-power-key:handle-suspend-key";

impl State {
    pub(super) fn start_logind(&mut self) {
        let (tx, rx) = channel::channel::<FromLogind>();
        let inserted = self.canopy.loop_handle.insert_source(rx, |event, _, state| {
            if let channel::Event::Msg(m) = event {
                state.heard_from_logind(m);
            }
        });
        if let Err(e) = inserted {
            tracing::error!("cannot listen to the logind thread: {e}");
            return;
        }
        self.canopy.power.logind.state.status = "connecting".into();
        let _ = std::thread::Builder::new().name("logind".into()).spawn(move || watch(tx));
    }

    fn heard_from_logind(&mut self, m: FromLogind) {
        let l = &mut self.canopy.power.logind;
        match m {
            FromLogind::Absent(why) | FromLogind::Lost(why) => {
                let status = format!("absent: {why}");
                // Retries say the same thing again: once in the log is enough.
                if l.state.status != status {
                    tracing::info!("logind: {why}; canopy's own events alone drive sleep until it is back");
                    l.state.status = status;
                }
                l.keys = None;
                l.delay = None;
                l.state.keys_taken = false;
                l.state.delay_held = false;
            }
            FromLogind::KeysTaken(fd) => {
                tracing::info!("logind: canopy handles the lid, power and suspend keys");
                l.state.keys_taken = true;
                l.keys = Some(fd);
            }
            FromLogind::Delay(fd) => {
                if l.state.status != "present" {
                    tracing::info!("logind: its sleeps wait for canopy's lock");
                    l.state.status = "present".into();
                }
                l.delay = Some(fd);
                l.state.delay_held = true;
            }
            FromLogind::PrepareForSleep(true) => {
                tracing::info!("logind is about to sleep: locking first");
                l.state.sleeps += 1;
                self.power_event(Event::SleepPrepared);
            }
            FromLogind::PrepareForSleep(false) => {
                tracing::info!("logind: resumed");
                self.power_event(Event::Resumed);
            }
        }
    }

    /// Every output shows the lock: let logind sleep.
    pub(super) fn release_sleep_delay(&mut self) {
        let l = &mut self.canopy.power.logind;
        if l.delay.take().is_some() {
            tracing::info!("every output shows the lock: logind may sleep");
            l.state.delay_held = false;
            l.state.released_at = Some(super::wall_clock());
        }
    }
}

/// The pause before trying logind again, doubling from the first up to the last.
const RETRY_FIRST: Duration = Duration::from_millis(250);
const RETRY_MAX: Duration = Duration::from_secs(30);

fn watch(to_loop: Sender<FromLogind>) {
    let mut pause = RETRY_FIRST;
    loop {
        let began = Instant::now();
        match serve(&to_loop) {
            Ok(()) => return,
            Err(why) => {
                if to_loop.send(FromLogind::Absent(why)).is_err() {
                    return;
                }
            }
        }
        // A connection that served a while starts the pauses over.
        if began.elapsed() > RETRY_MAX {
            pause = RETRY_FIRST;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(RETRY_MAX);
    }
}

/// Serves one connection to the system bus until it ends (`Err`, why) or the compositor is gone
/// (`Ok`).
fn serve(to_loop: &Sender<FromLogind>) -> Result<(), String> {
    let bus = Connection::system().map_err(|e| format!("no system bus ({e})"))?;
    let manager: Proxy = Builder::new(&bus)
        .destination("org.freedesktop.login1")
        .and_then(|b| b.path("/org/freedesktop/login1"))
        .and_then(|b| b.interface("org.freedesktop.login1.Manager"))
        .map(|b| b.cache_properties(CacheProperties::No))
        .and_then(|b| b.build())
        .map_err(|e| e.to_string())?;
    // Listening before the first inhibitor is taken, so no PrepareForSleep is missed; the signal
    // stream follows the name to a restarted logind by itself.
    let signals = manager.receive_signal("PrepareForSleep").map_err(|e| e.to_string())?;
    let owners = manager.receive_owner_changed().map_err(|e| e.to_string())?;
    if !take_inhibitors(&manager, to_loop)? {
        return Ok(());
    }
    // A restarted logind knows nothing of canopy's inhibitors: take them again from it.
    let (owner_manager, owner_to_loop) = (manager.clone(), to_loop.clone());
    let _ = std::thread::Builder::new().name("logind-owner".into()).spawn(move || {
        for owner in owners {
            let went_on = match owner {
                None => owner_to_loop.send(FromLogind::Lost("logind left the system bus".into())).is_ok(),
                Some(_) => match take_inhibitors(&owner_manager, &owner_to_loop) {
                    Ok(went_on) => went_on,
                    Err(why) => owner_to_loop.send(FromLogind::Lost(why)).is_ok(),
                },
            };
            if !went_on {
                return;
            }
        }
    });
    for signal in signals {
        let Ok(start) = signal.body().deserialize::<bool>() else { continue };
        if !start {
            take_delay(&manager, to_loop);
        }
        if to_loop.send(FromLogind::PrepareForSleep(start)).is_err() {
            return Ok(());
        }
    }
    Err("the system bus went away".into())
}

/// Takes the delay inhibitor on sleep and the keys from logind; `Ok(false)` when the compositor
/// is gone, `Err` when there is no delay inhibitor to be had.
fn take_inhibitors(manager: &Proxy, to_loop: &Sender<FromLogind>) -> Result<bool, String> {
    let delay = inhibit(manager, "sleep", DELAY_WHY, "delay").map_err(|e| format!("not on the system bus ({e})"))?;
    if to_loop.send(FromLogind::Delay(delay)).is_err() {
        return Ok(false);
    }
    // Taking the keys may be refused (polkit) where a delay is not: logind then keeps them.
    match inhibit(manager, KEYS, "canopy handles the lid and the power keys", "block") {
        Ok(keys) => Ok(to_loop.send(FromLogind::KeysTaken(keys)).is_ok()),
        Err(e) => {
            tracing::warn!("logind keeps the lid and the power keys: {e}");
            Ok(true)
        }
    }
}

const DELAY_WHY: &str = "canopy locks the screen before sleeping";

fn take_delay(manager: &Proxy, to_loop: &Sender<FromLogind>) {
    match inhibit(manager, "sleep", DELAY_WHY, "delay") {
        Ok(fd) => {
            let _ = to_loop.send(FromLogind::Delay(fd));
        }
        Err(e) => tracing::warn!("logind: no delay inhibitor for sleep ({e}); its sleeps will not wait for the lock"),
    }
}

fn inhibit(manager: &Proxy, what: &str, why: &str, mode: &str) -> zbus::Result<OwnedFd> {
    let fd: zbus::zvariant::OwnedFd = manager.call("Inhibit", &(what, "canopy", why, mode))?;
    let fd = OwnedFd::from(fd);
    // A program canopy starts must never hold the inhibitor open after canopy lets it go. The
    // copy zvariant hands out is made close-on-exec (zbus receives without it), but that is its
    // detail, not a promise: make sure.
    let _ = rustix::io::fcntl_setfd(fd.as_fd(), rustix::io::FdFlags::CLOEXEC);
    Ok(fd)
}
