//! A screenshot on the GUI VM's own clipboard (Ctrl+Print and its kin): the compositor offers it
//! as image/png, a selection it owns for the local domain, so the GUI VM's programs (wl-paste, an
//! image editor) can paste it any number of times, and no VM is ever offered it (offers go only to
//! the owning domain, see `clipboard`). It stays until anything else is copied.

use std::sync::Arc;

use smithay::wayland::selection::data_device::set_data_device_selection;

use super::global::OfferedClip;
use super::Domain;
use crate::state::Canopy;

pub const MIME: &str = "image/png";

impl Canopy {
    /// Puts `png` on the GUI VM's clipboard and says so.
    pub fn offer_screenshot(&mut self, png: Vec<u8>) {
        let bytes = png.len();
        let clip = OfferedClip { id: 0, data: Arc::new(png), screenshot: true };
        set_data_device_selection(&self.display_handle, &self.seat, vec![MIME.into()], clip);
        self.clipboard.clipboard_owner = Some(Domain::Local);
        self.update_selection_focus();
        tracing::info!(bytes, "screenshot copied to the clipboard");
        self.show_notice(
            format!("Screenshot copied to the desktop's clipboard ({})", super::global::human(bytes)),
            None,
        );
    }
}
