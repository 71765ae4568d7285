//! xdg-decoration: VM windows always get server-side decorations; a request for client-side
//! decorations from a VM is answered with server-side. Local clients choose.

use smithay::delegate_xdg_decoration;
use smithay::reexports::wayland_protocols::xdg::decoration::zv1::server::zxdg_toplevel_decoration_v1::Mode;
use smithay::wayland::shell::xdg::decoration::XdgDecorationHandler;
use smithay::wayland::shell::xdg::ToplevelSurface;

use crate::state::State;

impl State {
    fn apply_decoration_mode(&mut self, toplevel: &ToplevelSurface, wanted: Option<Mode>) {
        let window = self.canopy.any_window_for_surface(toplevel.wl_surface());
        let sandboxed = window.as_ref().map(|w| w.is_sandboxed()).unwrap_or(true);
        let mode = match wanted {
            Some(Mode::ClientSide) if !sandboxed => Mode::ClientSide,
            _ => Mode::ServerSide,
        };
        if let Some(w) = &window {
            w.data.server_side.set(mode == Mode::ServerSide);
        }
        toplevel.with_pending_state(|s| s.decoration_mode = Some(mode));
        if toplevel.is_initial_configure_sent() {
            toplevel.send_pending_configure();
        }
        if let Some(w) = window {
            self.canopy.window_changed(&w);
        }
    }
}

impl XdgDecorationHandler for State {
    fn new_decoration(&mut self, toplevel: ToplevelSurface) {
        self.apply_decoration_mode(&toplevel, None);
    }

    fn request_mode(&mut self, toplevel: ToplevelSurface, mode: Mode) {
        self.apply_decoration_mode(&toplevel, Some(mode));
    }

    fn unset_mode(&mut self, toplevel: ToplevelSurface) {
        self.apply_decoration_mode(&toplevel, None);
    }
}

delegate_xdg_decoration!(State);
