//! Cutting and comparing captured images: a window's or a region's part of an output, and which
//! part of a source changed since a client last copied it (the damage a capture reports).

use smithay::utils::{Physical, Rectangle};

use crate::render::screenshot::RgbaImage;

/// `rect` (physical, output-relative) of `image`, clipped to it; none when nothing is left.
pub fn crop(image: &RgbaImage, rect: Rectangle<i32, Physical>) -> Option<RgbaImage> {
    let whole = Rectangle::<i32, Physical>::from_size((image.width as i32, image.height as i32).into());
    let r = rect.intersection(whole)?;
    let (x, y, w, h) = (r.loc.x as usize, r.loc.y as usize, r.size.w as usize, r.size.h as usize);
    let stride = image.width as usize * 4;
    let mut data = Vec::with_capacity(w * h * 4);
    for row in y..y + h {
        data.extend_from_slice(&image.data[row * stride + x * 4..row * stride + (x + w) * 4]);
    }
    Some(RgbaImage { width: w as u32, height: h as u32, data })
}

/// The smallest rectangle holding every pixel that differs between `before` and `after`: none
/// when they are the same, all of `after` when their sizes differ.
pub fn changed(before: &RgbaImage, after: &RgbaImage) -> Option<Rectangle<i32, Physical>> {
    let whole = Rectangle::from_size((after.width as i32, after.height as i32).into());
    if (before.width, before.height) != (after.width, after.height) {
        return Some(whole);
    }
    let stride = after.width as usize * 4;
    if stride == 0 {
        return None;
    }
    let rows = before.data.chunks_exact(stride).zip(after.data.chunks_exact(stride));
    let (mut top, mut bottom, mut left, mut right) = (usize::MAX, 0, usize::MAX, 0);
    for (y, (a, b)) in rows.enumerate() {
        // Whole rows compare as memory; only a row that differs is looked at pixel by pixel.
        if a == b {
            continue;
        }
        let first = a.chunks_exact(4).zip(b.chunks_exact(4)).position(|(p, q)| p != q).unwrap_or(0);
        let last = a.chunks_exact(4).zip(b.chunks_exact(4)).rposition(|(p, q)| p != q).unwrap_or(first);
        top = top.min(y);
        bottom = y;
        left = left.min(first);
        right = right.max(last);
    }
    (top != usize::MAX).then(|| {
        Rectangle::new((left as i32, top as i32).into(), ((right - left + 1) as i32, (bottom - top + 1) as i32).into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(w: u32, h: u32) -> RgbaImage {
        RgbaImage { width: w, height: h, data: vec![0; (w * h * 4) as usize] }
    }

    #[test]
    fn the_change_is_bounded() {
        let before = image(10, 8);
        let mut after = image(10, 8);
        assert_eq!(changed(&before, &after), None);
        for (x, y) in [(2, 3), (6, 5)] {
            after.data[(y * 10 + x) * 4 + 1] = 9;
        }
        assert_eq!(changed(&before, &after), Some(Rectangle::new((2, 3).into(), (5, 3).into())));
        assert_eq!(changed(&image(4, 4), &after), Some(Rectangle::from_size((10, 8).into())));
        let part = crop(&after, Rectangle::new((6, 5).into(), (10, 10).into())).unwrap();
        assert_eq!((part.width, part.height, part.data[1]), (4, 3, 9));
        assert!(crop(&after, Rectangle::new((20, 0).into(), (5, 5).into())).is_none());
    }
}
