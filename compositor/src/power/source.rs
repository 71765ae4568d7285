//! AC or battery, read from `/sys/class/power_supply` (the root is `[power] power_supply`, so a
//! test gives a directory shaped like it): on AC when any mains supply is online, on battery
//! when none is and a battery is discharging. A missing or unreadable directory means AC, logged
//! once: a desktop without power-supply information is most likely plugged in, and AC's chain
//! is the one that asks less of the user.

use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PowerSource {
    Ac,
    Battery,
}

impl PowerSource {
    pub fn parse(s: &str) -> Option<PowerSource> {
        match s {
            "ac" => Some(PowerSource::Ac),
            "battery" => Some(PowerSource::Battery),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PowerSource::Ac => "ac",
            PowerSource::Battery => "battery",
        }
    }
}

/// The source the supplies under `root` say, or why they say nothing.
pub fn read(root: &Path) -> Result<PowerSource, String> {
    let entries = std::fs::read_dir(root).map_err(|e| format!("{}: {e}", root.display()))?;
    let mut discharging = false;
    for entry in entries.flatten() {
        let dir = entry.path();
        let field =
            |name: &str| std::fs::read_to_string(dir.join(name)).map(|s| s.trim().to_string()).unwrap_or_default();
        match field("type").as_str() {
            "Mains" | "USB" if field("online") == "1" => return Ok(PowerSource::Ac),
            "Battery" if field("status") == "Discharging" => discharging = true,
            _ => {}
        }
    }
    if discharging {
        Ok(PowerSource::Battery)
    } else {
        Err(format!("{}: no online mains supply and no discharging battery", root.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn supply(root: &Path, name: &str, fields: &[(&str, &str)]) {
        let d = root.join(name);
        std::fs::create_dir_all(&d).unwrap();
        for (k, v) in fields {
            std::fs::write(d.join(k), format!("{v}\n")).unwrap();
        }
    }

    #[test]
    fn mains_online_is_ac_a_discharging_battery_is_battery_nothing_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert!(read(&root.join("missing")).unwrap_err().contains("missing"));
        assert!(read(root).is_err(), "an empty directory says nothing");
        supply(root, "BAT0", &[("type", "Battery"), ("status", "Discharging")]);
        supply(root, "AC", &[("type", "Mains"), ("online", "0")]);
        assert_eq!(read(root), Ok(PowerSource::Battery));
        supply(root, "AC", &[("type", "Mains"), ("online", "1")]);
        assert_eq!(read(root), Ok(PowerSource::Ac));
    }
}
