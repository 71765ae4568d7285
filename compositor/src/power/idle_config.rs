//! `[power.ac]` and `[power.battery]`: the idle chain's steps for each power source, in seconds
//! after the last input (fractions allowed; 0 or absent is off). The lock step falls back to
//! the top-level `idle_lock_seconds` when a source does not name its own.

use serde::Deserialize;

use super::source::PowerSource;

/// The longest any step may be: a week.
const MAX_SECONDS: f64 = 7.0 * 24.0 * 3600.0;

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdleSteps {
    /// Dim every output (a translucent black drawn by the compositor over everything).
    #[serde(default)]
    pub dim_seconds: Option<f64>,
    /// Turn every output off (DPMS off on DRM; no frames on headless).
    #[serde(default)]
    pub screen_off_seconds: Option<f64>,
    /// Lock (the lock program, or the compositor's lock-out if it fails).
    #[serde(default)]
    pub lock_seconds: Option<f64>,
    /// Suspend (locking first, then asking hostd).
    #[serde(default)]
    pub suspend_seconds: Option<f64>,
}

/// The steps in force, each `None` when off.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Steps {
    pub dim: Option<f64>,
    pub screen_off: Option<f64>,
    pub lock: Option<f64>,
    pub suspend: Option<f64>,
}

fn on(s: Option<f64>) -> Option<f64> {
    s.filter(|s| *s > 0.0)
}

impl IdleSteps {
    /// Checks beyond the types: the key (under the source's table) and what is wrong.
    pub fn validate(&self) -> Result<(), (String, String)> {
        for (key, v) in [
            ("dim_seconds", self.dim_seconds),
            ("screen_off_seconds", self.screen_off_seconds),
            ("lock_seconds", self.lock_seconds),
            ("suspend_seconds", self.suspend_seconds),
        ] {
            if let Some(v) = v {
                if !(v == 0.0 || (0.1..=MAX_SECONDS).contains(&v)) {
                    return Err((key.into(), format!("must be 0 (off) or between 0.1 and {MAX_SECONDS} seconds")));
                }
            }
        }
        Ok(())
    }

    /// The steps, the lock falling back to `idle_lock_seconds`.
    pub fn steps(&self, idle_lock_seconds: u64) -> Steps {
        Steps {
            dim: on(self.dim_seconds),
            screen_off: on(self.screen_off_seconds),
            lock: on(self.lock_seconds.or(Some(idle_lock_seconds as f64))),
            suspend: on(self.suspend_seconds),
        }
    }
}

impl super::config::PowerConfig {
    pub fn idle_steps(&self, source: PowerSource, idle_lock_seconds: u64) -> Steps {
        match source {
            PowerSource::Ac => self.ac.steps(idle_lock_seconds),
            PowerSource::Battery => self.battery.steps(idle_lock_seconds),
        }
    }
}
