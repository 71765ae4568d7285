//! VM → trust level → colours. The only place that decides what colour a window wears.

use canopy_themes::{Rgba, TrustColours};

use crate::config::Config;

/// Colours for a window of `vm` (`None`: the GUI VM's own window). A VM missing from the
/// config gets the theme's `unknown` colours, never a trusted one.
pub fn colours(config: &Config, vm: Option<&str>) -> TrustColours {
    let level = config.trust_level(vm);
    let mut colours = config.theme.colours(level).clone();
    if let Some(over) = vm.and_then(|vm| config.vms.get(vm)).and_then(|v| v.colour) {
        colours.focused = over;
        colours.unfocused = over.mix(Rgba::rgb(0x20, 0x20, 0x20), 0.45);
        let text = if over.luminance() > 0.6 { Rgba::rgb(0x1b, 0x1b, 0x1b) } else { Rgba::rgb(0xff, 0xff, 0xff) };
        colours.text_focused = text;
        colours.text_unfocused = text.mix(over, 0.3);
    }
    colours
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_common::config::TomlFile;

    #[test]
    fn per_vm_colours() {
        let cfg = Config::from_file(&TomlFile::from_text(
            "c.toml",
            "[vms.a]\ntrust = \"untrusted\"\n[vms.b]\ntrust = \"work\"\ncolour = \"#123456\"\n",
        ))
        .unwrap();
        let theme = &cfg.theme;
        assert_eq!(colours(&cfg, Some("a")), *theme.colours("untrusted"));
        assert_eq!(colours(&cfg, Some("b")).focused, Rgba::rgb(0x12, 0x34, 0x56));
        assert_eq!(colours(&cfg, Some("zzz")), *theme.colours("unknown"));
        assert_eq!(colours(&cfg, None), *theme.colours("local"));
        assert_ne!(colours(&cfg, Some("zzz")).focused, theme.colours("trusted").focused);
    }
}
