//! The title bar image: trust colour, `[vm]` and the title (laid out by canopy-text so that no
//! title can move the prefix), and minimise/maximise/close buttons.

use canopy_text::{Clip, Weight};
use tiny_skia::{Color, LineCap, Paint, PathBuilder, Pixmap, Rect, Stroke, Transform};

use super::{Button, Fonts};
use canopy_themes::Rgba;

pub struct TitleBarStyle {
    pub bg: Rgba,
    pub fg: Rgba,
    pub font_size: f32,
    pub hover: Option<Button>,
    pub maximized: bool,
}

fn colour(c: Rgba) -> Color {
    Color::from_rgba8(c.r, c.g, c.b, c.a)
}

/// Widest title bar image drawn; a wider window (a client can declare any geometry) gets this
/// image stretched, never an allocation it cannot have.
pub const MAX_TITLE_BAR_PIXELS: i32 = 8192;

/// Draws a title bar of `width`×`height` logical pixels at integer `scale`: `[vm]` (when the
/// window comes from a VM) at the left edge, then `title`. Returns premultiplied RGBA pixels
/// (tiny-skia's layout, DRM `Abgr8888`).
pub fn draw_title_bar(
    fonts: &Fonts,
    vm: Option<&str>,
    title: &str,
    width: i32,
    height: i32,
    scale: i32,
    style: &TitleBarStyle,
) -> Pixmap {
    let s = scale as f32;
    let pw = (width.saturating_mul(scale)).clamp(1, MAX_TITLE_BAR_PIXELS) as u32;
    let ph = (height * scale).clamp(1, 512) as u32;
    let mut pixmap = Pixmap::new(pw, ph).unwrap_or_else(|| Pixmap::new(1, 1).expect("1x1 pixmap"));
    pixmap.fill(colour(style.bg));

    // Buttons sit at the right, each a square as tall as the bar: [min][max][close].
    let size = height as f32 * s;
    let mut paint = Paint { anti_alias: true, ..Paint::default() };
    let stroke = Stroke { width: (1.5 * s).max(1.0), line_cap: LineCap::Round, ..Stroke::default() };
    for (i, button) in [Button::Close, Button::Maximize, Button::Minimize].into_iter().enumerate() {
        let x0 = pw as f32 - (i as f32 + 1.0) * size;
        if style.hover == Some(button) {
            let hover =
                if button == Button::Close { Rgba::rgb(0xd9, 0x30, 0x25) } else { style.fg.mix(style.bg, 0.75) };
            paint.set_color(colour(hover));
            if let Some(r) = Rect::from_xywh(x0, 0.0, size, size) {
                pixmap.fill_rect(r, &paint, Transform::identity(), None);
            }
        }
        paint.set_color(colour(style.fg));
        let c = size / 2.0;
        let g = size * 0.18; // half the glyph size
        let mut pb = PathBuilder::new();
        match button {
            Button::Close => {
                pb.move_to(x0 + c - g, c - g);
                pb.line_to(x0 + c + g, c + g);
                pb.move_to(x0 + c + g, c - g);
                pb.line_to(x0 + c - g, c + g);
            }
            Button::Maximize if style.maximized => {
                // Two overlapping squares: restore.
                let o = g * 0.45;
                pb.push_rect(Rect::from_xywh(x0 + c - g, c - g + o, 2.0 * g - o, 2.0 * g - o).expect("rect"));
                pb.move_to(x0 + c - g + o, c - g);
                pb.line_to(x0 + c + g, c - g);
                pb.line_to(x0 + c + g, c + g - o);
            }
            Button::Maximize => {
                pb.push_rect(Rect::from_xywh(x0 + c - g, c - g, 2.0 * g, 2.0 * g).expect("rect"));
            }
            Button::Minimize => {
                pb.move_to(x0 + c - g, c + g * 0.6);
                pb.line_to(x0 + c + g, c + g * 0.6);
            }
        }
        if let Some(path) = pb.finish() {
            pixmap.stroke_path(&path, &paint, &stroke, Transform::identity(), None);
        }
    }

    let px = style.font_size * s;
    let pad = 8.0 * s;
    let max_text = pw as f32 - 3.0 * size - 2.0 * pad;
    if max_text > px {
        let line = fonts.title(vm, title, Weight::Bold, px, max_text);
        let (ascent, descent) = fonts.metrics(Weight::Bold, px);
        let baseline = ((ph as f32 - (ascent + descent)) / 2.0 + ascent).round();
        // Nothing of the text reaches the buttons.
        let clip = Clip::new(0, 0, (pad + max_text).floor() as i32, ph as i32);
        fonts.draw_title(&mut pixmap.as_mut(), &line, pad, baseline, style.fg, clip);
    }
    pixmap
}
