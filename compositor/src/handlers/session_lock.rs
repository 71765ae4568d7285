//! ext-session-lock: while locked, every output shows only its lock surface (or black), and no
//! other client gets input. A lock client that dies leaves the session locked, and the lock
//! program is started again so that the user can unlock.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use smithay::backend::renderer::element::solid::SolidColorBuffer;
use smithay::delegate_session_lock;
use smithay::output::Output;
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::wayland_server::protocol::wl_output::WlOutput;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Size};
use smithay::wayland::session_lock::{LockSurface, SessionLockHandler, SessionLockManagerState, SessionLocker};

use crate::state::State;
use crate::wm::focus::FocusChange;

#[derive(Debug, Default)]
pub struct LockState {
    locked: bool,
    surfaces: Vec<(Output, LockSurface)>,
    backdrop: RefCell<Vec<(String, SolidColorBuffer)>>,
    /// When the lock program was last started again after it went, for the limit.
    restarts: Vec<Instant>,
}

/// A lock program that went while locked is started again this long after...
const RESTART_AFTER: Duration = Duration::from_secs(1);
/// ...at most this many times a minute; then the outputs stay black until a lock program is
/// started by hand (README, "Lock").
const MAX_RESTARTS: usize = 5;

impl LockState {
    pub fn is_locked(&self) -> bool {
        self.locked
    }

    pub fn surface_for(&self, output: &Output) -> Option<&LockSurface> {
        self.surfaces.iter().find(|(o, _)| o == output).map(|(_, s)| s)
    }

    /// The output a lock surface covers.
    pub fn output_of(&self, surface: &WlSurface) -> Option<&Output> {
        self.surfaces.iter().find(|(_, s)| s.wl_surface() == surface).map(|(o, _)| o)
    }

    pub fn surfaces(&self) -> impl Iterator<Item = &LockSurface> {
        self.surfaces.iter().map(|(_, s)| s)
    }

    /// An opaque backdrop behind (or instead of) the lock surface.
    pub fn backdrop_for(&self, output: &Output, size: Size<i32, Logical>) -> SolidColorBuffer {
        let mut b = self.backdrop.borrow_mut();
        let name = output.name();
        if let Some((_, buf)) = b.iter_mut().find(|(n, _)| *n == name) {
            buf.update(size, [0.0, 0.0, 0.0, 1.0]);
            return buf.clone();
        }
        let buf = SolidColorBuffer::new(size, [0.0, 0.0, 0.0, 1.0]);
        b.push((name, buf.clone()));
        buf
    }

    /// Locked with no lock client yet: every output covered (a compositor that starts where a
    /// locked session ended, see `lock_record`).
    pub fn lock_out(&mut self) {
        self.locked = true;
    }

    pub fn output_removed(&mut self, output: &Output) {
        self.surfaces.retain(|(o, _)| o != output);
    }

    /// Forget a lock surface whose wl_surface is gone; true if it was one.
    pub fn surface_destroyed(&mut self, surface: &WlSurface) -> bool {
        let before = self.surfaces.len();
        self.surfaces.retain(|(_, s)| s.wl_surface() != surface);
        self.surfaces.len() != before
    }
}

impl State {
    /// A lock surface went: if it was the last one while the session is still locked (the lock
    /// program died or was killed), the outputs stay covered and `lock_command` is started again
    /// shortly, unless that already happened [`MAX_RESTARTS`] times in the last minute.
    pub fn lock_surface_gone(&mut self) {
        let lock = &mut self.canopy.lock;
        if !lock.locked || !lock.surfaces.is_empty() {
            return;
        }
        lock.restarts.retain(|t| t.elapsed() < Duration::from_secs(60));
        if lock.restarts.len() >= MAX_RESTARTS {
            tracing::error!(
                "the lock program keeps ending; the session stays locked: start one by hand (`canopy-lock` with \
                 WAYLAND_DISPLAY={})",
                self.canopy.socket_name
            );
            return;
        }
        lock.restarts.push(Instant::now());
        tracing::warn!("the lock program went while locked; starting it again");
        let _ = self.canopy.loop_handle.insert_source(Timer::from_duration(RESTART_AFTER), |_, _, state| {
            let lock = &state.canopy.lock;
            if lock.locked && lock.surfaces.is_empty() {
                let argv = state.canopy.config.lock_command.clone();
                crate::spawn::spawn(&argv, &state.canopy);
            }
            TimeoutAction::Drop
        });
    }
}

impl SessionLockHandler for State {
    fn lock_state(&mut self) -> &mut SessionLockManagerState {
        &mut self.canopy.session_lock_state
    }

    fn lock(&mut self, confirmation: SessionLocker) {
        tracing::info!("session locked");
        self.canopy.lock.locked = true;
        // Recorded before it is confirmed: a crash after "locked" comes back locked.
        crate::lock_record::set(&self.canopy.socket_name);
        // Nothing but lock surfaces is drawn from now on, so the lock holds at once.
        confirmation.lock();
        // Every grab ends, and until unlock only lock surfaces may have the keyboard; a region
        // being picked for a screenshot is dropped, so it is not up again after unlock.
        self.lock_focus();
        self.cancel_region_pick();
        self.canopy.queue_redraw_all();
        self.power_event(crate::power::machine::Event::Locked);
    }

    fn unlock(&mut self) {
        tracing::info!("session unlocked");
        self.canopy.lock.locked = false;
        crate::lock_record::clear(&self.canopy.socket_name);
        self.canopy.lock.surfaces.clear();
        self.canopy.focus(FocusChange::Unlock);
        self.enforce_focus();
        self.canopy.queue_redraw_all();
        self.power_event(crate::power::machine::Event::Unlocked);
    }

    fn new_surface(&mut self, surface: LockSurface, wl_output: WlOutput) {
        let Some(output) = Output::from_resource(&wl_output) else { return };
        let Some(geo) = self.canopy.space.output_geometry(&output) else { return };
        surface.with_pending_state(|s| s.size = Some((geo.size.w as u32, geo.size.h as u32).into()));
        surface.send_configure();
        self.canopy.lock.surfaces.retain(|(o, _)| o != &output);
        self.canopy.lock.surfaces.push((output.clone(), surface.clone()));
        crate::scale::send_scale(surface.wl_surface(), &output);
        let under_pointer = self.canopy.active_output().as_ref() == Some(&output);
        self.canopy.focus(FocusChange::LockSurface(surface.wl_surface().clone(), under_pointer));
        self.enforce_focus();
        self.canopy.queue_redraw(&output);
    }
}

delegate_session_lock!(State);
