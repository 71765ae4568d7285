//! Touch: a touch focuses and raises like a click and goes to the surface under it.

use smithay::backend::input::{AbsolutePositionEvent, Event, TouchEvent};
use smithay::input::touch::{DownEvent, MotionEvent, UpEvent};
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
            self.canopy.focus_window(w);
            self.apply_pending_focus();
        }
        let serial = SERIAL_COUNTER.next_serial();
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
        let serial = SERIAL_COUNTER.next_serial();
        touch.up(self, &UpEvent { slot: event.slot(), serial, time: event.time_msec() });
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
