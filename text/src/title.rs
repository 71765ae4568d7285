//! Window titles as the trusted UI draws them: the `[vm]` prefix as its own left-to-right run at
//! the left edge, then the title as a paragraph of its own.
//!
//! The title is shaped apart from the prefix, with the direction its first strong character
//! gives it, as if wrapped in FSI…PDI: nothing in it (right-to-left letters, Arabic digits,
//! brackets, marks) takes part in the prefix's bidi resolution or can move it. Its glyphs are
//! drawn clipped to the area right of the prefix, so not even a mark with a large negative
//! offset reaches a prefix pixel. It goes through the shared sanitiser first (bidi controls,
//! format characters and leading marks removed), and when it is too wide it is cut at its own
//! logical end, on the left for a right-to-left title; the prefix is never cut for it.

use std::sync::Arc;

use canopy_protocols::text as sanitiser;
use canopy_themes::Rgba;
use tiny_skia::PixmapMut;

use crate::fonts::Fonts;
use crate::line::Line;
use crate::raster::Clip;
use crate::Weight;

/// A title laid out for a width: device pixels from the left edge of its area.
#[derive(Debug, Clone)]
pub struct TitleLine {
    /// `[vm]` for a VM's window, at x 0.
    pub prefix: Option<Arc<Line>>,
    /// The app's title, at `title_x`; None when no room is left after the prefix.
    pub title: Option<Arc<Line>>,
    pub title_x: f32,
    /// Where the prefix's area ends: the prefix draws only left of it, the title only right.
    pub split: f32,
    pub weight: Weight,
    pub px: f32,
}

impl TitleLine {
    /// Width of what is drawn.
    pub fn width(&self) -> f32 {
        match (&self.prefix, &self.title) {
            (_, Some(t)) => self.title_x + t.width,
            (Some(p), None) => p.width,
            (None, None) => 0.0,
        }
    }
}

/// The prefix that names a VM: `[name]`.
pub fn prefix(vm: &str) -> String {
    format!("[{vm}]")
}

impl Fonts {
    /// Lays out the title of a window of `vm` (None for the GUI VM's own windows) in at most
    /// `max` device pixels at `px`.
    pub fn title(&self, vm: Option<&str>, title: &str, weight: Weight, px: f32, max: f32) -> TitleLine {
        let title = sanitiser::sanitise(title, sanitiser::TITLE);
        let Some(vm) = vm else {
            let line = self.fit(&title, weight, px, max);
            return TitleLine { prefix: None, title: Some(line), title_x: 0.0, split: 0.0, weight, px };
        };
        let prefix = self.fit(&prefix(vm), weight, px, max);
        let gap = (px * 0.4).round();
        let split = prefix.width + (gap / 2.0).floor();
        let title_x = prefix.width + gap;
        let room = max - title_x;
        // Less than an em is not worth a title: the prefix alone says whose window it is.
        let title = (room >= px && !title.is_empty()).then(|| self.fit(&title, weight, px, room));
        TitleLine { prefix: Some(prefix), title, title_x, split, weight, px }
    }

    /// Draws a title laid out by [`Fonts::title`] with its area's left edge at device x `x`.
    pub fn draw_title(
        &self,
        target: &mut PixmapMut<'_>,
        t: &TitleLine,
        x: f32,
        baseline: f32,
        colour: Rgba,
        clip: Clip,
    ) {
        let split = (x + t.split).round() as i32;
        if let Some(p) = &t.prefix {
            let c = clip.intersect(&Clip::new(i32::MIN, i32::MIN, split, i32::MAX));
            self.draw(target, p, t.weight, t.px, x, baseline, colour, c);
        }
        if let Some(l) = &t.title {
            let from = if t.prefix.is_some() { split } else { i32::MIN };
            let c = clip.intersect(&Clip::new(from, i32::MIN, i32::MAX, i32::MAX));
            self.draw(target, l, t.weight, t.px, x + t.title_x, baseline, colour, c);
        }
    }
}
