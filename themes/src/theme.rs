//! Themes: trust levels and their colours, fonts and sizes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Rgba;
use canopy_common::config::{ConfigError, TomlFile};

/// A trust level name such as `work`. Every theme defines at least [`REQUIRED_LEVELS`].
pub type TrustLevel = String;

/// The frame and title colours of one trust level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustColours {
    /// Border and title bar of the focused window.
    pub focused: Rgba,
    /// Border and title bar of other windows.
    pub unfocused: Rgba,
    pub text_focused: Rgba,
    pub text_unfocused: Rgba,
}

/// The fonts every piece of trusted text is drawn with (see canopy-text). Families are found
/// among the system's fonts by name, as fontconfig lists them (`fc-list : family`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Font {
    /// The preferred family: it draws every character it has (its regular and bold faces).
    pub family: String,
    /// Families tried in this order for characters the preferred family lacks (scripts it does
    /// not cover, CJK, emoji). Characters none of them has come from any other system font, and
    /// failing that are drawn as a box.
    #[serde(default)]
    pub fallback: Vec<String>,
    /// Families preferred for one script, before `family`: a script's own UI face draws it
    /// better than a general family's coverage of it. Keys are Unicode script names
    /// (`Arabic`, `Devanagari`, `Han`…).
    #[serde(default)]
    pub scripts: BTreeMap<String, Vec<String>>,
    /// Title text size in logical pixels.
    pub size: f32,
}

