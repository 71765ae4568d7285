//! `canopy-audiod`'s config file (TOML). Every error names the file, the line and the key.
//! See `assets/examples/audiod.toml` for a commented example.

use std::path::{Path, PathBuf};

use canopy_common::config::{good_name, ConfigError, TomlFile};
use canopy_common::transport::Address;
use canopy_protocols::audio::MAX_VOLUME;
use serde::Deserialize;

pub use canopy_lifecycle::allow::Allow;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the GUI VM reaches the daemon: `vsock:any:PORT` in the audio VM, `unix:PATH` where
    /// the GUI VM owns audio itself, and for tests.
    pub listen: Vec<Address>,
    pub allow: Allow,
    #[serde(default)]
    pub volume: Volume,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub pipewire: PipeWire,
    /// Which VM each stream comes from, told by how its program reached PipeWire.
    #[serde(default)]
    pub stream_vms: Vec<StreamVm>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    /// The largest volume the daemon sets (1.0 is full volume; up to 1.5 boosts).
    #[serde(default = "default_max")]
    pub max: f32,
    /// One step of the volume keys.
    #[serde(default = "default_step")]
    pub step: f32,
}

impl Default for Volume {
    fn default() -> Self {
        Volume { max: default_max(), step: default_step() }
    }
}

/// What one connection may ask, so that a flood from the GUI VM (a stuck key, a buggy panel)
/// costs the sound server a bounded amount.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Requests a connection may make each second, after a burst of `burst`; more are answered
    /// `busy` and change nothing.
    #[serde(default = "default_rate")]
    pub requests_per_second: u32,
    #[serde(default = "default_burst")]
    pub burst: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { requests_per_second: default_rate(), burst: default_burst() }
    }
}

/// The PipeWire tools the daemon runs (WirePlumber's `wpctl` for changes, `pw-dump --monitor`
/// to follow the graph), found on PATH unless given.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipeWire {
    #[serde(default = "default_wpctl")]
    pub wpctl: PathBuf,
    #[serde(default = "default_pw_dump")]
    pub pw_dump: PathBuf,
}

impl Default for PipeWire {
    fn default() -> Self {
        PipeWire { wpctl: default_wpctl(), pw_dump: default_pw_dump() }
    }
}

/// Streams whose program connected as this user, group or security label come from `vm`.
/// These are what the PipeWire server itself records about a connection (its
/// `pipewire.sec.uid`, `.gid` and `.label`), which no program can set: in the audio VM each VM's
/// sound arrives through a bridge running as a user of its own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamVm {
    pub vm: String,
    #[serde(default)]
    pub uid: Option<u32>,
    #[serde(default)]
    pub gid: Option<u32>,
    #[serde(default)]
    pub label: Option<String>,
}

fn default_max() -> f32 {
    1.0
}
fn default_step() -> f32 {
    0.05
}
fn default_rate() -> u32 {
    20
}
fn default_burst() -> u32 {
    40
}
fn default_wpctl() -> PathBuf {
    "wpctl".into()
}
fn default_pw_dump() -> PathBuf {
    "pw-dump".into()
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Self::from_file(&TomlFile::read(path)?)
    }

    pub fn from_file(file: &TomlFile) -> Result<Config, ConfigError> {
        let c: Config = file.parse()?;
        let err = |key: &str, msg: &str| Err(file.error_at(key, msg));
        if c.listen.is_empty() {
            return err("listen", "at least one address is needed");
        }
        if c.allow.nobody() {
            return err("allow", "nobody is allowed: set gui_cid (vsock) or uids (unix sockets)");
        }
        if !(c.volume.max.is_finite() && (0.1..=MAX_VOLUME).contains(&c.volume.max)) {
            return err("volume.max", &format!("must be between 0.1 and {MAX_VOLUME}"));
        }
        if !(c.volume.step.is_finite() && (0.01..=0.25).contains(&c.volume.step)) {
            return err("volume.step", "must be between 0.01 and 0.25");
        }
        if !(1..=1000).contains(&c.limits.requests_per_second) {
            return err("limits.requests_per_second", "must be between 1 and 1000");
        }
        if !(1..=1000).contains(&c.limits.burst) {
            return err("limits.burst", "must be between 1 and 1000");
        }
        for (i, r) in c.stream_vms.iter().enumerate() {
            if !good_name(&r.vm) {
                return err(&format!("stream_vms.{i}.vm"), "a VM name is 1 to 64 letters, digits, '-', '_' or '.'");
            }
            if r.uid.is_none() && r.gid.is_none() && r.label.is_none() {
                return err(&format!("stream_vms.{i}"), "give at least one of uid, gid and label");
            }
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_file(&TomlFile::from_text("/etc/canopy/audiod.toml", text))
    }

    const GOOD: &str = "listen = [\"vsock:any:7102\"]\n[allow]\ngui_cid = 3\n";

    #[test]
    fn defaults() {
        let c = parse(GOOD).unwrap();
        assert_eq!((c.volume.max, c.volume.step), (1.0, 0.05));
        assert_eq!((c.limits.requests_per_second, c.limits.burst), (20, 40));
        assert_eq!(c.pipewire.wpctl, PathBuf::from("wpctl"));
    }

    #[test]
    fn the_example_parses() {
        let c = parse(include_str!("../../../assets/examples/audiod.toml")).unwrap();
        assert_eq!(c.allow.gui_cid, Some(3));
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let e = parse(&format!("{GOOD}[volume]\nmax = 3.0\n")).unwrap_err();
        assert_eq!(e.to_string(), "/etc/canopy/audiod.toml:5: key `volume.max`: must be between 0.1 and 1.5");
        let e = parse(&format!("{GOOD}[volume]\nstep = \"big\"\n")).unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (5, "volume.step"), "{e}");
        let e = parse(&format!("{GOOD}[[stream_vms]]\nvm = \"../etc\"\nuid = 1001\n")).unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (5, "stream_vms.0.vm"), "{e}");
        let e = parse(&format!("{GOOD}[[stream_vms]]\nvm = \"chromium-vm\"\n")).unwrap_err();
        assert!(e.to_string().contains("give at least one of uid, gid and label"), "{e}");
        let e = parse("listen = [\"vsock:any:7102\"]\n[allow]\n").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (2, "allow"), "{e}");
        let e = parse(&format!("{GOOD}command = [\"sh\"]\n")).unwrap_err();
        assert!(e.message.contains("unknown field `command`"), "{e}");
        let e = parse(&format!("{GOOD}[limits]\nburst = 0\n")).unwrap_err();
        assert_eq!(e.key, "limits.burst");
    }
}
