//! After a resume (or the lid opening): on udev every connector is probed again (a display may
//! have come or gone while the laptop slept) and every head reset and redrawn; and the shell's
//! clients are told (canopy_shell_v1 `resumed`), so the panel shows the right time and battery
//! at once rather than at its next minute tick.

use crate::backend::Backend;
use crate::state::State;

impl State {
    pub(super) fn woke(&mut self) {
        if let Backend::Udev(_) = self.backend {
            self.udev_rescan();
        }
        self.canopy.queue_redraw_all();
        self.canopy.shell_resumed();
    }
}
