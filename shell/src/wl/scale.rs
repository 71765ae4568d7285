//! Scale: the integer scale of a surface's output (wl_surface.preferred_buffer_scale through
//! the toolkit's compositor handler) and the fractional one (wp_fractional_scale_v1 drawn
//! through a wp_viewport). A change marks the surface for a redraw at the new density.

use smithay_client_toolkit::compositor::CompositorHandler;
use smithay_client_toolkit::dispatch2::Dispatch2;
use wayland_client::protocol::{wl_output, wl_surface};
use wayland_client::{Connection, QueueHandle};
use wayland_protocols::wp::fractional_scale::v1::client::{wp_fractional_scale_manager_v1, wp_fractional_scale_v1};
use wayland_protocols::wp::viewporter::client::{wp_viewport, wp_viewporter};

use super::api::Shell;
use super::app::App;

impl<A: App> CompositorHandler for Shell<A> {
    fn scale_factor_changed(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        surface: &wl_surface::WlSurface,
        factor: i32,
    ) {
        if let Some(i) = self.core.surface_index(surface) {
            let s = &mut self.core.surfaces[i];
            if s.int_scale != factor {
                s.int_scale = factor.max(1);
                s.dirty = true;
            }
        }
    }

    fn transform_changed(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_surface::WlSurface,
        _: wl_output::Transform,
    ) {
    }

    fn frame(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &wl_surface::WlSurface, _: u32) {}

    fn surface_enter(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_surface::WlSurface,
        _: &wl_output::WlOutput,
    ) {
    }

    fn surface_leave(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_surface::WlSurface,
        _: &wl_output::WlOutput,
    ) {
    }
}

/// User data of objects that send no events we act on.
pub struct NoEvents;

impl<A: App> Dispatch2<wp_fractional_scale_manager_v1::WpFractionalScaleManagerV1, Shell<A>> for NoEvents {
    fn event(
        &self,
        _: &mut Shell<A>,
        _: &wp_fractional_scale_manager_v1::WpFractionalScaleManagerV1,
        _: wp_fractional_scale_manager_v1::Event,
        _: &Connection,
        _: &QueueHandle<Shell<A>>,
    ) {
    }
}

impl<A: App> Dispatch2<wp_viewporter::WpViewporter, Shell<A>> for NoEvents {
    fn event(
        &self,
        _: &mut Shell<A>,
        _: &wp_viewporter::WpViewporter,
        _: wp_viewporter::Event,
        _: &Connection,
        _: &QueueHandle<Shell<A>>,
    ) {
    }
}

impl<A: App> Dispatch2<wp_viewport::WpViewport, Shell<A>> for NoEvents {
    fn event(
        &self,
        _: &mut Shell<A>,
        _: &wp_viewport::WpViewport,
        _: wp_viewport::Event,
        _: &Connection,
        _: &QueueHandle<Shell<A>>,
    ) {
    }
}

/// The surface a wp_fractional_scale_v1 reports for.
pub struct FractionalData(pub(super) wl_surface::WlSurface);

impl<A: App> Dispatch2<wp_fractional_scale_v1::WpFractionalScaleV1, Shell<A>> for FractionalData {
    fn event(
        &self,
        state: &mut Shell<A>,
        _: &wp_fractional_scale_v1::WpFractionalScaleV1,
        event: wp_fractional_scale_v1::Event,
        _: &Connection,
        _: &QueueHandle<Shell<A>>,
    ) {
        if let wp_fractional_scale_v1::Event::PreferredScale { scale } = event {
            if let Some(i) = state.core.surface_index(&self.0) {
                let s = &mut state.core.surfaces[i];
                if s.fractional != Some(scale) {
                    s.fractional = Some(scale);
                    s.dirty = true;
                }
            }
        }
    }
}
