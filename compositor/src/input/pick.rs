//! What is under a point: a client surface to give the pointer to, the window it belongs to,
//! and whether the point is on that window's decorations.

use smithay::desktop::{layer_map_for_output, LayerSurface, WindowSurfaceType};
use smithay::input::pointer::CursorIcon;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Logical, Point, Rectangle};
use smithay::wayland::shell::wlr_layer::Layer;

use crate::decorations::{edge_cursor, hit_test, DecorationHit};
use crate::state::Canopy;
use crate::wm::window::WindowElement;

#[derive(Debug, Default, Clone)]
pub struct Pick {
    /// The client surface that gets pointer events, and its origin in global coordinates.
    pub surface: Option<(WlSurface, Point<f64, Logical>)>,
    pub window: Option<WindowElement>,
    pub decoration: Option<DecorationHit>,
    pub layer: Option<LayerSurface>,
}

impl Pick {
    /// The compositor's pointer shape here: over a window's frame, the resize shape of its edge
    /// or corner, else the arrow; none over a client's surface or the desktop.
    pub fn frame_cursor(&self) -> Option<CursorIcon> {
        if self.surface.is_some() || self.window.is_none() {
            return None;
        }
        Some(match self.decoration {
            Some(DecorationHit::Edge(edge)) => edge_cursor(edge),
            _ => CursorIcon::Default,
        })
    }
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
        // A notice with a button is the compositor's: no client gets the pointer over it.
        if self.notice_at(pos).is_some() {
            return Pick::default();
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
        // The top window of this output, if fullscreen, is above the panel; one under another
        // window (it lost focus) is not (as drawn).
        let top = self.windows.stacked().rev().find(|w| self.frame_rect(w).is_some_and(|f| f.overlaps(output_geo)));
        if let Some(w) = top.filter(|w| w.data.state.borrow().mode.is_fullscreen()) {
            if let Some(p) = self.pick_window(w, pos, output_geo) {
                return p;
            }
        }
        if let Some(p) = layer_pick(Layer::Top) {
            return p;
        }
        if let Some(w) = self.window_under(pos) {
            if let Some(p) = self.pick_window(&w, pos, output_geo) {
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

    /// The top-most shown window under `pos`: a VM's whole frame is its own (its content is
    /// drawn opaque there), a local window's decorations and input region are.
    fn window_under(&self, pos: Point<f64, Logical>) -> Option<WindowElement> {
        self.space
            .elements()
            .rev()
            .find(|w| {
                let Some(bbox) = self.bbox_of(w) else { return false };
                if !bbox.to_f64().contains(pos) {
                    return false;
                }
                let layout = w.layout(w.data.loc.get(), &self.config.theme);
                let in_frame = layout.frame.to_f64().contains(pos);
                if in_frame && (w.is_sandboxed() || !layout.inner.to_f64().contains(pos)) {
                    return true;
                }
                let kinds = if w.is_sandboxed() { WindowSurfaceType::POPUP } else { WindowSurfaceType::ALL };
                w.window
                    .surface_under(pos - layout.surface_origin.to_f64(), kinds)
                    .is_some_and(|(s, loc)| !w.is_sandboxed() || popup_contains(&s, loc + layout.surface_origin, pos))
            })
            .cloned()
    }

    fn pick_window(
        &self,
        w: &WindowElement,
        pos: Point<f64, Logical>,
        output_geo: Rectangle<i32, Logical>,
    ) -> Option<Pick> {
        let layout = w.layout(self.location(w)?, &self.config.theme);
        let insets = w.insets(&self.config.theme);
        // Along the edge of an output a VM window crosses, its frame colour is drawn instead
        // of its content (`decorations::layout::guard`): that band is frame, for input too.
        let band = insets.left.min(insets.right).min(insets.bottom);
        let inner = Rectangle::new(
            output_geo.loc + Point::from((band, band)),
            (output_geo.size.w - 2 * band, output_geo.size.h - 2 * band).into(),
        );
        if w.is_sandboxed() && !inner.to_f64().contains(pos) {
            let hit = hit_test(
                pos - layout.frame.loc.to_f64(),
                layout.frame.size,
                &insets,
                self.config.theme.decoration.corner_size as i32,
            );
            return Some(Pick { window: Some(w.clone()), decoration: hit, ..Default::default() });
        }
        let surface_origin = layout.surface_origin;
        // Popups first: they may lie over the decorations. A VM's own surfaces take input only
        // inside its window geometry as shown, as that is all of them that is drawn.
        let in_client = layout.content.to_f64().contains(pos);
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
        let hit = hit_test(
            pos - layout.frame.loc.to_f64(),
            layout.frame.size,
            &insets,
            self.config.theme.decoration.corner_size as i32,
        );
        // Inside a VM's frame where it has no surface (black around small fullscreen content):
        // still this window, so nothing hidden behind it gets the click.
        if hit.is_none() && !(w.is_sandboxed() && layout.frame.to_f64().contains(pos)) {
            return None;
        }
        Some(Pick { window: Some(w.clone()), decoration: hit, ..Default::default() })
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
