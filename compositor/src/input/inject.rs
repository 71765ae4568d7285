//! Input injected through the control IPC (headless backend): the same code paths as real
//! devices, driven by tests and the demo.

use smithay::backend::input::{ButtonState, KeyState};
use smithay::input::keyboard::{xkb, Keycode, Keysym};

use super::pointer::{BTN_LEFT, BTN_MIDDLE, BTN_RIGHT};
use crate::state::State;

/// `left`, `right`, `middle`, or a Linux button code such as 272.
pub fn parse_button(name: Option<&str>) -> Result<u32, String> {
    match name.unwrap_or("left") {
        "left" => Ok(BTN_LEFT),
        "right" => Ok(BTN_RIGHT),
        "middle" => Ok(BTN_MIDDLE),
        other => other.parse().map_err(|_| format!("`{other}` is not a button (left, right, middle or a code)")),
    }
}

/// One chord such as `ctrl+shift+c` or `Return`: the keysyms to hold, in press order.
pub fn parse_chord(chord: &str) -> Result<Vec<Keysym>, String> {
    chord
        .split('+')
        .map(|part| {
            let name = match part.to_ascii_lowercase().as_str() {
                "ctrl" | "control" => "Control_L".to_string(),
                "alt" => "Alt_L".to_string(),
                "shift" => "Shift_L".to_string(),
                "super" | "logo" => "Super_L".to_string(),
                _ => part.to_string(),
            };
            let sym = xkb::keysym_from_name(&name, xkb::KEYSYM_NO_FLAGS);
            let sym = if sym.raw() == 0 { xkb::keysym_from_name(&name, xkb::KEYSYM_CASE_INSENSITIVE) } else { sym };
            if sym.raw() == 0 {
                Err(format!("`{part}` is not a key name"))
            } else {
                Ok(sym)
            }
        })
        .collect()
}

impl State {
    fn inject_time(&self) -> u32 {
        self.canopy.now_ms()
    }

    pub fn inject_pointer_move(&mut self, x: f64, y: f64) {
        let t = self.inject_time();
        self.on_pointer_motion((x, y).into(), t, None);
    }

    pub fn inject_button(&mut self, button: u32, state: ButtonState) {
        let t = self.inject_time();
        self.on_pointer_button(button, state, t);
    }

    /// The keycode that produces `sym` in the active layout, and whether Shift is needed.
    pub fn keycode_for(&mut self, sym: Keysym) -> Option<(Keycode, bool)> {
        let keyboard = self.canopy.seat.get_keyboard()?;
        keyboard.with_xkb_state(self, |ctx| {
            let xkb = ctx.xkb().lock().unwrap();
            let layout = xkb.active_layout();
            // Safety: the keymap reference does not outlive this closure.
            let keymap = unsafe { xkb.keymap() };
            for level in 0..2 {
                for code in keymap.min_keycode().raw()..=keymap.max_keycode().raw() {
                    let code = Keycode::new(code);
                    if keymap.key_get_syms_by_level(code, layout.0, level).contains(&sym) {
                        return Some((code, level == 1));
                    }
                }
            }
            None
        })
    }

    pub fn inject_key(&mut self, sym: Keysym, state: KeyState) -> Result<(), String> {
        let (code, _) = self.keycode_for(sym).ok_or_else(|| format!("no key makes {}", xkb::keysym_get_name(sym)))?;
        let t = self.inject_time();
        self.on_key(code, state, t);
        Ok(())
    }

    /// Press the chord's keys in order, then release them in reverse.
    pub fn inject_chord(&mut self, chord: &str) -> Result<(), String> {
        let syms = parse_chord(chord)?;
        for s in &syms {
            self.inject_key(*s, KeyState::Pressed)?;
        }
        for s in syms.iter().rev() {
            self.inject_key(*s, KeyState::Released)?;
        }
        Ok(())
    }

    /// Type text character by character, with Shift where the layout needs it.
    pub fn inject_text(&mut self, text: &str) -> Result<(), String> {
        for c in text.chars() {
            let sym = match c {
                '\n' => Keysym::Return,
                '\t' => Keysym::Tab,
                c => xkb::utf32_to_keysym(c as u32),
            };
            let (code, shift) = self.keycode_for(sym).ok_or_else(|| format!("no key types {c:?} in this layout"))?;
            let t = self.inject_time();
            let shift_code = if shift { self.keycode_for(Keysym::Shift_L).map(|(c, _)| c) } else { None };
            if let Some(s) = shift_code {
                self.on_key(s, KeyState::Pressed, t);
            }
            self.on_key(code, KeyState::Pressed, t);
            self.on_key(code, KeyState::Released, t);
            if let Some(s) = shift_code {
                self.on_key(s, KeyState::Released, t);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chords_and_buttons() {
        assert_eq!(parse_chord("ctrl+shift+c").unwrap(), vec![Keysym::Control_L, Keysym::Shift_L, Keysym::c]);
        assert_eq!(parse_chord("Return").unwrap(), vec![Keysym::Return]);
        assert!(parse_chord("ctrl+nokey").is_err());
        assert_eq!(parse_button(None), Ok(BTN_LEFT));
        assert_eq!(parse_button(Some("right")), Ok(BTN_RIGHT));
        assert!(parse_button(Some("thumb")).is_err());
    }
}
