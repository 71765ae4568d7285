//! The pointer: focus follows what is under it; a click focuses and raises; a press on the
//! decorations moves, resizes, or works the title bar buttons.

use std::time::{Duration, Instant};

use smithay::backend::input::ButtonState;
use smithay::input::pointer::{AxisFrame, ButtonEvent, Focus, GrabStartData, MotionEvent, RelativeMotionEvent};
use smithay::utils::{Logical, Point, SERIAL_COUNTER};

use super::pressed;
use crate::decorations::{Button, DecorationHit};
use crate::state::State;
use crate::wm::focus::{Cause, Domain, FocusChange};

pub const BTN_LEFT: u32 = 0x110;
pub const BTN_RIGHT: u32 = 0x111;
pub const BTN_MIDDLE: u32 = 0x112;
const DOUBLE_CLICK: Duration = Duration::from_millis(400);

impl State {
    /// The pointer moved to `pos`; `relative` is the motion as the mouse reported it, for
    /// clients that follow deltas (relative pointer).
    pub fn on_pointer_motion(&mut self, pos: Point<f64, Logical>, time: u32, relative: Option<RelativeMotionEvent>) {
        self.input_activity();
        self.move_pointer(pos, time, relative);
        self.region_moved();
    }

    /// The scene changed under a pointer that did not move (a window mapped, moved, resized or
    /// went away): the surface now under it gets the pointer, as if it had moved there.
    pub fn refresh_pointer_focus(&mut self) {
        let Some(pointer) = self.canopy.seat.get_pointer() else { return };
        let pos = pointer.current_location();
        if self.canopy.pick(pos).surface == self.canopy.pointer_target {
            return;
        }
        let time = std::time::Duration::from(self.canopy.clock.now()).as_millis() as u32;
        self.move_pointer(pos, time, None);
    }

    fn move_pointer(&mut self, pos: Point<f64, Logical>, time: u32, relative: Option<RelativeMotionEvent>) {
        let pos = self.canopy.clamp_to_outputs(pos);
        let Some(pointer) = self.canopy.seat.get_pointer() else { return };
        let pick = self.canopy.pick(pos);
        self.canopy.pointer_target = pick.surface.clone();
        self.canopy.set_hover(pick.window.as_ref(), pick.decoration);
        let serial = SERIAL_COUNTER.next_serial();
        // A cursor image belongs to the surface that set it: leaving that surface (for another
        // client, or a frame) restores the compositor's own, so no VM's cursor outlives its window.
        let old = pointer.current_focus();
        if !pointer.is_grabbed() {
            if old.as_ref() != pick.surface.as_ref().map(|(s, _)| s) {
                self.canopy.cursor_status = smithay::input::pointer::CursorImageStatus::default_named();
            }
            // A grab keeps its own shape (move, or the edge it resizes) until it ends.
            self.canopy.frame_cursor = pick.frame_cursor();
        }
        pointer.motion(self, pick.surface.clone(), &MotionEvent { location: pos, serial, time });
        if let Some(relative) = relative {
            pointer.relative_motion(self, pick.surface, &relative);
        }
        pointer.frame(self);
        if self.backend.draws_cursor() {
            self.canopy.queue_redraw_all();
        }
    }

    pub fn on_pointer_button(&mut self, button: u32, state: ButtonState, time: u32) {
        self.enforce_focus();
        self.input_activity();
        if self.canopy.region_pick.is_some() && !self.canopy.lock.is_locked() {
            // The screenshot overlay takes the buttons; no client sees them (the lock screen
            // still does: the overlay is not drawn over it).
            self.region_button(pressed(state));
            return;
        }
        if self.notice_button(button, pressed(state)) {
            return;
        }
        let Some(pointer) = self.canopy.seat.get_pointer() else { return };
        let pos = self.canopy.pointer_location();
        let mut grab = None;
        let was_grabbed = pointer.is_grabbed();
        if pressed(state) && !was_grabbed && !self.canopy.lock.is_locked() {
            grab = self.click_focus(pos, button);
        }
        // After the focus the press gives, so the press's serial is no older than the keyboard
        // enter it caused (an activation token made from it is then recent enough).
        let serial = SERIAL_COUNTER.next_serial();
        pointer.button(self, &ButtonEvent { button, state, serial, time });
        pointer.frame(self);
        // A click outside a popup's grab ends the grab; it must still focus what was clicked,
        // so no popup can keep the keyboard once the user clicks elsewhere.
        if pressed(state) && was_grabbed && !pointer.is_grabbed() && !self.canopy.lock.is_locked() {
            self.click_focus(pos, 0);
        }
        if was_grabbed && !pointer.is_grabbed() {
            // A move or resize ended: the shape of what is under the pointer now.
            self.canopy.frame_cursor = self.canopy.pick(pos).frame_cursor();
        }
        if let Some((w, kind, start)) = grab {
            match kind {
                GrabKind::Move => self.start_move(w, start, Focus::Clear),
                GrabKind::Resize(edges) => self.start_resize(w, start, edges),
            }
        }
    }

