//! One line of text shaped and laid out: glyphs in visual order with their source clusters, in
//! device pixels from the line's left edge and baseline.

use cosmic_text::{
    Align, AttrsList, Ellipsize, EllipsizeHeightLimit, FontSystem, Hinting, LayoutGlyph, LayoutLine, ShapeBuffer,
    ShapeLine, Wrap,
};
use unicode_segmentation::UnicodeSegmentation;

/// A laid-out line. Glyph positions are device pixels from the left edge and the baseline.
#[derive(Debug, Clone)]
pub struct Line {
    /// Length in bytes of the text the line was made from.
    pub text_len: usize,
    /// Advance width in device pixels.
    pub width: f32,
    /// Whether the paragraph reads right to left (its first strong character is RTL).
    pub rtl: bool,
    /// Whether the end of the text was replaced by an ellipsis to fit.
    pub ellipsized: bool,
    pub(crate) glyphs: Vec<LayoutGlyph>,
}

/// How a line is laid out: at `px` device pixels, and at most `max` wide (ellipsised at the
/// logical end of the text, which is the left for a right-to-left paragraph).
#[derive(Debug, Clone, Copy)]
pub struct Fit {
    pub px: f32,
    pub max: Option<f32>,
}

impl Line {
    pub(crate) fn empty(text_len: usize) -> Line {
        Line { text_len, width: 0.0, rtl: false, ellipsized: false, glyphs: Vec::new() }
    }

    pub(crate) fn from_layout(text: &str, shape: &ShapeLine, layout: Option<&LayoutLine>, ellipsized: bool) -> Line {
        let Some(l) = layout else { return Line { rtl: shape.rtl, ..Line::empty(text.len()) } };
        let mut line = Line { text_len: text.len(), width: l.w, rtl: shape.rtl, ellipsized, glyphs: l.glyphs.clone() };
        if ellipsized {
            line.close_up_ellipsis(text);
        }
        line
    }

    /// Removes the spaces between the text and the ellipsis ("report …" becomes "report…").
    /// The ellipsis is the glyph of an empty cluster at the cut; the spaces are the clusters
    /// that end there, and what stands beyond them on screen closes up.
    fn close_up_ellipsis(&mut self, text: &str) {
        let Some(cut) = self.glyphs.iter().find(|g| g.start == g.end).map(|g| g.start) else { return };
        let mut cut = cut;
        while let Some(i) = self.glyphs.iter().position(|g| {
            g.end == cut && g.start < g.end && text.get(g.start..g.end).is_some_and(|t| t.trim().is_empty())
        }) {
            let gone = self.glyphs.remove(i);
            for g in &mut self.glyphs {
                if g.x > gone.x {
                    g.x -= gone.w;
                }
            }
            self.width -= gone.w;
            cut = gone.start;
        }
    }

    /// The glyphs, each with its cluster's byte range (an empty range for the ellipsis) and
    /// its place; in the shaper's order, which is not always left to right.
    pub fn glyphs(&self) -> &[LayoutGlyph] {
        &self.glyphs
    }

    /// Where a caret before byte `offset` of the text stands, in device pixels from the left
    /// edge: the leading edge of the cluster at `offset` (its left for left-to-right text, its
    /// right for right-to-left), the trailing edge of the last cluster at the end, and a share
    /// of a ligature's width inside one.
    pub fn caret_x(&self, offset: usize) -> f32 {
        let inside = |g: &&LayoutGlyph| g.start <= offset && offset < g.end;
        let glyph = self.glyphs.iter().filter(inside).max_by(|a, b| a.w.total_cmp(&b.w));
        if let Some(g) = glyph {
            let share = (offset - g.start) as f32 / (g.end - g.start) as f32;
            return if g.level.is_rtl() { g.x + g.w * (1.0 - share) } else { g.x + g.w * share };
        }
        // At the end (or past what was drawn): after the cluster that ends there.
        let before =
            self.glyphs.iter().filter(|g| g.end == offset && g.end > g.start).max_by(|a, b| a.w.total_cmp(&b.w));
        match before {
            Some(g) if g.level.is_rtl() => g.x,
            Some(g) => g.x + g.w,
            None if self.rtl => 0.0,
            None => self.width,
        }
    }

    /// The byte offset of the grapheme boundary nearest to device x `x`.
    pub fn offset_at(&self, text: &str, x: f32) -> usize {
        boundaries(text)
            .min_by(|a, b| (self.caret_x(*a) - x).abs().total_cmp(&(self.caret_x(*b) - x).abs()))
            .unwrap_or(0)
    }
}

/// The grapheme boundaries of `text`, 0 and its length included.
pub fn boundaries(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.grapheme_indices(true).map(|(i, _)| i).chain(std::iter::once(text.len()))
}

/// Shapes `text` with the faces `attrs` gives each run (see `chain`).
pub(crate) fn shape(fs: &mut FontSystem, text: &str, attrs: &AttrsList) -> ShapeLine {
    ShapeLine::new(fs, text, attrs, cosmic_text::Shaping::Advanced, 4)
}

/// Lays out a shaped line, ellipsised to `fit.max` when given.
pub(crate) fn layout(shape: &ShapeLine, fit: Fit, wrap: bool) -> Vec<LayoutLine> {
    let mut lines = Vec::with_capacity(1);
    let ellipsize = match (fit.max, wrap) {
        (Some(_), false) => Ellipsize::End(EllipsizeHeightLimit::Lines(1)),
        _ => Ellipsize::None,
    };
    shape.layout_to_buffer(
        &mut ShapeBuffer::default(),
        fit.px,
        fit.max,
        if wrap { Wrap::WordOrGlyph } else { Wrap::None },
        ellipsize,
        Some(Align::Left),
        &mut lines,
        None,
        Hinting::Enabled,
    );
    lines
}

/// Replaces paragraph separators with characters of the same length that do not break the
/// paragraph (the shaper takes one paragraph), so byte offsets stay those of the caller's text.
pub(crate) fn one_paragraph(text: &str) -> std::borrow::Cow<'_, str> {
    let breaks = |c: char| {
        matches!(c, '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{1c}'..='\u{1e}' | '\u{85}' | '\u{2028}' | '\u{2029}')
    };
    if !text.contains(breaks) {
        return text.into();
    }
    text.chars()
        .map(|c| match c {
            '\u{85}' => '\u{a0}',
            '\u{2028}' | '\u{2029}' => '\u{2002}',
            c if breaks(c) => ' ',
            c => c,
        })
        .collect::<String>()
        .into()
}
