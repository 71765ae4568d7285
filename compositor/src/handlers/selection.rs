//! Selections (clipboard and primary): offers go only to the focused client of the domain
//! that owns the selection (see `clipboard`).

use std::os::fd::OwnedFd;

use smithay::input::Seat;
use smithay::wayland::selection::{SelectionHandler, SelectionSource, SelectionTarget};

use crate::clipboard::global::OfferedClip;
use crate::state::State;

impl SelectionHandler for State {
    /// Compositor-provided selections carry the global clipboard's data.
    type SelectionUserData = OfferedClip;

    fn new_selection(&mut self, ty: SelectionTarget, source: Option<SelectionSource>, _seat: Seat<Self>) {
        self.canopy.selection_set_by_focused(ty, source.is_none());
    }

    fn send_selection(
        &mut self,
        _ty: SelectionTarget,
        mime_type: String,
        fd: OwnedFd,
        _seat: Seat<Self>,
        user_data: &OfferedClip,
    ) {
        if user_data.screenshot {
            crate::clipboard::pipe::write_in_background(fd, user_data.data.clone(), mime_type);
        } else {
            self.canopy.global_clipboard_send(mime_type, fd, user_data);
        }
    }
}
