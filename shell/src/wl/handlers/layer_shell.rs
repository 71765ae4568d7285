//! The program's layer-shell surfaces (panels, overlays, menus): their size from the compositor,
//! and what their closing means.

use smithay_client_toolkit::shell::wlr_layer::{LayerShellHandler, LayerSurface, LayerSurfaceConfigure};
use smithay_client_toolkit::shell::WaylandSurface;
use wayland_client::{Connection, QueueHandle};

use crate::wl::api::Shell;
use crate::wl::app::{App, Placement};

impl<A: App> LayerShellHandler for Shell<A> {
    fn closed(&mut self, _: &Connection, _: &QueueHandle<Self>, layer: &LayerSurface) {
        let Some(i) = self.core.surface_index(layer.wl_surface()) else { return };
        if self.core.surfaces.remove(i).menu {
            self.app.menu_closed(&mut self.core);
            self.core.redraw();
        } else if let Placement::Overlay { .. } = self.core.placement {
            self.core.exit(0);
        } else if let Placement::Corner { .. } = self.core.placement {
            // The compositor closed it (its output went): the next place() makes a new one.
            self.core.placed = None;
        }
    }

    fn configure(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        layer: &LayerSurface,
        configure: LayerSurfaceConfigure,
        _: u32,
    ) {
        let Some(i) = self.core.surface_index(layer.wl_surface()) else { return };
        let requested = match self.core.placement {
            Placement::PanelPerOutput { height } => (1, height),
            Placement::Corner { .. } => self.core.placed.unwrap_or((1, 1)),
            _ => (1, 1),
        };
        let w = if configure.new_size.0 == 0 { requested.0 } else { configure.new_size.0 };
        let h = if configure.new_size.1 == 0 { requested.1 } else { configure.new_size.1 };
        let s = &mut self.core.surfaces[i];
        s.size = Some((w, h));
        s.dirty = true;
    }
}
