//! `canopy-notifyd`'s config (TOML): where each VM's notifications arrive and who may deliver
//! them, where popups go, the limits, do-not-disturb and muted VMs. See
//! `assets/examples/notifyd.toml`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use canopy_common::config::{good_name, ConfigError, TomlFile};
use canopy_common::transport::Address;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub popups: Popups,
    #[serde(default)]
    pub limits: Limits,
    /// Start with do-not-disturb on: no popups (but critical ones of the GUI VM's own programs);
    /// everything still goes to the centre.
    #[serde(default)]
    pub do_not_disturb: bool,
    /// What the lock screen shows of the notifications: their count, or nothing. Never their
    /// content.
    #[serde(default)]
    pub lock_screen: LockScreen,
    #[serde(default)]
    pub allow: Allow,
    #[serde(default)]
    pub vms: BTreeMap<String, Vm>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Corner {
    TopLeft,
    #[default]
    TopRight,
    BottomLeft,
    BottomRight,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockScreen {
    #[default]
    Count,
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Popups {
    /// The corner of the output under the pointer where popups stack.
    pub corner: Corner,
    /// Width of a popup in logical pixels.
    pub width: u32,
    /// Distance from the output's edges (and the panel).
    pub margin: u32,
    /// Popups on screen at once, and of one VM (its "N more" line included).
    pub max: usize,
    pub per_vm: usize,
    /// How long a popup stays when the app leaves it to the server, and the most it may ask for.
    pub seconds: f64,
    pub max_seconds: f64,
}

impl Default for Popups {
    fn default() -> Self {
        Popups { corner: Corner::TopRight, width: 360, margin: 8, max: 5, per_vm: 3, seconds: 6.0, max_seconds: 30.0 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Popups a VM may raise at once, then `per_minute` more each minute; beyond that its
    /// notifications go to the centre only, collapsed into one "N more from VM" popup.
    pub burst: u32,
    pub per_minute: u32,
    /// Notifications kept in the centre per VM (and for the GUI VM's own programs); older ones
    /// are dropped and counted.
    pub keep: usize,
    /// A VM that breaks the rules this many times within `strike_seconds` is muted: its
    /// connection is closed, its notifications are dropped until the user unmutes it, and the
    /// user is told.
    pub strikes: usize,
    pub strike_seconds: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { burst: 4, per_minute: 12, keep: 50, strikes: 5, strike_seconds: 60.0 }
    }
}

/// Who may deliver a VM's notifications on Unix sockets (`unix:`, and `vsock-mux:`, where the
/// VMM hands over the VM's connections on a port reserved for it). vsock peers are checked by
/// CID instead.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allow {
    pub uids: Vec<u32>,
}

impl Default for Allow {
    fn default() -> Self {
        Allow { uids: vec![rustix::process::getuid().as_raw()] }
    }
}

/// One app VM. Its name is what the user sees in `[name]`, and its colour the compositor's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vm {
    /// Where this VM (and only it) delivers: its own vsock port, or a Unix socket.
    pub listen: Address,
    /// With `vsock:`: the VM's CID, which the hypervisor sets.
    #[serde(default)]
    pub cid: Option<u32>,
    /// Start muted.
    #[serde(default)]
    pub mute: bool,
}

impl Popups {
    pub fn default_time(&self) -> Duration {
        Duration::from_secs_f64(self.seconds)
    }

    pub fn max_time(&self) -> Duration {
        Duration::from_secs_f64(self.max_seconds)
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Self::from_file(&TomlFile::read(path)?)
    }

    pub fn from_file(file: &TomlFile) -> Result<Config, ConfigError> {
        let c: Config = file.parse()?;
        c.validate(file)?;
        Ok(c)
    }

    fn validate(&self, file: &TomlFile) -> Result<(), ConfigError> {
        let p = &self.popups;
        let range = |key: &str, v: f64, lo: f64, hi: f64| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(file.error_at(key, format!("must be between {lo} and {hi}")))
            }
        };
        range("popups.width", p.width as f64, 200.0, 800.0)?;
        range("popups.margin", p.margin as f64, 0.0, 200.0)?;
        range("popups.max", p.max as f64, 1.0, 10.0)?;
        range("popups.per_vm", p.per_vm as f64, 1.0, p.max as f64)?;
        range("popups.seconds", p.seconds, 1.0, 300.0)?;
        range("popups.max_seconds", p.max_seconds, p.seconds, 3600.0)?;
        let l = &self.limits;
        range("limits.burst", l.burst as f64, 1.0, 100.0)?;
        range("limits.per_minute", l.per_minute as f64, 1.0, 600.0)?;
        range("limits.keep", l.keep as f64, 1.0, 1000.0)?;
        range("limits.strikes", l.strikes as f64, 1.0, 1000.0)?;
        range("limits.strike_seconds", l.strike_seconds, 1.0, 86400.0)?;
        let mut listens: Vec<(&Address, &str)> = Vec::new();
        for (name, vm) in &self.vms {
            let key = |k: &str| format!("vms.{name}.{k}");
            if !good_name(name) {
                return Err(file.error_at(&format!("vms.{name}"), "VM names are letters, digits, `-`, `_`, `.`"));
            }
            match (&vm.listen, vm.cid) {
                (Address::Vsock { .. }, None) => {
                    return Err(file.error_at(&key("listen"), "a vsock address needs the VM's `cid`"));
                }
                (Address::Unix(_) | Address::VsockMux { .. }, Some(_)) => {
                    return Err(file.error_at(&key("cid"), "only for vsock: addresses"));
                }
                _ => {}
            }
            if let Some((_, other)) = listens.iter().find(|(a, _)| *a == &vm.listen) {
                return Err(file.error_at(
                    &key("listen"),
                    format!("VM {other:?} listens there too: each VM needs its own address"),
                ));
            }
            listens.push((&vm.listen, name));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::from_file(&TomlFile::from_text("notifyd.toml", text)).map_err(|e| e.to_string())
    }

    #[test]
    fn the_example_and_an_empty_file_load() {
        let c = parse(include_str!("../../assets/examples/notifyd.toml")).unwrap();
        assert_eq!(c.vms["chromium-vm"].cid, Some(5));
        let c = parse("").unwrap();
        assert_eq!(c.popups.corner, Corner::TopRight);
        assert_eq!(c.lock_screen, LockScreen::Count);
        assert!(c.vms.is_empty());
    }

    #[test]
    fn mistakes_name_file_line_and_key() {
        for (text, want) in [
            ("[popups]\nwidth = 90\n", "notifyd.toml:2: key `popups.width`: must be between 200 and 800"),
            ("[popups]\ncorner = \"middle\"\n", "notifyd.toml:2: key `popups.corner`: unknown variant `middle`"),
            ("lock_screen = \"all\"\n", "notifyd.toml:1: key `lock_screen`: unknown variant `all`"),
            ("[limits]\nburst = 0\n", "notifyd.toml:2: key `limits.burst`: must be between 1 and 100"),
            ("[vms.web]\nlisten = \"vsock:any:7200\"\n", "notifyd.toml:2: key `vms.web.listen`: a vsock address needs"),
            ("[vms.web]\nlisten = \"unix:/a\"\ncid = 4\n", "notifyd.toml:3: key `vms.web.cid`: only for vsock"),
            ("[vms.web]\nlisten = \"tcp:x\"\n", "notifyd.toml:2: key `vms.web.listen`: bad address"),
            ("[vms.\"a b\"]\nlisten = \"unix:/a\"\n", "notifyd.toml:1: key `vms.a b`: VM names are"),
            (
                "[vms.web]\nlisten = \"unix:/a\"\nmuted = true\n",
                "notifyd.toml:3: key `vms.web.muted`: unknown field `muted`",
            ),
            (
                "[vms.a]\nlisten = \"unix:/s\"\n[vms.b]\nlisten = \"unix:/s\"\n",
                "notifyd.toml:4: key `vms.b.listen`: VM \"a\" listens there too",
            ),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.starts_with(want), "{text:?}\n got: {e}\nwant: {want}");
        }
    }
}
