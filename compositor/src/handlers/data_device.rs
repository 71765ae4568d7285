//! wl_data_device: clipboard and drag-and-drop. smithay handles the selections; canopy takes
//! `start_drag` itself, so that a drag is offered only within its own domain (see `dnd`).

use smithay::reexports::wayland_server::protocol::wl_data_device::{self, WlDataDevice};
use smithay::reexports::wayland_server::protocol::wl_data_device_manager::WlDataDeviceManager;
use smithay::reexports::wayland_server::protocol::wl_data_source::WlDataSource;
use smithay::reexports::wayland_server::{
    delegate_dispatch, delegate_global_dispatch, Client, DataInit, Dispatch, DisplayHandle,
};
use smithay::wayland::selection::data_device::{
    ClientDndGrabHandler, DataDeviceHandler, DataDeviceState, DataDeviceUserData, DataSourceUserData,
    ServerDndGrabHandler,
};

use crate::state::State;

impl DataDeviceHandler for State {
    fn data_device_state(&self) -> &DataDeviceState {
        &self.canopy.data_device_state
    }
}

// Required by smithay's data device; canopy's own drag grab (`dnd::grab`) replaces both.
impl ClientDndGrabHandler for State {}
impl ServerDndGrabHandler for State {}

/// Requests on a wl_data_device: `start_drag` goes to canopy's drag grab, the rest to smithay.
pub struct DataDeviceRequests;

impl Dispatch<WlDataDevice, DataDeviceUserData, State> for DataDeviceRequests {
    fn request(
        state: &mut State,
        client: &Client,
        resource: &WlDataDevice,
        request: wl_data_device::Request,
        data: &DataDeviceUserData,
        dh: &DisplayHandle,
        data_init: &mut DataInit<'_, State>,
    ) {
        match request {
            wl_data_device::Request::StartDrag { source, origin, icon, serial } => {
                state.start_drag(client, resource, source, origin, icon, serial.into())
            }
            other => <DataDeviceState as Dispatch<WlDataDevice, DataDeviceUserData, State>>::request(
                state, client, resource, other, data, dh, data_init,
            ),
        }
    }
}

// What `delegate_data_device!` does, with wl_data_device going through `DataDeviceRequests`.
delegate_global_dispatch!(State: [WlDataDeviceManager: ()] => DataDeviceState);
delegate_dispatch!(State: [WlDataDeviceManager: ()] => DataDeviceState);
delegate_dispatch!(State: [WlDataDevice: DataDeviceUserData] => DataDeviceRequests);
delegate_dispatch!(State: [WlDataSource: DataSourceUserData] => DataDeviceState);
