use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_file(&TomlFile::from_text("/home/u/.config/canopy/canopy.toml", text))
}

const GOOD: &str = r##"
fullscreen = "maximize"

[vms.chromium-vm]
trust = "untrusted"

[vms.work-vm]
trust = "work"
colour = "#2255aa"

[keybindings]
"Super+Return" = { spawn = ["foot"] }
"Alt+Tab" = "none"

[keyboard]
layouts = [{ layout = "us" }, { layout = "de", variant = "nodeadkeys" }]

[[outputs]]
name = "eDP-1"
mode = "1920x1200@60"
scale = 1.5
"##;

#[test]
fn good_config() {
    let c = parse(GOOD).unwrap();
    assert_eq!(c.fullscreen, FullscreenPolicy::Maximize);
    assert_eq!(c.trust_level(Some("chromium-vm")), "untrusted");
    assert_eq!(c.trust_level(Some("not-configured-vm")), "unknown");
    assert_eq!(c.trust_level(None), "local");
    assert_eq!(c.vms["work-vm"].colour, Some(Rgba::rgb(0x22, 0x55, 0xaa)));
    let ret = KeyCombo::parse("Super+Return").unwrap();
    assert!(c.keybindings.bindings.iter().any(|b| b.combo == ret && b.action == Action::Spawn(vec!["foot".into()])));
    let alt_tab = KeyCombo::parse("Alt+Tab").unwrap();
    assert!(!c.keybindings.bindings.iter().any(|b| b.combo == alt_tab), "`none` removes the default");
    assert_eq!(c.keyboard.xkb_layouts(), ("us,de".to_string(), ",nodeadkeys".to_string()));
    assert_eq!(c.keyboard.short_names(), vec!["us", "de(nodeadkeys)"]);
}

#[test]
fn defaults_have_alt_tab_and_super() {
    let c = Config::default();
    assert_eq!(c.fullscreen, FullscreenPolicy::Indicator);
    let tab = xkb::keysym_from_name("Tab", 0);
    assert_eq!(c.keybindings.find(Modifiers::ALT, tab), Some(&Action::FocusNext));
    assert!(matches!(c.keybindings.find_bare_modifier(Modifiers::SUPER), Some(Action::Spawn(_))));
}

use smithay::input::keyboard::xkb;

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn unknown_trust_level_names_line_and_key() {
    let text = GOOD.replace("trust = \"work\"", "trust = \"wrok\"");
    let e = parse(&text).unwrap_err();
    assert_eq!(e.key, "vms.work-vm.trust");
    assert_eq!(e.line, line_of(&text, "wrok"));
    assert!(e.message.contains("unknown trust level `wrok`"), "{e}");
    assert!(e.to_string().starts_with("/home/u/.config/canopy/canopy.toml:"), "{e}");
}

#[test]
fn local_is_reserved() {
    let e = parse("[vms.x]\ntrust = \"local\"\n").unwrap_err();
    assert_eq!((e.key.as_str(), e.line), ("vms.x.trust", 2));
}

#[test]
fn bad_key_combo() {
    let text = GOOD.replace("Super+Return", "Hyper+Return");
    let e = parse(&text).unwrap_err();
    assert_eq!(e.key, "keybindings.\"Hyper+Return\"");
    assert_eq!(e.line, line_of(&text, "Hyper"));
    assert!(e.message.contains("`Hyper` is not a modifier"), "{e}");
}

#[test]
fn bad_key_name() {
    let e = parse("[keybindings]\n\"Super+Retrun\" = \"close\"\n").unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.message.contains("`Retrun` is not a key name"), "{e}");
}

#[test]
fn bad_action() {
    let e = parse("[keybindings]\n\"Super+Q\" = \"explode\"\n").unwrap_err();
    assert_eq!(e.line, 2, "{e}");
    assert!(e.key.starts_with("keybindings.Super+Q"), "{e}");
}

#[test]
fn bad_mode() {
    let text = GOOD.replace("1920x1200@60", "1920by1200");
    let e = parse(&text).unwrap_err();
    assert_eq!(e.key, "outputs.0.mode");
    assert_eq!(e.line, line_of(&text, "1920by1200"));
}

#[test]
fn unknown_top_level_key() {
    let e = parse("fulscreen = \"maximize\"\n").unwrap_err();
    assert_eq!(e.line, 1);
    assert!(e.message.contains("unknown field `fulscreen`"), "{e}");
}

#[test]
fn bad_fullscreen_value() {
    let e = parse("\n\nfullscreen = \"sometimes\"\n").unwrap_err();
    assert_eq!((e.key.as_str(), e.line), ("fullscreen", 3));
}

#[test]
fn bad_colour_override() {
    let e = parse("[vms.a]\ntrust = \"work\"\ncolour = \"blue\"\n").unwrap_err();
    assert_eq!((e.key.as_str(), e.line), ("vms.a.colour", 3));
    assert!(e.message.contains("not a colour"), "{e}");
}

