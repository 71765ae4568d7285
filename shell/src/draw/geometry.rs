//! Rectangles in logical (scale-independent) and device (buffer pixel) coordinates.

/// A rectangle in logical pixels, the unit that layer-shell sizes and pointer positions use.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Rect {
    pub const fn new(x: f32, y: f32, w: f32, h: f32) -> Self {
        Self { x, y, w, h }
    }

    pub fn right(&self) -> f32 {
        self.x + self.w
    }

    pub fn bottom(&self) -> f32 {
        self.y + self.h
    }

    pub fn contains(&self, x: f64, y: f64) -> bool {
        let (x, y) = (x as f32, y as f32);
        x >= self.x && x < self.right() && y >= self.y && y < self.bottom()
    }

    pub fn is_empty(&self) -> bool {
        self.w <= 0.0 || self.h <= 0.0
    }

    /// The rectangle shrunk by `d` on every side.
    pub fn inset(&self, d: f32) -> Rect {
        Rect::new(self.x + d, self.y + d, (self.w - 2.0 * d).max(0.0), (self.h - 2.0 * d).max(0.0))
    }

    /// A `w`×`h` rectangle centred in this one.
    pub fn centred(&self, w: f32, h: f32) -> Rect {
        Rect::new(self.x + (self.w - w) / 2.0, self.y + (self.h - h) / 2.0, w, h)
    }

    /// The device-pixel rectangle that covers this one at `scale` (rounded outwards).
    pub fn to_device(&self, scale: f32) -> IntRect {
        let x0 = (self.x * scale).floor() as i32;
        let y0 = (self.y * scale).floor() as i32;
        let x1 = (self.right() * scale).ceil() as i32;
        let y1 = (self.bottom() * scale).ceil() as i32;
        IntRect { x: x0, y: y0, w: (x1 - x0).max(0), h: (y1 - y0).max(0) }
    }
}

/// A rectangle in whole device pixels (buffer coordinates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IntRect {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
}

impl IntRect {
    pub const fn new(x: i32, y: i32, w: i32, h: i32) -> Self {
        Self { x, y, w, h }
    }

    pub fn is_empty(&self) -> bool {
        self.w <= 0 || self.h <= 0
    }

    pub fn area(&self) -> i64 {
        if self.is_empty() {
            0
        } else {
            self.w as i64 * self.h as i64
        }
    }

    pub fn intersect(&self, o: &IntRect) -> IntRect {
        let x0 = self.x.max(o.x);
        let y0 = self.y.max(o.y);
        let x1 = (self.x + self.w).min(o.x + o.w);
        let y1 = (self.y + self.h).min(o.y + o.h);
        IntRect { x: x0, y: y0, w: (x1 - x0).max(0), h: (y1 - y0).max(0) }
    }

    pub fn union(&self, o: &IntRect) -> IntRect {
        if self.is_empty() {
            return *o;
        }
        if o.is_empty() {
            return *self;
        }
        let x0 = self.x.min(o.x);
        let y0 = self.y.min(o.y);
        let x1 = (self.x + self.w).max(o.x + o.w);
        let y1 = (self.y + self.h).max(o.y + o.h);
        IntRect { x: x0, y: y0, w: x1 - x0, h: y1 - y0 }
    }

    pub fn overlaps(&self, o: &IntRect) -> bool {
        !self.intersect(o).is_empty()
    }
}

/// Merges damage rectangles so that a frame sends a few rectangles, not dozens: overlapping
/// ones are joined, and past `max` rectangles everything becomes one bounding box.
pub fn merge_damage(mut rects: Vec<IntRect>, max: usize) -> Vec<IntRect> {
    rects.retain(|r| !r.is_empty());
    let mut merged: Vec<IntRect> = Vec::new();
    for r in rects {
        let mut cur = r;
        // Joining two rectangles can make the result overlap one merged earlier; repeat.
        while let Some(i) = merged.iter().position(|m| m.overlaps(&cur)) {
            cur = cur.union(&merged.swap_remove(i));
        }
        merged.push(cur);
    }
    if merged.len() > max {
        let all = merged.iter().fold(IntRect::default(), |a, r| a.union(r));
        return vec![all];
    }
    merged.sort_by_key(|r| (r.y, r.x));
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_rect_rounds_outwards() {
        let r = Rect::new(10.5, 0.0, 20.0, 31.5);
        assert_eq!(r.to_device(1.0), IntRect::new(10, 0, 21, 32));
        assert_eq!(r.to_device(1.5), IntRect::new(15, 0, 31, 48));
        assert_eq!(Rect::new(3.0, 4.0, 5.0, 6.0).to_device(2.0), IntRect::new(6, 8, 10, 12));
    }

    #[test]
    fn merge_joins_overlaps_and_caps_count() {
        let a = IntRect::new(0, 0, 10, 10);
        let b = IntRect::new(5, 5, 10, 10);
        let c = IntRect::new(100, 0, 10, 10);
        assert_eq!(merge_damage(vec![a, b, c], 4), vec![IntRect::new(0, 0, 15, 15), c]);
        assert_eq!(merge_damage(vec![a, c], 1), vec![IntRect::new(0, 0, 110, 10)]);
        assert!(merge_damage(vec![IntRect::new(1, 1, 0, 5)], 4).is_empty());
    }

    #[test]
    fn merge_rechecks_after_growth() {
        // c joins a, and the joined box then overlaps b, which must be merged too.
        let a = IntRect::new(0, 0, 10, 10);
        let b = IntRect::new(20, 0, 10, 10);
        let c = IntRect::new(5, 0, 20, 5);
        assert_eq!(merge_damage(vec![a, b, c], 4), vec![IntRect::new(0, 0, 30, 10)]);
    }
}
