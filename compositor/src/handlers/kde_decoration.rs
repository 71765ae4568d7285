//! org_kde_kwin_server_decoration (KDE's server-decoration protocol), which GTK 3 and GTK 4 read
//! to decide whether to draw their own title bar: its default mode is server-side, so they leave
//! theirs out and a window shows one title bar, canopy's. A VM's window is always told
//! server-side (its frame is the compositor's whatever it asks); a local client gets the mode it
//! asks for. xdg-decoration is handled apart (xdg_decoration.rs) and unchanged.

use std::cell::Cell;

use smithay::delegate_kde_decoration;
use smithay::reexports::wayland_protocols_misc::server_decoration::server::org_kde_kwin_server_decoration::{
    Mode, OrgKdeKwinServerDecoration,
};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::{Resource, WEnum};
use smithay::wayland::compositor::with_states;
use smithay::wayland::shell::kde::decoration::{KdeDecorationHandler, KdeDecorationState};

use crate::client::client_state;
use crate::state::State;

/// The mode a surface was last told, kept on the surface: GTK may ask before its toplevel is a
/// canopy window, and the window reads it when it is made.
struct Told(Cell<bool>);

/// Whether `surface` was told server-side decorations through this protocol.
pub fn told_server_side(surface: &WlSurface) -> bool {
    with_states(surface, |s| s.data_map.get::<Told>().is_some_and(|t| t.0.get()))
}

impl State {
    /// Decides, records and sends the mode of `surface`'s decoration: a local client's own
    /// choice, server-side for everyone else.
    fn kde_decide(&mut self, surface: &WlSurface, decoration: &OrgKdeKwinServerDecoration, wanted: Option<Mode>) {
        let local = surface.client().and_then(|c| client_state(&c).map(|s| !s.is_sandboxed())).unwrap_or(false);
        let mode = match wanted {
            Some(m @ (Mode::Client | Mode::None)) if local => m,
            _ => Mode::Server,
        };
        let server = mode == Mode::Server;
        with_states(surface, |s| s.data_map.get_or_insert(|| Told(Cell::new(server))).0.set(server));
        if let Some(w) = self.canopy.any_window_for_surface(surface) {
            if w.data.server_side.replace(server) != server {
                self.canopy.window_changed(&w);
            }
        }
        decoration.mode(mode);
    }
}

impl KdeDecorationHandler for State {
    fn kde_decoration_state(&self) -> &KdeDecorationState {
        &self.canopy.kde_decoration_state
    }

    fn new_decoration(&mut self, surface: &WlSurface, decoration: &OrgKdeKwinServerDecoration) {
        self.kde_decide(surface, decoration, None);
    }

    fn request_mode(&mut self, surface: &WlSurface, decoration: &OrgKdeKwinServerDecoration, mode: WEnum<Mode>) {
        // An unknown mode value is answered like no wish: server-side.
        self.kde_decide(surface, decoration, mode.into_result().ok());
    }
}

delegate_kde_decoration!(State);
