//! `canopy msg power …`: the lid, a suspend (the power menu's Suspend runs
//! `canopy msg power suspend`), a resume, and the state of the lock-before-sleep machine.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Subcommand))]
#[serde(tag = "power", rename_all = "kebab-case")]
pub enum PowerCommand {
    /// The state: lid, lock, what waits for the lock, hostd, the last lock's time.
    State,
    /// As if the lid closed (headless only).
    LidClose,
    /// As if the lid opened (headless only).
    LidOpen,
    /// Lock every output, then ask hostd to suspend (the power menu's Suspend).
    Suspend {
        /// Who asks: menu, idle or power-key.
        #[cfg_attr(feature = "clap", arg(long, default_value = "menu"))]
        #[serde(default = "menu")]
        from: String,
    },
    /// The laptop woke up (what logind or hostd says otherwise).
    Resume,
    /// Which power source's idle chain applies: `ac`, `battery`, or `auto` (read
    /// /sys/class/power_supply again).
    Source { source: String },
}

fn menu() -> String {
    "menu".into()
}

/// The reply of every `power` command: the state after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerState {
    /// `open` or `closed` (also when closed in clamshell).
    pub lid: String,
    pub locked: bool,
    /// The compositor's own cover is up (the lock program failed or is late).
    pub locked_out: bool,
    /// `not-running`, `starting` or `locked`.
    pub lock_program: String,
    /// Per output, what its last drawn frame showed: `unlocked`, `lock-surface` or `covered`.
    pub outputs: BTreeMap<String, String>,
    pub every_output_locked: bool,
    pub waiting: PowerWaiting,
    pub suspend_in_flight: bool,
    pub requests_sent: u64,
    pub confirmations_sent: u64,
    pub last_error: Option<String>,
    pub hostd_watching: bool,
    pub last_lock_ms: Option<f64>,
    pub locked_everywhere_at: Option<f64>,
    pub lid_closed_at: Option<f64>,
    pub wakes: u64,
    #[serde(default)]
    pub logind: PowerLogind,
    /// The laptop's own outputs the closed lid turned off (clamshell: another output is on).
    #[serde(default)]
    pub clamshell_off: Vec<String>,
    /// The idle chain: power source, steps, what it did and when.
    #[serde(default)]
    pub idle: crate::idle::IdleState,
}

/// logind in the GUI VM: whether canopy holds its inhibitors, and its sleeps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PowerLogind {
    /// `connecting`, `present`, or `absent: ` and why (then canopy's own events alone drive sleep).
    pub status: String,
    /// canopy holds the lid, power-key and suspend-key handling (a `block` inhibitor).
    pub keys_taken: bool,
    /// canopy holds a `delay` inhibitor on sleep.
    pub delay_held: bool,
    /// `PrepareForSleep(true)` signals seen.
    pub sleeps: u64,
    /// Wall-clock time (seconds since the epoch) the delay inhibitor was last let go.
    pub released_at: Option<f64>,
}

/// What waits for the lock: a local suspend (who asked) and the host's announced suspends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerWaiting {
    pub local: Option<String>,
    pub host: Vec<u64>,
}
