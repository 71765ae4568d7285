//! The on-screen display of a level key: an icon (speaker, microphone, sun) and a bar with the
//! level, or a line saying why there is none. The compositor draws it above everything, the lock
//! screen included, on the focused window's output (else the pointer's), so no VM can forge or
//! hide it.

use std::cell::{Cell, RefCell};

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::element::memory::{MemoryRenderBuffer, MemoryRenderBufferRenderElement};
use smithay::backend::renderer::element::Kind as ElementKind;
use smithay::output::Output;
use smithay::utils::{Logical, Point, Rectangle, Transform};
use tiny_skia::{Color, FillRule, LineCap, Paint, PathBuilder, Pixmap, Rect, Stroke, Transform as Tf};

use canopy_text::{Clip, Weight};

use super::worker::{Kind, Shown};
use crate::decorations::Fonts;
use crate::render::{CanopyElement, CanopyRenderer};
use crate::state::Canopy;

/// The OSD's size in logical pixels.
pub const WIDTH: i32 = 300;
pub const HEIGHT: i32 = 64;

#[derive(Debug)]
pub struct Osd {
    pub shown: Shown,
    /// Where it shows: the output of the focused window when the key was handled, else the
    /// pointer's.
    output: Option<Output>,
    /// Whether it has been drawn once (for the press-to-OSD time in the log).
    drawn: Cell<bool>,
    buffer: RefCell<Option<(i32, MemoryRenderBuffer)>>,
}

impl Osd {
    pub fn new(shown: Shown, output: Option<Output>) -> Osd {
        Osd { shown, output, drawn: Cell::new(false), buffer: RefCell::new(None) }
    }

    /// The output it shows on, if any.
    pub fn output(&self) -> Option<&Output> {
        self.output.as_ref()
    }
}

/// The OSD on `output` when it is the OSD's: centred, a fifth of the way up from the bottom of
/// the usable area.
pub fn render_elements<R>(
    renderer: &mut R,
    canopy: &Canopy,
    output: &Output,
    output_geo: Rectangle<i32, Logical>,
    scale: f64,
) -> Vec<CanopyElement<R>>
where
    R: CanopyRenderer,
{
    let Some(osd) = &canopy.levels.osd else { return Vec::new() };
    if osd.output.as_ref() != Some(output) {
        return Vec::new();
    }
    let int_scale = scale.ceil() as i32;
    let mut cached = osd.buffer.borrow_mut();
    if cached.as_ref().is_none_or(|(s, _)| *s != int_scale) {
        let pixmap = draw(&canopy.fonts, &canopy.config.theme, &osd.shown, int_scale);
        let (w, h) = (pixmap.width() as i32, pixmap.height() as i32);
        let b =
            MemoryRenderBuffer::from_slice(pixmap.data(), Fourcc::Abgr8888, (w, h), int_scale, Transform::Normal, None);
        *cached = Some((int_scale, b));
    }
    let buffer = &cached.as_ref().expect("drawn above").1;
    let area = canopy.usable_area(output);
    let x = (output_geo.size.w - WIDTH) / 2;
    let y = area.loc.y - output_geo.loc.y + area.size.h * 4 / 5 - HEIGHT / 2;
    let loc = Point::<i32, Logical>::from((x, y)).to_f64().to_physical(scale);
    let element = MemoryRenderBufferRenderElement::from_buffer(
        renderer,
        loc,
        buffer,
        None,
        None,
        Some((WIDTH, HEIGHT).into()),
        ElementKind::Unspecified,
    );
    if !osd.drawn.replace(true) {
        tracing::info!(
            "levels: OSD for {:?} drawn {} ms after the press",
            osd.shown.kind,
            osd.shown.pressed.elapsed().as_millis()
        );
    }
    element.map(|e| vec![CanopyElement::Memory(e)]).unwrap_or_default()
}

fn colour(c: canopy_themes::Rgba) -> Color {
    Color::from_rgba8(c.r, c.g, c.b, c.a)
}

