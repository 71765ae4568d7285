//! Interactive move and resize, started from the decorations or by a client's request.
//! Grabs hold window ids, not windows: pointer grabs must be `Send`.

use smithay::desktop::space::SpaceElement;
use smithay::input::pointer::{
    AxisFrame, ButtonEvent, CursorIcon, Focus, GestureHoldBeginEvent, GestureHoldEndEvent, GesturePinchBeginEvent,
    GesturePinchEndEvent, GesturePinchUpdateEvent, GestureSwipeBeginEvent, GestureSwipeEndEvent,
    GestureSwipeUpdateEvent, GrabStartData, MotionEvent, PointerGrab, PointerInnerHandle, RelativeMotionEvent,
};
use smithay::reexports::wayland_protocols::xdg::shell::server::xdg_toplevel::{self, ResizeEdge};
use smithay::reexports::wayland_server::protocol::{wl_seat::WlSeat, wl_surface::WlSurface};
use smithay::reexports::wayland_server::Resource;
use smithay::utils::{Logical, Point, Rectangle, Serial, Size};
use smithay::wayland::compositor::with_states;
use smithay::wayland::shell::xdg::SurfaceCachedState;

use super::window::{ResizeState, WindowElement};
use crate::state::{Canopy, State};

/// The smallest client area a resize may produce.
const MIN_CLIENT: i32 = 64;

macro_rules! pass_through_gestures {
    () => {
        fn relative_motion(
            &mut self,
            data: &mut State,
            handle: &mut PointerInnerHandle<'_, State>,
            _focus: Option<(WlSurface, Point<f64, Logical>)>,
            event: &RelativeMotionEvent,
        ) {
            handle.relative_motion(data, None, event);
        }
        fn axis(&mut self, data: &mut State, handle: &mut PointerInnerHandle<'_, State>, details: AxisFrame) {
            handle.axis(data, details)
        }
        fn frame(&mut self, data: &mut State, handle: &mut PointerInnerHandle<'_, State>) {
            handle.frame(data);
        }
        pass_through_gestures!(@each
            gesture_swipe_begin: GestureSwipeBeginEvent,
            gesture_swipe_update: GestureSwipeUpdateEvent,
            gesture_swipe_end: GestureSwipeEndEvent,
            gesture_pinch_begin: GesturePinchBeginEvent,
            gesture_pinch_update: GesturePinchUpdateEvent,
            gesture_pinch_end: GesturePinchEndEvent,
            gesture_hold_begin: GestureHoldBeginEvent,
            gesture_hold_end: GestureHoldEndEvent,
        );
        fn start_data(&self) -> &GrabStartData<State> {
            &self.start
        }
    };
    // Each gesture event goes on to the client as it is.
    (@each $($name:ident: $event:ty),* $(,)?) => {
        $(
            fn $name(&mut self, data: &mut State, handle: &mut PointerInnerHandle<'_, State>, event: &$event) {
                handle.$name(data, event)
            }
        )*
    };
}

pub(crate) use pass_through_gestures;

/// Pass a button on; the grab ends when the last button is released.
fn end_on_release<G: PointerGrab<State>>(
    grab: &mut G,
    data: &mut State,
    handle: &mut PointerInnerHandle<'_, State>,
    event: &ButtonEvent,
) {
    handle.button(data, event);
    if handle.current_pressed().is_empty() {
        handle.unset_grab(grab, data, event.serial, event.time, true);
    }
}

pub struct MoveGrab {
    start: GrabStartData<State>,
    window: u64,
    initial: Point<i32, Logical>,
}

impl PointerGrab<State> for MoveGrab {
    fn motion(
        &mut self,
        data: &mut State,
        handle: &mut PointerInnerHandle<'_, State>,
        _focus: Option<(WlSurface, Point<f64, Logical>)>,
        event: &MotionEvent,
    ) {
        handle.motion(data, None, event);
        let Some(w) = data.canopy.mapped_window_by_id(self.window) else { return };
        let delta = event.location - self.start.location;
        let loc = (self.initial.to_f64() + delta).to_i32_round();
        // Placing it redraws every output: it may have left one and entered another.
        data.canopy.place(&w, loc);
    }

    fn button(&mut self, data: &mut State, handle: &mut PointerInnerHandle<'_, State>, event: &ButtonEvent) {
        end_on_release(self, data, handle, event);
    }

    fn unset(&mut self, data: &mut State) {
        data.canopy.frame_cursor = None;
        if let Some(w) = data.canopy.mapped_window_by_id(self.window) {
            data.canopy.window_changed(&w);
        }
    }

    pass_through_gestures!();
}

pub struct ResizeGrab {
    start: GrabStartData<State>,
    window: u64,
    edges: ResizeEdge,
    initial_frame: Rectangle<i32, Logical>,
    last_client: Size<i32, Logical>,
}

/// New frame size for a pointer moved by `delta` while dragging `edges`.
pub fn resized_frame(initial: Size<i32, Logical>, edges: ResizeEdge, delta: Point<f64, Logical>) -> Size<i32, Logical> {
    let (mut w, mut h) = (initial.w as f64, initial.h as f64);
    use ResizeEdge as E;
    if matches!(edges, E::Left | E::TopLeft | E::BottomLeft) {
        w -= delta.x;
    }
    if matches!(edges, E::Right | E::TopRight | E::BottomRight) {
        w += delta.x;
    }
    if matches!(edges, E::Top | E::TopLeft | E::TopRight) {
        h -= delta.y;
    }
    if matches!(edges, E::Bottom | E::BottomLeft | E::BottomRight) {
        h += delta.y;
    }
    Size::from((w.round() as i32, h.round() as i32))
}

