//! Hooks for a program that runs canopy inside itself, such as the wlcs conformance suite
//! (`compositor/wlcs`): clients on a socket pair, windows placed at exact positions, and
//! virtual input devices whose events take the same path as libinput's.

use std::os::unix::net::UnixStream;
use std::sync::Arc;

use smithay::backend::input::{
    AbsolutePositionEvent, ButtonState, Device, DeviceCapability, Event, InputBackend, InputEvent, PointerButtonEvent,
    PointerMotionAbsoluteEvent, PointerMotionEvent, TouchDownEvent, TouchEvent, TouchFrameEvent, TouchMotionEvent,
    TouchSlot, TouchUpEvent, UnusedEvent,
};
use smithay::reexports::wayland_server::Client;
use smithay::utils::{Logical, Point};

use crate::client::ClientState;
use crate::state::{Canopy, State};
use crate::wm::window::WindowElement;

impl State {
    /// A new local client connected through a socket pair; returns the client's end.
    pub fn new_client_socket(&mut self) -> std::io::Result<(UnixStream, Client)> {
        let (client_end, server_end) = UnixStream::pair()?;
        let client = self.canopy.display_handle.insert_client(server_end, Arc::new(ClientState::local()))?;
        Ok((client_end, client))
    }

    /// Feed one event from a virtual device through the input path every backend uses.
    pub fn inject_virtual(&mut self, device: &VirtualDevice, event: VirtualEvent) {
        let time = std::time::Duration::from(self.canopy.clock.now()).as_micros() as u64;
        let ev = |kind| VirtualInputEvent { device: device.clone(), time, kind };
        let input: InputEvent<VirtualInput> = match event {
            VirtualEvent::PointerMotion { delta } => InputEvent::PointerMotion { event: ev(Kind::Motion { delta }) },
            VirtualEvent::PointerMotionAbsolute { position } => {
                let Some(normal) = self.canopy.normalise(position) else { return };
                InputEvent::PointerMotionAbsolute { event: ev(Kind::Position { slot: None, normal }) }
            }
            VirtualEvent::PointerButton { button, state } => {
                InputEvent::PointerButton { event: ev(Kind::Button { button, state }) }
            }
            VirtualEvent::TouchDown { slot, position } => {
                let Some(normal) = self.canopy.normalise(position) else { return };
                InputEvent::TouchDown { event: ev(Kind::Position { slot: Some(slot), normal }) }
            }
            VirtualEvent::TouchMotion { slot, position } => {
                let Some(normal) = self.canopy.normalise(position) else { return };
                InputEvent::TouchMotion { event: ev(Kind::Position { slot: Some(slot), normal }) }
            }
            VirtualEvent::TouchUp { slot } => InputEvent::TouchUp { event: ev(Kind::Slot(slot)) },
            VirtualEvent::TouchFrame => InputEvent::TouchFrame { event: ev(Kind::Frame) },
        };
        self.process_input_event(input);
    }
}

impl Canopy {
    /// The mapped toplevel whose wl_surface has protocol id `surface_id` in `client`.
    pub fn window_by_protocol_id(&self, client: &Client, surface_id: u32) -> Option<WindowElement> {
        self.space
            .elements()
            .find(|w| {
                use smithay::reexports::wayland_server::Resource;
                let s = w.wl_surface();
                s.id().protocol_id() == surface_id && s.client().as_ref() == Some(client)
            })
            .cloned()
    }

    /// A global position as an absolute device reports it: relative to the first output, the
    /// one absolute devices (touchscreens, tablets) are mapped to.
    fn normalise(&self, pos: Point<f64, Logical>) -> Option<Point<f64, Logical>> {
        let geo = self.space.output_geometry(self.outputs.first()?)?;
        let local = pos - geo.loc.to_f64();
        Some((local.x / geo.size.w as f64, local.y / geo.size.h as f64).into())
    }
}

/// What a virtual device can do. Positions are global compositor coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VirtualEvent {
    PointerMotion { delta: Point<f64, Logical> },
    PointerMotionAbsolute { position: Point<f64, Logical> },
    PointerButton { button: u32, state: ButtonState },
    TouchDown { slot: u32, position: Point<f64, Logical> },
    TouchMotion { slot: u32, position: Point<f64, Logical> },
    TouchUp { slot: u32 },
    TouchFrame,
}

/// An input device that exists only in software.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VirtualDevice {
    pub id: u32,
    pub capability: VirtualCapability,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VirtualCapability {
    Pointer,
    Touch,
}

impl Device for VirtualDevice {
    fn id(&self) -> String {
        format!("virtual-{}", self.id)
    }
    fn name(&self) -> String {
        format!("canopy virtual {:?} {}", self.capability, self.id)
    }
    fn has_capability(&self, capability: DeviceCapability) -> bool {
        matches!(
            (self.capability, capability),
            (VirtualCapability::Pointer, DeviceCapability::Pointer)
                | (VirtualCapability::Touch, DeviceCapability::Touch)
        )
    }
    fn usb_id(&self) -> Option<(u32, u32)> {
        None
    }
    fn syspath(&self) -> Option<std::path::PathBuf> {
        None
    }
}

