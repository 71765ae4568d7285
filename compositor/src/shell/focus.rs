//! Keyboard focus and stacking: focusing a window raises it, restores it if minimised, and
//! marks it activated; everything else is deactivated.

use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::SERIAL_COUNTER;

use super::window::WindowElement;
use crate::state::Canopy;

impl Canopy {
    pub fn is_focused(&self, w: &WindowElement) -> bool {
        self.focused_window == Some(w.id())
    }

    pub fn focused_window(&self) -> Option<WindowElement> {
        let id = self.focused_window?;
        self.space.elements().find(|w| w.id() == id).cloned()
    }

    /// Raise `w`, give it the keyboard, and remember it as the most recently used.
    pub fn focus_window(&mut self, w: &WindowElement) {
        if self.lock.is_locked() {
            return;
        }
        if w.is_minimized() {
            self.unminimize(w);
        }
        self.raise_window(w);
        self.focus_history.retain(|id| *id != w.id());
        self.focus_history.insert(0, w.id());
        self.set_focus_raw(Some(w));
    }

    /// Give `w` the keyboard without touching the stacking order or history (Alt+Tab preview).
    pub fn set_focus_raw(&mut self, w: Option<&WindowElement>) {
        let previous = self.focused_window.take();
        self.focused_window = w.map(|w| w.id());
        for e in self.space.elements() {
            let active = Some(e.id()) == self.focused_window;
            e.window.set_activated(active);
            e.toplevel().send_pending_configure();
        }
        let surface = w.map(|w| w.wl_surface().clone());
        self.set_keyboard_focus(surface);
        let changed: Vec<WindowElement> = self
            .all_windows()
            .into_iter()
            .filter(|e| Some(e.id()) == previous || Some(e.id()) == self.focused_window)
            .collect();
        for e in changed {
            self.window_changed(&e);
        }
    }

    pub fn raise_window(&mut self, w: &WindowElement) {
        self.space.raise_element(w, false);
        self.queue_redraw_all();
    }

    pub fn set_keyboard_focus(&mut self, surface: Option<WlSurface>) {
        let Some(keyboard) = self.seat.get_keyboard() else { return };
        let serial = SERIAL_COUNTER.next_serial();
        // `set_focus` needs the whole state; the keyboard handle defers to the loop for that.
        self.pending_keyboard_focus = Some((surface, serial));
        let _ = keyboard;
    }

    /// Focus the top-most mapped window, or nothing.
    pub fn focus_top_window(&mut self) {
        let top = self.space.elements().last().cloned();
        match top {
            Some(w) => self.focus_window(&w),
            None => self.set_focus_raw(None),
        }
    }

    pub fn refocus_after_unlock(&mut self) {
        match self.focused_window() {
            Some(w) => self.set_focus_raw(Some(&w)),
            None => self.focus_top_window(),
        }
    }

    /// A layer surface that may have had the keyboard went away.
    pub fn layer_focus_gone(&mut self, surface: &WlSurface) {
        let focused = self.seat.get_keyboard().and_then(|k| k.current_focus());
        if focused.as_ref() == Some(surface) || self.focused_window.is_none() {
            self.focus_top_window();
        }
    }
}
