//! The default pointer image, drawn once with tiny-skia (no cursor theme is needed).

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::element::memory::MemoryRenderBuffer;
use smithay::utils::Transform;
use tiny_skia::{Color, FillRule, Paint, PathBuilder, Pixmap, Stroke, Transform as Tf};

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
