//! `canopy.toml`: VMs and their trust levels, keybindings, keyboard layouts, outputs, the
//! fullscreen policy and decoration sizes. Every error names the file, the line and the key; a
//! broken file is refused as a whole rather than half-applied.

mod keybindings;
mod keyboard;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use canopy_common::config::{ConfigError, TomlFile};
use canopy_themes::{Rgba, Theme};
use serde::Deserialize;

pub use keybindings::{Action, Binding, KeyCombo, Keybindings, Modifiers};
pub use keyboard::{KeyboardConfig, LayoutConfig};

/// What a fullscreen request from a VM window becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum FullscreenPolicy {
    /// Fullscreen, but a strip in the VM's trust colour stays visible around the window.
    #[default]
    Indicator,
    /// The window is maximised instead, keeping its full decorations.
    Maximize,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmConfig {
    /// A trust level of the theme, for example `work` or `untrusted`.
    pub trust: String,
    /// Overrides the trust level's focused colour for this VM.
    #[serde(default)]
    pub colour: Option<Rgba>,
    /// Draw this VM's content opaque inside its frame (alpha ignored), so no window of it can
    /// be a transparent pane over another. Off only for a VM trusted to be translucent.
    #[serde(default = "yes")]
    pub opaque: bool,
    /// Honour this VM's idle inhibitors (a video keeps the screen on), only while the
    /// inhibiting window is shown on an unlocked screen. Off unless said.
    #[serde(default)]
    pub idle_inhibit: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DecorationOverrides {
    pub border_width: Option<u32>,
    pub title_height: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// Connector or output name, e.g. `eDP-1`, `HDMI-A-1`, `HEADLESS-1`.
    pub name: String,
    /// `WIDTHxHEIGHT` or `WIDTHxHEIGHT@HZ`; the preferred mode when absent.
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub scale: Option<f64>,
    /// Position in the global space, `[x, y]`; outputs are placed left to right when absent.
    #[serde(default)]
    pub position: Option<[i32; 2]>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// An autostart entry as written: `["prog", "arg"]`, or `{ command = [...], restart = false }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
enum AutostartEntry {
    Argv(Vec<String>),
    Full {
        command: Vec<String>,
        #[serde(default = "yes")]
        restart: bool,
    },
}

/// A program started with the session. The trusted shell programs (the panel) are restarted
/// when they end, so nothing a VM does can take them away for good.
#[derive(Debug, Clone, PartialEq)]
pub struct Autostart {
    pub command: Vec<String>,
    pub restart: bool,
}

impl From<AutostartEntry> for Autostart {
    fn from(e: AutostartEntry) -> Self {
        match e {
            AutostartEntry::Argv(command) => Autostart { command, restart: true },
            AutostartEntry::Full { command, restart } => Autostart { command, restart },
        }
    }
}

/// The file as written; [`Config`] is the validated result.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    theme: Option<String>,
    #[serde(default)]
    fullscreen: FullscreenPolicy,
    #[serde(default)]
    decorations: DecorationOverrides,
    #[serde(default)]
    vms: BTreeMap<String, VmConfig>,
    #[serde(default)]
    keybindings: BTreeMap<String, Action>,
    #[serde(default)]
    keyboard: KeyboardConfig,
    #[serde(default)]
    outputs: Vec<OutputConfig>,
    #[serde(default)]
    autostart: Vec<AutostartEntry>,
    #[serde(default)]
    clipboard: crate::clipboard::policy::ClipboardConfig,
    #[serde(default = "default_idle")]
    idle_lock_seconds: u64,
    #[serde(default = "default_lock_command")]
    lock_command: Vec<String>,
    #[serde(default = "default_vm_cursor_size")]
    vm_cursor_size: u32,
    #[serde(default = "default_notice_arm_ms")]
    notice_button_delay_ms: u64,
    #[serde(default)]
    levels: canopy_levels::config::LevelsConfig,
    #[serde(default)]
    power: crate::power::config::PowerConfig,
}

fn default_notice_arm_ms() -> u64 {
    600
}

fn default_vm_cursor_size() -> u32 {
    48
}

fn default_idle() -> u64 {
    600
}

fn default_lock_command() -> Vec<String> {
    vec!["canopy-lock".into()]
}

#[derive(Debug, Clone)]
pub struct Config {
    pub path: Option<PathBuf>,
    pub theme: Theme,
    pub fullscreen: FullscreenPolicy,
    pub vms: BTreeMap<String, VmConfig>,
    pub keybindings: Keybindings,
    pub keyboard: KeyboardConfig,
    pub outputs: Vec<OutputConfig>,
    /// Programs started with the session; kept running unless `restart = false`.
    pub autostart: Vec<Autostart>,
    pub clipboard: crate::clipboard::policy::ClipboardConfig,
    /// Lock the screen after this long without input; 0 never locks.
    pub idle_lock_seconds: u64,
    pub lock_command: Vec<String>,
    /// The largest cursor image a VM may show, per side, in logical pixels (so scaled by the
    /// output); a larger one, or one whose hotspot lies outside it, shows the default arrow.
    pub vm_cursor_size: u32,
    /// How long a notice's button is shown before a press counts (a click meant for the
    /// window under a new notice must not press its button).
    pub notice_button_delay_ms: u64,
    /// The audio control daemon and the backlight, for the level keys.
    pub levels: canopy_levels::config::LevelsConfig,
    /// Sleep and wake: hostd, the lid, the lock's bound.
    pub power: crate::power::config::PowerConfig,
}

impl Default for Config {
    /// What an empty file means: every serde default applies.
    fn default() -> Self {
        let mut c = Self::from_file(&TomlFile::from_text("<defaults>", "")).expect("the built-in defaults are valid");
        c.path = None;
        c
    }
}

impl Config {
    /// `--config FILE`, else `$XDG_CONFIG_HOME/canopy/canopy.toml` when it exists, else defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        match explicit.map(Path::to_path_buf).or_else(default_path) {
            Some(path) if explicit.is_some() || path.exists() => Self::load_file(&path),
            _ => Ok(Config::default()),
        }
    }

    pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
        let file = TomlFile::read(path)?;
        Self::from_file(&file)
    }

    pub fn from_file(file: &TomlFile) -> Result<Config, ConfigError> {
        let raw: RawConfig = file.parse()?;
        Self::from_raw(raw, Some(file))
    }

    fn from_raw(raw: RawConfig, file: Option<&TomlFile>) -> Result<Config, ConfigError> {
        let err = |key: &str, msg: String| match file {
            Some(f) => f.error_at(key, msg),
            None => ConfigError { file: PathBuf::from("<defaults>"), line: 0, key: key.into(), message: msg },
        };
        let mut theme = match &raw.theme {
            None => Theme::default(),
            Some(name) => Theme::load(&resolve_theme(name, file)).map_err(|e| {
                if e.line == 0 {
                    err("theme", format!("{}: {}", e.file.display(), e.message))
                } else {
                    e
                }
            })?,
        };
        if let Some(w) = raw.decorations.border_width {
            if !(1..=64).contains(&w) {
                return Err(err("decorations.border_width", "must be between 1 and 64".into()));
            }
            theme.decoration.border_width = w;
        }
        if let Some(h) = raw.decorations.title_height {
            if !(8..=128).contains(&h) {
                return Err(err("decorations.title_height", "must be between 8 and 128".into()));
            }
            theme.decoration.title_height = h;
        }
        for (name, vm) in &raw.vms {
            let key = format!("vms.{name}");
            if name.is_empty()
                || name.len() > 64
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            {
                return Err(err(&key, "a VM name is 1 to 64 characters of letters, digits, '-', '_' or '.'".into()));
            }
            if vm.trust == "local" {
                return Err(err(&format!("{key}.trust"), "`local` is reserved for the GUI VM's own windows".into()));
            }
            if !theme.trust.contains_key(&vm.trust) {
                let known: Vec<&str> = theme.trust.keys().map(String::as_str).filter(|l| *l != "local").collect();
                return Err(err(
                    &format!("{key}.trust"),
                    format!("unknown trust level `{}` (the theme has: {})", vm.trust, known.join(", ")),
                ));
            }
        }
        let keybindings =
            Keybindings::from_config(&raw.keybindings).map_err(|(k, m)| err(&format!("keybindings.{k}"), m))?;
        raw.keyboard.validate().map_err(|(k, m)| err(&format!("keyboard.{k}"), m))?;
        for (i, o) in raw.outputs.iter().enumerate() {
            if let Some(mode) = &o.mode {
                parse_mode(mode).map_err(|m| err(&format!("outputs.{i}.mode"), m))?;
            }
            if let Some(s) = o.scale {
                if !(0.5..=4.0).contains(&s) {
                    return Err(err(&format!("outputs.{i}.scale"), "must be between 0.5 and 4".into()));
                }
            }
        }
        raw.levels.validate().map_err(|(k, m)| err(&format!("levels.{k}"), m))?;
        raw.power.validate().map_err(|(k, m)| err(&format!("power.{k}"), m))?;
        raw.clipboard.validate().map_err(|(k, m)| err(&format!("clipboard.{k}"), m))?;
        if !(100..=60_000).contains(&raw.notice_button_delay_ms) {
            return Err(err("notice_button_delay_ms", "must be between 100 and 60000".into()));
        }
        if !(16..=256).contains(&raw.vm_cursor_size) {
            return Err(err("vm_cursor_size", "must be between 16 and 256 (logical pixels)".into()));
        }
        if raw.lock_command.first().is_none_or(|p| p.is_empty()) {
            return Err(err("lock_command", "a command needs at least a program".into()));
        }
        let autostart: Vec<Autostart> = raw.autostart.into_iter().map(Autostart::from).collect();
        for (i, a) in autostart.iter().enumerate() {
            if a.command.first().is_none_or(|p| p.is_empty()) {
                return Err(err(&format!("autostart.{i}"), "a command needs at least a program".into()));
            }
        }
        Ok(Config {
            path: file.map(|f| f.path.clone()),
            theme,
            fullscreen: raw.fullscreen,
            vms: raw.vms,
            keybindings,
            keyboard: raw.keyboard,
            outputs: raw.outputs,
            autostart,
            clipboard: raw.clipboard,
            idle_lock_seconds: raw.idle_lock_seconds,
            lock_command: raw.lock_command,
            vm_cursor_size: raw.vm_cursor_size,
            notice_button_delay_ms: raw.notice_button_delay_ms,
            levels: raw.levels,
            power: raw.power,
        })
    }

    /// The trust level of a VM; a VM missing from the config is `unknown`, never trusted.
    pub fn trust_level(&self, vm: Option<&str>) -> &str {
        match vm {
            None => "local",
            Some(vm) => self.vms.get(vm).map(|v| v.trust.as_str()).unwrap_or("unknown"),
        }
    }

    /// Whether `vm`'s content is drawn opaque (every VM unless its config says otherwise).
    pub fn opaque(&self, vm: &str) -> bool {
        self.vms.get(vm).is_none_or(|v| v.opaque)
    }

    pub fn output(&self, name: &str) -> Option<&OutputConfig> {
        self.outputs.iter().find(|o| o.name == name)
    }
}

fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("canopy/canopy.toml"))
}

/// A relative theme path is relative to the config file that names it.
fn resolve_theme(name: &str, file: Option<&TomlFile>) -> String {
    if name.ends_with(".toml") && !name.starts_with('/') {
        if let Some(dir) = file.and_then(|f| f.path.parent()) {
            return dir.join(name).to_string_lossy().into_owned();
        }
    }
    name.to_string()
}

/// `WIDTHxHEIGHT` or `WIDTHxHEIGHT@HZ` (refresh in Hz, may be fractional).
pub fn parse_mode(s: &str) -> Result<(i32, i32, Option<f64>), String> {
    let bad = || format!("`{s}` is not a mode; write WIDTHxHEIGHT or WIDTHxHEIGHT@HZ");
    let (size, hz) = match s.split_once('@') {
        Some((size, hz)) => (size, Some(hz.parse::<f64>().map_err(|_| bad())?)),
        None => (s, None),
    };
    let (w, h) = size.split_once('x').ok_or_else(bad)?;
    let w: i32 = w.parse().map_err(|_| bad())?;
    let h: i32 = h.parse().map_err(|_| bad())?;
    if !(1..=16384).contains(&w) || !(1..=16384).contains(&h) || hz.is_some_and(|hz| !(1.0..=1000.0).contains(&hz)) {
        return Err(bad());
    }
    Ok((w, h, hz))
}

#[cfg(test)]
mod tests;
