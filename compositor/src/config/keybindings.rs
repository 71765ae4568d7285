//! Keybindings: `"Super+Shift+Return" = { spawn = ["foot"] }` or `"Alt+Tab" = "focus-next"`.

use std::collections::BTreeMap;

use serde::Deserialize;
use smithay::input::keyboard::{xkb, Keysym, ModifiersState};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Action {
    Close,
    Maximize,
    Minimize,
    Fullscreen,
    /// Alt+Tab: cycle focus through windows, most recently used first.
    FocusNext,
    FocusPrev,
    SwitchLayout,
    /// Copy the focused VM's clipboard into the global clipboard.
    ClipboardCopy,
    /// Offer the global clipboard to the focused VM, once.
    ClipboardPaste,
    Quit,
    /// The level keys (see `crate::levels`): they also act on the lock screen, and repeat when held.
    VolumeUp,
    VolumeDown,
    VolumeMute,
    MicMute,
    BrightnessUp,
    BrightnessDown,
    /// The power key: what `[power] power_key` says (it also acts on the lock screen).
    PowerKey,
    /// The suspend key: lock, then suspend (it also acts on the lock screen).
    Suspend,
    /// Print: a PNG of the output under the pointer in ~/Pictures/Screenshots.
    Screenshot,
    /// Alt+Print: the same of the focused window with its trust frame.
    ScreenshotWindow,
    /// Shift+Print: the same of a region chosen by dragging (Escape cancels).
    ScreenshotRegion,
    /// Ctrl+Print, Ctrl+Alt+Print, Ctrl+Shift+Print: the same three, as image/png on the GUI
    /// VM's own clipboard instead of a file (never offered to a VM).
    ScreenshotClipboard,
    ScreenshotWindowClipboard,
    ScreenshotRegionClipboard,
    /// Run a program (argv, no shell), with WAYLAND_DISPLAY and CANOPY_SOCKET set.
    Spawn(Vec<String>),
    /// Removes a default binding.
    None,
}

impl Action {
    /// A level key: allowed while the screen is locked (it changes levels, never what is shown
    /// or who has focus), and repeated while held.
    pub fn is_level(&self) -> bool {
        matches!(
            self,
            Action::VolumeUp
                | Action::VolumeDown
                | Action::VolumeMute
                | Action::MicMute
                | Action::BrightnessUp
                | Action::BrightnessDown
        )
    }
}

bitflags::bitflags! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct Modifiers: u8 {
        const CTRL = 1;
        const ALT = 2;
        const SHIFT = 4;
        const SUPER = 8;
    }
}

impl Modifiers {
    pub fn from_state(m: &ModifiersState) -> Self {
        let mut out = Modifiers::empty();
        out.set(Modifiers::CTRL, m.ctrl);
        out.set(Modifiers::ALT, m.alt);
        out.set(Modifiers::SHIFT, m.shift);
        out.set(Modifiers::SUPER, m.logo);
        out
    }

    fn from_modifier_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "ctrl" | "control" => Modifiers::CTRL,
            "alt" | "mod1" => Modifiers::ALT,
            "shift" => Modifiers::SHIFT,
            "super" | "logo" | "mod4" | "win" => Modifiers::SUPER,
            _ => return None,
        })
    }

    /// The modifier a key itself is, so a bare `Super` binding can match its release.
    pub fn of_keysym(sym: Keysym) -> Modifiers {
        match sym {
            Keysym::Control_L | Keysym::Control_R => Modifiers::CTRL,
            Keysym::Alt_L | Keysym::Alt_R | Keysym::Meta_L | Keysym::Meta_R => Modifiers::ALT,
            Keysym::Shift_L | Keysym::Shift_R => Modifiers::SHIFT,
            Keysym::Super_L | Keysym::Super_R => Modifiers::SUPER,
            _ => Modifiers::empty(),
        }
    }
}

/// A key with modifiers, or a bare modifier (`key == None`, fires on release).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyCombo {
    pub mods: Modifiers,
    pub key: Option<u32>,
}

impl KeyCombo {
    pub fn parse(s: &str) -> Result<KeyCombo, String> {
        let parts: Vec<&str> = s.split('+').map(str::trim).collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(format!("`{s}` is not a key combination; write e.g. Super+Shift+Return"));
        }
        let (last, mods_part) = parts.split_last().expect("split gives one part at least");
        let mut mods = Modifiers::empty();
        for m in mods_part {
            mods |= Modifiers::from_modifier_name(m)
                .ok_or_else(|| format!("`{m}` is not a modifier (Ctrl, Alt, Shift, Super)"))?;
        }
        if let Some(m) = Modifiers::from_modifier_name(last) {
            if !mods.is_empty() {
                return Err(format!("`{s}` ends in a modifier; only a single bare modifier can be bound"));
            }
            return Ok(KeyCombo { mods: m, key: None });
        }
        let sym = xkb::keysym_from_name(last, xkb::KEYSYM_CASE_INSENSITIVE);
        if sym.raw() == 0 {
            return Err(format!("`{last}` is not a key name (xkb keysym names such as Return, Tab, F4, q)"));
        }
        Ok(KeyCombo { mods, key: Some(normalise(sym).raw()) })
    }
}

