//! wl_seat: keyboard, pointer and touch focus, and the cursor image clients ask for.

use smithay::delegate_seat;
use smithay::input::pointer::CursorImageStatus;
use smithay::input::{Seat, SeatHandler, SeatState};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::Resource;

use crate::state::State;

impl SeatHandler for State {
    type KeyboardFocus = WlSurface;
    type PointerFocus = WlSurface;
    type TouchFocus = WlSurface;

    fn seat_state(&mut self) -> &mut SeatState<State> {
        &mut self.canopy.seat_state
    }

    fn focus_changed(&mut self, _seat: &Seat<Self>, focused: Option<&WlSurface>) {
        // Selections are offered only to the focused client, and only within its domain.
        let client = focused.and_then(|s| self.canopy.display_handle.get_client(s.id()).ok());
        self.canopy.update_selection_focus_for(client);
    }

    fn cursor_image(&mut self, _seat: &Seat<Self>, image: CursorImageStatus) {
        // The old image and the new are both at the pointer. Smithay may call this with the
        // pointer locked (a focus leaving), so the pointer is asked once this dispatch is done.
        let old = self.canopy.cursor_reach();
        self.canopy.cursor_status = image;
        let reach = old.max(self.canopy.cursor_reach());
        self.canopy.loop_handle.insert_idle(move |state| state.canopy.queue_redraw_around_pointer(reach));
    }
}

delegate_seat!(State);