    /// Focus (and raise) what is under the pointer; a left press on decorations may start a
    /// move or resize, returned for the caller to begin once the press is delivered.
    fn click_focus(
        &mut self,
        pos: Point<f64, Logical>,
        button: u32,
    ) -> Option<(crate::wm::window::WindowElement, GrabKind, GrabStartData<State>)> {
        let pick = self.canopy.pick(pos);
        let mut grab = None;
        if let Some(w) = &pick.window {
            self.canopy.user_act(Domain::of(w.vm()), Some(w.wl_surface()));
            self.canopy.focus_window(w, Cause::User);
            if let (Some(hit), BTN_LEFT) = (pick.decoration, button) {
                grab = self.decoration_press(w.clone(), hit, pos);
            }
        } else if let Some(layer) = &pick.layer {
            self.canopy.user_act(Domain::Local, Some(layer.wl_surface()));
            use smithay::wayland::shell::wlr_layer::KeyboardInteractivity;
            if layer.cached_state().keyboard_interactivity != KeyboardInteractivity::None {
                self.canopy.focus(FocusChange::Layer(layer.wl_surface().clone()));
            }
        }
        self.enforce_focus();
        grab
    }

    pub fn on_pointer_axis(&mut self, frame: AxisFrame) {
        let Some(pointer) = self.canopy.seat.get_pointer() else { return };
        pointer.axis(self, frame);
        pointer.frame(self);
    }

    fn decoration_press(
        &mut self,
        w: crate::wm::window::WindowElement,
        hit: DecorationHit,
        pos: Point<f64, Logical>,
    ) -> Option<(crate::wm::window::WindowElement, GrabKind, GrabStartData<State>)> {
        let start = GrabStartData { focus: None, button: BTN_LEFT, location: pos };
        match hit {
            DecorationHit::Title => {
                let now = Instant::now();
                let double =
                    matches!(self.canopy.last_title_click, Some((id, t)) if id == w.id() && now - t < DOUBLE_CLICK);
                if double {
                    self.canopy.last_title_click = None;
                    self.canopy.toggle_maximized(&w);
                    None
                } else {
                    self.canopy.last_title_click = Some((w.id(), now));
                    Some((w, GrabKind::Move, start))
                }
            }
            DecorationHit::Button(Button::Close) => {
                w.toplevel().send_close();
                None
            }
            DecorationHit::Button(Button::Maximize) => {
                self.canopy.toggle_maximized(&w);
                None
            }
            DecorationHit::Button(Button::Minimize) => {
                self.canopy.minimize(&w);
                None
            }
            DecorationHit::Edge(edges) => Some((w, GrabKind::Resize(edges), start)),
        }
    }
}

enum GrabKind {
    Move,
    Resize(smithay::reexports::wayland_protocols::xdg::shell::server::xdg_toplevel::ResizeEdge),
}

impl crate::state::Canopy {
    /// Keep the pointer on some output.
    pub fn clamp_to_outputs(&self, pos: Point<f64, Logical>) -> Point<f64, Logical> {
        if self.space.output_under(pos).next().is_some() {
            return pos;
        }
        let mut best: Option<(f64, Point<f64, Logical>)> = None;
        for o in &self.outputs {
            let Some(g) = self.space.output_geometry(o) else { continue };
            let x = pos.x.clamp(g.loc.x as f64, (g.loc.x + g.size.w) as f64 - 1.0);
            let y = pos.y.clamp(g.loc.y as f64, (g.loc.y + g.size.h) as f64 - 1.0);
            let d = (x - pos.x).powi(2) + (y - pos.y).powi(2);
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, (x, y).into()));
            }
        }
        best.map(|(_, p)| p).unwrap_or(pos)
    }

    /// Track which title bar button is under the pointer, for hover feedback.
    pub fn set_hover(&mut self, window: Option<&crate::wm::window::WindowElement>, hit: Option<DecorationHit>) {
        let hover_button = |h: Option<DecorationHit>| matches!(h, Some(DecorationHit::Button(_)));
        for w in self.windows.stacked() {
            let new = if Some(w) == window && hover_button(hit) { hit } else { None };
            let mut st = w.data.state.borrow_mut();
            if st.hover != new {
                st.hover = new;
                drop(st);
                self.queue_redraw_window(w);
            }
        }
    }
}
