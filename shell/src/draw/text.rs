//! Text with fontdue: the theme's two font files, measured and drawn at any output scale.
//!
//! Sizes are given in logical pixels and rasterised at `size × scale` device pixels, so text
//! stays sharp at scale 2 and at fractional scales. Glyph positions are rounded to whole device
//! pixels, which keeps rendering deterministic (golden images compare exactly).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

use canopy_themes::Rgba;
use tiny_skia::PixmapMut;

use super::geometry::IntRect;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Weight {
    Regular,
    Bold,
}

#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error("cannot read font file {path}: {source} (set font.regular/font.bold in the theme)")]
    Read { path: String, source: std::io::Error },
    #[error("font file {path} is not a usable TrueType/OpenType font: {message}")]
    Parse { path: String, message: String },
}

struct Glyph {
    metrics: fontdue::Metrics,
    coverage: Vec<u8>,
}

type GlyphKey = (Weight, char, u32);

/// The theme's regular and bold fonts and a cache of rasterised glyphs.
pub struct Fonts {
    regular: fontdue::Font,
    bold: fontdue::Font,
    cache: RefCell<HashMap<GlyphKey, Rc<Glyph>>>,
}

/// Where each character of a laid-out line goes, in device pixels from the line's start.
pub struct Line {
    pub glyphs: Vec<(char, f32)>,
    /// Advance width of the whole line in device pixels.
    pub width: f32,
}

pub const ELLIPSIS: char = '…';

impl Fonts {
    pub fn load(font: &canopy_themes::theme::Font) -> Result<Fonts, FontError> {
        Ok(Fonts {
            regular: load_font(&font.regular)?,
            bold: load_font(&font.bold)?,
            cache: RefCell::new(HashMap::new()),
        })
    }