/// Most fallback families a theme may name.
pub const MAX_FALLBACK_FAMILIES: usize = 16;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decoration {
    pub border_width: u32,
    pub title_height: u32,
    /// Frame around popups and menus of VM clients.
    pub popup_frame: u32,
    /// Height of the trust strip kept over a fullscreen VM window.
    pub fullscreen_strip: u32,
    /// How far from a corner a border drag resizes both edges.
    pub corner_size: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Desktop {
    pub background: Rgba,
    pub panel_background: Rgba,
    pub panel_text: Rgba,
    pub panel_accent: Rgba,
    pub launcher_background: Rgba,
    pub launcher_text: Rgba,
    pub notice_background: Rgba,
    pub notice_text: Rgba,
    pub button_hover: Rgba,
    pub danger: Rgba,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    pub name: String,
    pub font: Font,
    pub decoration: Decoration,
    pub desktop: Desktop,
    pub trust: BTreeMap<TrustLevel, TrustColours>,
}

const DEFAULT: &str = include_str!("../default.toml");
const HIGH_CONTRAST: &str = include_str!("../high-contrast.toml");

/// Trust levels every theme must colour. `local` is the GUI VM's own windows; `unknown` is what
/// a VM missing from the config gets, so it must never look like a trusted one.
pub const REQUIRED_LEVELS: [&str; 6] = ["local", "trusted", "work", "personal", "untrusted", "unknown"];

impl Theme {
    /// The names of the themes built into the binary.
    pub const BUILTIN: [&'static str; 2] = ["default", "high-contrast"];

    pub fn builtin(name: &str) -> Option<Theme> {
        let text = match name {
            "default" => DEFAULT,
            "high-contrast" => HIGH_CONTRAST,
            _ => return None,
        };
        let file = TomlFile::from_text(format!("<builtin theme {name}>"), text);
        Some(Self::from_file(&file).expect("built-in themes are valid"))
    }

    /// A built-in theme by name, or a theme file by path.
    pub fn load(name_or_path: &str) -> Result<Theme, ConfigError> {
        if let Some(t) = Self::builtin(name_or_path) {
            return Ok(t);
        }
        if !name_or_path.contains('/') && !name_or_path.ends_with(".toml") {
            return Err(ConfigError {
                file: PathBuf::from(name_or_path),
                line: 0,
                key: String::new(),
                message: format!(
                    "no built-in theme of that name (built in: {}); give a path to a theme file",
                    Self::BUILTIN.join(", ")
                ),
            });
        }
        Self::from_file(&TomlFile::read(Path::new(name_or_path))?)
    }

    pub fn from_file(file: &TomlFile) -> Result<Theme, ConfigError> {
        let theme: Theme = file.parse()?;
        for level in REQUIRED_LEVELS {
            if !theme.trust.contains_key(level) {
                return Err(file.error_at("trust", format!("trust level `{level}` is missing")));
            }
        }
        let d = &theme.decoration;
        if d.border_width == 0 || d.border_width > 64 {
            return Err(file.error_at("decoration.border_width", "must be between 1 and 64"));
        }
        if d.title_height < 8 || d.title_height > 128 {
            return Err(file.error_at("decoration.title_height", "must be between 8 and 128"));
        }
        if d.popup_frame == 0 || d.popup_frame > 32 {
            return Err(file.error_at("decoration.popup_frame", "must be between 1 and 32"));
        }
        if d.fullscreen_strip == 0 || d.fullscreen_strip > 64 {
            return Err(file.error_at("decoration.fullscreen_strip", "must be between 1 and 64"));
        }
        let f = &theme.font;
        if f.family.trim().is_empty() || f.family.len() > 128 {
            return Err(file.error_at("font.family", "must name a font family (1 to 128 bytes)"));
        }
        if f.fallback.len() > MAX_FALLBACK_FAMILIES {
            return Err(file.error_at("font.fallback", format!("at most {MAX_FALLBACK_FAMILIES} families")));
        }
        if let Some(i) = f.fallback.iter().position(|n| n.trim().is_empty() || n.len() > 128) {
            return Err(
                file.error_at("font.fallback", format!("entry {} must name a font family (1 to 128 bytes)", i + 1))
            );
        }
        for (script, names) in &f.scripts {
            let key = format!("font.scripts.{script}");
            if unicode_script::Script::from_full_name(script).is_none() {
                return Err(file.error_at(&key, "not a Unicode script name (such as Arabic, Devanagari, Han)"));
            }
            if names.is_empty() || names.len() > MAX_FALLBACK_FAMILIES {
                return Err(file.error_at(&key, format!("name 1 to {MAX_FALLBACK_FAMILIES} families")));
            }
            if names.iter().any(|n| n.trim().is_empty() || n.len() > 128) {
                return Err(file.error_at(&key, "every entry must name a font family (1 to 128 bytes)"));
            }
        }
        if !(4.0..=96.0).contains(&theme.font.size) {
            return Err(file.error_at("font.size", "must be between 4 and 96"));
        }
        Ok(theme)
    }

    /// Colours of a trust level; a level the theme does not know gets `unknown`.
    pub fn colours(&self, level: &str) -> &TrustColours {
        self.trust.get(level).unwrap_or_else(|| &self.trust["unknown"])
    }
}

impl Default for Theme {
    fn default() -> Self {
        Self::builtin("default").expect("default theme")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_load() {
        for name in Theme::BUILTIN {
            let t = Theme::builtin(name).unwrap();
            assert_eq!(t.name, name);
            for level in REQUIRED_LEVELS {
                assert!(t.trust.contains_key(level));
            }
        }
    }

    #[test]
    fn untrusted_and_unknown_differ_from_trusted() {
        for name in Theme::BUILTIN {
            let t = Theme::builtin(name).unwrap();
            let trusted = t.colours("trusted").focused;
            assert_ne!(t.colours("unknown").focused, trusted);
            assert_ne!(t.colours("untrusted").focused, trusted);
            assert_eq!(t.colours("no-such-level"), t.colours("unknown"));
        }
    }

    #[test]
    fn missing_level_is_named() {
        let text = DEFAULT.replace("[trust.personal]", "[trust.personalx]");
        let e = Theme::from_file(&TomlFile::from_text("t.toml", text)).unwrap_err();
        assert!(e.message.contains("`personal` is missing"), "{e}");
        assert_eq!(e.key, "trust");
    }

    #[test]
    fn bad_colour_names_line_and_key() {
        let text = DEFAULT.replacen("focused = \"#", "focused = \"#zz", 1);
        let e = Theme::from_file(&TomlFile::from_text("t.toml", text.clone())).unwrap_err();
        let line = text.lines().position(|l| l.contains("#zz")).unwrap() + 1;
        assert_eq!(e.line, line, "{e}");
        assert!(e.key.ends_with(".focused"), "{e}");
        assert!(e.message.contains("not a colour"), "{e}");
    }

    #[test]
    fn out_of_range_size() {
        let text = DEFAULT.replace("border_width = 4", "border_width = 0");
        let e = Theme::from_file(&TomlFile::from_text("t.toml", text)).unwrap_err();
        assert_eq!(e.key, "decoration.border_width");
        assert!(e.line > 0);
    }

    #[test]
    fn font_families_and_scripts_are_checked() {
        let text = DEFAULT.replace("Arabic = [", "Klingon = [");
        let e = Theme::from_file(&TomlFile::from_text("t.toml", text.clone())).unwrap_err();
        assert_eq!(e.key, "font.scripts.Klingon", "{e}");
        assert_eq!(e.line, text.lines().position(|l| l.starts_with("Klingon")).unwrap() + 1, "{e}");
        let text = DEFAULT.replace("family = \"DejaVu Sans\"", "family = \" \"");
        let e = Theme::from_file(&TomlFile::from_text("t.toml", text)).unwrap_err();
        assert_eq!(e.key, "font.family", "{e}");
        // The old keys name the file's mistake rather than being ignored.
        let text = DEFAULT.replace("family = \"DejaVu Sans\"", "regular = \"/x.ttf\"");
        let e = Theme::from_file(&TomlFile::from_text("t.toml", text)).unwrap_err();
        assert!(e.message.contains("regular"), "{e}");
    }

    #[test]
    fn unknown_builtin_name() {
        let e = Theme::load("neon").unwrap_err();
        assert!(e.message.contains("default, high-contrast"), "{e}");
    }
}
