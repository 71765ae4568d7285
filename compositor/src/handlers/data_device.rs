//! wl_data_device: clipboard and drag-and-drop.

use smithay::delegate_data_device;
use smithay::wayland::selection::data_device::{
    ClientDndGrabHandler, DataDeviceHandler, DataDeviceState, ServerDndGrabHandler,
};

use crate::state::State;

impl DataDeviceHandler for State {
    fn data_device_state(&self) -> &DataDeviceState {
        &self.canopy.data_device_state
    }
}

impl ClientDndGrabHandler for State {}
impl ServerDndGrabHandler for State {}

delegate_data_device!(State);