#[test]
fn bad_vm_name() {
    let e = parse("[vms.\"evil vm\"]\ntrust = \"work\"\n").unwrap_err();
    assert!(e.message.contains("VM name"), "{e}");
    assert_eq!(e.line, 1);
}

#[test]
fn bad_layout() {
    let e = parse("[keyboard]\nlayouts = []\n").unwrap_err();
    assert_eq!((e.key.as_str(), e.line), ("keyboard.layouts", 2));
}

#[test]
fn theme_by_name_and_missing_theme() {
    let c = parse("theme = \"high-contrast\"\n").unwrap();
    assert_eq!(c.theme.name, "high-contrast");
    let e = parse("theme = \"neon\"\n").unwrap_err();
    assert_eq!((e.key.as_str(), e.line), ("theme", 1));
}

#[test]
fn decoration_overrides() {
    let c = parse("[decorations]\nborder_width = 7\n").unwrap();
    assert_eq!(c.theme.decoration.border_width, 7);
    let e = parse("[decorations]\nborder_width = 700\n").unwrap_err();
    assert_eq!((e.key.as_str(), e.line), ("decorations.border_width", 2));
}

#[test]
fn missing_explicit_file_is_an_error() {
    let e = Config::load(Some(Path::new("/nonexistent/c.toml"))).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/c.toml: cannot read"), "{e}");
}

#[test]
fn the_example_config_in_assets_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/examples/canopy.toml");
    let c = Config::load_file(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.trust_level(Some("chromium-vm")), "untrusted");
}

/// The reference example names every key the compositor accepts (set, or commented out with
/// its default), so a key added to the config without it fails here. serde lists a table's
/// fields when it meets an unknown one; that list is what is checked against the file.
#[test]
fn the_example_config_names_every_key() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/examples/canopy.toml");
    let example = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<String> = example.lines().map(|l| l.trim_start_matches(['#', ' ']).to_string()).collect();
    let tables = [
        ("", "zzz = 1\n"),
        ("decorations", "[decorations]\nzzz = 1\n"),
        ("vms.x", "[vms.x]\ntrust = \"work\"\nzzz = 1\n"),
        ("keyboard", "[keyboard]\nzzz = 1\n"),
        ("keyboard.layouts", "[keyboard]\nlayouts = [{ layout = \"us\", zzz = 1 }]\n"),
        ("outputs", "[[outputs]]\nname = \"a\"\nzzz = 1\n"),
        ("clipboard", "[clipboard]\nzzz = 1\n"),
        ("clipboard.rules", "[clipboard]\nrules = [{ from = \"a\", to = \"b\", action = \"deny\", zzz = 1 }]\n"),
        ("levels", "[levels]\nzzz = 1\n"),
        ("levels.backlight", "[levels.backlight]\nzzz = 1\n"),
        ("power", "[power]\nzzz = 1\n"),
        ("power.ac", "[power.ac]\nzzz = 1\n"),
        ("power.battery", "[power.battery]\nzzz = 1\n"),
    ];
    for (table, text) in tables {
        let e = parse(text).unwrap_err();
        let expected = e.message.split_once("expected").map(|(_, l)| l).unwrap_or_else(|| panic!("{table}: {e}"));
        let fields: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        assert!(fields.len() > 1, "{table}: {e}");
        for field in fields {
            let path = format!("{table}.{field}");
            let path = path.trim_start_matches('.');
            let named = lines.iter().any(|l| {
                let header = l.trim_start_matches('[');
                l.starts_with(&format!("{field} ="))
                    || l.contains(&format!("{{ {field} ="))
                    || l.contains(&format!(", {field} ="))
                    || (l.starts_with('[')
                        && (header.starts_with(&format!("{path}]")) || header.starts_with(&format!("{path}."))))
            });
            assert!(named, "the example canopy.toml does not name `{path}`");
        }
    }
}

#[test]
fn vm_opacity_and_cursor_size() {
    let c =
        parse("vm_cursor_size = 64\n[vms.a]\ntrust = \"work\"\n[vms.b]\ntrust = \"work\"\nopaque = false\n").unwrap();
    assert!(c.opaque("a") && !c.opaque("b") && c.opaque("not-configured"));
    assert_eq!(c.vm_cursor_size, 64);
    assert_eq!(Config::default().vm_cursor_size, 48);
    let e = parse("vm_cursor_size = 4096\n").unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (1, "vm_cursor_size"));
}

#[test]
fn notice_button_delay() {
    assert_eq!(Config::default().notice_button_delay_ms, 600);
    assert_eq!(parse("notice_button_delay_ms = 2500\n").unwrap().notice_button_delay_ms, 2500);
    let e = parse("\nnotice_button_delay_ms = 0\n").unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (2, "notice_button_delay_ms"));
}

#[test]
fn autostart_entries_are_kept_running_unless_told() {
    let c = parse("autostart = [[\"canopy-panel\"], { command = [\"setup.sh\", \"x\"], restart = false }]\n").unwrap();
    assert_eq!(c.autostart[0], Autostart { command: vec!["canopy-panel".into()], restart: true });
    assert_eq!(c.autostart[1], Autostart { command: vec!["setup.sh".into(), "x".into()], restart: false });
    let e = parse("autostart = [[\"a\"], []]\n").unwrap_err();
    assert_eq!(e.key, "autostart.1");
}

