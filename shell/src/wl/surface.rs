//! One surface of a shell program (a layer-shell or session-lock surface) and what it shows:
//! its size and scale, its renderer and buffers, its hit areas and hover.

use smithay_client_toolkit::session_lock::SessionLockSurface;
use smithay_client_toolkit::shell::wlr_layer::LayerSurface;
use smithay_client_toolkit::shell::WaylandSurface;
use wayland_client::protocol::{wl_output, wl_surface};
use wayland_protocols::wp::fractional_scale::v1::client::wp_fractional_scale_v1;
use wayland_protocols::wp::viewporter::client::wp_viewport;

use super::buffers::Buffers;
use super::scroll::ScrollSteps;
use crate::draw::Renderer;

pub(super) enum Role {
    Layer(LayerSurface),
    Lock(SessionLockSurface),
}

impl Role {
    pub(super) fn wl_surface(&self) -> &wl_surface::WlSurface {
        match self {
            Role::Layer(l) => l.wl_surface(),
            Role::Lock(l) => l.wl_surface(),
        }
    }
}

/// One surface of the program and what it currently shows.
pub(super) struct Surface<Act> {
    pub(super) role: Role,
    /// A menu the program opened over an output ([`Core::open_menu`](super::Core::open_menu)), not one of its placed
    /// surfaces.
    pub(super) menu: bool,
    pub(super) output: Option<wl_output::WlOutput>,
    /// Logical size, known after the first configure.
    pub(super) size: Option<(u32, u32)>,
    /// Integer scale from the output, used when there is no fractional scale.
    pub(super) int_scale: i32,
    /// Preferred scale in 120ths from wp_fractional_scale_v1.
    pub(super) fractional: Option<u32>,
    pub(super) fractional_obj: Option<wp_fractional_scale_v1::WpFractionalScaleV1>,
    pub(super) viewport: Option<wp_viewport::WpViewport>,
    pub(super) renderer: Renderer,
    pub(super) buffers: Buffers,
    pub(super) hits: Vec<(crate::draw::Rect, Act)>,
    pub(super) pointer: Option<(f64, f64)>,
    pub(super) hovered: Option<Act>,
    pub(super) scroll: ScrollSteps,
    pub(super) dirty: bool,
}

impl<Act: Clone + PartialEq> Surface<Act> {
    pub(super) fn scale(&self) -> f32 {
        match self.fractional {
            Some(s) if self.viewport.is_some() => s as f32 / 120.0,
            _ => self.int_scale as f32,
        }
    }

    pub(super) fn action_at(&self, x: f64, y: f64) -> Option<Act> {
        self.hits.iter().rev().find(|(r, _)| r.contains(x, y)).map(|(_, a)| a.clone())
    }
}

impl<Act> Drop for Surface<Act> {
    fn drop(&mut self) {
        if let Some(f) = self.fractional_obj.take() {
            f.destroy();
        }
        if let Some(v) = self.viewport.take() {
            v.destroy();
        }
    }
}
