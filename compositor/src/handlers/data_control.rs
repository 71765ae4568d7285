//! ext-data-control: clipboard managers of the GUI VM only; hidden from VMs, which could
//! otherwise read every selection.

use smithay::delegate_ext_data_control;
use smithay::wayland::selection::ext_data_control::{DataControlHandler, DataControlState};

use crate::state::State;

impl DataControlHandler for State {
    fn data_control_state(&self) -> &DataControlState {
        &self.canopy.data_control_state
    }
}

delegate_ext_data_control!(State);
