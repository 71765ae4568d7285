//! The `[levels]` settings: where the audio control daemon is, and which backlight the GUI VM
//! drives and how. The compositor reads them from `canopy.toml` (errors name file, line and
//! key there); the panel takes the same values as options (`--audio`, `--backlight`, or
//! `CANOPY_AUDIO`, `CANOPY_BACKLIGHT`).

use std::path::PathBuf;

use canopy_common::transport::Address;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelsConfig {
    /// `canopy-audiod`'s address (`vsock:CID:7102` for an audio VM); without it the volume keys
    /// show that there is no audio control.
    #[serde(default)]
    pub audio: Option<Address>,
    #[serde(default)]
    pub backlight: BacklightConfig,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
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

impl LevelsConfig {
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
