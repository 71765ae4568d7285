//! The GUI VM's own backlight (`/sys/class/backlight/*`), in steps that look even.
//!
//! The eye sees brightness roughly as a power of the light, so steps of the raw value look huge
//! at the dark end and vanish at the bright end. Levels here are *perceived* percent `p`, and the
//! raw value is `max · (p/100)²`: each key press moves `p` by the configured step. Keys and
//! sliders never go below `min_percent` (and never to a raw 0), so the screen never goes black
//! by a key; only the firmware's own 0 can do that.
//!
//! Writing: through logind's `Session.SetBrightness` when this process has a session (the user
//! may not write sysfs), else (or when logind refuses) the `brightness` file directly.

use std::fs;
use std::path::{Path, PathBuf};

use crate::config::BacklightConfig;

/// The exponent from perceived to raw level.
const GAMMA: f64 = 2.0;
/// The most a raw value may be: sysfs' values are ints, and a bigger one is not a backlight.
const MAX_RAW: u64 = 1 << 31;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BacklightError {
    #[error("no backlight in {0}")]
    Missing(PathBuf),
    #[error("cannot read {path}: {why}")]
    Read { path: PathBuf, why: String },
    #[error("cannot set the brightness through {path}: {why}")]
    Write { path: PathBuf, why: String },
}

/// One backlight device.
#[derive(Debug, Clone)]
pub struct Backlight {
    dir: PathBuf,
    name: String,
    max: u64,
    step: u32,
    min: u32,
    logind: bool,
}

impl Backlight {
    /// The configured device, or the best one there: firmware, then platform, then raw (the
    /// kernel's own order of preference), by name within each.
    pub fn open(config: &BacklightConfig) -> Result<Backlight, BacklightError> {
        let root = &config.root;
        let name = match &config.device {
            Some(d) if root.join(d).is_dir() => d.clone(),
            Some(_) => return Err(BacklightError::Missing(root.clone())),
            None => best_device(root).ok_or_else(|| BacklightError::Missing(root.clone()))?,
        };
        let dir = root.join(&name);
        let max = read_number(&dir.join("max_brightness"))?;
        if max == 0 || max > MAX_RAW {
            let path = dir.join("max_brightness");
            return Err(BacklightError::Read { path, why: format!("a largest brightness of {max}") });
        }
        Ok(Backlight { dir, name, max, step: config.step_percent, min: config.min_percent, logind: config.logind })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether a change could be written: through logind, or we can open the file for writing
    /// (opening writes nothing). A read-only backlight is shown as such instead of offering a
    /// slider that does nothing.
    pub fn writable(&self) -> bool {
        self.logind || fs::OpenOptions::new().write(true).open(self.dir.join("brightness")).is_ok()
    }

    /// The perceived level now, in percent (0 to 100).
    pub fn percent(&self) -> Result<u32, BacklightError> {
        // actual_brightness is what the hardware does; brightness what was asked. Prefer the
        // former where the driver has it.
        let actual = self.dir.join("actual_brightness");
        let raw = if actual.exists() { read_number(&actual)? } else { read_number(&self.dir.join("brightness"))? };
        Ok(perceived(raw.min(self.max), self.max))
    }

    /// Move the level by whole steps (the keys): onto the grid of steps, within
    /// `min_percent..=100`. Returns the new perceived level.
    pub fn step(&self, steps: i32) -> Result<u32, BacklightError> {
        let now = self.percent()? as i64;
        let step = self.step as i64;
        let grid = ((now as f64 / step as f64).round() as i64) * step;
        let mut p = (grid + step * steps as i64).clamp(self.min as i64, 100);
        // Where the device has few levels, a step may land on the same raw value: go on
        // until the light changes (or an end is reached), so each press does something.
        let raw_now = raw(now as u32, self.max);
        while raw(p as u32, self.max) == raw_now && steps != 0 && (self.min as i64 + 1..100).contains(&p) {
            p = (p + step * steps.signum() as i64).clamp(self.min as i64, 100);
        }
        self.set_percent(p as u32)
    }

    /// Set the perceived level (a slider), never below `min_percent`. Returns it.
    pub fn set_percent(&self, percent: u32) -> Result<u32, BacklightError> {
        let p = percent.clamp(self.min, 100);
        self.write_raw(raw(p, self.max))?;
        Ok(p)
    }

    fn write_raw(&self, value: u64) -> Result<(), BacklightError> {
        if self.logind {
            match crate::logind::set_brightness(&self.name, value) {
                Ok(()) => return Ok(()),
                Err(why) => tracing::debug!("logind: {why}; writing sysfs directly"),
            }
        }
        let path = self.dir.join("brightness");
        fs::write(&path, value.to_string()).map_err(|e| BacklightError::Write { path, why: e.to_string() })
    }
}

/// The perceived percent of a raw level.
pub fn perceived(raw: u64, max: u64) -> u32 {
    ((raw as f64 / max as f64).powf(1.0 / GAMMA) * 100.0).round() as u32
}

/// The raw level of a perceived percent: never 0 for a percent above 0.
pub fn raw(percent: u32, max: u64) -> u64 {
    let r = (max as f64 * (percent.min(100) as f64 / 100.0).powf(GAMMA)).round() as u64;
    if percent > 0 {
        r.max(1)
    } else {
        0
    }
}

fn best_device(root: &Path) -> Option<String> {
    let mut found: Vec<(u8, String)> = fs::read_dir(root)
        .ok()?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let kind = fs::read_to_string(e.path().join("type")).unwrap_or_default();
            let rank = match kind.trim() {
                "firmware" => 0,
                "platform" => 1,
                "raw" => 2,
                _ => 3,
            };
            e.path().join("max_brightness").exists().then_some((rank, name))
        })
        .collect();
    found.sort();
    found.into_iter().next().map(|(_, n)| n)
}

