//! Input from any backend (libinput, winit, or the IPC's injection on headless), turned into
//! focus changes, window management and events for the right client.

pub mod actions;
pub mod inject;
pub mod keyboard;
pub mod notice;
pub mod pick;
pub mod pointer;
pub mod switcher;
pub mod touch;

use smithay::backend::input::{
    AbsolutePositionEvent, Axis, AxisSource, ButtonState, Event, InputBackend, InputEvent, KeyboardKeyEvent,
    PointerAxisEvent, PointerButtonEvent, PointerMotionEvent,
};
use smithay::input::pointer::{AxisFrame, RelativeMotionEvent};
use smithay::utils::{Logical, Point};

use crate::state::State;

impl State {
    pub fn process_input_event<B: InputBackend>(&mut self, event: InputEvent<B>) {
        match event {
            InputEvent::Keyboard { event } => {
                self.on_key(event.key_code(), event.state(), event.time_msec());
            }
            InputEvent::PointerMotion { event } => {
                let delta: Point<f64, Logical> = (event.delta_x(), event.delta_y()).into();
                let pos = self.canopy.pointer_location() + delta;
                let delta_unaccel = (event.delta_x_unaccel(), event.delta_y_unaccel()).into();
                let relative = RelativeMotionEvent { delta, delta_unaccel, utime: event.time() };
                self.on_pointer_motion(pos, event.time_msec(), Some(relative));
            }
            InputEvent::PointerMotionAbsolute { event } => {
                let Some(output) = self.canopy.outputs.first().cloned() else { return };
                let Some(geo) = self.canopy.space.output_geometry(&output) else { return };
                let pos = event.position_transformed(geo.size) + geo.loc.to_f64();
                self.on_pointer_motion(pos, event.time_msec(), None);
            }
            InputEvent::PointerButton { event } => {
                self.on_pointer_button(event.button_code(), event.state(), event.time_msec());
            }
            InputEvent::PointerAxis { event } => {
                let mut frame = AxisFrame::new(event.time_msec()).source(event.source());
                for axis in [Axis::Horizontal, Axis::Vertical] {
                    if let Some(amount) = event.amount(axis) {
                        frame = frame.value(axis, amount);
                        if let Some(v120) = event.amount_v120(axis) {
                            frame = frame.v120(axis, v120 as i32);
                        }
                    } else if let Some(v120) = event.amount_v120(axis) {
                        frame = frame.value(axis, v120 * 15.0 / 120.0).v120(axis, v120 as i32);
                    }
                    if event.source() == AxisSource::Finger && event.amount(axis) == Some(0.0) {
                        frame = frame.stop(axis);
                    }
                }
                self.on_pointer_axis(frame);
            }
            InputEvent::TouchDown { event } => self.on_touch_down::<B>(event),
            InputEvent::TouchMotion { event } => self.on_touch_motion::<B>(event),
            InputEvent::TouchUp { event } => self.on_touch_up::<B>(event),
            InputEvent::TouchFrame { .. } => self.on_touch_frame(),
            InputEvent::TouchCancel { .. } => self.on_touch_cancel(),
            InputEvent::SwitchToggle { event } => self.on_switch::<B>(event),
            _ => {}
        }
    }
}

pub(crate) fn pressed(state: ButtonState) -> bool {
    state == ButtonState::Pressed
}
