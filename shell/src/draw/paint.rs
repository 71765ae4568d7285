//! Painting scene items into tiny-skia pixmaps at a device scale.
//!
//! Every item paints only inside its own rectangle, so a damaged region is repainted by
//! painting, in order, just the items that intersect it. The region is cut out with a mask
//! over the whole image rather than by painting into a smaller pixmap: tiny-skia anti-aliases
//! a shape that crosses a pixmap's edge slightly differently from the same shape inside it,
//! and a surface must look the same whatever sequence of changes led to it.

use canopy_common::image::RgbaImage;
use canopy_themes::Rgba;
use tiny_skia::{FillRule, Mask, Paint as SkPaint, PathBuilder, Pixmap, PixmapPaint, Stroke, Transform};

use super::geometry::{IntRect, Rect};
use super::icons::Icons;
use super::scene::{Item, Paint, Scene};
use super::text;
use canopy_text::Fonts;

/// What painting needs besides the scene: fonts and icons (both cache what they render).
pub struct Painter<'a> {
    pub fonts: &'a Fonts,
    pub icons: &'a Icons,
}

pub fn sk_colour(c: Rgba) -> tiny_skia::Color {
    tiny_skia::Color::from_rgba8(c.r, c.g, c.b, c.a)
}

impl Painter<'_> {
    /// Repaints the part `region` (device pixels) of `scene` at `scale` in `target`, an image
    /// of the whole surface; nothing outside the region changes.
    pub fn paint_region(&self, scene: &Scene, scale: f32, region: IntRect, target: &mut Pixmap) {
        let full = IntRect::new(0, 0, target.width() as i32, target.height() as i32);
        let region = region.intersect(&full);
        if region.is_empty() {
            return;
        }
        let mut mask = Mask::new(target.width(), target.height()).expect("non-empty image");
        let w = target.width() as usize;
        for y in region.y as usize..(region.y + region.h) as usize {
            mask.data_mut()[y * w + region.x as usize..y * w + (region.x + region.w) as usize].fill(255);
        }
        let rect = tiny_skia::Rect::from_xywh(region.x as f32, region.y as f32, region.w as f32, region.h as f32)
            .expect("non-empty region");
        let mut bg = solid(scene.background);
        bg.blend_mode = tiny_skia::BlendMode::Source;
        bg.anti_alias = false;
        target.fill_rect(rect, &bg, Transform::identity(), None);
        for item in &scene.items {
            if item.rect.to_device(scale).overlaps(&region) {
                self.paint_item(item, scale, region, &mask, target);
            }
        }
    }

    fn paint_item(&self, item: &Item, scale: f32, region: IntRect, mask: &Mask, target: &mut Pixmap) {
        let r = Rect::new(item.rect.x * scale, item.rect.y * scale, item.rect.w * scale, item.rect.h * scale);
        if r.is_empty() {
            return;
        }
        let id = Transform::identity();
        match &item.paint {
            Paint::Fill { colour, radius } => {
                if let Some(path) = rounded_rect(r, radius * scale) {
                    target.fill_path(&path, &solid(*colour), FillRule::Winding, id, Some(mask));
                }
            }
            Paint::Stroke { colour, width, radius } => {
                let w = width * scale;
                let inner = Rect::new(r.x + w / 2.0, r.y + w / 2.0, r.w - w, r.h - w);
                if let Some(path) = rounded_rect(inner, (radius * scale - w / 2.0).max(0.0)) {
                    let stroke = Stroke { width: w, ..Stroke::default() };
                    target.stroke_path(&path, &solid(*colour), &stroke, id, Some(mask));
                }
            }
            Paint::Text(t) => text::label(self.fonts, t, r, scale, region, target),
            Paint::Title(t) => text::title(self.fonts, t, r, scale, region, target),
            Paint::Field(f) => text::field(self.fonts, f, r, scale, region, target),
            Paint::Icon { name, tint } => {
                let px = (r.w.min(r.h)).floor().max(1.0) as u32;
                let icon = self.icons.render(name, px, *tint);
                let x = (r.x + (r.w - px as f32) / 2.0).round() as i32;
                let y = (r.y + (r.h - px as f32) / 2.0).round() as i32;
                target.draw_pixmap(x, y, (*icon).as_ref(), &PixmapPaint::default(), id, Some(mask));
            }
            Paint::Image(image) => paint_image(image, r, mask, target),
        }
    }
}

/// A straight-RGBA picture fitted into `r` (device pixels), smoothly scaled.
fn paint_image(image: &RgbaImage, r: Rect, mask: &Mask, target: &mut Pixmap) {
    let Some(mut pixmap) = Pixmap::new(image.width, image.height) else { return };
    if image.data.len() != pixmap.data().len() {
        return;
    }
    for (dst, src) in pixmap.data_mut().chunks_exact_mut(4).zip(image.data.chunks_exact(4)) {
        let a = src[3] as u32;
        let pre = |c: u8| ((c as u32 * a + 127) / 255) as u8;
        dst.copy_from_slice(&[pre(src[0]), pre(src[1]), pre(src[2]), src[3]]);
    }
    let s = (r.w / image.width as f32).min(r.h / image.height as f32);
    let (w, h) = (image.width as f32 * s, image.height as f32 * s);
    let t = Transform::from_row(s, 0.0, 0.0, s, (r.x + (r.w - w) / 2.0).round(), (r.y + (r.h - h) / 2.0).round());
    let paint = PixmapPaint { quality: tiny_skia::FilterQuality::Bilinear, ..PixmapPaint::default() };
    target.draw_pixmap(0, 0, pixmap.as_ref(), &paint, t, Some(mask));
}

fn solid(c: Rgba) -> SkPaint<'static> {
    let mut p = SkPaint::default();
    p.set_color(sk_colour(c));
    p.anti_alias = true;
    p
}

/// A rectangle path with circular corners of `radius` (clamped to half the shorter side).
pub fn rounded_rect(r: Rect, radius: f32) -> Option<tiny_skia::Path> {
    if r.is_empty() {
        return None;
    }
    let rad = radius.min(r.w / 2.0).min(r.h / 2.0).max(0.0);
    if rad < 0.01 {
        return Some(PathBuilder::from_rect(tiny_skia::Rect::from_xywh(r.x, r.y, r.w, r.h)?));
    }
    // Cubic approximation of a quarter circle.
    let k = rad * 0.552_284_8;
    let (x0, y0, x1, y1) = (r.x, r.y, r.right(), r.bottom());
    let mut pb = PathBuilder::new();
    pb.move_to(x0 + rad, y0);
    pb.line_to(x1 - rad, y0);
    pb.cubic_to(x1 - rad + k, y0, x1, y0 + rad - k, x1, y0 + rad);
    pb.line_to(x1, y1 - rad);
    pb.cubic_to(x1, y1 - rad + k, x1 - rad + k, y1, x1 - rad, y1);
    pb.line_to(x0 + rad, y1);
    pb.cubic_to(x0 + rad - k, y1, x0, y1 - rad + k, x0, y1 - rad);
    pb.line_to(x0, y0 + rad);
    pb.cubic_to(x0, y0 + rad - k, x0 + rad - k, y0, x0 + rad, y0);
    pb.close();
    pb.finish()
}
