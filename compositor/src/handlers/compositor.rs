//! wl_compositor / wl_subcompositor: every commit lands here.

use smithay::backend::renderer::utils::on_commit_buffer_handler;
use smithay::delegate_compositor;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::Client;
use smithay::wayland::compositor::{
    get_parent, is_sync_subsurface, CompositorClientState, CompositorHandler, CompositorState,
};

use crate::client::ClientState;
use crate::state::State;

impl CompositorHandler for State {
    fn compositor_state(&mut self) -> &mut CompositorState {
        &mut self.canopy.compositor_state
    }

    fn client_compositor_state<'a>(&self, client: &'a Client) -> &'a CompositorClientState {
        &client.get_data::<ClientState>().expect("every client has ClientState").compositor_state
    }

    fn commit(&mut self, surface: &WlSurface) {
        on_commit_buffer_handler::<Self>(surface);
        self.backend.early_import(surface);
        if !is_sync_subsurface(surface) {
            let mut root = surface.clone();
            while let Some(parent) = get_parent(&root) {
                root = parent;
            }
            if let Some(w) = self.canopy.window_for_surface(&root) {
                w.window.on_commit();
            }
        }
        self.canopy.popups.commit(surface);
        self.canopy.handle_commit(surface);
        self.canopy.queue_redraw_all();
    }

    fn destroyed(&mut self, surface: &WlSurface) {
        self.end_touches_on(surface);
        if self.canopy.lock.surface_destroyed(surface) {
            // The lock program died or dropped a surface: the keyboard moves to another lock
            // surface, or to nothing; never back to a window while locked.
            self.canopy.focus(crate::shell::focus::FocusChange::LockSurfaceGone(surface.clone()));
        }
    }
}

delegate_compositor!(State);
