//! Screenshots as RGBA images, and golden-image comparison.
//!
//! Golden images live in `tests/golden/NAME.png`. `CANOPY_UPDATE_GOLDEN=1` writes them from the
//! current run (look at every one before committing); a mismatch writes the actual image
//! next to the target dir so it can be looked at.

use std::path::{Path, PathBuf};

use anyhow::Context;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl Image {
    pub fn load(path: &Path) -> anyhow::Result<Image> {
        let decoder = png::Decoder::new(std::io::BufReader::new(
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?,
        ));
        let mut reader = decoder.read_info()?;
        let mut buf = vec![0; reader.output_buffer_size().context("png size")?];
        let info = reader.next_frame(&mut buf)?;
        buf.truncate(info.buffer_size());
        let data = match info.color_type {
            png::ColorType::Rgba => buf,
            png::ColorType::Rgb => buf.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
            other => anyhow::bail!("{}: unsupported PNG colour type {other:?}", path.display()),
        };
        Ok(Image { width: info.width, height: info.height, data })
    }

    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut enc = png::Encoder::new(std::io::BufWriter::new(std::fs::File::create(path)?), self.width, self.height);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header()?;
        w.write_image_data(&self.data)?;
        w.finish()?;
        Ok(())
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

    /// Pixels differing by more than `tolerance` in any channel.
    pub fn diff_count(&self, other: &Image, tolerance: u8) -> usize {
        if (self.width, self.height) != (other.width, other.height) {
            return usize::MAX;
        }
        self.data
            .chunks_exact(4)
            .zip(other.data.chunks_exact(4))
            .filter(|(a, b)| a.iter().zip(b.iter()).any(|(x, y)| x.abs_diff(*y) > tolerance))
            .count()
    }
}

pub fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("golden")
}

/// Compare with `tests/golden/NAME.png`: at most `max_pixels` may differ by more than
/// `tolerance` per channel. Panics with a pointer to the actual image when they differ.
pub fn assert_golden(name: &str, actual: &Image, tolerance: u8, max_pixels: usize) {
    let path = golden_dir().join(format!("{name}.png"));
    if std::env::var_os("CANOPY_UPDATE_GOLDEN").is_some() {
        actual.save(&path).expect("writing golden image");
        eprintln!("wrote golden image {}", path.display());
        return;
    }
    let expected = Image::load(&path)
        .unwrap_or_else(|e| panic!("golden image {}: {e:#} (CANOPY_UPDATE_GOLDEN=1 creates it)", path.display()));
    let diff = actual.diff_count(&expected, tolerance);
    if diff > max_pixels {
        let out =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/golden-diff").join(format!("{name}.actual.png"));
        let _ = actual.save(&out);
        panic!(
            "{name}: {} pixels differ from {} (allowed {max_pixels} beyond ±{tolerance}); actual image: {}",
            if diff == usize::MAX { "size differs, all".to_string() } else { diff.to_string() },
            path.display(),
            out.display()
        );
    }
}
