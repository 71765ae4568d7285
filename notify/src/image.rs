//! Notification pictures: the D-Bus `image-data` hint turned into the wire's small RGBA image
//! (in the sender's VM), and the wire's image checked into a picture to draw (in the GUI VM).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
pub use canopy_common::image::RgbaImage;
use canopy_protocols::notify::{Image, MAX_IMAGE_SIDE};

/// The `image-data` hint's structure `(iiibiiay)`, as an app sent it.
pub struct RawImage<'a> {
    pub width: i32,
    pub height: i32,
    pub rowstride: i32,
    pub has_alpha: bool,
    pub bits_per_sample: i32,
    pub channels: i32,
    pub data: &'a [u8],
}

/// Converts an app's image to RGBA no larger than 255x255 (shrunk by whole-pixel sampling when
/// larger), for the wire. None when the image is not 8-bit RGB(A) or does not fit its data.
pub fn from_hint(raw: &RawImage<'_>) -> Option<Image> {
    let channels = if raw.has_alpha { 4 } else { 3 };
    if raw.bits_per_sample != 8 || raw.channels != channels || raw.width < 1 || raw.height < 1 {
        return None;
    }
    let (w, h, stride) = (raw.width as usize, raw.height as usize, raw.rowstride as usize);
    let channels = channels as usize;
    // The last row need not be padded to the stride.
    if raw.rowstride < 0 || stride < w.checked_mul(channels)? || raw.data.len() < stride * (h - 1) + w * channels {
        return None;
    }
    let max = MAX_IMAGE_SIDE as usize;
    let shrink = (w.max(h) as f64 / max as f64).max(1.0);
    let (ow, oh) = (((w as f64 / shrink) as usize).clamp(1, max), ((h as f64 / shrink) as usize).clamp(1, max));
    let mut rgba = Vec::with_capacity(ow * oh * 4);
    for y in 0..oh {
        let sy = (y * h / oh).min(h - 1);
        for x in 0..ow {
            let sx = (x * w / ow).min(w - 1);
            let p = &raw.data[sy * stride + sx * channels..][..channels];
            rgba.extend_from_slice(&[p[0], p[1], p[2], if channels == 4 { p[3] } else { 255 }]);
        }
    }
    Some(Image { width: ow as u32, height: oh as u32, rgba: STANDARD.encode(&rgba) })
}

/// The wire's image as a picture (each side 1 to 255 pixels), or why it is refused.
pub fn check(image: &Image) -> Result<RgbaImage, String> {
    let (w, h) = (image.width, image.height);
    if !(1..=MAX_IMAGE_SIDE).contains(&w) || !(1..=MAX_IMAGE_SIDE).contains(&h) {
        return Err(format!("image of {w}x{h} pixels (at most {MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE})"));
    }
    let want = (w * h * 4) as usize;
    // Checked before decoding, so no more is decoded than a right-sized image holds.
    if image.rgba.len() != want.div_ceil(3) * 4 {
        return Err(format!("image of {w}x{h} pixels with {} bytes of base64", image.rgba.len()));
    }
    let rgba = STANDARD.decode(&image.rgba).map_err(|e| format!("image data: {e}"))?;
    if rgba.len() != want {
        return Err(format!("image of {w}x{h} pixels with {} bytes", rgba.len()));
    }
    Ok(RgbaImage { width: w, height: h, data: rgba })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(w: i32, h: i32, stride: i32, alpha: bool, data: &[u8]) -> RawImage<'_> {
        let channels = if alpha { 4 } else { 3 };
        RawImage { width: w, height: h, rowstride: stride, has_alpha: alpha, bits_per_sample: 8, channels, data }
    }

    #[test]
    fn rgb_with_padded_rows_becomes_rgba() {
        // 2x2 RGB, stride 8 (2 bytes of padding), last row unpadded.
        let data = [1, 2, 3, 4, 5, 6, 0, 0, 7, 8, 9, 10, 11, 12];
        let img = from_hint(&raw(2, 2, 8, false, &data)).unwrap();
        let pic = check(&img).unwrap();
        assert_eq!((pic.width, pic.height), (2, 2));
        assert_eq!(pic.data, [1, 2, 3, 255, 4, 5, 6, 255, 7, 8, 9, 255, 10, 11, 12, 255]);
    }

    #[test]
    fn large_images_shrink_to_255_keeping_their_shape() {
        let data = vec![200u8; 1000 * 500 * 4];
        let img = from_hint(&raw(1000, 500, 4000, true, &data)).unwrap();
        assert_eq!((img.width, img.height), (255, 127));
        assert_eq!(check(&img).unwrap().data.len(), 255 * 127 * 4);
    }

    #[test]
    fn images_that_lie_about_their_shape_are_dropped_in_the_vm() {
        assert!(from_hint(&raw(4, 4, 16, true, &[0; 63])).is_none(), "data too short");
        assert!(from_hint(&raw(4, 4, 8, true, &[0; 64])).is_none(), "stride under a row");
        assert!(from_hint(&raw(0, 4, 16, true, &[0; 64])).is_none());
        assert!(from_hint(&raw(i32::MAX, 1, -4, true, &[0; 64])).is_none());
        let mut r = raw(1, 1, 4, true, &[0; 4]);
        r.bits_per_sample = 16;
        assert!(from_hint(&r).is_none());
        r = raw(1, 1, 4, true, &[0; 4]);
        r.channels = 3;
        assert!(from_hint(&r).is_none());
    }

    #[test]
    fn the_gui_side_refuses_wrong_sizes_and_data() {
        let ok = from_hint(&raw(3, 3, 12, true, &[9; 36])).unwrap();
        assert!(check(&ok).is_ok());
        for bad in [
            Image { width: 256, ..ok.clone() },
            Image { height: 0, ..ok.clone() },
            Image { width: 4, ..ok.clone() },
            Image { rgba: ok.rgba.clone() + "AAAA", ..ok.clone() },
            Image { rgba: "!".repeat(ok.rgba.len()), ..ok.clone() },
            Image { width: 255, height: 255, rgba: String::new() },
        ] {
            assert!(check(&bad).is_err(), "{}x{} {}", bad.width, bad.height, bad.rgba.len());
        }
    }
}
