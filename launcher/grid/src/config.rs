//! The app list used when canopy-hostd cannot be reached: a TOML file such as
//!
//! ```toml
//! [[app]]
//! name = "browser"            # the app's name in hostd's config
//! display_name = "Web browser"
//! icon = "browser"            # a built-in icon, or an absolute path to an SVG file
//! vm = "chromium-vm"
//! trust = "untrusted"         # picks the tile's colour
//! ```

use std::path::Path;

use canopy_common::config::{ConfigError, TomlFile};
use canopy_themes::Theme;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppEntry {
    pub name: String,
    pub display_name: String,
    #[serde(default)]
    pub icon: Option<String>,
    pub vm: String,
    pub trust: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LauncherConfig {
    #[serde(default)]
    pub app: Vec<AppEntry>,
}

/// Reads and checks the fallback app list; errors name the file, line and key.
pub fn load(path: &Path, theme: &Theme) -> Result<LauncherConfig, ConfigError> {
    let file = TomlFile::read(path)?;
    let config: LauncherConfig = file.parse()?;
    let icons = canopy_shell::draw::Icons::new();
    for (i, app) in config.app.iter().enumerate() {
        let key = |k: &str| format!("app.{i}.{k}");
        if app.name.trim().is_empty() {
            return Err(file.error_at(&key("name"), "must not be empty"));
        }
        if app.display_name.trim().is_empty() {
            return Err(file.error_at(&key("display_name"), "must not be empty"));
        }
        if app.vm.trim().is_empty() {
            return Err(file.error_at(&key("vm"), "must not be empty"));
        }
        if let Some(icon) = &app.icon {
            if icon.contains('/') && !Path::new(icon).is_absolute() {
                return Err(file.error_at(&key("icon"), format!("`{icon}` is not an absolute path")));
            }
            if !icons.exists(icon) {
                let problem = if icon.contains('/') {
                    format!("`{icon}` is not a readable SVG file")
                } else {
                    format!("no built-in icon `{icon}` (built in: {})", canopy_common::icons::builtin_names())
                };
                return Err(file.error_at(&key("icon"), problem));
            }
        }
        if !theme.trust.contains_key(&app.trust) {
            let known: Vec<&str> = theme.trust.keys().map(String::as_str).collect();
            return Err(file.error_at(
                &key("trust"),
                format!("unknown trust level `{}` (known: {})", app.trust, known.join(", ")),
            ));
        }
        if let Some(dup) = config.app[..i].iter().find(|a| a.name == app.name && a.vm == app.vm) {
            return Err(file.error_at(&key("name"), format!("`{}` in {} is listed twice", dup.name, dup.vm)));
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("launcher.toml");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    const GOOD: &str = r#"
[[app]]
name = "browser"
display_name = "Web browser"
icon = "browser"
vm = "chromium-vm"
trust = "untrusted"

[[app]]
name = "pdf"
display_name = "PDF viewer"
vm = "zathura-vm"
trust = "work"
"#;

    #[test]
    fn reads_apps() {
        let (_d, p) = write(GOOD);
        let c = load(&p, &Theme::default()).unwrap();
        assert_eq!(c.app.len(), 2);
        assert_eq!(c.app[1].icon, None);
        assert_eq!(c.app[0].trust, "untrusted");
    }

    #[test]
    fn unknown_trust_names_line_and_key() {
        let (_d, p) = write(&GOOD.replace("trust = \"work\"", "trust = \"wrok\""));
        let e = load(&p, &Theme::default()).unwrap_err();
        assert_eq!(e.key, "app.1.trust");
        assert_eq!(e.line, 13, "{e}");
        assert!(e.message.contains("unknown trust level `wrok`"), "{e}");
        assert!(e.to_string().starts_with(&format!("{}:13:", p.display())), "{e}");
    }

    #[test]
    fn unknown_key_and_missing_key() {
        let (_d, p) = write(&GOOD.replace("icon = \"browser\"", "icno = \"browser\""));
        let e = load(&p, &Theme::default()).unwrap_err();
        assert!(e.message.contains("unknown field `icno`"), "{e}");
        assert_eq!(e.line, 5, "{e}");
        let (_d, p) = write(&GOOD.replace("vm = \"zathura-vm\"\n", ""));
        let e = load(&p, &Theme::default()).unwrap_err();
        assert!(e.message.contains("missing field `vm`"), "{e}");
        assert_eq!(e.key, "app.1");
    }

    #[test]
    fn duplicates_and_empty_names() {
        let (_d, p) = write(&GOOD.replace("name = \"pdf\"", "name = \"browser\"").replace("zathura-vm", "chromium-vm"));
        let e = load(&p, &Theme::default()).unwrap_err();
        assert!(e.message.contains("listed twice"), "{e}");
        let (_d, p) = write(&GOOD.replace("name = \"pdf\"", "name = \" \""));
        assert_eq!(load(&p, &Theme::default()).unwrap_err().key, "app.1.name");
    }

    #[test]
    fn icons_are_built_in_or_readable_svg_files() {
        let (_d, p) = write(&GOOD.replace("icon = \"browser\"", "icon = \"document\""));
        let e = load(&p, &Theme::default()).unwrap_err();
        assert_eq!((e.key.as_str(), e.line), ("app.0.icon", 5), "{e}");
        assert!(e.message.contains("no built-in icon `document` (built in: app, android"), "{e}");
        let (d, p) = write(&GOOD.replace("icon = \"browser\"", "icon = \"ICON\""));
        let svg = d.path().join("b.svg");
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, text.replace("ICON", &svg.to_string_lossy())).unwrap();
        let e = load(&p, &Theme::default()).unwrap_err();
        assert!(e.message.contains("is not a readable SVG file"), "{e}");
        std::fs::write(&svg, canopy_common::icons::BUILTIN[0].1).unwrap();
        load(&p, &Theme::default()).unwrap();
        std::fs::write(&p, text.replace("ICON", "b.svg/x")).unwrap();
        assert!(load(&p, &Theme::default()).unwrap_err().message.contains("not an absolute path"));
    }

    #[test]
    fn the_example_is_valid() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/examples/launcher.toml");
        let c = load(&p, &Theme::default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.app.iter().any(|a| a.name == "pdf" && a.trust == "work"));
    }

    #[test]
    fn missing_file() {
        let e = load(Path::new("/nonexistent/launcher.toml"), &Theme::default()).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/launcher.toml: cannot read"), "{e}");
    }
}
