//! Golden images: what a test renders, compared with a reviewed PNG. The one comparer of every
//! golden test (the shell's views, the launcher's, the compositor's screens).
//!
//! `CANOPY_BLESS=1` writes the golden files from the current run instead (look at each one
//! before committing it). On a mismatch the image is written next to the golden as
//! `NAME.png.new` (ignored by git) for a person to look at.

use std::path::Path;

use crate::image::RgbaImage;

/// The variable that makes every golden test write its images instead of comparing them.
pub const BLESS: &str = "CANOPY_BLESS";

/// Whether this run writes golden images (`CANOPY_BLESS=1`).
pub fn blessing() -> bool {
    std::env::var_os(BLESS).is_some_and(|v| v == "1")
}

/// Checks `image` against the golden PNG at `path`: at most `max_pixels` pixels may differ by
/// more than `tolerance` in any channel. With `CANOPY_BLESS=1` the golden is (re)written.
pub fn check(path: &Path, image: &RgbaImage, tolerance: u8, max_pixels: usize) -> Result<(), String> {
    if blessing() {
        image.save_png(path).map_err(|e| format!("writing golden image: {e}"))?;
        eprintln!("wrote golden image {}", path.display());
        return Ok(());
    }
    let new_path = path.with_extension("png.new");
    let fail = |msg: String| {
        let _ = image.save_png(&new_path);
        Err(format!("{msg}; the new image is {}; {BLESS}=1 accepts it", new_path.display()))
    };
    let golden = match RgbaImage::load_png(path) {
        Ok(g) => g,
        Err(e) => return fail(format!("cannot read golden image {e}")),
    };
    match image.difference(&golden, tolerance) {
        None => fail(format!(
            "size {}x{} differs from golden {} ({}x{})",
            image.width,
            image.height,
            path.display(),
            golden.width,
            golden.height
        )),
        Some(d) if d.pixels > max_pixels => fail(format!(
            "{} pixels differ from golden {} by more than {tolerance} (allowed {max_pixels}; largest difference {})",
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
    fn a_match_passes_and_a_mismatch_leaves_the_new_image_beside_the_golden() {
        if blessing() {
            return; // this test compares; a blessing run writes instead
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.png");
        let a = RgbaImage { width: 2, height: 1, data: vec![10, 10, 10, 255, 20, 20, 20, 255] };
        a.save_png(&path).unwrap();
        assert_eq!(check(&path, &a, 0, 0), Ok(()));

        let mut b = a.clone();
        b.data[0] = 13;
        assert_eq!(check(&path, &b, 3, 0), Ok(()), "within the tolerance");
        assert_eq!(check(&path, &b, 0, 1), Ok(()), "within the pixels allowed");
        let e = check(&path, &b, 2, 0).unwrap_err();
        assert!(e.contains("1 pixels differ") && e.contains("CANOPY_BLESS=1 accepts it"), "{e}");
        let new = dir.path().join("g.png.new");
        assert_eq!(RgbaImage::load_png(&new).unwrap(), b);
        assert_eq!(check(&path, &a, 0, 0), Ok(()));
        assert!(!new.exists(), "a later match removes the stale new image");

        let small = RgbaImage { width: 1, height: 1, data: vec![0; 4] };
        assert!(check(&path, &small, 255, usize::MAX).unwrap_err().contains("size 1x1 differs"));
        let e = check(&dir.path().join("missing.png"), &a, 0, 0).unwrap_err();
        assert!(e.contains("cannot read golden image") && e.contains("missing.png"), "{e}");
    }
}
