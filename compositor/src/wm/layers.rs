//! Layer surfaces (panel, launcher): arranged per output; their exclusive zones shrink the
//! usable area that windows are placed and maximised in; their keyboard interactivity decides
//! when they hold the keyboard.

use std::cell::Cell;

use smithay::desktop::{layer_map_for_output, LayerSurface, WindowSurfaceType};
use smithay::output::Output;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Point, Rectangle};
use smithay::wayland::compositor::with_states;
use smithay::wayland::shell::wlr_layer::{Anchor, ExclusiveZone, KeyboardInteractivity, Layer, LayerSurfaceData};

use super::focus::FocusChange;
use crate::state::Canopy;

/// Whether a layer surface had a buffer at its last commit, to notice when it appears.
struct LayerShown(Cell<bool>);

/// The usable zone windows were last fitted to on an output, to notice when a layer commit
/// changes it.
struct LastZone(Cell<Option<Rectangle<i32, Logical>>>);

fn last_zone(output: &Output) -> &Cell<Option<Rectangle<i32, Logical>>> {
    &output.user_data().get_or_insert(|| LastZone(Cell::new(None))).0
}

/// The edge whose exclusive zone a surface with this anchoring claims. wlr-layer-shell gives
/// one only to a surface anchored to one edge, or to an edge and both perpendicular ones; a
/// corner, two parallel edges or all four claim nothing (smithay's LayerMap takes one from
/// them too, which would shrink maximised windows for a corner popup).
pub fn exclusive_edge(anchor: Anchor) -> Option<Anchor> {
    let across = |edge: Anchor| {
        if edge.intersects(Anchor::TOP | Anchor::BOTTOM) {
            Anchor::LEFT | Anchor::RIGHT
        } else {
            Anchor::TOP | Anchor::BOTTOM
        }
    };
    [Anchor::TOP, Anchor::BOTTOM, Anchor::LEFT, Anchor::RIGHT]
        .into_iter()
        .find(|&edge| anchor == edge || anchor == edge | across(edge))
}

impl Canopy {
    pub fn layer_commit(&mut self, surface: &WlSurface) {
        let outputs = self.outputs.clone();
        for output in outputs {
            let mut map = layer_map_for_output(&output);
            let Some(layer) = map.layer_for_surface(surface, WindowSurfaceType::TOPLEVEL).cloned() else { continue };
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
            drop(map);
            if last_zone(&output).get() != Some(self.usable_zone(&output)) {
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
        let exclusive = self.exclusive_keyboard_layer();
        self.focus(FocusChange::Exclusive(exclusive));
        let surface = layer.wl_surface();
        let mapped = super::has_buffer(surface);
        let newly_mapped = with_states(surface, |states| {
            states.data_map.insert_if_missing(|| LayerShown(Cell::new(false)));
            let shown = states.data_map.get::<LayerShown>().expect("just inserted");
            mapped && !shown.0.replace(mapped)
        });
        let on_top = matches!(layer.layer(), Layer::Top | Layer::Overlay);
        match layer.cached_state().keyboard_interactivity {
            KeyboardInteractivity::OnDemand if newly_mapped && on_top => {
                self.focus(FocusChange::Layer(surface.clone()));
            }
            KeyboardInteractivity::None => {
                self.focus(FocusChange::LayerGone(surface.clone()));
            }
            _ if !mapped => {
                self.focus(FocusChange::LayerGone(surface.clone()));
            }
            _ => {}
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

    /// The part of an output (in its own coordinates) that layer surfaces leave to windows:
    /// each exclusive zone, plus its margin on that edge, taken off in turn.
    pub fn usable_zone(&self, output: &Output) -> Rectangle<i32, Logical> {
        let size = self.space.output_geometry(output).map(|g| g.size).unwrap_or_default();
        let mut zone = Rectangle::from_size(size);
        for layer in layer_map_for_output(output).layers() {
            let state = layer.cached_state();
            let ExclusiveZone::Exclusive(amount) = state.exclusive_zone else { continue };
            let Some(edge) = exclusive_edge(state.anchor) else { continue };
            let m = state.margin;
            let take =
                |margin: i32, room: i32| (amount.min(i32::MAX as u32) as i32).saturating_add(margin).clamp(0, room);
            match edge {
                Anchor::TOP => {
                    let d = take(m.top, zone.size.h);
                    zone.loc.y += d;
                    zone.size.h -= d;
                }
                Anchor::BOTTOM => zone.size.h -= take(m.bottom, zone.size.h),
                Anchor::LEFT => {
                    let d = take(m.left, zone.size.w);
                    zone.loc.x += d;
                    zone.size.w -= d;
                }
                _ => zone.size.w -= take(m.right, zone.size.w),
            }
        }
        zone
    }

    pub fn usable_area_changed(&mut self, output: &Output) {
        layer_map_for_output(output).arrange();
        // Remembered here, where windows are fitted, so that every caller (a layer destroyed,
        // an output resized) keeps it true.
        last_zone(output).set(Some(self.usable_zone(output)));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_edge_or_an_edge_with_both_neighbours_claims_a_zone() {
        let (t, b, l, r) = (Anchor::TOP, Anchor::BOTTOM, Anchor::LEFT, Anchor::RIGHT);
        assert_eq!(exclusive_edge(t), Some(t));
        assert_eq!(exclusive_edge(t | l | r), Some(t));
        assert_eq!(exclusive_edge(b | l | r), Some(b));
        assert_eq!(exclusive_edge(l | t | b), Some(l));
        assert_eq!(exclusive_edge(r), Some(r));
        for none in [Anchor::empty(), t | l, b | r, t | b, l | r, t | b | l | r] {
            assert_eq!(exclusive_edge(none), None, "{none:?}");
        }
    }
}
