//! Layer surfaces (panel, launcher): arranged per output; their exclusive zones shrink the
//! usable area that windows are placed and maximised in.

use smithay::desktop::{layer_map_for_output, WindowSurfaceType};
use smithay::output::Output;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Point};
use smithay::wayland::compositor::with_states;
use smithay::wayland::shell::wlr_layer::{KeyboardInteractivity, LayerSurfaceData};

use crate::state::Canopy;

impl Canopy {
    pub fn layer_commit(&mut self, surface: &WlSurface) {
        let outputs = self.outputs.clone();
        for output in outputs {
            let mut map = layer_map_for_output(&output);
            let Some(layer) = map.layer_for_surface(surface, WindowSurfaceType::TOPLEVEL).cloned() else { continue };
            let before = map.non_exclusive_zone();
            map.arrange();
            let initial_sent = with_states(surface, |states| {
                states
                    .data_map
                    .get::<LayerSurfaceData>()
                    .map(|d| d.lock().unwrap().initial_configure_sent)
                    .unwrap_or(true)
            });
            if !initial_sent {
                layer.layer_surface().send_configure();
            }
            let after = map.non_exclusive_zone();
            let wants_keyboard = layer.cached_state().keyboard_interactivity == KeyboardInteractivity::Exclusive;
            drop(map);
            if before != after {
                self.usable_area_changed(&output);
            }
            if wants_keyboard && initial_sent && !self.lock.is_locked() {
                let focused = self.seat.get_keyboard().and_then(|k| k.current_focus());
                if focused.as_ref() != Some(surface) {
                    self.set_keyboard_focus(Some(surface.clone()));
                }
            }
            return;
        }
    }

    pub fn usable_area_changed(&mut self, output: &Output) {
        layer_map_for_output(output).arrange();
        self.refit_windows(output);
        self.queue_redraw(output);
    }

    /// The output and global location of a layer surface.
    pub fn layer_location(&self, surface: &WlSurface) -> Option<(Output, Point<i32, Logical>)> {
        for output in &self.outputs {
            let map = layer_map_for_output(output);
            if let Some(layer) = map.layer_for_surface(surface, WindowSurfaceType::TOPLEVEL) {
                let geo = map.layer_geometry(layer)?;
                let out = self.space.output_geometry(output)?;
                return Some((output.clone(), out.loc + geo.loc));
            }
        }
        None
    }
}
