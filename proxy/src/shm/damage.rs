//! Damage: which part of a buffer may differ from what the GUI side already has.
//!
//! Surface damage is converted into buffer pixels through the surface's buffer scale and
//! viewport; a buffer transform other than "normal" falls back to the whole buffer (sending more
//! than needed costs time, never correctness: the diff then finds the unchanged bytes). A buffer
//! attached again must also carry the damage of the commits since it was last sent, because the
//! client redrew those parts into it meanwhile; [`History`] keeps that.

use std::collections::VecDeque;

/// A rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
}

impl Rect {
    pub const fn new(x: i32, y: i32, w: i32, h: i32) -> Self {
        Rect { x, y, w, h }
    }

    /// The part inside (0, 0, width, height), if any.
    pub fn clip(self, width: i32, height: i32) -> Option<Rect> {
        let x0 = self.x.max(0);
        let y0 = self.y.max(0);
        let x1 = (i64::from(self.x) + i64::from(self.w)).min(i64::from(width)) as i32;
        let y1 = (i64::from(self.y) + i64::from(self.h)).min(i64::from(height)) as i32;
        (x1 > x0 && y1 > y0).then(|| Rect::new(x0, y0, x1 - x0, y1 - y0))
    }

    fn bbox(self, o: Rect) -> Rect {
        let x0 = self.x.min(o.x);
        let y0 = self.y.min(o.y);
        let x1 = (self.x + self.w).max(o.x + o.w);
        let y1 = (self.y + self.h).max(o.y + o.h);
        Rect::new(x0, y0, x1 - x0, y1 - y0)
    }

    pub fn area(self) -> i64 {
        i64::from(self.w) * i64::from(self.h)
    }
}

/// How a surface maps its buffer (state at commit time).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    pub buffer_width: i32,
    pub buffer_height: i32,
    pub scale: i32,
    pub transform: u32,
    /// wp_viewport source rectangle (x, y, w, h) in buffer coordinates after scale.
    pub src: Option<[f64; 4]>,
    /// wp_viewport destination size in surface coordinates.
    pub dst: Option<(i32, i32)>,
}

impl Geometry {
    pub fn plain(buffer_width: i32, buffer_height: i32) -> Self {
        Geometry { buffer_width, buffer_height, scale: 1, transform: 0, src: None, dst: None }
    }

    fn full(&self) -> Rect {
        Rect::new(0, 0, self.buffer_width, self.buffer_height)
    }

    /// Surface-coordinate damage as buffer pixels, rounded outwards, clipped to the buffer.
    pub fn surface_to_buffer(&self, r: Rect) -> Option<Rect> {
        if self.transform != 0 {
            return Some(self.full());
        }
        let scale = f64::from(self.scale.max(1));
        let (mut x0, mut y0) = (f64::from(r.x), f64::from(r.y));
        let (mut x1, mut y1) = (x0 + f64::from(r.w), y0 + f64::from(r.h));
        let mut margin = 0;
        if self.src.is_some() || self.dst.is_some() {
            let [sx, sy, sw, sh] = self.src.unwrap_or([
                0.0,
                0.0,
                f64::from(self.buffer_width) / scale,
                f64::from(self.buffer_height) / scale,
            ]);
            let (dw, dh) = match self.dst {
                Some((w, h)) => (f64::from(w), f64::from(h)),
                None => (sw.trunc(), sh.trunc()),
            };
            if dw <= 0.0 || dh <= 0.0 || sw <= 0.0 || sh <= 0.0 {
                return Some(self.full());
            }
            let (fx, fy) = (sw / dw, sh / dh);
            x0 = sx + x0 * fx;
            x1 = sx + x1 * fx;
            y0 = sy + y0 * fy;
            y1 = sy + y1 * fy;
            // A scaled surface is filtered: neighbouring pixels contribute.
            margin = 1;
        }
        let clamp = |v: f64| v.clamp(-1e9, 1e9) as i64;
        let bx0 = clamp((x0 * scale).floor()) - margin;
        let by0 = clamp((y0 * scale).floor()) - margin;
        let bx1 = clamp((x1 * scale).ceil()) + margin;
        let by1 = clamp((y1 * scale).ceil()) + margin;
        let c = |v: i64, max: i32| v.clamp(0, i64::from(max)) as i32;
        let (bx0, by0) = (c(bx0, self.buffer_width), c(by0, self.buffer_height));
        let (bx1, by1) = (c(bx1, self.buffer_width), c(by1, self.buffer_height));
        Rect::new(bx0, by0, bx1 - bx0, by1 - by0).clip(self.buffer_width, self.buffer_height)
    }
}

/// A set of rectangles, collapsed to their bounding box when it grows long.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Region {
    rects: Vec<Rect>,
}

const MAX_RECTS: usize = 32;

impl Region {
    pub fn add(&mut self, r: Rect) {
        if r.w <= 0 || r.h <= 0 {
            return;
        }
        if self.rects.iter().any(|o| contains(*o, r)) {
            return;
        }
        self.rects.retain(|o| !contains(r, *o));
        self.rects.push(r);
        if self.rects.len() > MAX_RECTS {
            let bbox = self.rects.iter().copied().reduce(Rect::bbox).expect("not empty");
            self.rects = vec![bbox];
        }
    }

