//! logind in the GUI VM (`org.freedesktop.login1` on the system bus), watched from a thread of
//! its own. While canopy runs it takes the lid, power-key and suspend-key handling from logind (a
//! `block` inhibitor: canopy decides what they do) and holds a `delay` inhibitor on sleep, so a
//! sleep logind starts (`systemctl suspend` in the VM) waits for the lock: `PrepareForSleep(true)`
//! locks through the machine, and the inhibitor is closed only once every output shows the lock;
//! `PrepareForSleep(false)` is a resume, and a new delay inhibitor is taken. With no system bus or
//! no logind on it this is logged once, and canopy's own events drive sleep as before.
//!
//! canopy's own suspends (lid, menu, idle, power key) still go to hostd, not to logind's
//! `Suspend`: the GUI VM is a guest, and it is the host that puts the laptop to sleep.

use std::os::fd::{AsFd, OwnedFd};

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
            FromLogind::Absent(why) => {
                tracing::info!("logind: {why}; canopy's own events alone drive sleep");
                l.state.status = format!("absent: {why}");
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

fn watch(to_loop: Sender<FromLogind>) {
    if let Err(why) = serve(&to_loop) {
        let _ = to_loop.send(FromLogind::Absent(why));
    }
}

fn serve(to_loop: &Sender<FromLogind>) -> Result<(), String> {
    let bus = Connection::system().map_err(|e| format!("no system bus ({e})"))?;
    let manager: Proxy = Builder::new(&bus)
        .destination("org.freedesktop.login1")
        .and_then(|b| b.path("/org/freedesktop/login1"))
        .and_then(|b| b.interface("org.freedesktop.login1.Manager"))
        .map(|b| b.cache_properties(CacheProperties::No))
        .and_then(|b| b.build())
        .map_err(|e| e.to_string())?;
    // Listening before the first inhibitor is taken, so no PrepareForSleep is missed.
    let signals = manager.receive_signal("PrepareForSleep").map_err(|e| e.to_string())?;
    let delay = inhibit(&manager, "sleep", DELAY_WHY, "delay").map_err(|e| format!("not on the system bus ({e})"))?;
    if to_loop.send(FromLogind::Delay(delay)).is_err() {
        return Ok(());
    }
    // Taking the keys may be refused (polkit) where a delay is not: logind then keeps them.
    match inhibit(&manager, KEYS, "canopy handles the lid and the power keys", "block") {
        Ok(keys) => {
            if to_loop.send(FromLogind::KeysTaken(keys)).is_err() {
                return Ok(());
            }
        }
        Err(e) => tracing::warn!("logind keeps the lid and the power keys: {e}"),
    }
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
