//! `[power]` in canopy.toml: where hostd is, what the lid does, how long the lock program may
//! take before the compositor's own lock-out covers the outputs.

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
}

fn default_lock_timeout() -> u64 {
    2000
}

impl Default for PowerConfig {
    fn default() -> Self {
        PowerConfig { hostd: None, lid: LidAction::default(), lock_timeout_ms: default_lock_timeout() }
    }
}

impl PowerConfig {
    /// Checks beyond the types: the key (under `[power]`) and what is wrong.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if !(100..=30_000).contains(&self.lock_timeout_ms) {
            return Err(("lock_timeout_ms".into(), "must be between 100 and 30000 (milliseconds)".into()));
        }
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
