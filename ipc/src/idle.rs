//! The idle chain's part of `canopy msg power state`: the power source, the steps in force,
//! what the chain did in this idle period and when (wall-clock seconds since the epoch, so a
//! test or script can set them against its own clock), and who holds it off.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct IdleState {
    /// `ac` or `battery`.
    pub source: String,
    /// Where that came from: `sysfs`, `default` (no readable power supply: AC), `override`.
    pub source_from: String,
    /// The steps in force for this source, in seconds after the last input; `None` is off.
    pub dim_s: Option<f64>,
    pub screen_off_s: Option<f64>,
    pub lock_s: Option<f64>,
    pub suspend_s: Option<f64>,
    /// The last input (or the last moment an honoured inhibitor held the chain).
    pub idle_since: f64,
    pub dimmed: bool,
    pub screen_off: bool,
    /// This idle period's steps: the dim drawn on every output, the outputs turned off, the
    /// lock and the suspend asked of the power machine.
    pub dim_shown_at: Option<f64>,
    pub screen_off_at: Option<f64>,
    pub lock_asked_at: Option<f64>,
    pub suspend_asked_at: Option<f64>,
    /// Idle inhibitors that hold the chain now (`local`, or the VM's name).
    pub inhibited_by: Vec<String>,
    /// Inhibitors present but not honoured, each with why (`web-vm: not allowed`).
    pub inhibitors_ignored: Vec<String>,
    /// How many times input woke a dimmed or dark screen.
    pub wakes: u64,
}
