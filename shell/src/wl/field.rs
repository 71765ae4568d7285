//! The keys that edit a one-line text field (the launcher's filter and disk-image path): typing,
//! BackSpace and Delete by grapheme cluster, Ctrl+BackSpace to clear, Home and End, and Left and
//! Right that move the caret on screen, also through right-to-left text.

use canopy_text::{Fonts, TextField, Weight};
use smithay_client_toolkit::seat::keyboard::{KeyEvent, Keysym, Modifiers};

/// The text a key types, unless it is a shortcut or a control character.
pub fn printable<'a>(key: &'a KeyEvent, mods: &Modifiers) -> Option<&'a str> {
    if mods.ctrl || mods.alt || mods.logo {
        return None;
    }
    key.utf8.as_deref().filter(|t| !t.is_empty() && !t.chars().any(char::is_control))
}

/// Applies `key` to `field` when it is an editing key; false when it is not (the caller's to
/// handle). Visual caret moves lay the text out with `fonts` (the order on screen does not
/// depend on the size).
pub fn edit_key(field: &mut TextField, fonts: &Fonts, key: &KeyEvent, mods: &Modifiers) -> bool {
    match key.keysym {
        Keysym::Left | Keysym::KP_Left | Keysym::Right | Keysym::KP_Right => {
            let line = fonts.line(field.text(), Weight::Regular, 16.0);
            field.step_visual(&line, matches!(key.keysym, Keysym::Right | Keysym::KP_Right));
        }
        Keysym::Home | Keysym::KP_Home => field.home(),
        Keysym::End | Keysym::KP_End => field.end(),
        Keysym::Delete | Keysym::KP_Delete => {
            field.delete();
        }
        Keysym::BackSpace if mods.ctrl => field.clear(),
        Keysym::BackSpace => {
            field.backspace();
        }
        _ => match printable(key, mods) {
            Some(text) => field.insert(text),
            None => return false,
        },
    }
    true
}