impl PointerGrab<State> for ResizeGrab {
    fn motion(
        &mut self,
        data: &mut State,
        handle: &mut PointerInnerHandle<'_, State>,
        _focus: Option<(WlSurface, Point<f64, Logical>)>,
        event: &MotionEvent,
    ) {
        handle.motion(data, None, event);
        let Some(w) = data.canopy.mapped_window_by_id(self.window) else {
            handle.unset_grab(self, data, event.serial, event.time, true);
            return;
        };
        let insets = w.insets(&data.canopy.config.theme);
        let frame = resized_frame(self.initial_frame.size, self.edges, event.location - self.start.location);
        let mut client = insets.shrink(frame);
        let (min, max) = with_states(w.wl_surface(), |states| {
            let mut cached = states.cached_state.get::<SurfaceCachedState>();
            let c = cached.current();
            (c.min_size, c.max_size)
        });
        client.w = client.w.max(min.w.max(MIN_CLIENT));
        client.h = client.h.max(min.h.max(MIN_CLIENT));
        if max.w > 0 {
            client.w = client.w.min(max.w);
        }
        if max.h > 0 {
            client.h = client.h.min(max.h);
        }
        // A VM window stays within its output (`wm::fit`).
        if let Some(bound) = w.data.max_client.get() {
            client = Size::from((client.w.min(bound.w), client.h.min(bound.h)));
        }
        if client == self.last_client {
            return;
        }
        self.last_client = client;
        let toplevel = w.toplevel();
        toplevel.with_pending_state(|s| {
            s.states.set(xdg_toplevel::State::Resizing);
            s.size = Some(client);
        });
        toplevel.send_pending_configure();
    }

    fn button(&mut self, data: &mut State, handle: &mut PointerInnerHandle<'_, State>, event: &ButtonEvent) {
        end_on_release(self, data, handle, event);
    }

    fn unset(&mut self, data: &mut State) {
        data.canopy.frame_cursor = None;
        let Some(w) = data.canopy.mapped_window_by_id(self.window) else { return };
        let toplevel = w.toplevel().clone();
        toplevel.with_pending_state(|s| s.states.unset(xdg_toplevel::State::Resizing));
        let serial = toplevel.send_pending_configure();
        w.data.state.borrow_mut().resize = match serial {
            Some(serial) => {
                ResizeState::WaitingLastCommit { edges: self.edges, initial_frame: self.initial_frame, serial }
            }
            None => ResizeState::Idle,
        };
        data.canopy.window_changed(&w);
    }

    pass_through_gestures!();
}

impl Canopy {
    /// Grab data for a client's move/resize request, if the serial is that of a button press
    /// on one of the client's own surfaces.
    pub fn pointer_grab_start(
        &self,
        _seat: &WlSeat,
        surface: &WlSurface,
        serial: Serial,
    ) -> Option<GrabStartData<State>> {
        let pointer = self.seat.get_pointer()?;
        if self.focus.is_locked() || !pointer.has_grab(serial) {
            return None;
        }
        let start = pointer.grab_start_data()?;
        let (focus, _) = start.focus.as_ref()?;
        if !focus.id().same_client_as(&surface.id()) {
            return None;
        }
        Some(start)
    }
}

impl State {
    pub fn start_move(&mut self, w: WindowElement, start: GrabStartData<State>, focus: Focus) {
        // Dragging a maximised window restores it under the pointer.
        if w.data.state.borrow().mode.is_maximised() {
            self.canopy.set_maximized(&w, false);
        }
        let Some(initial) = self.canopy.location(&w) else { return };
        self.grab_pointer(MoveGrab { start, window: w.id(), initial }, CursorIcon::Move, focus);
    }

    /// The pointer is `grab`'s until its buttons are released, showing `icon` meanwhile.
    fn grab_pointer(&mut self, grab: impl PointerGrab<State> + 'static, icon: CursorIcon, focus: Focus) {
        let Some(pointer) = self.canopy.seat.get_pointer() else { return };
        let serial = smithay::utils::SERIAL_COUNTER.next_serial();
        self.canopy.frame_cursor = Some(icon);
        pointer.set_grab(self, grab, serial, focus);
    }

    pub fn start_resize(&mut self, w: WindowElement, start: GrabStartData<State>, edges: ResizeEdge) {
        if w.data.state.borrow().mode.is_fullscreen() {
            return;
        }
        if w.data.state.borrow().mode.is_maximised() {
            self.canopy.set_maximized(&w, false);
        }
        let Some(loc) = self.canopy.location(&w) else { return };
        let initial_frame = Rectangle::new(loc, w.geometry().size);
        w.data.state.borrow_mut().resize = ResizeState::Resizing { edges, initial_frame };
        let last_client = w.client_geometry().size;
        let grab = ResizeGrab { start, window: w.id(), edges, initial_frame, last_client };
        self.grab_pointer(grab, crate::decorations::edge_cursor(edges), Focus::Clear);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_math() {
        let s = Size::from((400, 300));
        assert_eq!(resized_frame(s, ResizeEdge::BottomRight, (10.0, 20.0).into()), Size::from((410, 320)));
        assert_eq!(resized_frame(s, ResizeEdge::TopLeft, (10.0, 20.0).into()), Size::from((390, 280)));
        assert_eq!(resized_frame(s, ResizeEdge::Left, (-50.0, 99.0).into()), Size::from((450, 300)));
        assert_eq!(resized_frame(s, ResizeEdge::Bottom, (-50.0, 99.0).into()), Size::from((400, 399)));
    }
}
