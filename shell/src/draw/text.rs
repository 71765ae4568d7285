//! Painting the scene's text items with canopy-text: labels, window titles and text fields,
//! each vertically centred in its rectangle and clipped to it and to the repainted region.

use canopy_text::{Clip, Fonts, Weight};
use tiny_skia::Pixmap;

use super::geometry::{IntRect, Rect};
use super::scene::{Align, Field, Text, Title};

/// The baseline of a line of `weight` at `px` centred in `r` (device pixels).
fn baseline(fonts: &Fonts, weight: Weight, px: f32, r: Rect) -> f32 {
    let (ascent, descent) = fonts.metrics(weight, px);
    r.y + (r.h - (ascent + descent)) / 2.0 + ascent
}

fn clip(r: Rect, region: IntRect) -> Clip {
    let c =
        IntRect::new(r.x.round() as i32, r.y.round() as i32, r.w.round() as i32, r.h.round() as i32).intersect(&region);
    Clip::new(c.x, c.y, c.x + c.w, c.y + c.h)
}

/// A label: shortened with an ellipsis at its logical end when wider than `r`.
pub fn label(fonts: &Fonts, t: &Text, r: Rect, scale: f32, region: IntRect, target: &mut Pixmap) {
    let px = t.size * scale;
    let line = fonts.fit(&t.text, t.weight, px, r.w);
    let x = match t.align {
        Align::Start => r.x,
        Align::Centre => r.x + (r.w - line.width) / 2.0,
        Align::End => r.right() - line.width,
    };
    let b = baseline(fonts, t.weight, px, r);
    fonts.draw(&mut target.as_mut(), &line, t.weight, px, x, b, t.colour, clip(r, region));
}

/// A window title: the `[vm]` prefix at the left edge, whatever the title holds.
pub fn title(fonts: &Fonts, t: &Title, r: Rect, scale: f32, region: IntRect, target: &mut Pixmap) {
    let px = t.size * scale;
    let line = fonts.title(t.vm.as_deref(), &t.title, t.weight, px, r.w);
    let b = baseline(fonts, t.weight, px, r);
    fonts.draw_title(&mut target.as_mut(), &line, r.x, b, t.colour, clip(r, region));
}

/// A text field: the whole text on one line, aligned as it reads (a right-to-left text from
/// the right), scrolled so that the caret is in view, and the caret where it stands.
pub fn field(fonts: &Fonts, f: &Field, r: Rect, scale: f32, region: IntRect, target: &mut Pixmap) {
    let px = f.size * scale;
    let line = fonts.line(&f.text, f.weight, px);
    let caret_w = (2.0 * scale).round().max(1.0);
    let caret = f.caret.map(|c| line.caret_x(c.min(f.text.len())));
    let room = r.w - caret_w;
    let mut x = if line.rtl { r.right() - caret_w - line.width } else { r.x };
    if let Some(cx) = caret {
        // Keep the caret inside the field: scroll the text by as much as it stands out.
        if x + cx > r.x + room {
            x = r.x + room - cx;
        } else if x + cx < r.x {
            x = r.x - cx;
        }
    }
    let b = baseline(fonts, f.weight, px, r);
    let c = clip(r, region);
    fonts.draw(&mut target.as_mut(), &line, f.weight, px, x, b, f.colour, c);
    if let Some(cx) = caret {
        let h = (f.size * 1.35 * scale).round();
        let (x0, y0) = ((x + cx).round().clamp(r.x, r.x + room) as i32, (r.y + (r.h - h) / 2.0).round() as i32);
        let bar = IntRect::new(x0, y0, caret_w as i32, h as i32).intersect(&IntRect::new(
            c.x0,
            c.y0,
            c.x1 - c.x0,
            c.y1 - c.y0,
        ));
        fill(target, bar, f.caret_colour);
    }
}

fn fill(target: &mut Pixmap, r: IntRect, c: canopy_themes::Rgba) {
    if let Some(rect) = tiny_skia::Rect::from_xywh(r.x as f32, r.y as f32, r.w as f32, r.h as f32) {
        let mut paint = tiny_skia::Paint::default();
        paint.set_color(super::paint::sk_colour(c));
        paint.anti_alias = false;
        target.fill_rect(rect, &paint, tiny_skia::Transform::identity(), None);
    }
}
