//! Clamshell: with another output on (and, as `[power] clamshell` says, on AC), closing the lid
//! turns the laptop's own panel (`[power] internal_outputs`) off and moves its windows to the
//! other outputs instead of locking and sleeping; opening it brings the panel back, the windows
//! staying where they went. If the last other output goes while the lid is closed, the panel
//! comes back and the lid does what it does when closed (lock, then sleep).

use std::path::Path;

use smithay::output::Output;

use super::config::Clamshell as When;
use super::machine::Event;
use crate::backend::Backend;
use crate::state::State;

/// The outputs the closed lid turned off, with what it takes to bring a headless one back.
#[derive(Debug, Clone, Default)]
pub struct Clamshell {
    off: Vec<LidOff>,
}

#[derive(Debug, Clone)]
struct LidOff {
    name: String,
    size: (i32, i32),
    scale: f64,
}

impl Clamshell {
    /// Whether the lid turned output `name` off (a connector scan must leave it off).
    pub fn is_off(&self, name: &str) -> bool {
        self.off.iter().any(|o| o.name == name)
    }

    pub fn names(&self) -> Vec<String> {
        self.off.iter().map(|o| o.name.clone()).collect()
    }
}

/// Whether the laptop runs on AC: a mains (or USB) supply online; on battery only when none is
/// and a battery is discharging (a machine that says nothing is taken to be plugged in).
fn on_ac(root: &Path) -> bool {
    // The idle chain's reading: anything but a clear "on battery" counts as AC.
    super::source::read(root) != Ok(super::source::PowerSource::Battery)
}

impl State {
    /// The lid closed: if this is a clamshell, the laptop's panel goes off and nothing else
    /// happens. Returns whether it was one.
    pub(super) fn clamshell_close(&mut self) -> bool {
        let cfg = &self.canopy.config.power;
        let (internal, others): (Vec<Output>, Vec<Output>) =
            self.canopy.outputs.iter().cloned().partition(|o| cfg.is_internal(&o.name()));
        let wanted = match cfg.clamshell {
            When::Off => false,
            When::External => true,
            When::ExternalOnAc => on_ac(&cfg.power_supply),
        };
        if !wanted || internal.is_empty() || others.is_empty() {
            return false;
        }
        for o in internal {
            tracing::info!(output = o.name(), "the lid closed with another output on: the laptop's panel off");
            let size = o.current_mode().map(|m| (m.size.w, m.size.h)).unwrap_or((1280, 800));
            let scale = o.current_scale().fractional_scale();
            self.canopy.power.clamshell.off.push(LidOff { name: o.name(), size, scale });
            if let Backend::Udev(_) = self.backend {
                self.udev_head_off(&o);
            } else {
                self.canopy.remove_output(&o);
                self.backend.output_removed(&o);
            }
        }
        true
    }

    /// The lid opened: the panel the lid turned off comes back. Returns whether there was one.
    pub(super) fn clamshell_open(&mut self) -> bool {
        let off = std::mem::take(&mut self.canopy.power.clamshell.off);
        if off.is_empty() {
            return false;
        }
        tracing::info!("the lid opened: the laptop's panel back on");
        if let Backend::Udev(_) = self.backend {
            self.udev_rescan();
        } else {
            for o in off {
                self.add_headless_output(&o.name, o.size, o.scale);
            }
        }
        true
    }

    /// Outputs went (udev): with the lid closed in clamshell and no other output left, the
    /// panel comes back and the closed lid locks and sleeps.
    pub fn clamshell_outputs_changed(&mut self) {
        if self.clamshell_output_going(None) {
            self.power_event(Event::LidClosed);
        }
    }

    /// Output `going` is about to go (or went, None): if no other output is left while the lid
    /// is closed in clamshell, the panel comes back first. Returns whether the closed lid must
    /// then lock and sleep.
    pub fn clamshell_output_going(&mut self, going: Option<&Output>) -> bool {
        if self.canopy.power.clamshell.off.is_empty() {
            return false;
        }
        let cfg = &self.canopy.config.power;
        if self.canopy.outputs.iter().any(|o| Some(o) != going && !cfg.is_internal(&o.name())) {
            return false;
        }
        tracing::info!("the last other output goes while the lid is closed");
        self.clamshell_open();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::on_ac;

    #[test]
    fn ac_is_a_mains_supply_online_battery_only_when_one_discharges() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let supply = |name: &str, fields: &[(&str, &str)]| {
            std::fs::create_dir_all(root.join(name)).unwrap();
            for (k, v) in fields {
                std::fs::write(root.join(name).join(k), format!("{v}\n")).unwrap();
            }
        };
        assert!(on_ac(&root.join("missing")), "nothing to read: taken as AC");
        supply("BAT0", &[("type", "Battery"), ("status", "Discharging")]);
        supply("AC", &[("type", "Mains"), ("online", "0")]);
        assert!(!on_ac(root));
        supply("AC", &[("type", "Mains"), ("online", "1")]);
        assert!(on_ac(root));
        supply("AC", &[("type", "Mains"), ("online", "0")]);
        supply("BAT0", &[("type", "Battery"), ("status", "Full")]);
        assert!(on_ac(root), "no battery discharging");
    }
}
