//! Moving pixels out of pixmaps: into wl_shm buffers, and into PNG files for golden tests.

use std::path::Path;

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

/// How two images differ: pixels whose largest channel difference exceeds the tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Difference {
    pub pixels: usize,
    pub max_channel: u8,
}

/// Compares two images of the same size channel by channel.
pub fn difference(a: &Pixmap, b: &Pixmap, tolerance: u8) -> Option<Difference> {
    if a.width() != b.width() || a.height() != b.height() {
        return None;
    }
    let mut d = Difference { pixels: 0, max_channel: 0 };
    for (pa, pb) in a.data().chunks_exact(4).zip(b.data().chunks_exact(4)) {
        let m = pa.iter().zip(pb).map(|(x, y)| x.abs_diff(*y)).max().unwrap_or(0);
        d.max_channel = d.max_channel.max(m);
        if m > tolerance {
            d.pixels += 1;
        }
    }
    Some(d)
}

/// Checks `image` against the reviewed golden PNG at `path`.
///
/// With `CANOPY_BLESS=1` the golden file is (re)written instead. On a mismatch the image is
/// written next to the golden as `NAME.png.new` (ignored by git) for a person to look at.
pub fn check_golden(image: &Pixmap, path: &Path, tolerance: u8) -> Result<(), String> {
    if std::env::var_os("CANOPY_BLESS").is_some_and(|v| v == "1") {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        image.save_png(path).map_err(|e| format!("writing {}: {e}", path.display()))?;
        return Ok(());
    }
    let new_path = path.with_extension("png.new");
    let fail = |msg: String| {
        let _ = image.save_png(&new_path);
        Err(format!("{msg}; the new image is {}; CANOPY_BLESS=1 accepts it", new_path.display()))
    };
    let golden = match Pixmap::load_png(path) {
        Ok(g) => g,
        Err(e) => return fail(format!("cannot read golden {}: {e}", path.display())),
    };
    match difference(image, &golden, tolerance) {
        None => fail(format!(
            "size {}x{} differs from golden {} ({}x{})",
            image.width(),
            image.height(),
            path.display(),
            golden.width(),
            golden.height()
        )),
        Some(d) if d.pixels > 0 => fail(format!(
            "{} pixels differ from golden {} by more than {tolerance} (largest difference {})",
            d.pixels,
            path.display(),
            d.max_channel
        )),
        Some(_) => {
            let _ = std::fs::remove_file(&new_path);
            Ok(())
        }
    }
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
    fn difference_counts_pixels_over_tolerance() {
        let mut a = Pixmap::new(2, 1).unwrap();
        let mut b = Pixmap::new(2, 1).unwrap();
        a.data_mut()[0] = 10;
        b.data_mut()[0] = 13;
        b.data_mut()[4] = 200;
        assert_eq!(difference(&a, &b, 2), Some(Difference { pixels: 2, max_channel: 200 }));
        assert_eq!(difference(&a, &b, 3).unwrap().pixels, 1);
        assert_eq!(difference(&a, &Pixmap::new(1, 1).unwrap(), 0), None);
    }
}