fn read_number(path: &Path) -> Result<u64, BacklightError> {
    let err = |why: String| BacklightError::Read { path: path.to_path_buf(), why };
    let text = fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let text = text.trim();
    if text.len() > 12 {
        return Err(err("not a brightness".into()));
    }
    text.parse().map_err(|_| err(format!("{text:?} is not a number")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for sysfs' backlight class: the files the kernel makes, in a temporary dir.
    fn standin(devices: &[(&str, &str, u64, u64)]) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        for (name, kind, max, now) in devices {
            let d = root.path().join(name);
            fs::create_dir(&d).unwrap();
            fs::write(d.join("type"), format!("{kind}\n")).unwrap();
            fs::write(d.join("max_brightness"), format!("{max}\n")).unwrap();
            fs::write(d.join("brightness"), format!("{now}\n")).unwrap();
        }
        root
    }

    fn config(root: &Path) -> BacklightConfig {
        BacklightConfig { root: root.into(), logind: false, ..BacklightConfig::default() }
    }

    fn raw_now(root: &Path, name: &str) -> u64 {
        read_number(&root.join(name).join("brightness")).unwrap()
    }

    #[test]
    fn steps_look_even_and_never_reach_black() {
        let root = standin(&[("intel_backlight", "raw", 19393, 19393)]);
        let b = Backlight::open(&config(root.path())).unwrap();
        assert_eq!(b.percent().unwrap(), 100);
        assert_eq!(b.step(-1).unwrap(), 95);
        // 95 % perceived is 90 % of the light.
        assert_eq!(raw_now(root.path(), "intel_backlight"), raw(95, 19393));
        assert_eq!(raw(95, 19393), 17502);
        // Perceived steps are equal; raw ones shrink towards the dark end.
        let mut raws = vec![];
        for _ in 0..30 {
            b.step(-1).unwrap();
            raws.push(raw_now(root.path(), "intel_backlight"));
        }
        assert_eq!(b.percent().unwrap(), 5, "the floor is min_percent");
        assert!(raws.iter().all(|&r| r > 0));
        assert!(raws[0] - raws[1] > raws[15] - raws[16]);
        assert_eq!(b.step(1).unwrap(), 10);
        assert_eq!(b.step(100).unwrap(), 100);
        assert_eq!(raw_now(root.path(), "intel_backlight"), 19393);
        assert_eq!(b.set_percent(0).unwrap(), 5);
    }

    #[test]
    fn a_small_range_still_never_goes_to_zero() {
        let root = standin(&[("acpi_video0", "firmware", 7, 3)]);
        let b = Backlight::open(&config(root.path())).unwrap();
        for _ in 0..30 {
            b.step(-1).unwrap();
        }
        assert_eq!(raw_now(root.path(), "acpi_video0"), 1);
        // Each press up changes the light, though the device has only 7 levels.
        let mut seen = vec![1];
        while seen.last() != Some(&7) {
            b.step(1).unwrap();
            let r = raw_now(root.path(), "acpi_video0");
            assert!(r > *seen.last().unwrap(), "{seen:?} then {r}");
            seen.push(r);
        }
    }

    #[test]
    fn the_firmware_device_is_chosen_unless_one_is_named() {
        let root = standin(&[("acpi_video0", "firmware", 100, 50), ("intel_backlight", "raw", 1000, 500)]);
        assert_eq!(Backlight::open(&config(root.path())).unwrap().name(), "acpi_video0");
        let named = BacklightConfig { device: Some("intel_backlight".into()), ..config(root.path()) };
        assert_eq!(Backlight::open(&named).unwrap().name(), "intel_backlight");
    }

    #[test]
    fn a_missing_or_broken_backlight_is_an_error_that_says_where() {
        let empty = tempfile::tempdir().unwrap();
        let e = Backlight::open(&config(empty.path())).unwrap_err();
        assert_eq!(e, BacklightError::Missing(empty.path().into()));
        let named = BacklightConfig { device: Some("nope".into()), ..config(empty.path()) };
        assert!(matches!(Backlight::open(&named), Err(BacklightError::Missing(_))));
        let root = standin(&[("bad", "raw", 0, 0)]);
        assert!(Backlight::open(&config(root.path())).unwrap_err().to_string().contains("largest brightness of 0"));
        let root = standin(&[("odd", "raw", 100, 50)]);
        fs::write(root.path().join("odd/brightness"), "lots").unwrap();
        let b = Backlight::open(&config(root.path())).unwrap();
        assert!(b.step(1).unwrap_err().to_string().contains("\"lots\" is not a number"));
    }

    #[test]
    fn a_backlight_that_cannot_be_written_says_so() {
        let root = standin(&[("ro", "raw", 100, 50)]);
        let b = Backlight::open(&config(root.path())).unwrap();
        assert!(b.writable());
        // A directory where the file should be: no user, root included, can write it.
        fs::remove_file(root.path().join("ro/brightness")).unwrap();
        fs::write(root.path().join("ro/actual_brightness"), "50\n").unwrap();
        fs::create_dir(root.path().join("ro/brightness")).unwrap();
        assert!(!b.writable());
        let e = b.step(1).unwrap_err();
        assert!(matches!(e, BacklightError::Write { .. }), "{e}");
        assert!(e.to_string().contains("ro/brightness"), "{e}");
    }

    #[test]
    fn perceived_and_raw_are_inverse() {
        // Devices with a few levels only cannot hold every percent; these have enough.
        for max in [255, 19393, 120000] {
            for p in (5..=100).step_by(5) {
                let back = perceived(raw(p, max), max) as i64;
                assert!((back - p as i64).abs() <= 1, "{p} % of {max} reads {back}");
            }
        }
    }
}
