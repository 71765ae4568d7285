//! xdg-activation tokens: how the trusted launcher names the VM a token is for (so the
//! compositor lets only that VM's clients use it), and a client's blocking requests for a token
//! and for an activation (the launcher, our test client). The check of a token in transit
//! (launcher → hostd → agent) is `canopy_protocols::lifecycle::activation_token_ok`.

use wayland_client::globals::registry_queue_init;
use wayland_client::protocol::{wl_seat::WlSeat, wl_surface::WlSurface};
use wayland_client::{delegate_noop, Connection, Dispatch, QueueHandle};
use wayland_protocols::xdg::activation::v1::client::xdg_activation_token_v1::{self, XdgActivationTokenV1};
use wayland_protocols::xdg::activation::v1::client::xdg_activation_v1::XdgActivationV1;

/// The app_id prefix a trusted client of the GUI VM gives a token meant for a VM's app. The
/// compositor reads it only from trusted clients; a VM's own tokens are bound to that VM.
const FOR_VM: &str = "canopy-vm:";

/// The token app_id that binds a launch token to `vm`.
pub fn app_id_for_vm(vm: &str) -> String {
    format!("{FOR_VM}{vm}")
}

/// The VM a launch token's app_id names, if it is one.
pub fn vm_of_app_id(app_id: &str) -> Option<&str> {
    app_id.strip_prefix(FOR_VM).filter(|vm| !vm.is_empty())
}

#[derive(Debug, thiserror::Error)]
pub enum ActivationError {
    #[error("reading the compositor's globals: {0}")]
    Globals(#[from] wayland_client::globals::GlobalError),
    #[error("the compositor offers no xdg_activation_v1")]
    NoGlobal,
    #[error("waiting for the compositor: {0}")]
    Dispatch(#[from] wayland_client::DispatchError),
    #[error("the compositor gave no token")]
    NoToken,
}

#[derive(Default)]
struct State {
    token: Option<String>,
}

crate::ignore_registry_events!(State);
delegate_noop!(State: ignore XdgActivationV1);

impl Dispatch<XdgActivationTokenV1, ()> for State {
    fn event(
        state: &mut Self,
        _: &XdgActivationTokenV1,
        event: xdg_activation_token_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let xdg_activation_token_v1::Event::Done { token } = event {
            state.token = Some(token);
        }
    }
}

/// Asks the compositor for a token for the input event `serial` on `seat`, made on `surface`
/// (the compositor checks that this client has the keyboard), with `app_id` (see
/// [`app_id_for_vm`]). Blocks for one roundtrip on a queue of its own.
pub fn request_token(
    conn: &Connection,
    serial: Option<(u32, &WlSeat)>,
    surface: Option<&WlSurface>,
    app_id: Option<&str>,
) -> Result<String, ActivationError> {
    let (globals, mut queue) = registry_queue_init::<State>(conn)?;
    let qh = queue.handle();
    let activation = globals.bind::<XdgActivationV1, _, _>(&qh, 1..=1, ()).map_err(|_| ActivationError::NoGlobal)?;
    let token = activation.get_activation_token(&qh, ());
    if let Some((serial, seat)) = serial {
        token.set_serial(serial, seat);
    }
    if let Some(surface) = surface {
        token.set_surface(surface);
    }
    if let Some(app_id) = app_id {
        token.set_app_id(app_id.into());
    }
    token.commit();
    let mut state = State::default();
    queue.roundtrip(&mut state)?;
    token.destroy();
    activation.destroy();
    state.token.ok_or(ActivationError::NoToken)
}

/// Asks the compositor to activate `surface` with `token` (it decides whether the token is good).
pub fn activate(conn: &Connection, token: &str, surface: &WlSurface) -> Result<(), ActivationError> {
    let (globals, mut queue) = registry_queue_init::<State>(conn)?;
    let qh = queue.handle();
    let activation = globals.bind::<XdgActivationV1, _, _>(&qh, 1..=1, ()).map_err(|_| ActivationError::NoGlobal)?;
    activation.activate(token.into(), surface);
    activation.destroy();
    queue.roundtrip(&mut State::default())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn launch_app_ids_name_their_vm() {
        assert_eq!(vm_of_app_id(&app_id_for_vm("web")), Some("web"));
        assert_eq!(vm_of_app_id("canopy-vm:"), None);
        assert_eq!(vm_of_app_id("org.gnome.Foo"), None);
    }
}
