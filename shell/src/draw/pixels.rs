//! Moving pixels out of pixmaps: into wl_shm buffers, and into straight RGBA for golden tests.

use std::path::Path;

use canopy_common::image::RgbaImage;
use tiny_skia::Pixmap;

use super::geometry::IntRect;

/// Copies `rect` of `src` (premultiplied RGBA bytes) into a wl_shm `Argb8888` buffer, whose
/// little-endian pixels are stored as B, G, R, A bytes. Argb8888 is the one format every
/// compositor must support, so the swizzle is done here rather than asking for Abgr8888.
pub fn copy_to_argb8888(src: &Pixmap, dst: &mut [u8], stride: usize, rect: IntRect) {
    let full = IntRect::new(0, 0, src.width() as i32, src.height() as i32);
    let r = rect.intersect(&full);
    let sw = src.width() as usize;
    let data = src.data();
    let (x0, x1) = (r.x as usize * 4, (r.x + r.w) as usize * 4);
    for y in r.y as usize..(r.y + r.h) as usize {
        let d = &mut dst[y * stride + x0..y * stride + x1];
        d.copy_from_slice(&data[y * sw * 4 + x0..y * sw * 4 + x1]);
        // Swap red and blue in place, a word at a time: RGBA bytes are 0xAABBGGRR as a
        // little-endian word, and Argb8888 wants 0xAARRGGBB.
        // SAFETY: any bit pattern is a valid u32.
        let (head, words, _) = unsafe { d.align_to_mut::<u32>() };
        if head.is_empty() {
            for v in words {
                let w = u32::from_le(*v);
                *v = ((w & 0xFF00_FF00) | ((w >> 16) & 0xFF) | ((w & 0xFF) << 16)).to_le();
            }
        } else {
            // A row that does not start on a word boundary (not so in wl_shm pools).
            for px in d.chunks_exact_mut(4) {
                px.swap(0, 2);
            }
        }
    }
}

/// Copies `rect` of `src` into a wl_shm `Abgr8888` buffer: the same byte order as tiny-skia's
/// premultiplied RGBA, so each row is a plain memory copy.
pub fn copy_to_abgr8888(src: &Pixmap, dst: &mut [u8], stride: usize, rect: IntRect) {
    let full = IntRect::new(0, 0, src.width() as i32, src.height() as i32);
    let r = rect.intersect(&full);
    let sw = src.width() as usize;
    let data = src.data();
    let (x0, x1) = (r.x as usize * 4, (r.x + r.w) as usize * 4);
    for y in r.y as usize..(r.y + r.h) as usize {
        dst[y * stride + x0..y * stride + x1].copy_from_slice(&data[y * sw * 4 + x0..y * sw * 4 + x1]);
    }
}

/// The pixmap as straight (not premultiplied) RGBA, as a PNG file holds it.
pub fn to_rgba(image: &Pixmap) -> RgbaImage {
    let data = image
        .pixels()
        .iter()
        .flat_map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue(), c.alpha()]
        })
        .collect();
    RgbaImage { width: image.width(), height: image.height(), data }
}

/// Checks `image` against the reviewed golden PNG at `path` with the one golden comparer
/// (`canopy_common::golden`: `CANOPY_BLESS=1` writes the golden instead; a mismatch leaves
/// `NAME.png.new` beside it).
pub fn check_golden(image: &Pixmap, path: &Path, tolerance: u8) -> Result<(), String> {
    canopy_common::golden::check(path, &to_rgba(image), tolerance, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argb_swizzle_copies_only_the_rect() {
        let mut src = Pixmap::new(4, 2).unwrap();
        src.fill(tiny_skia::Color::from_rgba8(10, 20, 30, 255));
        let mut dst = vec![0u8; 4 * 4 * 2 + 8]; // stride larger than the row
        copy_to_argb8888(&src, &mut dst, 20, IntRect::new(1, 1, 2, 5));
        assert_eq!(&dst[20 + 4..20 + 12], &[30, 20, 10, 255, 30, 20, 10, 255]);
        assert!(dst[..20].iter().all(|&b| b == 0));
        assert!(dst[20..24].iter().all(|&b| b == 0));
    }

    #[test]
    fn abgr_copy_keeps_bytes_and_copies_only_the_rect() {
        let mut src = Pixmap::new(4, 2).unwrap();
        src.fill(tiny_skia::Color::from_rgba8(10, 20, 30, 255));
        let mut dst = vec![0u8; 20 * 2];
        copy_to_abgr8888(&src, &mut dst, 20, IntRect::new(1, 1, 2, 5));
        assert_eq!(&dst[20 + 4..20 + 12], &[10, 20, 30, 255, 10, 20, 30, 255]);
        assert!(dst[..24].iter().all(|&b| b == 0) && dst[32..].iter().all(|&b| b == 0));
    }

    #[test]
    fn straight_rgba_undoes_the_premultiplication() {
        let mut p = Pixmap::new(2, 1).unwrap();
        p.fill(tiny_skia::Color::from_rgba8(200, 100, 50, 128));
        let rgba = to_rgba(&p);
        assert_eq!((rgba.width, rgba.height), (2, 1));
        for px in rgba.data.chunks_exact(4) {
            assert!(px[0].abs_diff(200) <= 1 && px[1].abs_diff(100) <= 1 && px[2].abs_diff(50) <= 1, "{px:?}");
            assert_eq!(px[3], 128);
        }
    }
}
