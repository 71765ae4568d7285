//! ext-idle-notify-v1: local clients (swayidle) are told when the seat has had no input for
//! their timeout and when input comes again; an honoured idle inhibitor holds them as it holds
//! the idle chain. VMs do not see it: it would tell a VM when the user is away.

use smithay::reexports::wayland_protocols::ext::idle_notify::v1::server::{
    ext_idle_notification_v1::ExtIdleNotificationV1, ext_idle_notifier_v1::ExtIdleNotifierV1,
};
use smithay::reexports::wayland_server::{delegate_dispatch, Client, DataInit, DisplayHandle, GlobalDispatch, New};
use smithay::wayland::idle_notify::{IdleNotificationUserData, IdleNotifierHandler, IdleNotifierState};

use crate::client::may_see_global;
use crate::state::State;

impl IdleNotifierHandler for State {
    fn idle_notifier_state(&mut self) -> &mut IdleNotifierState<State> {
        &mut self.canopy.idle.notifier
    }
}

// smithay's delegate macro would show the global to every client; this one asks canopy's policy.
impl GlobalDispatch<ExtIdleNotifierV1, ()> for State {
    fn bind(
        state: &mut State,
        dh: &DisplayHandle,
        client: &Client,
        resource: New<ExtIdleNotifierV1>,
        data: &(),
        data_init: &mut DataInit<'_, State>,
    ) {
        <IdleNotifierState<State> as GlobalDispatch<ExtIdleNotifierV1, (), State>>::bind(
            state, dh, client, resource, data, data_init,
        )
    }

    fn can_view(client: Client, _data: &()) -> bool {
        may_see_global(&client, "ext_idle_notifier_v1")
    }
}

delegate_dispatch!(State: [ExtIdleNotifierV1: ()] => IdleNotifierState<State>);
delegate_dispatch!(State: [ExtIdleNotificationV1: IdleNotificationUserData] => IdleNotifierState<State>);
