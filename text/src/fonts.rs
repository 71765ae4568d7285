//! [`Fonts`]: the theme's font chain, and lines shaped, laid out and drawn with it. Every line
//! is shaped once per text and weight and laid out once per size and width; both are cached,
//! so redrawing what did not change costs a lookup.

use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use canopy_themes::Rgba;
use cosmic_text::fontdb::{self, Database};
use cosmic_text::{CacheKeyFlags, Fallback, FontSystem, LayoutGlyph, ShapeLine};
use tiny_skia::PixmapMut;
use unicode_segmentation::UnicodeSegmentation;

use crate::cache::GenCache;
use crate::chain::Chain;
use crate::line::{self, Fit, Line};
use crate::raster::{Clip, Raster};
use crate::Weight;

/// Bytes of shaped texts and of laid-out lines kept per generation (two at most each): a VM
/// that changes its title every frame costs at most these, however long it goes on.
const SHAPES: usize = 2 << 20;
const LINES: usize = 2 << 20;
/// Longest text shaped, in bytes: a line longer than any surface can show is cut before shaping.
pub const MAX_TEXT: usize = 4096;

/// The shaper's own fallback lists are empty: `chain` chose every face already, and what the
/// shaper still misses draws as a box.
struct NoFallback;

impl Fallback for NoFallback {
    fn common_fallback(&self) -> &[&'static str] {
        &[]
    }
    fn forbidden_fallback(&self) -> &[&'static str] {
        &[]
    }
    fn script_fallback(&self, _: unicode_script::Script, _: &str) -> &[&'static str] {
        &[]
    }
}

type LineKey = (String, Weight, u32, u32);

struct Inner {
    fs: FontSystem,
    chain: Chain,
    shapes: GenCache<(String, Weight), Option<Arc<ShapeLine>>>,
    lines: GenCache<LineKey, Arc<Line>>,
    raster: Raster,
    /// How many times a text was shaped (tests check that redraws do not shape again).
    shaped: u64,
}

/// The fonts of a theme: one per process, shared by everything that draws text.
pub struct Fonts {
    inner: RefCell<Inner>,
    missing: Vec<String>,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts").field("missing", &self.missing).finish_non_exhaustive()
    }
}

impl Fonts {
    /// The theme's fonts, found among the system's (as fontconfig's configuration lists them).
    /// Never fails: a family that is not installed is logged and skipped, and with no font at
    /// all text is drawn as boxes.
    pub fn new(font: &canopy_themes::theme::Font) -> Fonts {
        let mut system = Database::new();
        system.load_system_fonts();
        Fonts::with_database(font, system)
    }

    /// The theme's fonts found in `system` (tests give a database of their own).
    pub fn with_database(font: &canopy_themes::theme::Font, system: Database) -> Fonts {
        let mut fs = FontSystem::new_with_locale_and_db_and_fallback("en-US".into(), Database::new(), NoFallback);
        let chain = Chain::new(font, system, &mut fs);
        let missing = chain.missing.clone();
        let inner = Inner {
            fs,
            chain,
            shapes: GenCache::new(SHAPES),
            lines: GenCache::new(LINES),
            raster: Raster::new(),
            shaped: 0,
        };
        Fonts { inner: RefCell::new(inner), missing }
    }

    /// Families the theme names that are not installed.
    pub fn missing(&self) -> &[String] {
        &self.missing
    }

    /// How many texts have been shaped so far.
    pub fn shaped(&self) -> u64 {
        self.inner.borrow().shaped
    }

    /// Ascent and descent (both positive) of a line at `px` device pixels: the preferred
    /// family's, whatever the text, so that text of any script sits on the same baseline.
    pub fn metrics(&self, weight: Weight, px: f32) -> (f32, f32) {
        let inner = self.inner.borrow();
        if inner.chain.is_empty() {
            return (px * 0.8, px * 0.2);
        }
        let face = inner.chain.face(inner.chain.primary(weight));
        let m = face.font().as_swash().metrics(&[]).scale(px);
        (m.ascent.abs(), m.descent.abs())
    }

    /// `text` as one line at `px` device pixels.
    pub fn line(&self, text: &str, weight: Weight, px: f32) -> Arc<Line> {
        self.layout(text, weight, Fit { px, max: None })
    }

    /// `text` as one line at most `max` device pixels wide: cut at its logical end with an
    /// ellipsis when it is wider (for a right-to-left text, the ellipsis is on the left).
    pub fn fit(&self, text: &str, weight: Weight, px: f32, max: f32) -> Arc<Line> {
        self.layout(text, weight, Fit { px, max: Some(max.max(0.0)) })
    }

    /// Width of `text` at `px` in device pixels.
    pub fn width(&self, text: &str, weight: Weight, px: f32) -> f32 {
        self.line(text, weight, px).width
    }

