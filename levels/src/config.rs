//! The `[levels]` settings: where the audio control daemon is, and which backlight the GUI VM
//! drives and how. The compositor reads them from `canopy.toml` (errors name file, line and
//! key there) and hands them to the programs it starts in [`ENV`]; the panel reads them from
//! there, its options (`--audio`, `--backlight`, …) overriding them.

use std::path::PathBuf;

use canopy_common::transport::Address;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelsConfig {
    /// `canopy-audiod`'s address (`vsock:CID:7102` for an audio VM); without it the volume keys
    /// show that there is no audio control.
    #[serde(default)]
    pub audio: Option<Address>,
    #[serde(default)]
    pub backlight: BacklightConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BacklightConfig {
    /// Where backlight devices are listed (sysfs' backlight class).
    #[serde(default = "default_root")]
    pub root: PathBuf,
    /// Which device; without it the firmware's, else the platform's, else any.
    #[serde(default)]
    pub device: Option<String>,
    /// Change brightness through logind's `SetBrightness` when this session has one (the
    /// user may not write sysfs); else, or when logind refuses, write the file directly.
    #[serde(default = "yes")]
    pub logind: bool,
    /// One key press, in percent of the perceived brightness.
    #[serde(default = "default_step")]
    pub step_percent: u32,
    /// The least perceived brightness keys and sliders set, so the screen never goes black.
    #[serde(default = "default_min")]
    pub min_percent: u32,
}

impl BacklightConfig {
    /// Whether a backlight was asked for (another root or a named device), so that its
    /// absence is worth showing; sysfs without a device is simply a desktop.
    pub fn named(&self) -> bool {
        self.root != default_root() || self.device.is_some()
    }
}

impl Default for BacklightConfig {
    fn default() -> Self {
        BacklightConfig {
            root: default_root(),
            device: None,
            logind: true,
            step_percent: default_step(),
            min_percent: default_min(),
        }
    }
}

fn default_root() -> PathBuf {
    "/sys/class/backlight".into()
}
fn yes() -> bool {
    true
}
fn default_step() -> u32 {
    5
}
fn default_min() -> u32 {
    5
}

/// The environment variable in which the compositor gives its `[levels]` (as JSON) to the
/// programs it starts.
pub const ENV: &str = "CANOPY_LEVELS";

impl LevelsConfig {
    /// The value of [`ENV`] for these settings; `None` when a path is not UTF-8 (JSON cannot
    /// carry it).
    pub fn to_env(&self) -> Option<String> {
        serde_json::to_string(self).ok()
    }

    /// The settings [`ENV`] holds, if it is set; an error names the variable.
    pub fn from_env() -> anyhow::Result<Option<LevelsConfig>> {
        let Some(text) = std::env::var_os(ENV) else { return Ok(None) };
        let text = text.into_string().map_err(|_| anyhow::anyhow!("{ENV} is not UTF-8"))?;
        Self::from_env_text(&text).map(Some)
    }

    fn from_env_text(text: &str) -> anyhow::Result<LevelsConfig> {
        let levels: LevelsConfig = serde_json::from_str(text).map_err(|e| anyhow::anyhow!("{ENV}: {e}"))?;
        levels.validate().map_err(|(k, m)| anyhow::anyhow!("{ENV}: levels.{k}: {m}"))?;
        Ok(levels)
    }

    /// Checks beyond the types: the key (under `[levels]`) and what is wrong.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let b = &self.backlight;
        if !(1..=25).contains(&b.step_percent) {
            return Err(("backlight.step_percent".into(), "must be between 1 and 25".into()));
        }
        if !(1..=50).contains(&b.min_percent) {
            return Err(("backlight.min_percent".into(), "must be between 1 and 50".into()));
        }
        if let Some(d) = &b.device {
            if d.is_empty() || d.contains('/') || d.starts_with('.') {
                return Err(("backlight.device".into(), "a device name, such as intel_backlight".into()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_carries_every_setting_and_is_checked() {
        let levels = LevelsConfig {
            audio: Some("unix:/run/audio.sock".parse().unwrap()),
            backlight: BacklightConfig {
                root: "/tmp/bl".into(),
                device: Some("intel_backlight".into()),
                logind: false,
                step_percent: 10,
                min_percent: 20,
            },
        };
        let text = levels.to_env().unwrap();
        assert_eq!(LevelsConfig::from_env_text(&text).unwrap(), levels);
        assert!(levels.backlight.named() && !BacklightConfig::default().named());
        let bad = text.replace("\"min_percent\":20", "\"min_percent\":0");
        let e = LevelsConfig::from_env_text(&bad).unwrap_err().to_string();
        assert!(e.contains("CANOPY_LEVELS: levels.backlight.min_percent"), "{e}");
        assert!(LevelsConfig::from_env_text("{\"zzz\":1}").unwrap_err().to_string().contains("zzz"));
    }
}
