//! Drawing laid-out lines into premultiplied RGBA pixels (tiny-skia's layout): glyph images from
//! swash (outlines as coverage, colour emoji as RGBA), cached within a byte budget, and a box
//! for a character no font has.

use std::sync::Arc;

use canopy_themes::Rgba;
use cosmic_text::{CacheKey, FontSystem, SwashCache, SwashContent, SwashImage};
use tiny_skia::PixmapMut;

use crate::cache::GenCache;
use crate::line::Line;

/// Glyph images kept, in bytes per generation (two generations at most).
const GLYPH_BUDGET: usize = 4 << 20;

/// A rectangle of device pixels that drawing stays inside: `x0..x1`, `y0..y1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clip {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
}

impl Clip {
    pub const fn new(x0: i32, y0: i32, x1: i32, y1: i32) -> Clip {
        Clip { x0, y0, x1, y1 }
    }

    pub fn intersect(&self, o: &Clip) -> Clip {
        Clip { x0: self.x0.max(o.x0), y0: self.y0.max(o.y0), x1: self.x1.min(o.x1), y1: self.y1.min(o.y1) }
    }
}

pub struct Raster {
    swash: SwashCache,
    images: GenCache<CacheKey, Option<Arc<SwashImage>>>,
}

impl Raster {
    pub fn new() -> Raster {
        Raster { swash: SwashCache::new(), images: GenCache::new(GLYPH_BUDGET) }
    }

    fn image(&mut self, fs: &mut FontSystem, key: CacheKey) -> Option<Arc<SwashImage>> {
        if let Some(hit) = self.images.get(&key) {
            return hit;
        }
        let image = self.swash.get_image_uncached(fs, key).map(Arc::new);
        let cost = image.as_ref().map_or(0, |i| i.data.len()) + 64;
        self.images.insert(key, image.clone(), cost);
        image
    }

    /// Draws `line` with its left edge at device x `x` and its baseline at `baseline`, in
    /// `colour` (colour glyphs keep their own colours), inside `clip` and the pixmap.
    /// `box_height` is how tall the box for a missing character is.
    #[allow(clippy::too_many_arguments)]
    pub fn draw(
        &mut self,
        fs: &mut FontSystem,
        target: &mut PixmapMut<'_>,
        line: &Line,
        x: f32,
        baseline: f32,
        colour: Rgba,
        clip: Clip,
        box_height: f32,
    ) {
        let (w, h) = (target.width() as i32, target.height() as i32);
        let clip = clip.intersect(&Clip::new(0, 0, w, h));
        if clip.x0 >= clip.x1 || clip.y0 >= clip.y1 {
            return;
        }
        let stride = w as usize;
        let data = target.data_mut();
        for g in line.glyphs() {
            if g.glyph_id == 0 {
                missing_box(data, stride, clip, x + g.x, baseline, g.w, box_height, colour);
                continue;
            }
            let p = g.physical((x, baseline.round()), 1.0);
            let Some(image) = self.image(fs, p.cache_key) else { continue };
            let pl = image.placement;
            let (gx, gy) = (p.x + pl.left, p.y - pl.top);
            let (iw, ih) = (pl.width as i32, pl.height as i32);
            let (x0, x1) = (gx.max(clip.x0), (gx + iw).min(clip.x1));
            let (y0, y1) = (gy.max(clip.y0), (gy + ih).min(clip.y1));
            for y in y0..y1 {
                let row = (y - gy) as usize * pl.width as usize;
                for xx in x0..x1 {
                    let src = row + (xx - gx) as usize;
                    let i = (y as usize * stride + xx as usize) * 4;
                    match image.content {
                        SwashContent::Color => {
                            let c = &image.data[src * 4..src * 4 + 4];
                            blend(&mut data[i..i + 4], Rgba { r: c[0], g: c[1], b: c[2], a: c[3] }, 255);
                        }
                        SwashContent::Mask => blend(&mut data[i..i + 4], colour, image.data[src]),
                        SwashContent::SubpixelMask => {
                            let c = &image.data[src * 4..src * 4 + 3];
                            let cov = ((c[0] as u32 + c[1] as u32 + c[2] as u32) / 3) as u8;
                            blend(&mut data[i..i + 4], colour, cov);
                        }
                    }
                }
            }
        }
    }
}

/// The box drawn for a character no font has: an outline inside its advance, from the
/// baseline up, so the reader sees that something is there and where.
#[allow(clippy::too_many_arguments)]
fn missing_box(data: &mut [u8], stride: usize, clip: Clip, x: f32, baseline: f32, advance: f32, height: f32, c: Rgba) {
    let line = (height / 14.0).round().max(1.0) as i32;
    let inset = (advance * 0.12).max(1.0);
    let (x0, x1) = ((x + inset).round() as i32, (x + advance - inset).round() as i32);
    let (y1, y0) = (baseline.round() as i32, (baseline - height).round() as i32);
    if x1 - x0 < 2 * line || y1 - y0 < 2 * line {
        return;
    }
    let edges = [(x0, y0, x1, y0 + line), (x0, y1 - line, x1, y1), (x0, y0, x0 + line, y1), (x1 - line, y0, x1, y1)];
    for (ex0, ey0, ex1, ey1) in edges {
        for y in ey0.max(clip.y0)..ey1.min(clip.y1) {
            for xx in ex0.max(clip.x0)..ex1.min(clip.x1) {
                let i = (y as usize * stride + xx as usize) * 4;
                blend(&mut data[i..i + 4], c, 255);
            }
        }
    }
}

/// Source-over of `colour` (straight alpha) at coverage `cov` onto one premultiplied RGBA pixel.
pub(crate) fn blend(dst: &mut [u8], colour: Rgba, cov: u8) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