    /// Breaks `text` into lines no wider than `max` device pixels, at line-break opportunities
    /// (a word wider than `max` is broken between its clusters).
    pub fn wrap(&self, text: &str, weight: Weight, px: f32, max: f32) -> Vec<String> {
        let text = cut(text);
        if text.trim().is_empty() {
            return Vec::new();
        }
        let shape = if self.inner.borrow().chain.is_empty() { None } else { self.shape(text, weight) };
        let Some(shape) = shape else { return vec![text.trim().to_string()] };
        let lines = line::layout(&shape, Fit { px, max: Some(max.max(1.0)) }, true);
        lines
            .iter()
            .filter_map(|l| {
                let start = l.glyphs.iter().map(|g| g.start).min()?;
                let end = l.glyphs.iter().map(|g| g.end).max()?;
                let s = text.get(start..end)?.trim();
                (!s.is_empty()).then(|| s.to_string())
            })
            .collect()
    }

    fn layout(&self, text: &str, weight: Weight, fit: Fit) -> Arc<Line> {
        let text = cut(text);
        let key = (text.to_string(), weight, fit.px.to_bits(), fit.max.map_or(u32::MAX, f32::to_bits));
        if let Some(l) = self.inner.borrow_mut().lines.get(&key) {
            return l;
        }
        let shape =
            if text.is_empty() || self.inner.borrow().chain.is_empty() { None } else { self.shape(text, weight) };
        let line = if text.is_empty() {
            Line::empty(0)
        } else if let Some(shape) = shape {
            let natural = line::layout(&shape, Fit { max: None, ..fit }, false);
            let natural_w = natural.first().map_or(0.0, |l| l.w);
            match fit.max {
                Some(max) if natural_w > max => {
                    let cut = line::layout(&shape, fit, false);
                    Line::from_layout(text, &shape, cut.first(), true)
                }
                _ => Line::from_layout(text, &shape, natural.first(), false),
            }
        } else {
            boxes(text, fit)
        };
        let line = Arc::new(line);
        let cost = key.0.len() + line.glyphs.len() * std::mem::size_of::<LayoutGlyph>() + 128;
        self.inner.borrow_mut().lines.insert(key, line.clone(), cost);
        line
    }

    /// `text` shaped, or None when the shaper failed on it (it is then drawn as boxes).
    fn shape(&self, text: &str, weight: Weight) -> Option<Arc<ShapeLine>> {
        let key = (text.to_string(), weight);
        let mut inner = self.inner.borrow_mut();
        if let Some(s) = inner.shapes.get(&key) {
            return s;
        }
        let inner = &mut *inner;
        inner.shaped += 1;
        let para = line::one_paragraph(text);
        // Text from a VM reaches the shaper: a fault in it must cost that text, not the process.
        let shaped = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let attrs = inner.chain.itemise(&para, weight, &mut inner.fs);
            line::shape(&mut inner.fs, &para, &attrs)
        }));
        let shape = match shaped {
            Ok(s) => Some(Arc::new(s)),
            Err(_) => {
                tracing::error!(len = text.len(), "shaping failed; drawing the text as boxes");
                None
            }
        };
        // A shaped glyph takes about a hundred bytes, and a text has at most one per byte.
        let cost = text.len() * 128 + 512;
        inner.shapes.insert(key, shape.clone(), cost);
        shape
    }

    /// Draws `line` with its left edge at device x `x` and its baseline at `baseline`, in
    /// `colour`, inside `clip` (device pixels) and the pixmap.
    #[allow(clippy::too_many_arguments)]
    pub fn draw(
        &self,
        target: &mut PixmapMut<'_>,
        line: &Line,
        weight: Weight,
        px: f32,
        x: f32,
        baseline: f32,
        colour: Rgba,
        clip: Clip,
    ) {
        let (ascent, _) = self.metrics(weight, px);
        let inner = &mut *self.inner.borrow_mut();
        inner.raster.draw(&mut inner.fs, target, line, x, baseline, colour, clip, ascent * 0.8);
    }
}

/// `text`, cut at a character boundary to at most [`MAX_TEXT`] bytes.
fn cut(text: &str) -> &str {
    if text.len() <= MAX_TEXT {
        return text;
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A line of boxes, one per grapheme cluster, for when no font is installed at all.
fn boxes(text: &str, fit: Fit) -> Line {
    let advance = fit.px * 0.6;
    let mut glyphs = Vec::new();
    let mut x = 0.0;
    for (start, g) in text.grapheme_indices(true) {
        if fit.max.is_some_and(|m| x + advance > m) {
            break;
        }
        let w = if g.trim().is_empty() { fit.px * 0.3 } else { advance };
        if g.trim().is_empty() {
            x += w;
            continue;
        }
        glyphs.push(LayoutGlyph {
            start,
            end: start + g.len(),
            font_size: fit.px,
            font_weight: fontdb::Weight::NORMAL,
            line_height_opt: None,
            font_id: fontdb::ID::dummy(),
            glyph_id: 0,
            x,
            y: 0.0,
            w,
            level: unicode_bidi::Level::ltr(),
            x_offset: 0.0,
            y_offset: 0.0,
            color_opt: None,
            metadata: 0,
            cache_key_flags: CacheKeyFlags::empty(),
        });
        x += w;
    }
    let ellipsized = glyphs.last().is_some_and(|g| g.end < text.len());
    Line { text_len: text.len(), width: x, rtl: false, ellipsized, glyphs }
}
