//! Screenshots as RGBA images, what tests look for in them, and their golden images.
//!
//! Golden images live in `tests/golden/NAME.png` and go through the one golden comparer
//! (`canopy_common::golden`): `CANOPY_BLESS=1` writes them from the current run (look at every
//! one before committing); a mismatch writes the actual image beside the golden as
//! `NAME.png.new`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use canopy_common::golden;
use canopy_common::image::RgbaImage;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl Image {
    pub fn load(path: &Path) -> anyhow::Result<Image> {
        Ok(RgbaImage::load_png(path)?.into())
    }

    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        Ok(self.rgba().save_png(path)?)
    }

    fn rgba(&self) -> RgbaImage {
        RgbaImage { width: self.width, height: self.height, data: self.data.clone() }
    }

    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = ((y * self.width + x) * 4) as usize;
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }

    pub fn crop(&self, x: u32, y: u32, w: u32, h: u32) -> Image {
        let mut data = Vec::with_capacity((w * h * 4) as usize);
        for row in y..y + h {
            let start = ((row * self.width + x) * 4) as usize;
            data.extend_from_slice(&self.data[start..start + (w * 4) as usize]);
        }
        Image { width: w, height: h, data }
    }

    /// How many pixels of a rectangle are exactly `rgb`.
    pub fn count_colour(&self, x: u32, y: u32, w: u32, h: u32, rgb: [u8; 3]) -> usize {
        let mut n = 0;
        for yy in y..(y + h).min(self.height) {
            for xx in x..(x + w).min(self.width) {
                if self.pixel(xx, yy) == rgb {
                    n += 1;
                }
            }
        }
        n
    }

    /// Where pixels of the `content` colours are not enclosed by the `frame` colours: every run of
    /// content pixels along a row or a column must have a frame pixel right before and right
    /// after it, on this image (its edge does not count). Returns the offending run starts.
    pub fn unframed(&self, content: &[[u8; 3]], frame: &[[u8; 3]]) -> Vec<(u32, u32)> {
        let is = |set: &[[u8; 3]], x: u32, y: u32| set.contains(&self.pixel(x, y));
        let mut bad = Vec::new();
        let mut scan = |len: u32, lines: u32, at: &dyn Fn(u32, u32) -> (u32, u32)| {
            for line in 0..lines {
                let mut i = 0;
                while i < len {
                    let (x, y) = at(i, line);
                    if !is(content, x, y) {
                        i += 1;
                        continue;
                    }
                    let start = i;
                    while i < len && {
                        let (x, y) = at(i, line);
                        is(content, x, y)
                    } {
                        i += 1;
                    }
                    let before = start > 0 && {
                        let (x, y) = at(start - 1, line);
                        is(frame, x, y)
                    };
                    let after = i < len && {
                        let (x, y) = at(i, line);
                        is(frame, x, y)
                    };
                    if !(before && after) {
                        bad.push(at(start, line));
                    }
                }
            }
        };
        scan(self.width, self.height, &|i, line| (i, line));
        scan(self.height, self.width, &|i, line| (line, i));
        bad
    }

    /// Pixels differing by more than `tolerance` in any channel (`usize::MAX` when the sizes
    /// differ).
    pub fn diff_count(&self, other: &Image, tolerance: u8) -> usize {
        self.rgba().difference(&other.rgba(), tolerance).map_or(usize::MAX, |d| d.pixels)
    }
}

impl From<RgbaImage> for Image {
    fn from(i: RgbaImage) -> Image {
        Image { width: i.width, height: i.height, data: i.data }
    }
}

pub fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("golden")
}

/// Compare with `tests/golden/NAME.png`: at most `max_pixels` may differ by more than
/// `tolerance` per channel. Panics with a pointer to the actual image when they differ.
pub fn assert_golden(name: &str, actual: &Image, tolerance: u8, max_pixels: usize) {
    let path = golden_dir().join(format!("{name}.png"));
    if let Err(e) = golden::check(&path, &actual.rgba(), tolerance, max_pixels) {
        panic!("{name}: {e}");
    }
}

/// For a screen its client draws in more than one step: takes pictures with `shot` until one
/// matches `tests/golden/NAME.png` as [`assert_golden`] compares, and fails as it does with the
/// last one after [`crate::fixture::TIMEOUT`]. With `CANOPY_BLESS=1` it writes the first picture
/// that the next two (200 ms apart) agree with.
pub fn wait_for_golden(name: &str, tolerance: u8, max_pixels: usize, mut shot: impl FnMut() -> Image) {
    if golden::blessing() {
        let mut last = shot();
        let mut same = 0;
        while same < 2 {
            std::thread::sleep(Duration::from_millis(200));
            let now = shot();
            same = if now == last { same + 1 } else { 0 };
            last = now;
        }
        return assert_golden(name, &last, tolerance, max_pixels);
    }
    let path = golden_dir().join(format!("{name}.png"));
    let deadline = Instant::now() + crate::fixture::TIMEOUT;
    loop {
        match golden::check(&path, &shot().rgba(), tolerance, max_pixels) {
            Ok(()) => return,
            Err(e) if Instant::now() > deadline => panic!("{name}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}
