//! Touch: a touch focuses and raises like a click and goes to the surface under it; a touch
//! whose surface is destroyed ends.

use smithay::backend::input::{AbsolutePositionEvent, Event, TouchEvent, TouchSlot};
use smithay::input::touch::{DownEvent, MotionEvent, UpEvent};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::SERIAL_COUNTER;

use crate::state::State;

impl State {
    fn touch_position<E: AbsolutePositionEvent<B>, B: smithay::backend::input::InputBackend>(
        &self,
        event: &E,
    ) -> Option<smithay::utils::Point<f64, smithay::utils::Logical>> {
        let output = self.canopy.outputs.first()?;
        let geo = self.canopy.space.output_geometry(output)?;
        Some(event.position_transformed(geo.size) + geo.loc.to_f64())
    }

    pub fn on_touch_down<B: smithay::backend::input::InputBackend>(&mut self, event: B::TouchDownEvent) {
        let Some(pos) = self.touch_position(&event) else { return };
        let Some(touch) = self.canopy.seat.get_touch() else { return };
        let pick = self.canopy.pick(pos);
        if let Some(w) = &pick.window {
            self.canopy.user_act(crate::wm::focus::Domain::of(w.vm()), Some(w.wl_surface()));
            self.canopy.focus_window(w, crate::wm::focus::Cause::User);
            self.enforce_focus();
        }
        let serial = SERIAL_COUNTER.next_serial();
        match &pick.surface {
            Some((s, _)) => self.canopy.touches.insert(event.slot(), s.clone()),
            None => self.canopy.touches.remove(&event.slot()),
        };
        touch.down(
            self,
            pick.surface,
            &DownEvent { slot: event.slot(), location: pos, serial, time: event.time_msec() },
        );
    }

    pub fn on_touch_motion<B: smithay::backend::input::InputBackend>(&mut self, event: B::TouchMotionEvent) {
        let Some(pos) = self.touch_position(&event) else { return };
        let Some(touch) = self.canopy.seat.get_touch() else { return };
        let pick = self.canopy.pick(pos);
        touch.motion(self, pick.surface, &MotionEvent { slot: event.slot(), location: pos, time: event.time_msec() });
    }

    pub fn on_touch_up<B: smithay::backend::input::InputBackend>(&mut self, event: B::TouchUpEvent) {
        let Some(touch) = self.canopy.seat.get_touch() else { return };
        self.canopy.touches.remove(&event.slot());
        let serial = SERIAL_COUNTER.next_serial();
        touch.up(self, &UpEvent { slot: event.slot(), serial, time: event.time_msec() });
    }

    /// A surface went away under a finger: its client hears the touch end, as it would not get
    /// the finger's real lift.
    pub fn end_touches_on(&mut self, surface: &WlSurface) {
        let slots: Vec<TouchSlot> =
            self.canopy.touches.iter().filter(|(_, s)| *s == surface).map(|(slot, _)| *slot).collect();
        let Some(touch) = self.canopy.seat.get_touch() else { return };
        if slots.is_empty() {
            return;
        }
        let time = std::time::Duration::from(self.canopy.clock.now()).as_millis() as u32;
        for slot in slots {
            self.canopy.touches.remove(&slot);
            touch.up(self, &UpEvent { slot, serial: SERIAL_COUNTER.next_serial(), time });
        }
        touch.frame(self);
    }

    pub fn on_touch_frame(&mut self) {
        if let Some(touch) = self.canopy.seat.get_touch() {
            touch.frame(self);
        }
    }

    pub fn on_touch_cancel(&mut self) {
        if let Some(touch) = self.canopy.seat.get_touch() {
            touch.cancel(self);
        }
    }
}
