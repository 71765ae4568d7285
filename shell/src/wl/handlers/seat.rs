//! The seat: a keyboard (whose held keys repeat at the compositor's rate) and a pointer, taken
//! when the seat offers them and released when it takes them back.

use smithay_client_toolkit::seat::keyboard::KeyEvent;
use smithay_client_toolkit::seat::{Capability, SeatHandler, SeatState};
use wayland_client::protocol::{wl_keyboard, wl_seat};
use wayland_client::{Connection, QueueHandle};

use crate::wl::api::Shell;
use crate::wl::app::App;

impl<A: App> SeatHandler for Shell<A> {
    fn seat_state(&mut self) -> &mut SeatState {
        &mut self.core.seats
    }

    fn new_seat(&mut self, _: &Connection, _: &QueueHandle<Self>, _: wl_seat::WlSeat) {}

    fn new_capability(
        &mut self,
        _: &Connection,
        qh: &QueueHandle<Self>,
        seat: wl_seat::WlSeat,
        capability: Capability,
    ) {
        if capability == Capability::Keyboard && self.core.keyboard.is_none() {
            // Held keys repeat at the compositor's rate (wl_keyboard.repeat_info), timed by our loop.
            let repeat = Box::new(|shell: &mut Shell<A>, _: &wl_keyboard::WlKeyboard, event: KeyEvent| {
                shell.repeated_key(event)
            });
            let handle = self.core.handle.clone();
            match self.core.seats.get_keyboard_with_repeat(qh, &seat, None, handle, repeat) {
                Ok(k) => self.core.keyboard = Some(k),
                Err(e) => tracing::warn!("no keyboard: {e}"),
            }
        }
        if capability == Capability::Pointer && self.core.pointer.is_none() {
            match self.core.seats.get_pointer(qh, &seat) {
                Ok(p) => self.core.pointer = Some(p),
                Err(e) => tracing::warn!("no pointer: {e}"),
            }
        }
    }

    fn remove_capability(&mut self, _: &Connection, _: &QueueHandle<Self>, _: wl_seat::WlSeat, capability: Capability) {
        if capability == Capability::Keyboard {
            if let Some(k) = self.core.keyboard.take() {
                k.release();
            }
        }
        if capability == Capability::Pointer {
            if let Some(p) = self.core.pointer.take() {
                p.release();
            }
        }
    }

    fn remove_seat(&mut self, _: &Connection, _: &QueueHandle<Self>, _: wl_seat::WlSeat) {}
}
