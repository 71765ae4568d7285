//! xdg-activation: a client may hand focus to another window only with a token made while it
//! had the keyboard focus, so a background VM cannot steal focus.

use smithay::delegate_xdg_activation;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::Resource;
use smithay::wayland::xdg_activation::{
    XdgActivationHandler, XdgActivationState, XdgActivationToken, XdgActivationTokenData,
};

use crate::state::State;

impl XdgActivationHandler for State {
    fn activation_state(&mut self) -> &mut XdgActivationState {
        &mut self.canopy.xdg_activation_state
    }

    fn token_created(&mut self, _token: XdgActivationToken, data: XdgActivationTokenData) -> bool {
        // Only tokens from the client that has keyboard focus are valid.
        let Some(focus) = self.canopy.seat.get_keyboard().and_then(|k| k.current_focus()) else {
            return false;
        };
        let dh = &self.canopy.display_handle;
        let focused_client = dh.get_client(focus.id()).ok().map(|c| c.id());
        data.client_id.is_some() && data.client_id == focused_client
    }

    fn request_activation(&mut self, token: XdgActivationToken, data: XdgActivationTokenData, surface: WlSurface) {
        if data.timestamp.elapsed().as_secs() < 10 {
            if let Some(w) = self.canopy.any_window_for_surface(&surface) {
                self.canopy.focus_window(&w, crate::wm::focus::Cause::Activation);
            }
        }
        self.canopy.xdg_activation_state.remove_token(&token);
    }
}

delegate_xdg_activation!(State);
