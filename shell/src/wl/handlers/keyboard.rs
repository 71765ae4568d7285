//! Keys to the app: presses, the repeats of a held key (only for keys that edit or move), and
//! the modifiers held.

use smithay_client_toolkit::seat::keyboard::{KeyEvent, KeyboardHandler, Keysym, Modifiers, RawModifiers};
use wayland_client::protocol::{wl_keyboard, wl_surface};
use wayland_client::{Connection, QueueHandle};

use crate::wl::api::Shell;
use crate::wl::app::App;

impl<A: App> Shell<A> {
    /// A held key repeats: editing and moving keys act again; keys that start, submit or close
    /// something act once per press.
    pub(crate) fn repeated_key(&mut self, event: KeyEvent) {
        if matches!(event.keysym, Keysym::Return | Keysym::KP_Enter | Keysym::Escape) {
            return;
        }
        let mods = self.core.modifiers;
        self.app.key(&mut self.core, &event, &mods);
        self.core.redraw();
    }
}

impl<A: App> KeyboardHandler for Shell<A> {
    fn enter(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_keyboard::WlKeyboard,
        surface: &wl_surface::WlSurface,
        _: u32,
        _: &[u32],
        _: &[Keysym],
    ) {
        self.core.keyboard_surface = Some(surface.clone());
    }

    fn leave(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_keyboard::WlKeyboard,
        surface: &wl_surface::WlSurface,
        _: u32,
    ) {
        if self.core.keyboard_surface.as_ref() == Some(surface) {
            self.core.keyboard_surface = None;
        }
    }

    fn press_key(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_keyboard::WlKeyboard,
        serial: u32,
        event: KeyEvent,
    ) {
        if let Some(surface) = self.core.keyboard_surface.clone() {
            self.core.last_press = Some((serial, surface));
        }
        let mods = self.core.modifiers;
        self.app.key(&mut self.core, &event, &mods);
        self.core.redraw();
    }

    fn repeat_key(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_keyboard::WlKeyboard,
        _: u32,
        event: KeyEvent,
    ) {
        self.repeated_key(event);
    }

    fn release_key(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &wl_keyboard::WlKeyboard, _: u32, _: KeyEvent) {
    }

    fn update_modifiers(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_keyboard::WlKeyboard,
        _: u32,
        modifiers: Modifiers,
        _: RawModifiers,
        _: u32,
    ) {
        self.core.modifiers = modifiers;
    }
}
