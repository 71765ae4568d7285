//! The pointer: canopy's own shapes (the arrow, the resize arrows of each frame edge and
//! corner, move), each drawn once with tiny-skia (no cursor theme is needed), and the rules for
//! showing a client's own image.

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::element::memory::MemoryRenderBuffer;
use smithay::desktop::utils::bbox_from_surface_tree;
use smithay::input::pointer::{CursorIcon, CursorImageStatus, CursorImageSurfaceData};
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::Resource;
use smithay::utils::{Logical, Point, Rectangle, Transform};
use smithay::wayland::compositor::with_states;
use tiny_skia::{Color, FillRule, Paint, PathBuilder, Pixmap, Stroke, Transform as Tf};

use crate::client::ClientState;
use crate::state::Canopy;

/// The shapes canopy draws; any other shape a client names shows as the arrow.
const SHAPES: [CursorIcon; 6] = [
    CursorIcon::Default,
    CursorIcon::EwResize,
    CursorIcon::NsResize,
    CursorIcon::NwseResize,
    CursorIcon::NeswResize,
    CursorIcon::Move,
];

thread_local! {
    static IMAGES: Vec<(MemoryRenderBuffer, Point<i32, Logical>)> = SHAPES.iter().map(|&s| draw(s)).collect();
}

/// The shape drawn for `icon`: a one-sided resize shows its axis's double arrow.
pub fn drawn_shape(icon: CursorIcon) -> CursorIcon {
    use CursorIcon as C;
    match icon {
        C::EResize | C::WResize | C::EwResize | C::ColResize => C::EwResize,
        C::NResize | C::SResize | C::NsResize | C::RowResize => C::NsResize,
        C::NwResize | C::SeResize | C::NwseResize => C::NwseResize,
        C::NeResize | C::SwResize | C::NeswResize => C::NeswResize,
        C::Move | C::AllScroll => C::Move,
        _ => C::Default,
    }
}

/// The image of `icon` and its hotspot.
pub fn shape_cursor(icon: CursorIcon) -> (MemoryRenderBuffer, Point<i32, Logical>) {
    let at = SHAPES.iter().position(|&s| s == drawn_shape(icon)).unwrap_or(0);
    IMAGES.with(|images| images[at].clone())
}

fn draw(icon: CursorIcon) -> (MemoryRenderBuffer, Point<i32, Logical>) {
    use CursorIcon as C;
    let angle = match icon {
        C::Default => return (draw_arrow(), Point::from((0, 0))),
        C::Move => return (draw_arrows(four_way(), 0.0), Point::from((12, 12))),
        C::NsResize => 90.0,
        C::NwseResize => 45.0,
        C::NeswResize => -45.0,
        _ => 0.0,
    };
    (draw_arrows(double_arrow(), angle), Point::from((12, 12)))
}

/// A horizontal double-headed arrow around (0, 0), 20 px long.
fn double_arrow() -> &'static [(f32, f32)] {
    &[(10., 0.), (5., -5.), (5., -1.5), (-5., -1.5), (-5., -5.), (-10., 0.), (-5., 5.), (-5., 1.5), (5., 1.5), (5., 5.)]
}

/// Arrows to all four sides around (0, 0).
fn four_way() -> &'static [(f32, f32)] {
    &[
        (10., 0.),
        (6., -4.),
        (6., -1.5),
        (1.5, -1.5),
        (1.5, -6.),
        (4., -6.),
        (0., -10.),
        (-4., -6.),
        (-1.5, -6.),
        (-1.5, -1.5),
        (-6., -1.5),
        (-6., -4.),
        (-10., 0.),
        (-6., 4.),
        (-6., 1.5),
        (-1.5, 1.5),
        (-1.5, 6.),
        (-4., 6.),
        (0., 10.),
        (4., 6.),
        (1.5, 6.),
        (1.5, 1.5),
        (6., 1.5),
        (6., 4.),
    ]
}

/// `points` turned by `angle` degrees and drawn dark with a white outline in a 24x24 image.
fn draw_arrows(points: &[(f32, f32)], angle: f32) -> MemoryRenderBuffer {
    let mut pb = PathBuilder::new();
    pb.move_to(points[0].0, points[0].1);
    for &(x, y) in &points[1..] {
        pb.line_to(x, y);
    }
    pb.close();
    let path = pb.finish().expect("arrow path");
    let mut pixmap = Pixmap::new(24, 24).expect("cursor size");
    let at = Tf::from_rotate(angle).post_translate(12.0, 12.0);
    paint_outlined(&mut pixmap, &path, at);
    MemoryRenderBuffer::from_slice(pixmap.data(), Fourcc::Abgr8888, (24, 24), 1, Transform::Normal, None)
}

