//! The pointer: the default image, drawn once with tiny-skia (no cursor theme is needed), and
//! the rules for showing a client's own image.

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::element::memory::MemoryRenderBuffer;
use smithay::desktop::utils::bbox_from_surface_tree;
use smithay::input::pointer::{CursorImageStatus, CursorImageSurfaceData};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::Resource;
use smithay::utils::{Logical, Point, Rectangle, Transform};
use smithay::wayland::compositor::with_states;
use tiny_skia::{Color, FillRule, Paint, PathBuilder, Pixmap, Stroke, Transform as Tf};

use crate::client::ClientState;
use crate::state::Canopy;

thread_local! {
    static DEFAULT: MemoryRenderBuffer = draw_arrow();
}

/// The arrow shown when no client sets a cursor; its hotspot is its top-left corner.
pub fn default_cursor() -> MemoryRenderBuffer {
    DEFAULT.with(|b| b.clone())
}

fn draw_arrow() -> MemoryRenderBuffer {
    let mut pixmap = Pixmap::new(16, 24).expect("cursor size");
    let mut pb = PathBuilder::new();
    pb.move_to(1.0, 1.0);
    pb.line_to(1.0, 18.0);
    pb.line_to(5.5, 14.0);
    pb.line_to(8.5, 21.0);
    pb.line_to(11.0, 20.0);
    pb.line_to(8.0, 13.0);
    pb.line_to(13.5, 13.0);
    pb.close();
    let path = pb.finish().expect("arrow path");
    let mut paint = Paint { anti_alias: true, ..Paint::default() };
    paint.set_color(Color::from_rgba8(20, 20, 20, 255));
    pixmap.fill_path(&path, &paint, FillRule::Winding, Tf::identity(), None);
    paint.set_color(Color::WHITE);
    pixmap.stroke_path(&path, &paint, &Stroke { width: 1.2, ..Stroke::default() }, Tf::identity(), None);
    MemoryRenderBuffer::from_slice(pixmap.data(), Fourcc::Abgr8888, (16, 24), 1, Transform::Normal, None)
}

/// Where and how the pointer is drawn, decided by who set the cursor image.
#[derive(Debug, Clone)]
pub enum CursorDraw {
    Hidden,
    /// The compositor's arrow, above everything.
    Default,
    /// A local client's image, above everything.
    OnTop {
        surface: WlSurface,
        hotspot: Point<i32, Logical>,
    },
    /// A VM's image: drawn in its window's place in the stack (so windows above it and the
    /// panel cover it) and cut to the surface under the pointer (`clip`, global).
    InWindow {
        window: u64,
        surface: WlSurface,
        hotspot: Point<i32, Logical>,
        clip: Rectangle<i32, Logical>,
    },
}

impl Canopy {
    /// How to draw the pointer now. A VM's cursor shows only while the pointer is over that
    /// client's own surfaces, never while locked, only when it fits `vm_cursor_size` and its
    /// hotspot lies inside it; otherwise the compositor's arrow shows.
    pub fn cursor_draw(&self) -> CursorDraw {
        let surface = match &self.cursor_status {
            CursorImageStatus::Hidden => return CursorDraw::Hidden,
            CursorImageStatus::Named(_) => return CursorDraw::Default,
            CursorImageStatus::Surface(s) => s.clone(),
        };
        let hotspot = with_states(&surface, |states| {
            states.data_map.get::<CursorImageSurfaceData>().map(|d| d.lock().unwrap().hotspot).unwrap_or_default()
        });
        let Ok(client) = self.display_handle.get_client(surface.id()) else { return CursorDraw::Default };
        let Some(vm) = client.get_data::<ClientState>().and_then(|c| c.vm()) else {
            return CursorDraw::OnTop { surface, hotspot };
        };
        if self.lock.is_locked() {
            return CursorDraw::Default;
        }
        let size = bbox_from_surface_tree(&surface, (0, 0)).size;
        let max = self.config.vm_cursor_size as i32;
        if size.w > max || size.h > max {
            self.violations.report(&vm, "cursor size", || {
                format!("cursor of {}x{} (limit {max}x{max}) replaced by the default arrow", size.w, size.h)
            });
            return CursorDraw::Default;
        }
        if hotspot.x < 0 || hotspot.y < 0 || hotspot.x >= size.w.max(1) || hotspot.y >= size.h.max(1) {
            self.violations.report(&vm, "cursor hotspot", || {
                format!(
                    "cursor hotspot ({}, {}) outside its {}x{} image: default arrow shown",
                    hotspot.x, hotspot.y, size.w, size.h
                )
            });
            return CursorDraw::Default;
        }
        // Over one of this client's surfaces (not its frame, not another client's window).
        let pick = self.pick(self.pointer_location());
        let (Some(w), Some((under, _))) = (pick.window, pick.surface) else { return CursorDraw::Default };
        if !under.id().same_client_as(&surface.id()) {
            return CursorDraw::Default;
        }
        let Some(loc) = self.location(&w) else { return CursorDraw::Default };
        let layout = w.layout(loc, &self.config.theme);
        let clip = match self.popups.find_popup(&under) {
            Some(popup) => self.popup_rect(&w, &popup).unwrap_or(layout.content),
            None => layout.content,
        };
        CursorDraw::InWindow { window: w.id(), surface, hotspot, clip }
    }
}
