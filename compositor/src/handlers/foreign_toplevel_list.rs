//! ext-foreign-toplevel-list: the standard window list for the GUI VM's own tools (hidden from
//! VMs, which would otherwise learn what else runs on the desktop).

use smithay::delegate_foreign_toplevel_list;
use smithay::wayland::foreign_toplevel_list::{ForeignToplevelListHandler, ForeignToplevelListState};

use crate::state::State;

impl ForeignToplevelListHandler for State {
    fn foreign_toplevel_list_state(&mut self) -> &mut ForeignToplevelListState {
        &mut self.canopy.foreign_toplevel_list_state
    }
}

delegate_foreign_toplevel_list!(State);
