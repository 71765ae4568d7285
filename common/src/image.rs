//! Pictures as straight (not premultiplied) RGBA bytes, and their PNG files: compositor
//! screenshots, and the images golden tests compare.

use std::io;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbaImage {
    pub width: u32,
    pub height: u32,
    /// Straight RGBA, row-major, no padding.
    pub data: Vec<u8>,
}

/// How two images differ: pixels whose largest channel difference exceeds a tolerance, and the
/// largest difference of any channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Difference {
    pub pixels: usize,
    pub max_channel: u8,
}

impl RgbaImage {
    /// Reads an 8-bit RGBA or RGB PNG; errors name the file.
    pub fn load_png(path: &Path) -> io::Result<RgbaImage> {
        Self::read_png(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
    }

    /// Writes an 8-bit RGBA PNG, creating the folder it goes in; errors name the file.
    pub fn save_png(&self, path: &Path) -> io::Result<()> {
        self.write_png(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
    }

    fn read_png(path: &Path) -> io::Result<RgbaImage> {
        let file = std::fs::File::open(path)?;
        let mut reader = png::Decoder::new(io::BufReader::new(file)).read_info().map_err(io::Error::other)?;
        let mut buf = vec![0; reader.output_buffer_size().ok_or_else(|| io::Error::other("PNG too large"))?];
        let info = reader.next_frame(&mut buf).map_err(io::Error::other)?;
        buf.truncate(info.buffer_size());
        let data = match (info.color_type, info.bit_depth) {
            (png::ColorType::Rgba, png::BitDepth::Eight) => buf,
            (png::ColorType::Rgb, png::BitDepth::Eight) => {
                buf.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect()
            }
            (c, d) => return Err(io::Error::other(format!("unsupported PNG colour type {c:?} of depth {d:?}"))),
        };
        Ok(RgbaImage { width: info.width, height: info.height, data })
    }

    fn write_png(&self, path: &Path) -> io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::File::create(path)?;
        self.encode_png(io::BufWriter::new(file))
    }

    /// The image as the bytes of an 8-bit RGBA PNG file (for a clipboard).
    pub fn png_bytes(&self) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.encode_png(&mut bytes)?;
        Ok(bytes)
    }

    fn encode_png(&self, out: impl io::Write) -> io::Result<()> {
        let mut enc = png::Encoder::new(out, self.width, self.height);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(io::Error::other)?;
        w.write_image_data(&self.data).map_err(io::Error::other)?;
        w.finish().map_err(io::Error::other)
    }

    /// Compares channel by channel; `None` when the sizes differ.
    pub fn difference(&self, other: &RgbaImage, tolerance: u8) -> Option<Difference> {
        if (self.width, self.height) != (other.width, other.height) {
            return None;
        }
        let mut d = Difference { pixels: 0, max_channel: 0 };
        for (a, b) in self.data.chunks_exact(4).zip(other.data.chunks_exact(4)) {
            let m = a.iter().zip(b).map(|(x, y)| x.abs_diff(*y)).max().unwrap_or(0);
            d.max_channel = d.max_channel.max(m);
            if m > tolerance {
                d.pixels += 1;
            }
        }
        Some(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(pixels: &[[u8; 4]], width: u32) -> RgbaImage {
        RgbaImage { width, height: pixels.len() as u32 / width, data: pixels.concat() }
    }

    #[test]
    fn difference_counts_pixels_over_tolerance() {
        let a = image(&[[10, 0, 0, 255], [0, 0, 0, 255]], 2);
        let b = image(&[[13, 0, 0, 255], [200, 0, 0, 255]], 2);
        assert_eq!(a.difference(&b, 2), Some(Difference { pixels: 2, max_channel: 200 }));
        assert_eq!(a.difference(&b, 3).unwrap().pixels, 1);
        assert_eq!(a.difference(&image(&[[0; 4]], 1), 0), None);
    }

    #[test]
    fn png_round_trip_and_rgb_files() {
        let dir = tempfile::tempdir().unwrap();
        let a = image(&[[1, 2, 3, 255], [4, 5, 6, 128], [7, 8, 9, 0], [10, 11, 12, 255]], 2);
        let path = dir.path().join("deeper/a.png");
        a.save_png(&path).unwrap();
        assert_eq!(RgbaImage::load_png(&path).unwrap(), a);

        let rgb = dir.path().join("rgb.png");
        let mut enc = png::Encoder::new(std::fs::File::create(&rgb).unwrap(), 1, 1);
        enc.set_color(png::ColorType::Rgb);
        enc.write_header().unwrap().write_image_data(&[9, 8, 7]).unwrap();
        assert_eq!(RgbaImage::load_png(&rgb).unwrap(), image(&[[9, 8, 7, 255]], 1));

        let e = RgbaImage::load_png(&dir.path().join("none.png")).unwrap_err();
        assert!(e.to_string().contains("none.png"), "{e}");
    }
}
