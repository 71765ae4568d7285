//! The battery level from sysfs (/sys/class/power_supply); none on machines without one.

use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Battery {
    /// 0..=100, averaged over all batteries.
    pub percent: u32,
    pub charging: bool,
}

/// Reads every supply of type `Battery` under `dir`. None when there is no battery.
pub fn read(dir: &Path) -> Option<Battery> {
    let mut total = 0u32;
    let mut count = 0u32;
    let mut charging = false;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let p = entry.path();
        let field = |name: &str| std::fs::read_to_string(p.join(name)).ok().map(|s| s.trim().to_string());
        if field("type").as_deref() != Some("Battery") || field("present").as_deref() == Some("0") {
            continue;
        }
        let Some(percent) = field("capacity").and_then(|c| c.parse::<u32>().ok()) else { continue };
        total += percent.min(100);
        count += 1;
        charging |= matches!(field("status").as_deref(), Some("Charging"));
    }
    (count > 0).then(|| Battery { percent: total / count, charging })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn supply(dir: &Path, name: &str, fields: &[(&str, &str)]) {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        for (k, v) in fields {
            std::fs::write(d.join(k), format!("{v}\n")).unwrap();
        }
    }

    #[test]
    fn no_battery_means_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()), None);
        supply(dir.path(), "AC", &[("type", "Mains"), ("online", "1")]);
        assert_eq!(read(dir.path()), None);
        assert_eq!(read(Path::new("/nonexistent")), None);
    }

    #[test]
    fn batteries_are_averaged() {
        let dir = tempfile::tempdir().unwrap();
        supply(dir.path(), "AC", &[("type", "Mains")]);
        supply(dir.path(), "BAT0", &[("type", "Battery"), ("capacity", "80"), ("status", "Discharging")]);
        assert_eq!(read(dir.path()), Some(Battery { percent: 80, charging: false }));
        supply(dir.path(), "BAT1", &[("type", "Battery"), ("capacity", "40"), ("status", "Charging")]);
        assert_eq!(read(dir.path()), Some(Battery { percent: 60, charging: true }));
    }
}
