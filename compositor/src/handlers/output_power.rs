//! wlr-output-power-management-v1: a local client (wlopm, swayidle's `wlopm --off '*'`) turns
//! an output off and on, as the idle chain's screen-off does (`power::idle`); `canopy msg
//! outputs` reports it. VMs do not see it: a VM must not blank the trusted display.

use smithay::output::Output;
use smithay::reexports::wayland_protocols_wlr::output_power_management::v1::server::{
    zwlr_output_power_manager_v1::{self, ZwlrOutputPowerManagerV1},
    zwlr_output_power_v1::{self, Mode, ZwlrOutputPowerV1},
};
use smithay::reexports::wayland_server::backend::{ClientId, GlobalId};
use smithay::reexports::wayland_server::{
    Client, DataInit, Dispatch, DisplayHandle, GlobalDispatch, New, Resource, WEnum,
};

use crate::client::may_see_global;
use crate::state::{Canopy, State};

/// The global and every client's power object, each with its output.
pub struct OutputPowerManager {
    _global: GlobalId,
    controls: Vec<(ZwlrOutputPowerV1, Output)>,
}

impl OutputPowerManager {
    pub fn new(dh: &DisplayHandle) -> Self {
        OutputPowerManager {
            _global: dh.create_global::<State, ZwlrOutputPowerManagerV1, _>(1, ()),
            controls: Vec::new(),
        }
    }
}

fn mode(on: bool) -> Mode {
    if on {
        Mode::On
    } else {
        Mode::Off
    }
}

/// Tell the clients watching `output` whether it is on.
pub fn announce(state: &mut State, output: &Output, on: bool) {
    state.canopy.idle.output_power.controls.retain(|(p, _)| p.is_alive());
    for (p, _) in state.canopy.idle.output_power.controls.iter().filter(|(_, o)| o == output) {
        p.mode(mode(on));
    }
}

/// Clients watching an output that went away are told it failed.
pub fn output_gone(canopy: &mut Canopy, output: &Output) {
    canopy.idle.output_power.controls.retain(|(p, o)| {
        if o == output {
            p.failed();
        }
        o != output
    });
    canopy.idle.client_off.remove(&output.name());
    canopy.idle.forget_output(output);
}

impl GlobalDispatch<ZwlrOutputPowerManagerV1, ()> for State {
    fn bind(
        _: &mut State,
        _: &DisplayHandle,
        _: &Client,
        resource: New<ZwlrOutputPowerManagerV1>,
        _: &(),
        data_init: &mut DataInit<'_, State>,
    ) {
        data_init.init(resource, ());
    }

    fn can_view(client: Client, _data: &()) -> bool {
        may_see_global(&client, "zwlr_output_power_manager_v1")
    }
}

impl Dispatch<ZwlrOutputPowerManagerV1, ()> for State {
    fn request(
        state: &mut State,
        _: &Client,
        _: &ZwlrOutputPowerManagerV1,
        request: zwlr_output_power_manager_v1::Request,
        _: &(),
        _: &DisplayHandle,
        data_init: &mut DataInit<'_, State>,
    ) {
        if let zwlr_output_power_manager_v1::Request::GetOutputPower { id, output } = request {
            let power = data_init.init(id, ());
            match Output::from_resource(&output) {
                Some(o) => {
                    power.mode(mode(!state.canopy.idle.is_off(&o)));
                    state.canopy.idle.output_power.controls.push((power, o));
                }
                None => power.failed(),
            }
        }
    }
}

impl Dispatch<ZwlrOutputPowerV1, ()> for State {
    fn request(
        state: &mut State,
        _: &Client,
        resource: &ZwlrOutputPowerV1,
        request: zwlr_output_power_v1::Request,
        _: &(),
        _: &DisplayHandle,
        _: &mut DataInit<'_, State>,
    ) {
        let zwlr_output_power_v1::Request::SetMode { mode } = request else { return };
        let Some(output) =
            state.canopy.idle.output_power.controls.iter().find(|(p, _)| p == resource).map(|(_, o)| o.clone())
        else {
            return;
        };
        let on = match mode {
            WEnum::Value(Mode::On) => true,
            WEnum::Value(Mode::Off) => false,
            _ => {
                resource.post_error(zwlr_output_power_v1::Error::InvalidMode, "no such power mode");
                return;
            }
        };
        tracing::info!(output = output.name(), on, "a client sets the output's power");
        if on {
            state.canopy.idle.client_off.remove(&output.name());
        } else {
            state.canopy.idle.client_off.insert(output.name());
        }
        state.set_outputs_power();
        state.canopy.queue_redraw_all();
    }

    fn destroyed(state: &mut State, _: ClientId, resource: &ZwlrOutputPowerV1, _: &()) {
        state.canopy.idle.output_power.controls.retain(|(p, _)| p != resource);
    }
}
