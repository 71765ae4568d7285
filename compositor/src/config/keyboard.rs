//! Keyboard layouts: xkb rules/model/options and an ordered list of layouts, switchable at runtime.

use serde::Deserialize;
use smithay::input::keyboard::xkb;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayoutConfig {
    pub layout: String,
    #[serde(default)]
    pub variant: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyboardConfig {
    #[serde(default)]
    pub rules: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub options: Option<String>,
    #[serde(default = "default_layouts")]
    pub layouts: Vec<LayoutConfig>,
    /// Milliseconds before a held key repeats.
    #[serde(default = "default_delay")]
    pub repeat_delay: i32,
    /// Repeats per second.
    #[serde(default = "default_rate")]
    pub repeat_rate: i32,
}

fn default_layouts() -> Vec<LayoutConfig> {
    vec![LayoutConfig { layout: "us".into(), variant: String::new() }]
}
fn default_delay() -> i32 {
    600
}
fn default_rate() -> i32 {
    25
}

impl Default for KeyboardConfig {
    fn default() -> Self {
        Self {
            rules: String::new(),
            model: String::new(),
            options: None,
            layouts: default_layouts(),
            repeat_delay: default_delay(),
            repeat_rate: default_rate(),
        }
    }
}

impl KeyboardConfig {
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.layouts.is_empty() {
            return Err(("layouts".into(), "at least one layout is needed".into()));
        }
        if self.layouts.len() > 4 {
            return Err(("layouts".into(), "xkb supports at most 4 layouts at once".into()));
        }
        for (i, l) in self.layouts.iter().enumerate() {
            let ok = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || "_-".contains(c));
            if l.layout.is_empty() || !ok(&l.layout) {
                return Err((format!("layouts.{i}.layout"), format!("`{}` is not an xkb layout name", l.layout)));
            }
            if !ok(&l.variant) {
                return Err((format!("layouts.{i}.variant"), format!("`{}` is not an xkb variant name", l.variant)));
            }
        }
        // Names that look right may still be unknown to xkb (`layout = "xx"`): build each
        // layout's keymap now, so the file's line is named here and not at start.
        for (i, l) in self.layouts.iter().enumerate() {
            if !self.compiles(&l.layout, &l.variant, None) {
                return Err(match self.compiles(&l.layout, "", None) {
                    true => (
                        format!("layouts.{i}.variant"),
                        format!("xkb has no variant `{}` of `{}`", l.variant, l.layout),
                    ),
                    false => (format!("layouts.{i}.layout"), format!("xkb has no layout `{}`", l.layout)),
                });
            }
        }
        let (layouts, variants) = self.xkb_layouts();
        if !self.compiles(&layouts, &variants, self.options.clone()) {
            return Err(("options".into(), "xkb cannot build a keymap with these rules, model and options".into()));
        }
        if !(100..=5000).contains(&self.repeat_delay) {
            return Err(("repeat_delay".into(), "must be between 100 and 5000 ms".into()));
        }
        if !(1..=100).contains(&self.repeat_rate) {
            return Err(("repeat_rate".into(), "must be between 1 and 100 per second".into()));
        }
        Ok(())
    }

    /// Whether xkb builds a keymap from these names with this config's rules and model.
    fn compiles(&self, layout: &str, variant: &str, options: Option<String>) -> bool {
        let context = xkb::Context::new(xkb::CONTEXT_NO_FLAGS);
        let flags = xkb::KEYMAP_COMPILE_NO_FLAGS;
        xkb::Keymap::new_from_names(
            &context,
            &self.rules,
            &self.model,
            &layout.to_string(),
            &variant.to_string(),
            options,
            flags,
        )
        .is_some()
    }

    /// The comma-joined layout and variant strings xkb takes for several groups.
    pub fn xkb_layouts(&self) -> (String, String) {
        let layouts = self.layouts.iter().map(|l| l.layout.as_str()).collect::<Vec<_>>().join(",");
        let variants = self.layouts.iter().map(|l| l.variant.as_str()).collect::<Vec<_>>().join(",");
        (layouts, variants)
    }

    /// Short names for the panel: `us`, `de(nodeadkeys)`.
    pub fn short_names(&self) -> Vec<String> {
        self.layouts
            .iter()
            .map(|l| if l.variant.is_empty() { l.layout.clone() } else { format!("{}({})", l.layout, l.variant) })
            .collect()
    }
}
