//! zwp_idle_inhibit_manager_v1: a surface asks that the screen stay on while it is shown (a
//! video). VMs see it (it is on the sandbox's list), but whether an inhibitor is honoured is the
//! compositor's decision (`power::idle_inhibit`): per VM by configuration, and only while shown
//! on an unlocked screen.

use smithay::reexports::wayland_protocols::wp::idle_inhibit::zv1::server::{
    zwp_idle_inhibit_manager_v1::ZwpIdleInhibitManagerV1, zwp_idle_inhibitor_v1::ZwpIdleInhibitorV1,
};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::{
    delegate_dispatch, Client, DataInit, DisplayHandle, GlobalDispatch, New, Resource,
};
use smithay::wayland::idle_inhibit::inhibitor::IdleInhibitorState;
use smithay::wayland::idle_inhibit::{IdleInhibitHandler, IdleInhibitManagerState};

use crate::client::may_see_global;
use crate::state::State;

/// More inhibitors than this from one client are not tracked (each costs a look at the windows
/// whenever the chain checks); the surplus is logged and ignored, and one client cannot crowd
/// out another's.
const MAX_PER_CLIENT: usize = 16;

impl IdleInhibitHandler for State {
    fn inhibit(&mut self, surface: WlSurface) {
        let client = surface.client().map(|c| c.id());
        let mine = self.canopy.idle.inhibitors.iter().filter(|s| s.client().map(|c| c.id()) == client).count();
        if mine >= MAX_PER_CLIENT {
            let vm = surface.client().and_then(|c| crate::client::client_state(&c).and_then(|s| s.vm()));
            tracing::warn!(vm, "too many idle inhibitors from one client: this one is ignored");
            return;
        }
        self.canopy.idle.inhibitors.push(surface);
        self.idle_check();
    }

    fn uninhibit(&mut self, surface: WlSurface) {
        if let Some(i) = self.canopy.idle.inhibitors.iter().position(|s| *s == surface) {
            self.canopy.idle.inhibitors.remove(i);
        }
        self.idle_check();
    }
}

// smithay's delegate macro would show the global to every client; this one asks canopy's policy.
impl GlobalDispatch<ZwpIdleInhibitManagerV1, ()> for State {
    fn bind(
        state: &mut State,
        dh: &DisplayHandle,
        client: &Client,
        resource: New<ZwpIdleInhibitManagerV1>,
        data: &(),
        data_init: &mut DataInit<'_, State>,
    ) {
        <IdleInhibitManagerState as GlobalDispatch<ZwpIdleInhibitManagerV1, (), State>>::bind(
            state, dh, client, resource, data, data_init,
        )
    }

    fn can_view(client: Client, _data: &()) -> bool {
        may_see_global(&client, "zwp_idle_inhibit_manager_v1")
    }
}

delegate_dispatch!(State: [ZwpIdleInhibitManagerV1: ()] => IdleInhibitManagerState);
delegate_dispatch!(State: [ZwpIdleInhibitorV1: IdleInhibitorState] => IdleInhibitManagerState);
