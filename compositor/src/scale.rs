//! Which output's scale each surface is told (wl_surface.preferred_buffer_scale and
//! wp_fractional_scale): a layer surface's and a lock surface's own output, a window's main
//! output, a popup's root's, so that the panel, the launcher and the lock on a 2x output render
//! at 2x while the pointer is on a 1x one.

use smithay::desktop::{find_popup_root_surface, layer_map_for_output, WindowSurfaceType};
use smithay::output::Output;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::wayland::compositor::{get_parent, with_surface_tree_downward, TraversalAction};
use smithay::wayland::fractional_scale::with_fractional_scale;

use crate::state::Canopy;

impl Canopy {
    /// The output whose scale `surface` (or the surface tree it belongs to) should render at;
    /// `None` for a surface that is on no output yet.
    pub fn output_of_surface(&self, surface: &WlSurface) -> Option<Output> {
        let mut root = surface.clone();
        while let Some(parent) = get_parent(&root) {
            root = parent;
        }
        if let Some(popup) = self.popups.find_popup(&root) {
            root = find_popup_root_surface(&popup).ok()?;
        }
        let layer_output = self
            .outputs
            .iter()
            .find(|o| layer_map_for_output(o).layer_for_surface(&root, WindowSurfaceType::TOPLEVEL).is_some());
        if let Some(o) = layer_output {
            return Some(o.clone());
        }
        if let Some(o) = self.lock.output_of(&root) {
            return Some(o.clone());
        }
        self.any_window_for_surface(&root).and_then(|w| self.output_of_window(&w))
    }

    /// Tells `surface` and its subsurfaces the scale of its own output (else of the output under
    /// the pointer, where a new surface is likely to appear).
    pub fn send_scale_to_surface(&self, surface: &WlSurface) {
        let Some(output) = self.output_of_surface(surface).or_else(|| self.active_output()) else { return };
        send_scale(surface, &output);
    }

    /// Every layer and lock surface is told its output's scale again (after outputs changed).
    pub fn send_scale_to_shell_surfaces(&self) {
        for output in &self.outputs {
            let layers: Vec<WlSurface> =
                layer_map_for_output(output).layers().map(|l| l.wl_surface().clone()).collect();
            for surface in layers.iter().chain(self.lock.surface_for(output).map(|l| l.wl_surface())) {
                send_scale(surface, output);
            }
        }
    }
}

/// The output's scale to a surface tree: the integer one for wl_surface.preferred_buffer_scale,
/// the exact one for wp_fractional_scale (each sent only when it changed).
pub fn send_scale(surface: &WlSurface, output: &Output) {
    let scale = output.current_scale();
    with_surface_tree_downward(
        surface,
        (),
        |_, _, _| TraversalAction::DoChildren(()),
        |s, states, _| {
            with_fractional_scale(states, |fs| fs.set_preferred_scale(scale.fractional_scale()));
            smithay::wayland::compositor::send_surface_state(
                s,
                states,
                scale.integer_scale(),
                output.current_transform(),
            );
        },
        |_, _, _| true,
    );
}