#[test]
fn level_keys_are_bound_by_default_and_levels_errors_name_the_key() {
    let c = parse("").unwrap();
    let find = |name: &str| {
        let combo = KeyCombo::parse(name).unwrap();
        c.keybindings.bindings.iter().find(|b| b.combo == combo).map(|b| b.action.clone())
    };
    assert_eq!(find("XF86AudioRaiseVolume"), Some(Action::VolumeUp));
    assert_eq!(find("XF86AudioMicMute"), Some(Action::MicMute));
    assert_eq!(find("XF86MonBrightnessDown"), Some(Action::BrightnessDown));
    assert!(Action::BrightnessUp.is_level() && !Action::Close.is_level());
    let c = parse("[keybindings]\nXF86AudioMute = \"none\"\n\"Super+F12\" = \"volume-up\"\n").unwrap();
    assert!(c.keybindings.bindings.iter().all(|b| b.combo != KeyCombo::parse("XF86AudioMute").unwrap()));
    let c2 = c.keybindings.find(Modifiers::SUPER, smithay::input::keyboard::Keysym::F12);
    assert_eq!(c2, Some(&Action::VolumeUp));
    let e = parse("[levels.backlight]\nmin_percent = 0\n").unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (2, "levels.backlight.min_percent"), "{e}");
    let e = parse("[levels]\naudio = \"tcp:1.2.3.4:80\"\n").unwrap_err();
    assert_eq!(e.line, 2, "{e}");
}

#[test]
fn the_power_key_is_bound_and_the_power_keys_errors_name_the_key() {
    let c = parse("").unwrap();
    let power = c.keybindings.find(Modifiers::empty(), smithay::input::keyboard::Keysym::XF86_PowerOff);
    assert_eq!(power, Some(&Action::PowerKey));
    let sleep = c.keybindings.find(Modifiers::empty(), smithay::input::keyboard::Keysym::XF86_Sleep);
    assert_eq!(sleep, Some(&Action::Suspend));
    assert_eq!(c.power.power_key, crate::power::config::PowerKey::Suspend);
    assert!(c.power.is_internal("eDP-1") && c.power.is_internal("LVDS-1") && !c.power.is_internal("HDMI-A-1"));
    let c = parse("[keybindings]\nXF86PowerOff = \"none\"\n\"Super+F12\" = \"power-key\"\n[power]\npower_key = \"menu\"\ninternal_outputs = [\"HEADLESS-1\"]\n").unwrap();
    assert_eq!(c.keybindings.find(Modifiers::SUPER, smithay::input::keyboard::Keysym::F12), Some(&Action::PowerKey));
    assert!(c.keybindings.find(Modifiers::empty(), smithay::input::keyboard::Keysym::XF86_PowerOff).is_none());
    assert!(c.power.is_internal("HEADLESS-1") && !c.power.is_internal("HEADLESS-10"));
    let e = parse("[power]\nlid = \"lock\"\npower_key = \"reboot\"\n").unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (3, "power.power_key"), "{e}");
    let e = parse("[power]\n\ninternal_outputs = [\"e*DP\"]\n").unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (3, "power.internal_outputs"), "{e}");
    let e = parse("[power]\nclamshell = \"sometimes\"\n").unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (2, "power.clamshell"), "{e}");
}

#[test]
fn idle_chain_keys_per_power_source_and_their_errors_name_file_line_and_key() {
    let c = parse("idle_lock_seconds = 300\n[power.ac]\ndim_seconds = 0.5\n[power.battery]\nlock_seconds = 60\nsuspend_seconds = 900\n[vms.m]\ntrust = \"work\"\nidle_inhibit = true\n").unwrap();
    use crate::power::source::PowerSource;
    let ac = c.power.idle_steps(PowerSource::Ac, c.idle_lock_seconds);
    assert_eq!((ac.dim, ac.screen_off, ac.lock, ac.suspend), (Some(0.5), None, Some(300.0), None));
    let bat = c.power.idle_steps(PowerSource::Battery, c.idle_lock_seconds);
    assert_eq!((bat.lock, bat.suspend), (Some(60.0), Some(900.0)));
    assert!(c.vms["m"].idle_inhibit);
    // A misspelt key, a value out of range, a wrong type: each named with its line.
    let e = parse("[power.ac]\n\ndim_secs = 5\n").unwrap_err();
    assert_eq!(e.line, 3, "{e}");
    assert!(e.to_string().contains("dim_secs"), "{e}");
    let e = parse("[power]\n[power.battery]\nscreen_off_seconds = -1\n").unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (3, "power.battery.screen_off_seconds"), "{e}");
    assert!(e.to_string().contains("canopy.toml"), "{e}");
    let e = parse("[power.ac]\nlock_seconds = \"soon\"\n").unwrap_err();
    assert_eq!(e.line, 2, "{e}");
}
