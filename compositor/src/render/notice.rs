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
    /// When it appeared: its button counts only `notice_button_delay_ms` later.
    pub shown: Instant,
    /// What its button does; a notice with one takes the pointer where it is drawn.
    pub action: Option<NoticeAction>,
    buffer: Option<(i32, MemoryRenderBuffer)>,
}

/// What a notice's button does (`notice_button`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeAction {
    /// Send this file of the GUI VM to the VM the user picks in the chooser (through hostd).
    SendToVm(std::path::PathBuf),
}

impl NoticeAction {
    pub fn label(&self) -> &'static str {
        match self {
            NoticeAction::SendToVm(_) => "Send to a VM…",
        }
    }
}

pub const NOTICE_TIME: Duration = Duration::from_secs(4);
/// A notice with a button stays longer, so there is time to use it.
pub const ACTION_NOTICE_TIME: Duration = Duration::from_secs(10);
const HEIGHT: i32 = 36;

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
        self.show_notice_with(output, text, accent, None);
    }

    /// A notice with a button doing `action` (when given), shown on `output`.
    pub fn show_notice_with(
        &mut self,
        output: Option<Output>,
        text: impl Into<String>,
        accent: Option<canopy_themes::Rgba>,
        action: Option<NoticeAction>,
    ) {
        let text = crate::decorations::sanitise_title(&text.into());
        tracing::info!(notice = %text, output = output.as_ref().map(|o| o.name()), button = action.as_ref().map(|a| a.label()));
        let time = if action.is_some() { ACTION_NOTICE_TIME } else { NOTICE_TIME };
        let now = Instant::now();
        let arm = action.is_some().then(|| Duration::from_millis(self.config.notice_button_delay_ms));
        self.notices.push(Notice { text, accent, output, until: now + time, shown: now, action, buffer: None });
        if self.notices.len() > 3 {
            self.notices.remove(0);
        }
        self.queue_redraw_all();
        // At the end of its time, and when its button starts to count (it is drawn differently).
        for after in [Some(time + Duration::from_millis(10)), arm].into_iter().flatten() {
            let _ = self.loop_handle.insert_source(
                smithay::reexports::calloop::timer::Timer::from_duration(after),
                |_, _, state| {
                    let now = Instant::now();
                    state.canopy.notices.retain(|n| n.until > now);
                    state.canopy.queue_redraw_all();
                    smithay::reexports::calloop::timer::TimeoutAction::Drop
                },
            );
        }
    }

    /// Whether `notice`'s button counts yet.
    pub fn notice_armed(&self, notice: &Notice) -> bool {
        notice.shown.elapsed() >= Duration::from_millis(self.config.notice_button_delay_ms)
    }

    /// The notice with a button at `pos` (global), if any: its index and whether `pos` is on
    /// the button. Such a notice is the compositor's: no client gets the pointer over it.
    pub fn notice_at(&self, pos: Point<f64, Logical>) -> Option<(usize, bool)> {
        let output = self.space.output_under(pos).next()?;
        let geo = self.space.output_geometry(output)?;
        let local = pos - geo.loc.to_f64();
        layout(self, output, geo)
            .into_iter()
            .filter(|p| self.notices[p.index].action.is_some())
            .find(|p| p.rect.to_f64().contains(local))
            .map(|p| (p.index, p.button.is_some_and(|b| b.to_f64().contains(local))))
    }
}

/// Where a notice is drawn on an output, in the output's logical coordinates.
struct Placed {
    index: usize,
    rect: Rectangle<i32, Logical>,
    button: Option<Rectangle<i32, Logical>>,
}

/// Notices are shown on their window's output (else the one under the pointer), centred near
/// the top, one under the other.
fn layout(canopy: &Canopy, output: &Output, output_geo: Rectangle<i32, Logical>) -> Vec<Placed> {
    let active = canopy.active_output();
    let here = |n: &Notice| match &n.output {
        Some(o) if canopy.outputs.contains(o) => o == output,
        _ => active.as_ref() == Some(output),
    };
    let scale = output.current_scale().fractional_scale().ceil() as i32;
    let mut y = canopy.usable_area(output).loc.y - output_geo.loc.y + 16;
    let mut out = Vec::new();
    for (index, notice) in canopy.notices.iter().enumerate().filter(|(_, n)| here(n)) {
        let label = notice.action.as_ref().map(|a| a.label());
        let m =
            measure(&canopy.fonts, &canopy.config.theme, &notice.text, notice.accent, label, scale, output_geo.size.w);
        let w = m.width / scale;
        let x = (output_geo.size.w - w) / 2;
        let button = m.button.map(|(bx, by, bw, bh)| {
            Rectangle::new((x + bx / scale, y + by / scale).into(), (bw / scale, bh / scale).into())
        });
        out.push(Placed { index, rect: Rectangle::new((x, y).into(), (w, HEIGHT).into()), button });
        y += HEIGHT + 8;
    }
    out
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
    let int_scale = scale.ceil() as i32;
    let mut out = Vec::new();
    for placed in layout(canopy, output, output_geo) {
        let notice = &canopy.notices[placed.index];
        let buffer = notice_buffer(canopy, notice, int_scale, output_geo.size.w);
        let loc = placed.rect.loc.to_f64().to_physical(scale);
        if let Ok(e) = MemoryRenderBufferRenderElement::from_buffer(
            renderer,
            loc,
            &buffer.1,
            None,
            None,
            Some(placed.rect.size),
            Kind::Unspecified,
        ) {
            out.push(CanopyElement::Memory(e));
        }
    }
    out
}