fn paint_outlined(pixmap: &mut Pixmap, path: &tiny_skia::Path, at: Tf) {
    let mut paint = Paint { anti_alias: true, ..Paint::default() };
    paint.set_color(Color::from_rgba8(20, 20, 20, 255));
    pixmap.fill_path(path, &paint, FillRule::Winding, at, None);
    paint.set_color(Color::WHITE);
    pixmap.stroke_path(path, &paint, &Stroke { width: 1.2, ..Stroke::default() }, at, None);
}

/// The arrow shown when nothing else is; its hotspot is its top-left corner.
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
    paint_outlined(&mut pixmap, &path, Tf::identity());
    MemoryRenderBuffer::from_slice(pixmap.data(), Fourcc::Abgr8888, (16, 24), 1, Transform::Normal, None)
}

/// Where and how the pointer is drawn, decided by who set the cursor image.
#[derive(Debug, Clone)]
pub enum CursorDraw {
    Hidden,
    /// One of the compositor's shapes, above everything.
    Shape(CursorIcon),
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
    /// How to draw the pointer now. Over a frame and while moving or resizing a window, the
    /// compositor's shape for it. A VM's cursor shows only while the pointer is over that
    /// client's own surfaces, never while locked, only when it fits `vm_cursor_size` and its
    /// hotspot lies inside it; otherwise the compositor's arrow shows.
    pub fn cursor_draw(&self) -> CursorDraw {
        if let Some(icon) = self.frame_cursor {
            return CursorDraw::Shape(icon);
        }
        let surface = match &self.cursor_status {
            CursorImageStatus::Hidden => return CursorDraw::Hidden,
            // A shape a client names shows as the arrow (only canopy's own frame uses shapes).
            CursorImageStatus::Named(_) => return CursorDraw::Shape(CursorIcon::Default),
            CursorImageStatus::Surface(s) => s.clone(),
        };
        let hotspot = with_states(&surface, |states| {
            states.data_map.get::<CursorImageSurfaceData>().map(|d| d.lock().unwrap().hotspot).unwrap_or_default()
        });
        let Ok(client) = self.display_handle.get_client(surface.id()) else {
            return CursorDraw::Shape(CursorIcon::Default);
        };
        let Some(vm) = client.get_data::<ClientState>().and_then(|c| c.vm()) else {
            return CursorDraw::OnTop { surface, hotspot };
        };
        if self.lock.is_locked() {
            return CursorDraw::Shape(CursorIcon::Default);
        }
        let size = bbox_from_surface_tree(&surface, (0, 0)).size;
        let max = self.config.vm_cursor_size as i32;
        if size.w > max || size.h > max {
            self.violations.report(&vm, "cursor size", || {
                format!("cursor of {}x{} (limit {max}x{max}) replaced by the default arrow", size.w, size.h)
            });
            return CursorDraw::Shape(CursorIcon::Default);
        }
        if hotspot.x < 0 || hotspot.y < 0 || hotspot.x >= size.w.max(1) || hotspot.y >= size.h.max(1) {
            self.violations.report(&vm, "cursor hotspot", || {
                format!(
                    "cursor hotspot ({}, {}) outside its {}x{} image: default arrow shown",
                    hotspot.x, hotspot.y, size.w, size.h
                )
            });
            return CursorDraw::Shape(CursorIcon::Default);
        }
        // Over one of this client's surfaces (not its frame, not another client's window).
        let pick = self.pick(self.pointer_location());
        let (Some(w), Some((under, _))) = (pick.window, pick.surface) else {
            return CursorDraw::Shape(CursorIcon::Default);
        };
        if !under.id().same_client_as(&surface.id()) {
            return CursorDraw::Shape(CursorIcon::Default);
        }
        let Some(loc) = self.location(&w) else { return CursorDraw::Shape(CursorIcon::Default) };
        let layout = w.layout(loc, &self.config.theme);
        let clip = match self.popups.find_popup(&under) {
            Some(popup) => self.popup_rect(&w, &popup).unwrap_or(layout.content),
            None => layout.content,
        };
        CursorDraw::InWindow { window: w.id(), surface, hotspot, clip }
    }
}
