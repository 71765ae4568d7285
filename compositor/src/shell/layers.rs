//! Layer surfaces (panel, launcher): arranged per output; their exclusive zones shrink the
//! usable area that windows are placed and maximised in; their keyboard interactivity decides
//! when they hold the keyboard.

use std::cell::Cell;

use smithay::desktop::{layer_map_for_output, LayerSurface, WindowSurfaceType};
use smithay::output::Output;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Point};
use smithay::wayland::compositor::with_states;
use smithay::wayland::shell::wlr_layer::{KeyboardInteractivity, Layer, LayerSurfaceData};

use crate::state::Canopy;

/// Whether a layer surface had a buffer at its last commit, to notice when it appears.
struct LayerShown(Cell<bool>);

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
            drop(map);
            if before != after {
                self.usable_area_changed(&output);
            }
            self.layer_keyboard(&layer);
            return;
        }
    }

    /// Keyboard focus after a layer surface's commit, as wlr-layer-shell asks: an exclusive one
    /// takes the keyboard; an on-demand one on the top or overlay layer takes it when it appears;
    /// one that gives up keyboard interactivity, or its buffer, hands it back.
    fn layer_keyboard(&mut self, layer: &LayerSurface) {
        if self.lock.is_locked() {
            return;
        }
        let surface = layer.wl_surface();
        let mapped = super::has_buffer(surface);
        let newly_mapped = with_states(surface, |states| {
            states.data_map.insert_if_missing(|| LayerShown(Cell::new(false)));
            let shown = states.data_map.get::<LayerShown>().expect("just inserted");
            mapped && !shown.0.replace(mapped)
        });
        let focused = self.seat.get_keyboard().and_then(|k| k.current_focus()).as_ref() == Some(surface);
        let on_top = matches!(layer.layer(), Layer::Top | Layer::Overlay);
        match layer.cached_state().keyboard_interactivity {
            KeyboardInteractivity::Exclusive if mapped && !focused => self.set_keyboard_focus(Some(surface.clone())),
            KeyboardInteractivity::OnDemand if newly_mapped && on_top => self.set_keyboard_focus(Some(surface.clone())),
            KeyboardInteractivity::None if focused => self.keyboard_back_to_window(),
            _ if focused && !mapped => self.keyboard_back_to_window(),
            _ => {}
        }
    }

    fn keyboard_back_to_window(&mut self) {
        match self.focused_window() {
            Some(w) => self.set_focus_raw(Some(&w)),
            None => self.focus_top_window(),
        }
    }

    /// The layer surface that holds the keyboard exclusively: the top-most shown one on the top
    /// or overlay layer that asks for exclusive keyboard interactivity.
    pub fn exclusive_keyboard_layer(&self) -> Option<WlSurface> {
        for kind in [Layer::Overlay, Layer::Top] {
            for output in &self.outputs {
                let map = layer_map_for_output(output);
                let found = map.layers_on(kind).rev().find(|l| {
                    l.cached_state().keyboard_interactivity == KeyboardInteractivity::Exclusive
                        && super::has_buffer(l.wl_surface())
                });
                if let Some(l) = found {
                    return Some(l.wl_surface().clone());
                }
            }
        }
        None
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
