//! xdg-shell: toplevels become managed windows, popups are tracked and kept on screen.

use smithay::delegate_xdg_shell;
use smithay::desktop::PopupKind;
use smithay::input::pointer::Focus;
use smithay::reexports::wayland_protocols::xdg::shell::server::xdg_toplevel;
use smithay::reexports::wayland_server::protocol::{wl_output::WlOutput, wl_seat::WlSeat};
use smithay::reexports::wayland_server::Resource;
use smithay::utils::Serial;
use smithay::wayland::shell::xdg::{PopupSurface, PositionerState, ToplevelSurface, XdgShellHandler, XdgShellState};

use crate::client::ClientState;
use crate::state::State;
use crate::wm::window::WindowElement;

impl XdgShellHandler for State {
    fn xdg_shell_state(&mut self) -> &mut XdgShellState {
        &mut self.canopy.xdg_shell_state
    }

    fn new_toplevel(&mut self, surface: ToplevelSurface) {
        let vm = self
            .canopy
            .display_handle
            .get_client(surface.wl_surface().id())
            .ok()
            .and_then(|c| c.get_data::<ClientState>().and_then(|d| d.vm()));
        let id = self.canopy.next_window_id;
        self.canopy.next_window_id += 1;
        let window = WindowElement::new(surface, id, vm);
        // Mapped on its first commit with a buffer, once its size is known.
        self.canopy.add_window(window);
    }

    fn new_popup(&mut self, surface: PopupSurface, _positioner: PositionerState) {
        self.canopy.unconstrain_popup(&surface);
        if let Err(e) = self.canopy.popups.track_popup(PopupKind::Xdg(surface)) {
            tracing::warn!("popup not tracked: {e}");
        }
    }

    fn reposition_request(&mut self, surface: PopupSurface, positioner: PositionerState, token: u32) {
        surface.with_pending_state(|state| {
            state.geometry = positioner.get_geometry();
            state.positioner = positioner;
        });
        self.canopy.unconstrain_popup(&surface);
        surface.send_repositioned(token);
    }

    fn grab(&mut self, surface: PopupSurface, seat: WlSeat, serial: Serial) {
        self.popup_grab(surface, seat, serial);
    }

    fn move_request(&mut self, surface: ToplevelSurface, seat: WlSeat, serial: Serial) {
        let Some(w) = self.canopy.window_for_surface(surface.wl_surface()) else { return };
        if let Some(start) = self.canopy.pointer_grab_start(&seat, surface.wl_surface(), serial) {
            self.start_move(w, start, Focus::Clear);
        }
    }

    fn resize_request(
        &mut self,
        surface: ToplevelSurface,
        seat: WlSeat,
        serial: Serial,
        edges: xdg_toplevel::ResizeEdge,
    ) {
        let Some(w) = self.canopy.window_for_surface(surface.wl_surface()) else { return };
        if let Some(start) = self.canopy.pointer_grab_start(&seat, surface.wl_surface(), serial) {
            self.start_resize(w, start, edges);
        }
    }

    fn maximize_request(&mut self, surface: ToplevelSurface) {
        match self.canopy.window_for_surface(surface.wl_surface()) {
            Some(w) => self.canopy.set_maximized(&w, true),
            None => {
                // Not mapped yet: remember the wish, the first configure carries it.
                surface.with_pending_state(|s| s.states.set(xdg_toplevel::State::Maximized));
                if surface.is_initial_configure_sent() {
                    surface.send_configure();
                }
            }
        }
    }

    fn unmaximize_request(&mut self, surface: ToplevelSurface) {
        if let Some(w) = self.canopy.window_for_surface(surface.wl_surface()) {
            self.canopy.set_maximized(&w, false);
        }
    }

    fn fullscreen_request(&mut self, surface: ToplevelSurface, output: Option<WlOutput>) {
        let output = output.as_ref().and_then(smithay::output::Output::from_resource);
        match self.canopy.window_for_surface(surface.wl_surface()) {
            Some(w) => self.canopy.set_fullscreen(&w, true, output),
            None => {
                surface.with_pending_state(|s| s.states.set(xdg_toplevel::State::Fullscreen));
            }
        }
    }

    fn unfullscreen_request(&mut self, surface: ToplevelSurface) {
        if let Some(w) = self.canopy.window_for_surface(surface.wl_surface()) {
            self.canopy.set_fullscreen(&w, false, None);
        }
    }

    fn minimize_request(&mut self, surface: ToplevelSurface) {
        if let Some(w) = self.canopy.window_for_surface(surface.wl_surface()) {
            self.canopy.minimize(&w);
        }
    }

    fn title_changed(&mut self, surface: ToplevelSurface) {
        if let Some(w) = self.canopy.any_window_for_surface(surface.wl_surface()) {
            self.canopy.mark_for_announcement(&w);
        }
    }

    fn app_id_changed(&mut self, surface: ToplevelSurface) {
        if let Some(w) = self.canopy.any_window_for_surface(surface.wl_surface()) {
            self.canopy.mark_for_announcement(&w);
        }
    }

    fn toplevel_destroyed(&mut self, surface: ToplevelSurface) {
        self.canopy.remove_window(surface.wl_surface());
        // Now, while the wl_surface still exists to be named in the pointer's leave event.
        self.refresh_pointer_focus();
    }

    fn popup_destroyed(&mut self, surface: PopupSurface) {
        // Its window's extent shrinks; the pointer may now be over something else.
        let root = surface.get_parent_surface().and_then(|p| self.canopy.window_of_tree(&p));
        if let Some(w) = root.filter(|w| w.is_mapped()) {
            self.canopy.window_extent_may_have_changed(&w);
        }
        self.canopy.scene_changed();
        self.refresh_pointer_focus();
    }
}

delegate_xdg_shell!(State);
