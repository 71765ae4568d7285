//! The session lock of the lock screen: `locked` handed to the app (even when it comes before
//! the app started), a refused lock ends the program, and each lock surface's size.

use smithay_client_toolkit::session_lock::{
    SessionLock, SessionLockHandler, SessionLockSurface, SessionLockSurfaceConfigure,
};
use wayland_client::{Connection, QueueHandle};

use crate::wl::api::Shell;
use crate::wl::app::App;

impl<A: App> SessionLockHandler for Shell<A> {
    fn locked(&mut self, _: &Connection, _: &QueueHandle<Self>, _: SessionLock) {
        tracing::info!("session locked");
        // The compositor may confirm the lock during the first roundtrips, before the app
        // has set up its event sources.
        if self.core.started {
            self.app.locked(&mut self.core);
        } else {
            self.core.locked_early = true;
        }
        self.core.redraw();
    }

    fn finished(&mut self, _: &Connection, _: &QueueHandle<Self>, _: SessionLock) {
        tracing::error!("the compositor refused to lock the session (is another locker running?)");
        self.core.lock = None;
        self.core.exit(1);
    }

    fn configure(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        surface: SessionLockSurface,
        configure: SessionLockSurfaceConfigure,
        _: u32,
    ) {
        let Some(i) = self.core.surface_index(surface.wl_surface()) else { return };
        let s = &mut self.core.surfaces[i];
        s.size = Some((configure.new_size.0.max(1), configure.new_size.1.max(1)));
        s.dirty = true;
    }
}
