//! Title text with fontdue: one line, kerned, cut with an ellipsis when it does not fit.

use std::path::Path;

use anyhow::Context;
use tiny_skia::{Pixmap, PremultipliedColorU8};

pub struct Fonts {
    pub regular: fontdue::Font,
    pub bold: fontdue::Font,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fonts")
    }
}

fn load(path: &Path) -> anyhow::Result<fontdue::Font> {
    let bytes = std::fs::read(path).with_context(|| format!("font file {}", path.display()))?;
    fontdue::Font::from_bytes(bytes, fontdue::FontSettings::default())
        .map_err(|e| anyhow::anyhow!("font file {}: {e}", path.display()))
}

impl Fonts {
    pub fn load(theme: &canopy_themes::Theme) -> anyhow::Result<Fonts> {
        Ok(Fonts { regular: load(&theme.font.regular)?, bold: load(&theme.font.bold)? })
    }
}

/// Width in pixels of `text` at `px`.
pub fn text_width(font: &fontdue::Font, text: &str, px: f32) -> f32 {
    let mut width = 0.0;
    let mut prev = None;
    for c in text.chars() {
        if let Some(p) = prev {
            width += font.horizontal_kern(p, c, px).unwrap_or(0.0);
        }
        width += font.metrics(c, px).advance_width;
        prev = Some(c);
    }
    width
}

/// The longest prefix of `text` that fits in `max_width` with an ellipsis after it.
pub fn fit_text(font: &fontdue::Font, text: &str, px: f32, max_width: f32) -> String {
    if text_width(font, text, px) <= max_width {
        return text.to_string();
    }
    let ellipsis = "…";
    let budget = max_width - text_width(font, ellipsis, px);
    let mut out = String::new();
    for c in text.chars() {
        out.push(c);
        if text_width(font, &out, px) > budget {
            out.pop();
            break;
        }
    }
    let trimmed = out.trim_end();
    format!("{trimmed}{ellipsis}")
}

/// Draws `text` with its baseline at `baseline`, starting at `x`, blending `colour` by glyph
/// coverage (source-over onto premultiplied pixels).
pub fn draw_text(
    pixmap: &mut Pixmap,
    font: &fontdue::Font,
    text: &str,
    px: f32,
    x: f32,
    baseline: f32,
    colour: canopy_themes::Rgba,
) {
    let width = pixmap.width() as i32;
    let height = pixmap.height() as i32;
    let pixels = pixmap.pixels_mut();
    let mut pen = x;
    let mut prev = None;
    for c in text.chars() {
        if let Some(p) = prev {
            pen += font.horizontal_kern(p, c, px).unwrap_or(0.0);
        }
        let (m, coverage) = font.rasterize(c, px);
        let gx = (pen + m.xmin as f32).round() as i32;
        let gy = (baseline - m.height as f32 - m.ymin as f32).round() as i32;
        for row in 0..m.height as i32 {
            let y = gy + row;
            if y < 0 || y >= height {
                continue;
            }
            for col in 0..m.width as i32 {
                let xx = gx + col;
                if xx < 0 || xx >= width {
                    continue;
                }
                let cov = coverage[(row * m.width as i32 + col) as usize] as u32;
                if cov == 0 {
                    continue;
                }
                let a = cov * colour.a as u32 / 255;
                let idx = (y * width + xx) as usize;
                let dst = pixels[idx];
                let blend = |s: u8, d: u8| ((s as u32 * a + d as u32 * (255 - a)) / 255) as u8;
                let out_a = (a + dst.alpha() as u32 * (255 - a) / 255) as u8;
                let (r, g, b) = (blend(colour.r, dst.red()), blend(colour.g, dst.green()), blend(colour.b, dst.blue()));
                // Premultiplied: colour channels never exceed alpha.
                pixels[idx] = PremultipliedColorU8::from_rgba(r.min(out_a), g.min(out_a), b.min(out_a), out_a)
                    .expect("channels bounded by alpha");
            }
        }
        pen += m.advance_width;
        prev = Some(c);
    }
}
