//! Locking the screen after a configured time without input. The lock is ext-session-lock,
//! driven by the configured lock program (canopy-lock); VMs send no input events of their own,
//! so nothing in a VM can keep the session awake or unlock it.

use std::time::{Duration, Instant};

use smithay::reexports::calloop::timer::{TimeoutAction, Timer};

use crate::state::State;

impl State {
    /// Arm the idle timer; it re-arms itself for as long as the compositor runs.
    pub fn start_idle_timer(&mut self) {
        let after = self.canopy.config.idle_lock_seconds;
        if after == 0 {
            return;
        }
        let after = Duration::from_secs(after);
        let _ = self.canopy.loop_handle.insert_source(Timer::from_duration(after), move |_, _, state| {
            let idle = state.canopy.last_input.elapsed();
            if idle >= after && !state.canopy.lock.is_locked() && !state.canopy.idle_lock_started {
                tracing::info!(idle_s = idle.as_secs(), "locking after idle time");
                state.canopy.idle_lock_started = true;
                let argv = state.canopy.config.lock_command.clone();
                crate::spawn::spawn(&argv, &state.canopy);
            }
            if !state.canopy.lock.is_locked() && idle < after {
                state.canopy.idle_lock_started = false;
            }
            // Wake again when the idle time could next run out.
            let next = after.saturating_sub(idle).max(Duration::from_secs(1));
            TimeoutAction::ToInstant(Instant::now() + next)
        });
    }
}