    fn font(&self, weight: Weight) -> &fontdue::Font {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    /// Ascent and descent (negative) of a line at `px` device pixels.
    pub fn line_metrics(&self, weight: Weight, px: f32) -> (f32, f32) {
        match self.font(weight).horizontal_line_metrics(px) {
            Some(m) => (m.ascent, m.descent),
            None => (px * 0.8, -px * 0.2),
        }
    }

    /// Lays out one line of text at `px` device pixels.
    pub fn layout(&self, text: &str, weight: Weight, px: f32) -> Line {
        let font = self.font(weight);
        let mut glyphs = Vec::with_capacity(text.len());
        let mut pen = 0.0f32;
        let mut prev: Option<char> = None;
        for c in text.chars() {
            // Control characters (a title may carry a tab or newline) draw as spaces.
            let c = if c.is_control() { ' ' } else { c };
            if let Some(p) = prev {
                pen += font.horizontal_kern(p, c, px).unwrap_or(0.0);
            }
            glyphs.push((c, pen));
            pen += font.metrics(c, px).advance_width;
            prev = Some(c);
        }
        Line { glyphs, width: pen }
    }

    /// Width of `text` in device pixels at `px`.
    pub fn width(&self, text: &str, weight: Weight, px: f32) -> f32 {
        self.layout(text, weight, px).width
    }

    /// `text` itself when it fits in `max` device pixels, otherwise its longest prefix that
    /// fits with an ellipsis appended (just the ellipsis, or nothing, when even that is too wide).
    pub fn ellipsize(&self, text: &str, weight: Weight, px: f32, max: f32) -> String {
        if self.width(text, weight, px) <= max {
            return text.to_string();
        }
        let ends: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        // Largest n such that the first n chars plus "…" fit; widths grow with n.
        let (mut lo, mut hi) = (0usize, ends.len());
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            let candidate = format!("{}{ELLIPSIS}", text[..ends[mid]].trim_end());
            if self.width(&candidate, weight, px) <= max {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        let out = format!("{}{ELLIPSIS}", text[..ends.get(lo).copied().unwrap_or(0)].trim_end());
        if self.width(&out, weight, px) <= max {
            out
        } else {
            String::new()
        }
    }

    /// Breaks `text` into lines no wider than `max` device pixels, at spaces (a single word
    /// wider than `max` gets a line of its own; painting shortens it with an ellipsis).
    pub fn wrap(&self, text: &str, weight: Weight, px: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
            if !line.is_empty() && self.width(&candidate, weight, px) > max {
                lines.push(std::mem::replace(&mut line, word.to_string()));
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }

    fn glyph(&self, weight: Weight, c: char, px: f32) -> Rc<Glyph> {
        let key = (weight, c, px.to_bits());
        if let Some(g) = self.cache.borrow().get(&key) {
            return g.clone();
        }
        let (metrics, coverage) = self.font(weight).rasterize(c, px);
        let g = Rc::new(Glyph { metrics, coverage });
        self.cache.borrow_mut().insert(key, g.clone());
        g
    }

    /// Draws a laid-out line with its baseline starting at device point (`x`, `baseline`),
    /// blending `colour` by glyph coverage, clipped to `clip` and the pixmap.
    #[allow(clippy::too_many_arguments)]
    pub fn draw_line(
        &self,
        pixmap: &mut PixmapMut<'_>,
        line: &Line,
        weight: Weight,
        px: f32,
        x: f32,
        baseline: f32,
        colour: Rgba,
        clip: IntRect,
    ) {
        let (pw, ph) = (pixmap.width() as i32, pixmap.height() as i32);
        let bounds = IntRect::new(0, 0, pw, ph).intersect(&clip);
        let data = pixmap.data_mut();
        let baseline = baseline.round() as i32;
        for &(c, offset) in &line.glyphs {
            if c == ' ' {
                continue;
            }
            let g = self.glyph(weight, c, px);
            let m = &g.metrics;
            let gx = (x + offset).round() as i32 + m.xmin;
            // fontdue's ymin is the bottom edge relative to the baseline, upwards positive.
            let gy = baseline - m.ymin - m.height as i32;
            let area = IntRect::new(gx, gy, m.width as i32, m.height as i32).intersect(&bounds);
            for y in area.y..area.y + area.h {
                let row = (y - gy) as usize * m.width;
                for x in area.x..area.x + area.w {
                    let cov = g.coverage[row + (x - gx) as usize];
                    if cov != 0 {
                        let i = (y as usize * pw as usize + x as usize) * 4;
                        blend(&mut data[i..i + 4], colour, cov);
                    }
                }
            }
        }
    }
}

/// Source-over of `colour` at coverage `cov` onto one premultiplied RGBA pixel.
fn blend(dst: &mut [u8], colour: Rgba, cov: u8) {
    let a = colour.a as u32 * cov as u32 / 255;
    if a == 0 {
        return;
    }
    let inv = 255 - a;
    let src = [colour.r as u32 * a / 255, colour.g as u32 * a / 255, colour.b as u32 * a / 255, a];
    for k in 0..4 {
        dst[k] = (src[k] + (dst[k] as u32 * inv + 127) / 255).min(255) as u8;
    }
}

fn load_font(path: &Path) -> Result<fontdue::Font, FontError> {
    let bytes = std::fs::read(path).map_err(|source| FontError::Read { path: path.display().to_string(), source })?;
    fontdue::Font::from_bytes(bytes, fontdue::FontSettings::default())
        .map_err(|message| FontError::Parse { path: path.display().to_string(), message: message.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> Fonts {
        Fonts::load(&canopy_themes::Theme::default().font).expect("DejaVu fonts (fonts-dejavu-core)")
    }

    #[test]
    fn width_grows_with_text_and_scale() {
        let f = fonts();
        let a = f.width("canopy", Weight::Regular, 13.0);
        assert!(a > 30.0 && a < 60.0, "{a}");
        assert!(f.width("canopy panel", Weight::Regular, 13.0) > a);
        let b = f.width("canopy", Weight::Regular, 26.0);
        assert!((b - 2.0 * a).abs() < 2.0, "{a} {b}");
        assert!(f.width("canopy", Weight::Bold, 13.0) > a);
    }

    #[test]
    fn ellipsize_fits_and_keeps_short_text() {
        let f = fonts();
        let title = "[chromium-vm] A very long page title that cannot fit in a panel button";
        assert_eq!(f.ellipsize("short", Weight::Regular, 13.0, 200.0), "short");
        for max in [20.0, 60.0, 150.0, 300.0] {
            let e = f.ellipsize(title, Weight::Regular, 13.0, max);
            assert!(f.width(&e, Weight::Regular, 13.0) <= max, "{e} > {max}");
            assert!(e.ends_with(ELLIPSIS), "{e}");
            assert!(title.starts_with(e.trim_end_matches(ELLIPSIS)), "{e}");
        }
        assert_eq!(f.ellipsize(title, Weight::Regular, 13.0, 2.0), "");
    }

    #[test]
    fn wrap_breaks_at_spaces_within_width() {
        let f = fonts();
        let text = "the host daemon cannot be reached: connection refused";
        let lines = f.wrap(text, Weight::Regular, 13.0, 120.0);
        assert!(lines.len() >= 3, "{lines:?}");
        assert_eq!(lines.join(" "), text);
        for l in &lines {
            assert!(f.width(l, Weight::Regular, 13.0) <= 120.0 || !l.contains(' '), "{l}");
        }
        assert_eq!(f.wrap("one", Weight::Regular, 13.0, 1.0), vec!["one"]);
        assert!(f.wrap("  ", Weight::Regular, 13.0, 100.0).is_empty());
    }

    #[test]
    fn missing_font_names_the_path() {
        let mut font = canopy_themes::Theme::default().font;
        font.bold = "/nonexistent/Bold.ttf".into();
        let e = Fonts::load(&font).err().unwrap().to_string();
        assert!(e.contains("/nonexistent/Bold.ttf"), "{e}");
    }

    #[test]
    fn blend_is_source_over() {
        let mut px = [0u8, 0, 0, 255];
        blend(&mut px, Rgba::rgb(255, 255, 255), 255);
        assert_eq!(px, [255, 255, 255, 255]);
        let mut px = [0u8, 0, 0, 0];
        blend(&mut px, Rgba::rgb(255, 0, 0), 128);
        assert_eq!(px, [128, 0, 0, 128]);
    }
}
