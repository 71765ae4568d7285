//! The keyboard-focus authority. Every change of keyboard focus (a click, Alt+Tab, the panel,
//! an activation token, a window mapping or going away, a layer surface, the lock) goes through
//! [`Canopy::focus`], which asks the rules in [`policy`] and applies their answer: the active
//! window's state, and the keyboard focus that [`crate::state::State::enforce_focus`] gives
//! the seat (ending any grab that does not belong to it).

pub mod policy;
#[cfg(test)]
mod tests;

use std::time::Instant;

use smithay::desktop::PopupUngrabStrategy;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::SERIAL_COUNTER;

pub use policy::{Cause, Domain, Target, WindowFacts};

use super::window::WindowElement;
use crate::state::Canopy;

/// The focus state of the session: the rules, holding layer and lock surfaces as `WlSurface`s.
pub type Focus = policy::Focus<WlSurface>;

/// A change of keyboard focus someone asks for.
pub enum FocusChange<'a> {
    /// A window wants the keyboard.
    Window(&'a WindowElement, Cause),
    /// A layer surface wants it (clicked, or shown on demand).
    Layer(WlSurface),
    /// After a layer commit: the shown layer surface holding the keyboard exclusively, if any.
    Exclusive(Option<WlSurface>),
    /// A layer surface stopped taking the keyboard.
    LayerGone(WlSurface),
    /// A window can no longer have it: closed or unmapped (`true`), or minimised / off screen.
    WindowGone(&'a WindowElement, bool),
    Lock,
    /// A lock surface appeared; `true` when it is on the output under the pointer.
    LockSurface(WlSurface, bool),
    LockSurfaceGone(WlSurface),
    Unlock,
}

impl Canopy {
    /// The one place keyboard focus changes. Returns whether the request was granted.
    pub fn focus(&mut self, change: FocusChange<'_>) -> bool {
        let before = self.focus.window();
        let now = Instant::now();
        let granted = match change {
            FocusChange::Window(w, cause) => {
                let facts = self.window_facts(w);
                self.focus.request_window(&facts, cause, now)
            }
            FocusChange::Layer(s) => self.focus.request_layer(s),
            FocusChange::Exclusive(s) => {
                let world = self.focus_world();
                self.focus.set_exclusive(s, &world);
                true
            }
            FocusChange::LayerGone(s) => {
                let world = self.focus_world();
                self.focus.layer_gone(&s, &world);
                true
            }
            FocusChange::WindowGone(w, forget) => {
                let world = self.focus_world();
                self.focus.window_gone(w.id(), forget, &world);
                true
            }
            FocusChange::Lock => {
                self.focus.lock();
                true
            }
            FocusChange::LockSurface(s, prefer) => {
                self.focus.lock_surface(s, prefer);
                true
            }
            FocusChange::LockSurfaceGone(s) => {
                self.focus.lock_surface_gone(&s);
                true
            }
            FocusChange::Unlock => {
                let world = self.focus_world();
                self.focus.unlock(&world);
                true
            }
        };
        let after = self.focus.window();
        if before != after {
            for id in [before, after].into_iter().flatten() {
                let Some(w) = self.window_by_id(id) else { continue };
                w.window.set_activated(Some(id) == after);
                // A window that hid itself gets no configure until it maps again: it would
                // answer it with a buffer and be shown at once.
                if (w.is_mapped() || w.is_minimized()) && w.toplevel().is_initial_configure_sent() {
                    w.toplevel().send_pending_configure();
                }
                // The panel learns of focus at once (it follows the user's acts, not a VM's
                // volume): a second click on a window's button then minimises it.
                self.announce_now(&w);
            }
        }
        granted
    }

    /// A user act (a key or button press) on `on`, something of `domain`, for the rule that a
    /// VM's new window may take the keyboard just after the user acted in that VM; it also
    /// voids the activation tokens other clients made.
    pub fn user_act(&mut self, domain: Domain, on: Option<&WlSurface>) {
        self.focus.user_act(domain, Instant::now());
        self.void_activation_tokens(on);
    }

    pub fn window_facts(&self, w: &WindowElement) -> WindowFacts {
        WindowFacts { id: w.id(), domain: Domain::of(w.vm()), visible: self.is_visible(w) }
    }

    /// Mapped, not minimised, and on an output.
    pub fn is_visible(&self, w: &WindowElement) -> bool {
        if w.is_minimized() {
            return false;
        }
        let Some(geo) = self.frame_rect(w) else { return false };
        self.outputs.iter().filter_map(|o| self.space.output_geometry(o)).any(|o| o.overlaps(geo))
    }

    /// Every window the focus rules might hand the keyboard to, in MRU order first.
    fn focus_world(&self) -> Vec<WindowFacts> {
        self.focus.mru().iter().filter_map(|id| self.window_by_id(*id)).map(|w| self.window_facts(&w)).collect()
    }

    pub fn is_focused(&self, w: &WindowElement) -> bool {
        self.focus.window() == Some(w.id())
    }

    /// The active window, if it is mapped.
    pub fn focused_window(&self) -> Option<WindowElement> {
        self.mapped_window_by_id(self.focus.window()?)
    }

    /// The user chose `w` (click, Alt+Tab, panel, control command) or a valid activation token
    /// names it: restore it if minimised, raise it and ask for the keyboard.
    pub fn focus_window(&mut self, w: &WindowElement, cause: Cause) -> bool {
        if self.focus.is_locked() {
            return false;
        }
        if w.is_minimized() {
            self.unminimize(w);
        }
        self.raise_window(w);
        self.focus(FocusChange::Window(w, cause))
    }

    pub fn raise_window(&mut self, w: &WindowElement) {
        self.raise(w);
    }

    /// Whose surface has the keyboard: a window's VM, or local for layer and lock surfaces.
    pub fn keyboard_domain(&self) -> Option<Domain> {
        match self.focus.keyboard()? {
            Target::Window(id) => self.window_by_id(*id).map(|w| Domain::of(w.vm())),
            Target::Layer(_) | Target::Lock(_) => Some(Domain::Local),
        }
    }

    /// The surface the keyboard should be on, as the rules decided.
    pub fn keyboard_target(&self) -> Option<WlSurface> {
        match self.focus.keyboard()? {
            Target::Window(id) => self.window_by_id(*id).map(|w| w.wl_surface().clone()),
            Target::Layer(s) | Target::Lock(s) => Some(s.clone()),
        }
    }
}

impl crate::state::State {
    /// Give the seat's keyboard to what the focus rules chose, ending a popup grab that does
    /// not belong to it. Runs after every batch of events and before each key and button, so
    /// nothing (smithay's popup keyboard grab refocuses its popup on every key) can keep the
    /// keyboard anywhere the rules did not put it.
    pub fn enforce_focus(&mut self) {
        let Some(keyboard) = self.canopy.seat.get_keyboard() else { return };
        let target = self.canopy.keyboard_target();
        let grab_holds = match &self.canopy.popup_grab {
            Some((root, grab)) => {
                // A window's grab is the rules' to keep; a layer surface's holds while it has
                // the keyboard.
                let owned = match self.canopy.any_window_for_surface(root) {
                    Some(w) => self.canopy.focus.grab() == Some(w.id()),
                    None => true,
                };
                !grab.has_ended() && owned && target.as_ref() == Some(root)
            }
            None => false,
        };
        if grab_holds {
            return;
        }
        if self.canopy.popup_grab.is_some() || keyboard.is_grabbed() {
            self.end_popup_grab();
        }
        if keyboard.current_focus() != target {
            keyboard.set_focus(self, target, SERIAL_COUNTER.next_serial());
        }
    }

    /// End the popup grab: its popups are dismissed (popup_done) and the keyboard's grab is
    /// unset, so it can no longer pull the keyboard back to its popup.
    pub fn end_popup_grab(&mut self) {
        if let Some((_, mut grab)) = self.canopy.popup_grab.take() {
            if !grab.has_ended() {
                grab.ungrab(PopupUngrabStrategy::All);
            }
            // The popup's pointer grab too, now: left to end itself on the next motion, it
            // would swallow that motion and the next click would land where the pointer was.
            if let Some(pointer) = self.canopy.seat.get_pointer() {
                if pointer.has_grab(grab.serial()) {
                    let time = self.canopy.now_ms();
                    pointer.unset_grab(self, SERIAL_COUNTER.next_serial(), time);
                }
            }
        }
        self.canopy.focus.grab_ended();
        if let Some(keyboard) = self.canopy.seat.get_keyboard() {
            if keyboard.is_grabbed() {
                keyboard.unset_grab(self);
            }
        }
    }

    /// The session locks: every grab ends (popups are dismissed, a drag is cancelled, a move or
    /// resize stops) and only the lock may have the keyboard. No new grab starts until unlock,
    /// as the focus rules refuse them while locked.
    pub fn lock_focus(&mut self) {
        self.canopy.focus(FocusChange::Lock);
        self.end_popup_grab();
        let time = self.canopy.now_ms();
        if let Some(pointer) = self.canopy.seat.get_pointer() {
            if pointer.is_grabbed() {
                // Leave the drag's target first, so ending the grab cancels the drag rather than
                // dropping it there.
                let location = pointer.current_location();
                let serial = SERIAL_COUNTER.next_serial();
                pointer.motion(self, None, &smithay::input::pointer::MotionEvent { location, serial, time });
                pointer.unset_grab(self, SERIAL_COUNTER.next_serial(), time);
                pointer.frame(self);
            }
        }
        if let Some(touch) = self.canopy.seat.get_touch() {
            touch.unset_grab(self);
        }
        self.enforce_focus();
        self.refresh_pointer_focus();
    }
}