fn notice_buffer(canopy: &Canopy, notice: &Notice, scale: i32, max_w: i32) -> (i32, MemoryRenderBuffer) {
    if let Some(b) = &notice.buffer {
        return b.clone();
    }
    let button = notice.action.as_ref().map(|a| (a.label(), canopy.notice_armed(notice)));
    let theme = &canopy.config.theme;
    let pixmap = draw_notice_with(&canopy.fonts, theme, &notice.text, notice.accent, button, scale, max_w);
    let (pw, ph) = (pixmap.width() as i32, pixmap.height() as i32);
    let buffer =
        MemoryRenderBuffer::from_slice(pixmap.data(), Fourcc::Abgr8888, (pw, ph), scale, Transform::Normal, None);
    (pw / scale, buffer)
}

/// A notice's size and parts at integer `scale`, in pixels of its image.
struct Measured {
    line: std::sync::Arc<canopy_text::Line>,
    label: Option<std::sync::Arc<canopy_text::Line>>,
    width: i32,
    bar: i32,
    pad: i32,
    /// The button: x, y, width, height.
    button: Option<(i32, i32, i32, i32)>,
}

fn measure(
    fonts: &Fonts,
    theme: &canopy_themes::Theme,
    text: &str,
    accent: Option<canopy_themes::Rgba>,
    label: Option<&str>,
    scale: i32,
    max_w: i32,
) -> Measured {
    let px = theme.font.size * scale as f32;
    let pad = 14 * scale;
    let bar = if accent.is_some() { 6 * scale } else { 0 };
    // Whole logical pixels, so the buffer's size divides by the scale.
    let whole = |w: f32| (w.ceil() as i32 + scale - 1) / scale * scale;
    let label = label.map(|l| fonts.fit(l, Weight::Bold, px, (max_w * scale / 2) as f32));
    let button_w = label.as_ref().map_or(0, |l| whole(l.width) + 2 * 10 * scale);
    let room = max_w * scale - 2 * pad - bar - 32 * scale - if button_w > 0 { button_w + pad } else { 0 };
    let line = fonts.fit(text, Weight::Regular, px, room.max(scale) as f32);
    let tw = whole(line.width);
    let text_end = bar + pad + tw;
    let button = label.as_ref().map(|_| (text_end + pad, 6 * scale, button_w, (HEIGHT - 12) * scale));
    let width = (button.map_or(text_end, |(x, _, w, _)| x + w) + pad).max(scale);
    Measured { line, label, width, bar, pad, button }
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
    draw_notice_with(fonts, theme, text, accent, None, scale, max_w)
}

/// As [`draw_notice`], with a button after the text: its label, and whether it counts yet (a
/// button that does not is drawn faint).
pub fn draw_notice_with(
    fonts: &Fonts,
    theme: &canopy_themes::Theme,
    text: &str,
    accent: Option<canopy_themes::Rgba>,
    button: Option<(&str, bool)>,
    scale: i32,
    max_w: i32,
) -> Pixmap {
    let px = theme.font.size * scale as f32;
    let m = measure(fonts, theme, text, accent, button.map(|b| b.0), scale, max_w);
    let (pw, ph) = (m.width, HEIGHT * scale);
    let mut pixmap = Pixmap::new(pw as u32, ph as u32).expect("notice size");
    let d = &theme.desktop;
    let bg = d.notice_background;
    pixmap.fill(Color::from_rgba8(bg.r, bg.g, bg.b, bg.a));
    let fill = |pixmap: &mut Pixmap, c: canopy_themes::Rgba, (x, y, w, h): (i32, i32, i32, i32)| {
        let mut paint = tiny_skia::Paint::default();
        paint.set_color(Color::from_rgba8(c.r, c.g, c.b, c.a));
        if let Some(r) = tiny_skia::Rect::from_xywh(x as f32, y as f32, w as f32, h as f32) {
            pixmap.fill_rect(r, &paint, tiny_skia::Transform::identity(), None);
        }
    };
    if let Some(a) = accent {
        fill(&mut pixmap, canopy_themes::Rgba { a: 255, ..a }, (0, 0, m.bar, ph));
    }
    let (ascent, descent) = fonts.metrics(Weight::Regular, px);
    let baseline = ((ph as f32 - (ascent + descent)) / 2.0 + ascent).round();
    let clip = Clip::new(m.bar, 0, m.button.map_or(pw, |b| b.0), ph);
    let (x, ink) = ((m.bar + m.pad) as f32, d.notice_text);
    fonts.draw(&mut pixmap.as_mut(), &m.line, Weight::Regular, px, x, baseline, ink, clip);
    if let (Some((bx, by, bw, bh)), Some(label), Some((_, armed))) = (m.button, &m.label, button) {
        // A plain rectangle with a border in the text's colour; faint until it counts.
        let ink = if armed { d.notice_text } else { d.notice_text.mix(bg, 0.6) };
        fill(&mut pixmap, ink, (bx, by, bw, bh));
        fill(&mut pixmap, d.button_hover, (bx + scale, by + scale, bw - 2 * scale, bh - 2 * scale));
        let clip = Clip::new(bx, by, bx + bw, by + bh);
        let (lx, weight) = ((bx + 10 * scale) as f32, Weight::Bold);
        fonts.draw(&mut pixmap.as_mut(), label, weight, px, lx, baseline, ink, clip);
    }
    pixmap
}