    pub fn extend(&mut self, o: &Region) {
        for r in &o.rects {
            self.add(*r);
        }
    }

    pub fn rects(&self) -> &[Rect] {
        &self.rects
    }

    pub fn is_empty(&self) -> bool {
        self.rects.is_empty()
    }

    pub fn clear(&mut self) {
        self.rects.clear();
    }

    /// Row by row, the merged byte-column spans `[x0, x1)` (in pixels) of every damaged row.
    pub fn rows(&self) -> Vec<(i32, i32, i32)> {
        let mut rows: Vec<(i32, i32, i32)> = Vec::new();
        for r in &self.rects {
            for y in r.y..r.y + r.h {
                rows.push((y, r.x, r.x + r.w));
            }
        }
        rows.sort_unstable();
        let mut merged: Vec<(i32, i32, i32)> = Vec::with_capacity(rows.len());
        for (y, x0, x1) in rows {
            match merged.last_mut() {
                Some(last) if last.0 == y && x0 <= last.2 => last.2 = last.2.max(x1),
                _ => merged.push((y, x0, x1)),
            }
        }
        merged
    }
}

fn contains(a: Rect, b: Rect) -> bool {
    a.x <= b.x && a.y <= b.y && a.x + a.w >= b.x + b.w && a.y + a.h >= b.y + b.h
}

/// The buffer damage of a surface's recent commits, to catch buffers up that were sent earlier.
#[derive(Debug, Default)]
pub struct History {
    /// (commit sequence number, buffer size, damage of that commit in buffer pixels)
    commits: VecDeque<(u64, (i32, i32), Region)>,
    seq: u64,
}

const HISTORY: usize = 8;

impl History {
    /// Records the damage of a new commit with a buffer of `size`; returns its sequence number.
    pub fn push(&mut self, size: (i32, i32), damage: Region) -> u64 {
        self.seq += 1;
        self.commits.push_back((self.seq, size, damage));
        if self.commits.len() > HISTORY {
            self.commits.pop_front();
        }
        self.seq
    }

    /// The damage of every commit after `since` (a buffer last sent at commit `since`), or `None`
    /// when that history is no longer kept or the buffer size changed in between.
    pub fn since(&self, since: u64, size: (i32, i32)) -> Option<Region> {
        let first = self.commits.front()?.0;
        if since + 1 < first {
            return None;
        }
        let mut out = Region::default();
        for (seq, s, d) in &self.commits {
            if *seq > since {
                if *s != size {
                    return None;
                }
                out.extend(d);
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_and_viewport_map_surface_damage_to_buffer_pixels() {
        let mut g = Geometry::plain(200, 100);
        assert_eq!(g.surface_to_buffer(Rect::new(10, 10, 5, 5)), Some(Rect::new(10, 10, 5, 5)));
        assert_eq!(g.surface_to_buffer(Rect::new(-5, 90, i32::MAX, i32::MAX)), Some(Rect::new(0, 90, 200, 10)));
        assert_eq!(g.surface_to_buffer(Rect::new(300, 0, 5, 5)), None);
        g.scale = 2;
        assert_eq!(g.surface_to_buffer(Rect::new(10, 10, 5, 5)), Some(Rect::new(20, 20, 10, 10)));
        // A 100x50 buffer area shown at 50x25: surface damage doubles, plus a filter margin.
        g.scale = 1;
        g.src = Some([100.0, 50.0, 100.0, 50.0]);
        g.dst = Some((50, 25));
        assert_eq!(g.surface_to_buffer(Rect::new(0, 0, 10, 10)), Some(Rect::new(99, 49, 22, 22)));
        g.transform = 1;
        assert_eq!(g.surface_to_buffer(Rect::new(0, 0, 1, 1)), Some(Rect::new(0, 0, 200, 100)));
    }

    #[test]
    fn regions_merge_rows_and_collapse() {
        let mut r = Region::default();
        r.add(Rect::new(0, 0, 4, 2));
        r.add(Rect::new(2, 1, 4, 2));
        r.add(Rect::new(1, 0, 1, 1)); // inside the first
        assert_eq!(r.rects().len(), 2);
        assert_eq!(r.rows(), vec![(0, 0, 4), (1, 0, 6), (2, 2, 6)]);
        for i in 0..31 {
            r.add(Rect::new(i * 10, 50, 1, 1));
        }
        assert_eq!(r.rects().len(), 1);
        assert_eq!(r.rects()[0], Rect::new(0, 0, 301, 51));
    }

    #[test]
    fn history_catches_up_a_buffer_sent_earlier() {
        let mut h = History::default();
        let d = |x| {
            let mut r = Region::default();
            r.add(Rect::new(x, 0, 1, 1));
            r
        };
        let a = h.push((10, 10), d(1)); // buffer A
        let _b = h.push((10, 10), d(2)); // buffer B
        let catch_up = h.since(a, (10, 10)).unwrap(); // A again: needs B's damage too
        assert_eq!(catch_up.rects(), &[Rect::new(2, 0, 1, 1)]);
        assert!(h.since(a, (20, 10)).is_none());
        for i in 0..10 {
            h.push((10, 10), d(i));
        }
        assert!(h.since(a, (10, 10)).is_none(), "history that old is gone");
    }
}
