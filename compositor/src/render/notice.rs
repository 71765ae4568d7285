//! Short on-screen notices from the compositor itself (a config reload that failed, a refused
//! clipboard paste). They are drawn by the compositor, above every client, so no VM can forge
//! or cover one.

use std::time::{Duration, Instant};

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::element::memory::{MemoryRenderBuffer, MemoryRenderBufferRenderElement};
use smithay::backend::renderer::element::Kind;
use smithay::output::Output;
use smithay::utils::{Logical, Point, Rectangle, Transform};
use tiny_skia::{Color, Pixmap};

use canopy_text::{Clip, Weight};

use crate::decorations::Fonts;
use crate::render::{CanopyElement, CanopyRenderer};
use crate::state::Canopy;

#[derive(Debug)]
pub struct Notice {
    pub text: String,
    /// The trust colour of the VM the notice is about, shown as a bar on its left.
    pub accent: Option<canopy_themes::Rgba>,
    /// The output of the window the notice is about; without one, the output under the pointer.
    pub output: Option<Output>,
    pub until: Instant,
    buffer: Option<(i32, MemoryRenderBuffer)>,
}

pub const NOTICE_TIME: Duration = Duration::from_secs(4);

impl Canopy {
    /// A notice about the focused window (most are: the clipboard's, a refused request), shown
    /// on that window's output.
    pub fn show_notice(&mut self, text: impl Into<String>, accent: Option<canopy_themes::Rgba>) {
        let output = self.focused_window().and_then(|w| self.output_of_window(&w));
        self.show_notice_on(output, text, accent);
    }

    /// A notice shown on `output` (the pointer's when `None`).
    pub fn show_notice_on(
        &mut self,
        output: Option<Output>,
        text: impl Into<String>,
        accent: Option<canopy_themes::Rgba>,
    ) {
        let text = crate::decorations::sanitise_title(&text.into());
        tracing::info!(notice = %text, output = output.as_ref().map(|o| o.name()));
        self.notices.push(Notice { text, accent, output, until: Instant::now() + NOTICE_TIME, buffer: None });
        if self.notices.len() > 3 {
            self.notices.remove(0);
        }
        self.queue_redraw_all();
        let handle = self.loop_handle.clone();
        let _ = handle.insert_source(
            smithay::reexports::calloop::timer::Timer::from_duration(NOTICE_TIME + Duration::from_millis(10)),
            |_, _, state| {
                let now = Instant::now();
                state.canopy.notices.retain(|n| n.until > now);
                state.canopy.queue_redraw_all();
                smithay::reexports::calloop::timer::TimeoutAction::Drop
            },
        );
    }
}

/// Notices are shown on their window's output (else the one under the pointer), centred near
/// the top.
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
    let active = canopy.active_output();
    let here = |n: &&Notice| match &n.output {
        Some(o) if canopy.outputs.contains(o) => o == output,
        _ => active.as_ref() == Some(output),
    };
    let int_scale = scale.ceil() as i32;
    let mut out = Vec::new();
    let mut y = canopy.usable_area(output).loc.y - output_geo.loc.y + 16;
    for notice in canopy.notices.iter().filter(here) {
        let buffer = notice_buffer(canopy, notice, int_scale, output_geo.size.w);
        let (w, h) = (buffer.0, 36);
        let x = (output_geo.size.w - w) / 2;
        let loc = Point::<i32, Logical>::from((x, y)).to_f64().to_physical(scale);
        if let Ok(e) = MemoryRenderBufferRenderElement::from_buffer(
            renderer,
            loc,
            &buffer.1,
            None,
            None,
            Some((w, h).into()),
            Kind::Unspecified,
        ) {
            out.push(CanopyElement::Memory(e));
        }
        y += h + 8;
    }
    out
}

fn notice_buffer(canopy: &Canopy, notice: &Notice, scale: i32, max_w: i32) -> (i32, MemoryRenderBuffer) {
    if let Some(b) = &notice.buffer {
        return b.clone();
    }
    let pixmap = draw_notice(&canopy.fonts, &canopy.config.theme, &notice.text, notice.accent, scale, max_w);
    let (pw, ph) = (pixmap.width() as i32, pixmap.height() as i32);
    let buffer =
        MemoryRenderBuffer::from_slice(pixmap.data(), Fourcc::Abgr8888, (pw, ph), scale, Transform::Normal, None);
    (pw / scale, buffer)
}

/// A notice's image at integer `scale`: 36 logical pixels tall, as wide as its text (at most
/// `max_w` logical pixels less a margin; longer text is cut at its logical end), with the
/// accent bar on the left. The text is one paragraph of its own, drawn in its reading order.
pub fn draw_notice(
    fonts: &Fonts,
    theme: &canopy_themes::Theme,
    text: &str,
    accent: Option<canopy_themes::Rgba>,
    scale: i32,
    max_w: i32,
) -> Pixmap {
    let px = theme.font.size * scale as f32;
    let pad = 14 * scale;
    let bar = if accent.is_some() { 6 * scale } else { 0 };
    let line = fonts.fit(text, Weight::Regular, px, (max_w * scale - 2 * pad - bar - 32 * scale) as f32);
    // A whole number of logical pixels wide, so the buffer's size divides by the scale.
    let tw = (line.width.ceil() as i32 + scale - 1) / scale * scale;
    let (pw, ph) = ((tw + 2 * pad + bar).max(scale), 36 * scale);
    let mut pixmap = Pixmap::new(pw as u32, ph as u32).expect("notice size");
    let bg = theme.desktop.notice_background;
    pixmap.fill(Color::from_rgba8(bg.r, bg.g, bg.b, bg.a));
    if let Some(a) = accent {
        let mut paint = tiny_skia::Paint::default();
        paint.set_color(Color::from_rgba8(a.r, a.g, a.b, 255));
        if let Some(r) = tiny_skia::Rect::from_xywh(0.0, 0.0, bar as f32, ph as f32) {
            pixmap.fill_rect(r, &paint, tiny_skia::Transform::identity(), None);
        }
    }
    let (ascent, descent) = fonts.metrics(Weight::Regular, px);
    let baseline = ((ph as f32 - (ascent + descent)) / 2.0 + ascent).round();
    let clip = Clip::new(bar, 0, pw, ph);
    fonts.draw(
        &mut pixmap.as_mut(),
        &line,
        Weight::Regular,
        px,
        (bar + pad) as f32,
        baseline,
        theme.desktop.notice_text,
        clip,
    );
    pixmap
}