fn paint(c: canopy_themes::Rgba) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color(colour(c));
    p.anti_alias = true;
    p
}

/// The OSD's image at integer `scale`.
pub fn draw(fonts: &Fonts, theme: &canopy_themes::Theme, shown: &Shown, scale: i32) -> Pixmap {
    let s = scale as f32;
    let mut pixmap = Pixmap::new((WIDTH * scale) as u32, (HEIGHT * scale) as u32).expect("OSD size");
    let d = &theme.desktop;
    let bg = rounded(0.0, 0.0, WIDTH as f32 * s, HEIGHT as f32 * s, 12.0 * s);
    pixmap.fill_path(&bg, &paint(d.notice_background), FillRule::Winding, Tf::identity(), None);
    let ink = d.notice_text;
    let muted = shown.muted || (shown.percent == Some(0) && shown.kind != Kind::Brightness);
    let icon = Tf::from_scale(s, s).pre_translate(16.0, 16.0);
    match shown.kind {
        Kind::Volume => speaker(&mut pixmap, icon, ink, shown.percent.unwrap_or(0), muted),
        Kind::Microphone => microphone(&mut pixmap, icon, ink, muted),
        Kind::Brightness => sun(&mut pixmap, icon, ink),
    }
    let left = 64.0 * s;
    let right = (WIDTH - 20) as f32 * s;
    match (&shown.problem, shown.percent) {
        (Some(problem), _) => text(fonts, theme, &mut pixmap, problem, left, scale),
        (None, _) if shown.kind == Kind::Microphone => {
            text(fonts, theme, &mut pixmap, if shown.muted { "Microphone off" } else { "Microphone on" }, left, scale)
        }
        (None, Some(p)) => {
            // The bar: a track, and the level over it (dimmed while muted).
            let (y, h) = ((HEIGHT as f32 / 2.0 - 4.0) * s, 8.0 * s);
            let track = rounded(left, y, right - left, h, h / 2.0);
            let mut t = paint(ink);
            t.set_color(Color::from_rgba8(ink.r, ink.g, ink.b, 60));
            pixmap.fill_path(&track, &t, FillRule::Winding, Tf::identity(), None);
            let w = (right - left) * p.min(100) as f32 / 100.0;
            if w >= 1.0 {
                let fill = if muted { Color::from_rgba8(ink.r, ink.g, ink.b, 110) } else { colour(d.panel_accent) };
                let mut f = Paint::default();
                f.set_color(fill);
                f.anti_alias = true;
                pixmap.fill_path(&rounded(left, y, w.max(h), h, h / 2.0), &f, FillRule::Winding, Tf::identity(), None);
            }
        }
        (None, None) => {}
    }
    pixmap
}

fn text(fonts: &Fonts, theme: &canopy_themes::Theme, pixmap: &mut Pixmap, text: &str, x: f32, scale: i32) {
    let px = theme.font.size * scale as f32;
    let max = ((WIDTH - 84) * scale) as f32;
    let line = fonts.fit(text, Weight::Regular, px, max);
    let (ascent, descent) = fonts.metrics(Weight::Regular, px);
    let ph = pixmap.height() as f32;
    let baseline = ((ph - (ascent + descent)) / 2.0 + ascent).round();
    let clip = Clip::new(x as i32, 0, pixmap.width() as i32, ph as i32);
    fonts.draw(&mut pixmap.as_mut(), &line, Weight::Regular, px, x, baseline, theme.desktop.notice_text, clip);
}

fn rounded(x: f32, y: f32, w: f32, h: f32, r: f32) -> tiny_skia::Path {
    let r = r.min(w / 2.0).min(h / 2.0);
    let mut pb = PathBuilder::new();
    pb.move_to(x + r, y);
    pb.line_to(x + w - r, y);
    pb.quad_to(x + w, y, x + w, y + r);
    pb.line_to(x + w, y + h - r);
    pb.quad_to(x + w, y + h, x + w - r, y + h);
    pb.line_to(x + r, y + h);
    pb.quad_to(x, y + h, x, y + h - r);
    pb.line_to(x, y + r);
    pb.quad_to(x, y, x + r, y);
    pb.close();
    pb.finish().unwrap_or_else(|| PathBuilder::from_rect(Rect::from_xywh(x, y, 1.0, 1.0).expect("unit rect")))
}

