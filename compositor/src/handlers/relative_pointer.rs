//! zwp_relative_pointer: pointer motion as deltas, for games and 3D views that turn with the
//! mouse. Only the GUI VM's own clients see it (it is not on the sandbox's list of globals).

use smithay::reexports::wayland_protocols::wp::relative_pointer::zv1::server::{
    zwp_relative_pointer_manager_v1::ZwpRelativePointerManagerV1, zwp_relative_pointer_v1::ZwpRelativePointerV1,
};
use smithay::reexports::wayland_server::{delegate_dispatch, Client, DataInit, DisplayHandle, GlobalDispatch, New};
use smithay::wayland::relative_pointer::{RelativePointerManagerState, RelativePointerUserData};

use crate::client::may_see_global;
use crate::state::State;

// smithay's delegate macro would show the global to every client; this one asks canopy's policy.
impl GlobalDispatch<ZwpRelativePointerManagerV1, ()> for State {
    fn bind(
        state: &mut State,
        dh: &DisplayHandle,
        client: &Client,
        resource: New<ZwpRelativePointerManagerV1>,
        data: &(),
        data_init: &mut DataInit<'_, State>,
    ) {
        <RelativePointerManagerState as GlobalDispatch<ZwpRelativePointerManagerV1, (), State>>::bind(
            state, dh, client, resource, data, data_init,
        )
    }

    fn can_view(client: Client, _data: &()) -> bool {
        may_see_global(&client, "zwp_relative_pointer_manager_v1")
    }
}

delegate_dispatch!(State: [ZwpRelativePointerManagerV1: ()] => RelativePointerManagerState);
delegate_dispatch!(State: [ZwpRelativePointerV1: RelativePointerUserData<State>] => RelativePointerManagerState);