/// Letters are matched without regard to case, since Shift is a modifier of its own.
pub fn normalise(sym: Keysym) -> Keysym {
    let mut lower = char::from_u32(xkb::keysym_to_utf32(sym)).into_iter().flat_map(char::to_lowercase);
    match (lower.next(), lower.next()) {
        (Some(c), None) if !c.is_control() => {
            let l = xkb::utf32_to_keysym(c as u32);
            if l.raw() != 0 {
                l
            } else {
                sym
            }
        }
        _ => sym,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub combo: KeyCombo,
    pub action: Action,
}

#[derive(Debug, Clone, Default)]
pub struct Keybindings {
    pub bindings: Vec<Binding>,
}

const DEFAULTS: &[(&str, &str)] = &[
    ("Alt+Tab", "focus-next"),
    ("Alt+Shift+Tab", "focus-prev"),
    ("Alt+F4", "close"),
    ("Super+Up", "maximize"),
    ("Super+Down", "minimize"),
    ("Super+F", "fullscreen"),
    ("Super+Space", "switch-layout"),
    ("Ctrl+Alt+BackSpace", "quit"),
    ("Ctrl+Shift+C", "clipboard-copy"),
    ("Ctrl+Shift+V", "clipboard-paste"),
    ("XF86AudioRaiseVolume", "volume-up"),
    ("XF86AudioLowerVolume", "volume-down"),
    ("XF86AudioMute", "volume-mute"),
    ("XF86AudioMicMute", "mic-mute"),
    ("XF86MonBrightnessUp", "brightness-up"),
    ("XF86MonBrightnessDown", "brightness-down"),
    ("XF86PowerOff", "power-key"),
    ("XF86Sleep", "suspend"),
    ("XF86Suspend", "suspend"),
    ("Print", "screenshot"),
    ("Alt+Print", "screenshot-window"),
    ("Shift+Print", "screenshot-region"),
    ("Ctrl+Print", "screenshot-clipboard"),
    ("Ctrl+Alt+Print", "screenshot-window-clipboard"),
    ("Ctrl+Shift+Print", "screenshot-region-clipboard"),
];

impl Keybindings {
    /// Defaults, then the config's entries, which replace defaults for the same combination.
    pub fn from_config(entries: &BTreeMap<String, Action>) -> Result<Keybindings, (String, String)> {
        let mut map: BTreeMap<KeyCombo, Action> = BTreeMap::new();
        for (combo, action) in DEFAULTS {
            let action = match *action {
                "focus-next" => Action::FocusNext,
                "focus-prev" => Action::FocusPrev,
                "close" => Action::Close,
                "maximize" => Action::Maximize,
                "minimize" => Action::Minimize,
                "fullscreen" => Action::Fullscreen,
                "switch-layout" => Action::SwitchLayout,
                "quit" => Action::Quit,
                "clipboard-copy" => Action::ClipboardCopy,
                "clipboard-paste" => Action::ClipboardPaste,
                "volume-up" => Action::VolumeUp,
                "volume-down" => Action::VolumeDown,
                "volume-mute" => Action::VolumeMute,
                "mic-mute" => Action::MicMute,
                "brightness-up" => Action::BrightnessUp,
                "brightness-down" => Action::BrightnessDown,
                "power-key" => Action::PowerKey,
                "suspend" => Action::Suspend,
                "screenshot" => Action::Screenshot,
                "screenshot-window" => Action::ScreenshotWindow,
                "screenshot-region" => Action::ScreenshotRegion,
                "screenshot-clipboard" => Action::ScreenshotClipboard,
                "screenshot-window-clipboard" => Action::ScreenshotWindowClipboard,
                "screenshot-region-clipboard" => Action::ScreenshotRegionClipboard,
                other => unreachable!("default action {other}"),
            };
            map.insert(KeyCombo::parse(combo).expect("default combos parse"), action);
        }
        map.insert(KeyCombo::parse("Super").expect("Super"), Action::Spawn(vec!["canopy-launcher".into()]));
        for (combo, action) in entries {
            let parsed = KeyCombo::parse(combo).map_err(|m| (quote_key(combo), m))?;
            if let Action::Spawn(argv) = action {
                if argv.first().is_none_or(|p| p.is_empty()) {
                    return Err((quote_key(combo), "spawn needs at least a program".into()));
                }
            }
            map.insert(parsed, action.clone());
        }
        Ok(Keybindings {
            bindings: map
                .into_iter()
                .filter(|(_, a)| *a != Action::None)
                .map(|(combo, action)| Binding { combo, action })
                .collect(),
        })
    }

    pub fn find(&self, mods: Modifiers, sym: Keysym) -> Option<&Action> {
        let key = normalise(sym).raw();
        self.bindings.iter().find(|b| b.combo.mods == mods && b.combo.key == Some(key)).map(|b| &b.action)
    }

    pub fn find_bare_modifier(&self, m: Modifiers) -> Option<&Action> {
        self.bindings.iter().find(|b| b.combo.key.is_none() && b.combo.mods == m).map(|b| &b.action)
    }
}

/// Keys with `+` in them are written quoted in TOML; error keys show them the same way.
fn quote_key(k: &str) -> String {
    if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        k.to_string()
    } else {
        format!("\"{k}\"")
    }
}