fn stroke(width: f32) -> Stroke {
    Stroke { width, line_cap: LineCap::Round, ..Stroke::default() }
}

/// A 32×32 speaker: the box and cone, then one to three waves by level, or a cross when muted.
fn speaker(pixmap: &mut Pixmap, at: Tf, ink: canopy_themes::Rgba, percent: u32, muted: bool) {
    let mut pb = PathBuilder::new();
    pb.move_to(3.0, 12.0);
    pb.line_to(9.0, 12.0);
    pb.line_to(16.0, 5.0);
    pb.line_to(16.0, 27.0);
    pb.line_to(9.0, 20.0);
    pb.line_to(3.0, 20.0);
    pb.close();
    if let Some(p) = pb.finish() {
        pixmap.fill_path(&p, &paint(ink), FillRule::Winding, at, None);
    }
    let mut pb = PathBuilder::new();
    if muted {
        pb.move_to(21.0, 11.0);
        pb.line_to(29.0, 21.0);
        pb.move_to(29.0, 11.0);
        pb.line_to(21.0, 21.0);
    } else {
        let waves = match percent {
            0 => 0,
            1..=33 => 1,
            34..=66 => 2,
            _ => 3,
        };
        for i in 0..waves {
            let r = 4.0 + 4.0 * i as f32;
            pb.move_to(18.0 + r * 0.5, 16.0 - r * 0.87);
            pb.quad_to(18.0 + r * 1.15, 16.0, 18.0 + r * 0.5, 16.0 + r * 0.87);
        }
    }
    if let Some(p) = pb.finish() {
        pixmap.stroke_path(&p, &paint(ink), &stroke(2.5), at, None);
    }
}

/// A 32×32 microphone: capsule, cradle and stand, struck through when muted.
fn microphone(pixmap: &mut Pixmap, at: Tf, ink: canopy_themes::Rgba, muted: bool) {
    pixmap.fill_path(&rounded(11.0, 3.0, 10.0, 17.0, 5.0), &paint(ink), FillRule::Winding, at, None);
    let mut pb = PathBuilder::new();
    pb.move_to(7.0, 15.0);
    pb.quad_to(7.0, 24.0, 16.0, 24.0);
    pb.quad_to(25.0, 24.0, 25.0, 15.0);
    pb.move_to(16.0, 24.0);
    pb.line_to(16.0, 29.0);
    pb.move_to(11.0, 29.0);
    pb.line_to(21.0, 29.0);
    if muted {
        pb.move_to(5.0, 4.0);
        pb.line_to(27.0, 28.0);
    }
    if let Some(p) = pb.finish() {
        pixmap.stroke_path(&p, &paint(ink), &stroke(2.5), at, None);
    }
}

/// A 32×32 sun: a disc and eight rays.
fn sun(pixmap: &mut Pixmap, at: Tf, ink: canopy_themes::Rgba) {
    if let Some(c) = PathBuilder::from_circle(16.0, 16.0, 6.0) {
        pixmap.fill_path(&c, &paint(ink), FillRule::Winding, at, None);
    }
    let mut pb = PathBuilder::new();
    for i in 0..8 {
        let a = i as f32 * std::f32::consts::FRAC_PI_4;
        let (sin, cos) = a.sin_cos();
        pb.move_to(16.0 + 10.0 * cos, 16.0 + 10.0 * sin);
        pb.line_to(16.0 + 14.0 * cos, 16.0 + 14.0 * sin);
    }
    if let Some(p) = pb.finish() {
        pixmap.stroke_path(&p, &paint(ink), &stroke(2.5), at, None);
    }
}