/// The input backend of virtual devices: one event type carries every kind it emits.
#[derive(Debug)]
pub struct VirtualInput;

#[derive(Debug, Clone)]
pub struct VirtualInputEvent {
    device: VirtualDevice,
    time: u64,
    kind: Kind,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Motion {
        delta: Point<f64, Logical>,
    },
    /// `normal` is in 0..1 of the first output, as a touchscreen reports it.
    Position {
        slot: Option<u32>,
        normal: Point<f64, Logical>,
    },
    Button {
        button: u32,
        state: ButtonState,
    },
    Slot(u32),
    Frame,
}

impl InputBackend for VirtualInput {
    type Device = VirtualDevice;
    type KeyboardKeyEvent = UnusedEvent;
    type PointerAxisEvent = UnusedEvent;
    type PointerButtonEvent = VirtualInputEvent;
    type PointerMotionEvent = VirtualInputEvent;
    type PointerMotionAbsoluteEvent = VirtualInputEvent;
    type GestureSwipeBeginEvent = UnusedEvent;
    type GestureSwipeUpdateEvent = UnusedEvent;
    type GestureSwipeEndEvent = UnusedEvent;
    type GesturePinchBeginEvent = UnusedEvent;
    type GesturePinchUpdateEvent = UnusedEvent;
    type GesturePinchEndEvent = UnusedEvent;
    type GestureHoldBeginEvent = UnusedEvent;
    type GestureHoldEndEvent = UnusedEvent;
    type TouchDownEvent = VirtualInputEvent;
    type TouchUpEvent = VirtualInputEvent;
    type TouchMotionEvent = VirtualInputEvent;
    type TouchCancelEvent = UnusedEvent;
    type TouchFrameEvent = VirtualInputEvent;
    type TabletToolAxisEvent = UnusedEvent;
    type TabletToolProximityEvent = UnusedEvent;
    type TabletToolTipEvent = UnusedEvent;
    type TabletToolButtonEvent = UnusedEvent;
    type SwitchToggleEvent = UnusedEvent;
    type SpecialEvent = UnusedEvent;
}

impl Event<VirtualInput> for VirtualInputEvent {
    fn time(&self) -> u64 {
        self.time
    }
    fn device(&self) -> VirtualDevice {
        self.device.clone()
    }
}

impl PointerMotionEvent<VirtualInput> for VirtualInputEvent {
    fn delta_x(&self) -> f64 {
        match self.kind {
            Kind::Motion { delta } => delta.x,
            _ => 0.0,
        }
    }
    fn delta_y(&self) -> f64 {
        match self.kind {
            Kind::Motion { delta } => delta.y,
            _ => 0.0,
        }
    }
    fn delta_x_unaccel(&self) -> f64 {
        self.delta_x()
    }
    fn delta_y_unaccel(&self) -> f64 {
        self.delta_y()
    }
}

impl AbsolutePositionEvent<VirtualInput> for VirtualInputEvent {
    fn x(&self) -> f64 {
        self.normal().x
    }
    fn y(&self) -> f64 {
        self.normal().y
    }
    fn x_transformed(&self, width: i32) -> f64 {
        self.normal().x * width as f64
    }
    fn y_transformed(&self, height: i32) -> f64 {
        self.normal().y * height as f64
    }
}

impl VirtualInputEvent {
    fn normal(&self) -> Point<f64, Logical> {
        match self.kind {
            Kind::Position { normal, .. } => normal,
            _ => Point::default(),
        }
    }
}

impl PointerMotionAbsoluteEvent<VirtualInput> for VirtualInputEvent {}

impl PointerButtonEvent<VirtualInput> for VirtualInputEvent {
    fn button_code(&self) -> u32 {
        match self.kind {
            Kind::Button { button, .. } => button,
            _ => 0,
        }
    }
    fn state(&self) -> ButtonState {
        match self.kind {
            Kind::Button { state, .. } => state,
            _ => ButtonState::Released,
        }
    }
}

impl TouchEvent<VirtualInput> for VirtualInputEvent {
    fn slot(&self) -> TouchSlot {
        match self.kind {
            Kind::Position { slot, .. } => slot.into(),
            Kind::Slot(slot) => Some(slot).into(),
            _ => None.into(),
        }
    }
}

impl TouchDownEvent<VirtualInput> for VirtualInputEvent {}
impl TouchMotionEvent<VirtualInput> for VirtualInputEvent {}
impl TouchUpEvent<VirtualInput> for VirtualInputEvent {}
impl TouchFrameEvent<VirtualInput> for VirtualInputEvent {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_events_scale_to_the_output() {
        let dev = VirtualDevice { id: 1, capability: VirtualCapability::Touch };
        let e = VirtualInputEvent {
            device: dev.clone(),
            time: 0,
            kind: Kind::Position { slot: Some(3), normal: (0.25, 0.5).into() },
        };
        assert_eq!(e.position_transformed((800, 600).into()), Point::from((200.0, 300.0)));
        assert_eq!(i32::from(TouchEvent::slot(&e)), 3);
        assert!(dev.has_capability(DeviceCapability::Touch));
        assert!(!dev.has_capability(DeviceCapability::Pointer));
    }
}
