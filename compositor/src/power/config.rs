//! `[power]` in canopy.toml: where hostd is, what the lid and the power key do, how long the
//! lock program may take before the compositor's own lock-out covers the outputs, and when a
//! closed lid is a clamshell (an external output on) rather than a sleep.

use std::path::PathBuf;

use canopy_common::transport::Address;
use serde::Deserialize;

use super::machine::LidAction;

/// Where hostd listens unless `[power] hostd` or `CANOPY_HOSTD` says otherwise.
pub const DEFAULT_HOSTD: &str = "unix:/run/canopy/hostd.sock";

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerConfig {
    /// `canopy-hostd`'s address (suspend requests, and its announcements of host suspends).
    #[serde(default)]
    pub hostd: Option<Address>,
    /// What closing the lid does: `suspend` (lock first), `lock`, or `ignore`.
    #[serde(default)]
    pub lid: LidAction,
    /// How long the lock program has to lock every output before the compositor covers them.
    #[serde(default = "default_lock_timeout")]
    pub lock_timeout_ms: u64,
    /// What the power key (XF86PowerOff, or what `[keybindings]` binds to `power-key`) does.
    #[serde(default)]
    pub power_key: PowerKey,
    /// The power menu that `power_key = "menu"` opens.
    #[serde(default = "default_power_menu")]
    pub power_menu: Vec<String>,
    /// When closing the lid turns the laptop's own panel off instead of sleeping.
    #[serde(default)]
    pub clamshell: Clamshell,
    /// Which outputs are the laptop's own panel: names, or prefixes ending in `*`.
    #[serde(default = "default_internal_outputs")]
    pub internal_outputs: Vec<String>,
    /// Where AC or battery is read (a sysfs `power_supply` directory): the idle chain's source,
    /// and `clamshell = "external-on-ac"`.
    #[serde(default = "default_power_supply")]
    pub power_supply: PathBuf,
    /// The idle chain on AC and on battery.
    #[serde(default)]
    pub ac: super::idle_config::IdleSteps,
    #[serde(default)]
    pub battery: super::idle_config::IdleSteps,
}

/// What the power key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PowerKey {
    /// Lock, then suspend (through the machine, as the power menu's Suspend).
    #[default]
    Suspend,
    /// Open the power menu.
    Menu,
    Lock,
    Ignore,
}

/// When a closed lid is a clamshell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Clamshell {
    /// Whenever another output is on (as logind's HandleLidSwitchDocked=ignore).
    #[default]
    External,
    /// Only with another output on and the laptop on AC.
    ExternalOnAc,
    /// Never: the lid does what `lid` says.
    Off,
}

fn default_power_menu() -> Vec<String> {
    vec!["canopy-power-menu".into()]
}

fn default_internal_outputs() -> Vec<String> {
    ["eDP*", "LVDS*", "DSI*"].map(String::from).to_vec()
}

fn default_power_supply() -> PathBuf {
    "/sys/class/power_supply".into()
}

fn default_lock_timeout() -> u64 {
    2000
}

impl Default for PowerConfig {
    fn default() -> Self {
        PowerConfig {
            hostd: None,
            lid: LidAction::default(),
            lock_timeout_ms: default_lock_timeout(),
            power_key: PowerKey::default(),
            power_menu: default_power_menu(),
            clamshell: Clamshell::default(),
            internal_outputs: default_internal_outputs(),
            power_supply: default_power_supply(),
            ac: Default::default(),
            battery: Default::default(),
        }
    }
}

impl PowerConfig {
    /// Checks beyond the types: the key (under `[power]`) and what is wrong.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if !(100..=30_000).contains(&self.lock_timeout_ms) {
            return Err(("lock_timeout_ms".into(), "must be between 100 and 30000 (milliseconds)".into()));
        }
        if self.power_menu.first().is_none_or(|p| p.is_empty()) {
            return Err(("power_menu".into(), "a command needs at least a program".into()));
        }
        if let Some(p) = self.internal_outputs.iter().find(|p| p.is_empty() || p.trim_end_matches('*').contains('*')) {
            return Err(("internal_outputs".into(), format!("`{p}`: an output name, or a prefix ending in *")));
        }
        self.ac.validate().map_err(|(k, m)| (format!("ac.{k}"), m))?;
        self.battery.validate().map_err(|(k, m)| (format!("battery.{k}"), m))?;
        Ok(())
    }

    /// The configured hostd, else `$CANOPY_HOSTD`, else the default socket.
    pub fn hostd_address(&self) -> Option<Address> {
        if let Some(a) = &self.hostd {
            return Some(a.clone());
        }
        let from_env = std::env::var("CANOPY_HOSTD").ok();
        match from_env.as_deref().unwrap_or(DEFAULT_HOSTD).parse() {
            Ok(a) => Some(a),
            Err(e) => {
                tracing::warn!("CANOPY_HOSTD: {e}; suspend requests cannot reach hostd");
                None
            }
        }
    }
}

impl PowerConfig {
    /// Whether `output` is the laptop's own panel.
    pub fn is_internal(&self, output: &str) -> bool {
        self.internal_outputs.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => output.starts_with(prefix),
            None => output == p,
        })
    }
}
