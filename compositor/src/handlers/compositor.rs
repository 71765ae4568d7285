//! wl_compositor / wl_subcompositor: every commit lands here.

use smithay::backend::renderer::utils::on_commit_buffer_handler;
use smithay::delegate_compositor;
use smithay::input::pointer::CursorImageStatus;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::Client;
use smithay::reexports::wayland_server::Resource;
use smithay::wayland::compositor::{
    get_parent, is_sync_subsurface, with_states, CompositorClientState, CompositorHandler, CompositorState,
    SurfaceAttributes,
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
        if self.frame_callback_storm(surface) {
            return;
        }
        on_commit_buffer_handler::<Self>(surface);
        self.backend.early_import(surface);
        let mut root = surface.clone();
        while let Some(parent) = get_parent(&root) {
            root = parent;
        }
        if !is_sync_subsurface(surface) {
            if let Some(w) = self.canopy.window_for_surface(&root) {
                w.window.on_commit();
            }
        }
        self.canopy.popups.commit(surface);
        // The window this commit belongs to (through subsurfaces and popups) wants its frame
        // callbacks at the next frame.
        let window = self.canopy.window_of_tree(&root);
        if let Some(w) = &window {
            self.canopy.wants_frame.insert(w.id());
        }
        self.canopy.handle_commit(surface);
        if let Some(w) = window.as_ref().filter(|w| w.is_mapped()) {
            self.canopy.window_extent_may_have_changed(w);
            // Its surfaces may have moved under a pointer that did not (a subsurface moved).
            if self.canopy.pointer_over(w) {
                self.refresh_pointer_focus();
            }
        }
        // A window's surfaces show on the outputs it is on (a change of its extent redrew all
        // of them already); the cursor shows around the pointer; layer and lock surfaces, rarer,
        // redraw every output.
        let is_cursor = matches!(&self.canopy.cursor_status, CursorImageStatus::Surface(s) if *s == root);
        match &window {
            Some(w) => self.canopy.queue_redraw_window(w),
            None if is_cursor => self.canopy.queue_redraw_cursor(),
            None => self.canopy.queue_redraw_all(),
        }
    }

    fn destroyed(&mut self, surface: &WlSurface) {
        self.end_touches_on(surface);
        if self.canopy.lock.surface_destroyed(surface) {
            // The lock program died or dropped a surface: the keyboard moves to another lock
            // surface, or to nothing; never back to a window while locked.
            self.canopy.focus(crate::wm::focus::FocusChange::LockSurfaceGone(surface.clone()));
            self.lock_surface_gone();
        }
    }
}

/// The most frame callbacks one surface may have waiting: a client asks for one per frame; a
/// client asking for thousands is attacking the compositor's frame loop.
pub const MAX_FRAME_CALLBACKS: usize = 256;

impl State {
    /// A VM's client that piles frame callbacks on a surface is closed, with a log line naming
    /// the VM and the rule. Returns true if it was.
    fn frame_callback_storm(&mut self, surface: &WlSurface) -> bool {
        let n = with_states(surface, |s| s.cached_state.get::<SurfaceAttributes>().current().frame_callbacks.len());
        if n <= MAX_FRAME_CALLBACKS {
            return false;
        }
        let Ok(client) = self.canopy.display_handle.get_client(surface.id()) else { return false };
        let Some(vm) = client.get_data::<ClientState>().and_then(|c| c.vm()) else { return false };
        let what = format!("{n} frame callbacks waiting on one surface (limit {MAX_FRAME_CALLBACKS})");
        self.canopy.violations.closed(&vm, "frame callbacks", &what);
        // wl_display.error reaches the client (and its proxy, which then ends it rather than
        // restoring it), with wl_display's `implementation` code.
        surface.post_error(3u32, what);
        true
    }
}

delegate_compositor!(State);
