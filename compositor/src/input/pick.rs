//! What is under a point: a client surface to give the pointer to, the window it belongs to,
//! and whether the point is on that window's decorations.

use smithay::desktop::{layer_map_for_output, LayerSurface, WindowSurfaceType};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Point, Rectangle};
use smithay::wayland::shell::wlr_layer::Layer;

use crate::decorations::{hit_test, DecorationHit};
use crate::shell::window::WindowElement;
use crate::state::Canopy;

#[derive(Debug, Default, Clone)]
pub struct Pick {
    /// The client surface that gets pointer events, and its origin in global coordinates.
    pub surface: Option<(WlSurface, Point<f64, Logical>)>,
    pub window: Option<WindowElement>,
    pub decoration: Option<DecorationHit>,
    pub layer: Option<LayerSurface>,
}

impl Canopy {
    pub fn pick(&self, pos: Point<f64, Logical>) -> Pick {
        let Some(output) = self.space.output_under(pos).next().cloned() else {
            return Pick::default();
        };
        let output_geo = self.space.output_geometry(&output).unwrap_or_default();
        if self.lock.is_locked() {
            let surface = self.lock.surface_for(&output).map(|s| (s.wl_surface().clone(), output_geo.loc.to_f64()));
            return Pick { surface, ..Default::default() };
        }
        let layers = layer_map_for_output(&output);
        let layer_pick = |layer: Layer| -> Option<Pick> {
            let local = pos - output_geo.loc.to_f64();
            let l = layers.layer_under(layer, local)?;
            let geo = layers.layer_geometry(l)?;
            let (s, loc) = l.surface_under(local - geo.loc.to_f64(), WindowSurfaceType::ALL)?;
            Some(Pick {
                surface: Some((s, (loc + geo.loc + output_geo.loc).to_f64())),
                layer: Some(l.clone()),
                ..Default::default()
            })
        };
        if let Some(p) = layer_pick(Layer::Overlay) {
            return p;
        }
        let fullscreen = self
            .space
            .elements()
            .rev()
            .find(|w| w.data.state.borrow().fullscreen && self.output_of_window(w).as_ref() == Some(&output));
        if let Some(w) = fullscreen {
            if let Some(p) = self.pick_window(w, pos, output_geo) {
                return p;
            }
        }
        if let Some(p) = layer_pick(Layer::Top) {
            return p;
        }
        if let Some((w, _)) = self.space.element_under(pos) {
            if let Some(p) = self.pick_window(w, pos, output_geo) {
                return p;
            }
        }
        for layer in [Layer::Bottom, Layer::Background] {
            if let Some(p) = layer_pick(layer) {
                return p;
            }
        }
        Pick::default()
    }

    fn pick_window(
        &self,
        w: &WindowElement,
        pos: Point<f64, Logical>,
        output_geo: Rectangle<i32, Logical>,
    ) -> Option<Pick> {
        let frame_loc = self.space.element_location(w)?;
        let insets = w.insets(&self.config.theme);
        // Along the edge of an output a VM window crosses, its frame colour is drawn instead
        // of its content (`decorations::layout::guard`): that band is frame, for input too.
        let band = insets.left.min(insets.right).min(insets.bottom);
        let inner = Rectangle::new(
            output_geo.loc + Point::from((band, band)),
            (output_geo.size.w - 2 * band, output_geo.size.h - 2 * band).into(),
        );
        if w.is_sandboxed() && !inner.to_f64().contains(pos) {
            let frame = insets.grow(w.client_geometry().size);
            let hit =
                hit_test(pos - frame_loc.to_f64(), frame, &insets, self.config.theme.decoration.corner_size as i32);
            return Some(Pick { window: Some(w.clone()), decoration: hit, ..Default::default() });
        }
        let client = w.client_geometry();
        let surface_origin = frame_loc + insets.offset() - client.loc;
        // Popups first: they may lie over the decorations. A VM's own surfaces take input only
        // inside its window geometry, as that is all of them that is drawn.
        let in_client = Rectangle::new(surface_origin + client.loc, client.size).to_f64().contains(pos);
        let kinds = if in_client || !w.is_sandboxed() {
            WindowSurfaceType::ALL
        } else {
            WindowSurfaceType::POPUP | WindowSurfaceType::SUBSURFACE
        };
        let under = w.window.surface_under(pos - surface_origin.to_f64(), kinds).filter(|(s, loc)| {
            // A popup's input is cut to its geometry too.
            !w.is_sandboxed() || in_client || popup_contains(s, *loc + surface_origin, pos)
        });
        if let Some((s, loc)) = under {
            return Some(Pick {
                surface: Some((s, (loc + surface_origin).to_f64())),
                window: Some(w.clone()),
                ..Default::default()
            });
        }
        let frame = insets.grow(client.size);
        let hit = hit_test(pos - frame_loc.to_f64(), frame, &insets, self.config.theme.decoration.corner_size as i32)?;
        Some(Pick { window: Some(w.clone()), decoration: Some(hit), ..Default::default() })
    }
}

/// Whether `pos` is inside the window geometry of the surface whose origin is `origin` (its
/// bounding box when it set none).
fn popup_contains(surface: &WlSurface, origin: Point<i32, Logical>, pos: Point<f64, Logical>) -> bool {
    let geo = smithay::wayland::compositor::with_states(surface, |states| {
        states.cached_state.get::<smithay::wayland::shell::xdg::SurfaceCachedState>().current().geometry
    });
    let geo = geo.unwrap_or_else(|| smithay::desktop::utils::bbox_from_surface_tree(surface, (0, 0)));
    Rectangle::new(origin + geo.loc, geo.size).to_f64().contains(pos)
}
