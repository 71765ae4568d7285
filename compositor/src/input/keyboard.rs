//! Keys: compositor keybindings first (Alt+Tab, bare Super, VT switching), then the client
//! with keyboard focus. While the session is locked only VT switching and the level keys are
//! bindings.

use smithay::backend::input::KeyState;
use smithay::input::keyboard::{FilterResult, Keycode, Keysym};
use smithay::utils::SERIAL_COUNTER;

use crate::clipboard::global::Paste;
use crate::config::{Action, Modifiers};
use crate::state::State;

/// What a key press asks the compositor to do.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyAction {
    Bound(Action),
    SwitchVt(i32),
    /// Escape while a screenshot region is being picked.
    CancelRegion,
}

impl State {
    pub fn on_key(&mut self, keycode: Keycode, key_state: KeyState, time: u32) {
        self.enforce_focus();
        self.input_activity();
        if key_state == KeyState::Pressed {
            let on = self.canopy.seat.get_keyboard().and_then(|k| k.current_focus());
            match self.canopy.keyboard_domain() {
                Some(domain) => self.canopy.user_act(domain, on.as_ref()),
                None => self.canopy.void_activation_tokens(on.as_ref()),
            }
        }
        let Some(keyboard) = self.canopy.seat.get_keyboard() else { return };
        let serial = SERIAL_COUNTER.next_serial();
        let action = keyboard.input(self, keycode, key_state, serial, time, |state, mods, handle| {
            let canopy = &mut state.canopy;
            let raw = handle.raw_latin_sym_or_raw_current_sym().unwrap_or(Keysym::NoSymbol);
            let sym = handle.modified_sym();
            let code = keycode.raw();
            let m = Modifiers::from_state(mods);
            if key_state == KeyState::Pressed {
                if let Some(vt) = vt_of(sym) {
                    canopy.suppressed_keys.insert(code);
                    return FilterResult::Intercept(Some(KeyAction::SwitchVt(vt)));
                }
                if canopy.lock.is_locked() {
                    // Only the level keys and the power and suspend keys act on the lock screen.
                    let on_lock = |a: &&Action| a.is_level() || matches!(a, Action::PowerKey | Action::Suspend);
                    if let Some(action) = canopy.config.keybindings.find(m, raw).filter(on_lock).cloned() {
                        canopy.suppressed_keys.insert(code);
                        return FilterResult::Intercept(Some(KeyAction::Bound(action)));
                    }
                    return FilterResult::Forward;
                }
                if canopy.region_pick.is_some() {
                    // The trusted overlay has the keyboard: Escape cancels, no client sees a key.
                    canopy.suppressed_keys.insert(code);
                    return FilterResult::Intercept((raw == Keysym::Escape).then_some(KeyAction::CancelRegion));
                }
                let own = Modifiers::of_keysym(raw);
                if !own.is_empty() {
                    // A modifier on its own may be a binding (Super), fired on release.
                    canopy.bare_modifier = (m == own).then_some(own);
                    return FilterResult::Forward;
                }
                canopy.bare_modifier = None;
                if let Some(action) = canopy.config.keybindings.find(m, raw).cloned() {
                    canopy.suppressed_keys.insert(code);
                    return FilterResult::Intercept(Some(KeyAction::Bound(action)));
                }
                FilterResult::Forward
            } else {
                if canopy.suppressed_keys.remove(&code) {
                    canopy.level_key_released(code);
                    return FilterResult::Intercept(None);
                }
                let own = Modifiers::of_keysym(raw);
                if !own.is_empty() {
                    if own == Modifiers::ALT && canopy.switcher.is_some() {
                        // The client saw Alt go down, so it sees it come up too.
                        canopy.switcher_done = true;
                        return FilterResult::Forward;
                    }
                    if canopy.bare_modifier.take() == Some(own) && !canopy.lock.is_locked() {
                        if let Some(action) = canopy.config.keybindings.find_bare_modifier(own).cloned() {
                            return FilterResult::Intercept(Some(KeyAction::Bound(action)));
                        }
                    }
                }
                FilterResult::Forward
            }
        });
        if std::mem::take(&mut self.canopy.switcher_done) {
            // Releasing Alt ends the Alt+Tab switcher and commits its choice.
            self.finish_switcher();
        }
        match action {
            Some(Some(KeyAction::Bound(Action::ClipboardPaste))) => {
                let paste = self.paste_offered();
                if paste != Paste::Held {
                    self.pass_on(&keyboard, keycode, key_state, serial, time);
                }
            }
            Some(Some(KeyAction::Bound(Action::ClipboardCopy))) => {
                self.pass_on(&keyboard, keycode, key_state, serial, time);
                self.canopy.global_clipboard_copy_after_app();
            }
            Some(Some(KeyAction::Bound(action))) if action.is_level() => self.level_key_pressed(action, keycode.raw()),
            Some(Some(KeyAction::Bound(action))) => self.run_action(action),
            Some(Some(KeyAction::SwitchVt(vt))) => self.backend.switch_vt(vt),
            Some(Some(KeyAction::CancelRegion)) => self.cancel_region_pick(),
            _ => {}
        }
    }
}

impl State {
    /// The clipboard keys also reach the focused app, whose own keys they are in terminals
    /// (foot and most others): Ctrl+Shift+V after the global clipboard's offer is queued for
    /// that client (or when there is nothing to offer, so the app pastes its own VM's
    /// clipboard), Ctrl+Shift+C before the copy, so the terminal puts its selection on the
    /// clipboard that is then copied. The release goes on too.
    fn pass_on(
        &mut self,
        keyboard: &smithay::input::keyboard::KeyboardHandle<State>,
        keycode: Keycode,
        key_state: KeyState,
        serial: smithay::utils::Serial,
        time: u32,
    ) {
        self.canopy.suppressed_keys.remove(&keycode.raw());
        keyboard.input_forward(self, keycode, key_state, serial, time, false);
    }
}

fn vt_of(sym: Keysym) -> Option<i32> {
    let raw = sym.raw();
    let first = Keysym::XF86_Switch_VT_1.raw();
    (first..first + 12).contains(&raw).then(|| (raw - first + 1) as i32)
}
