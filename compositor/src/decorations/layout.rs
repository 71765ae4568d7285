//! Where a frame, its title bar and its content meet, in an output's physical pixels.
//!
//! Every edge is derived from the client area's rounded corner plus rounded lengths, which is how
//! the renderer places a surface (its size is the rounded scaled size from a whole-pixel origin),
//! so content and frame meet at the same physical pixel at any fractional scale. Rounding each
//! logical edge on its own, as before, left a one-pixel gap of desktop beside odd-sized windows at
//! 1.25, 1.5 and 1.75.
//!
//! On an output that shows only part of a VM window, its content keeps a frame-wide band from each
//! output edge it crosses, and that band is drawn in the frame's colour ([`guard`]): no VM pixel
//! shows on any output without the window's frame around it there.

use smithay::utils::{Logical, Physical, Point, Rectangle, Size};

use super::Insets;

/// `v` logical pixels at `scale`, rounded as the renderer rounds.
pub fn scaled(v: i32, scale: f64) -> i32 {
    (v as f64 * scale).round() as i32
}

type PhysRect = Rectangle<i32, Physical>;

fn rect(x0: i32, y0: i32, x1: i32, y1: i32) -> Rectangle<i32, Physical> {
    Rectangle::new(Point::from((x0, y0)), Size::from(((x1 - x0).max(0), (y1 - y0).max(0))))
}

/// A framed rectangle laid out in physical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLayout {
    /// The client area: where the content goes.
    pub hole: Rectangle<i32, Physical>,
    /// The title bar, right above the hole (empty when there is none).
    pub title: Rectangle<i32, Physical>,
    /// The whole frame.
    pub outer: Rectangle<i32, Physical>,
    /// The frame's solid pieces: the band above the title bar, left, right, bottom.
    pub pieces: [Rectangle<i32, Physical>; 4],
}

impl FrameLayout {
    /// `client` is the client area in logical pixels relative to the output.
    pub fn new(client: Rectangle<i32, Logical>, insets: &Insets, scale: f64) -> FrameLayout {
        let s = |v| scaled(v, scale);
        let (hx0, hy0) = (s(client.loc.x), s(client.loc.y));
        let (hx1, hy1) = (hx0 + s(client.size.w), hy0 + s(client.size.h));
        let (x0, y0) = (hx0 - s(insets.left), hy0 - s(insets.top));
        let (x1, y1) = (hx1 + s(insets.right), hy1 + s(insets.bottom));
        let ty0 = hy0 - s(insets.title);
        FrameLayout {
            hole: rect(hx0, hy0, hx1, hy1),
            title: rect(hx0, ty0, hx1, hy0),
            outer: rect(x0, y0, x1, y1),
            pieces: [rect(x0, y0, x1, ty0), rect(x0, ty0, hx0, y1), rect(hx1, ty0, x1, y1), rect(hx0, hy1, hx1, y1)],
        }
    }

    /// Where a surface whose window geometry starts at `geometry_loc` (logical, in surface
    /// coordinates) has its origin, so that its geometry starts exactly at the hole.
    pub fn surface_origin(&self, geometry_loc: Point<i32, Logical>, scale: f64) -> Point<i32, Physical> {
        self.hole.loc - Point::from((scaled(geometry_loc.x, scale), scaled(geometry_loc.y, scale)))
    }
}

/// What of a VM's content may show on an output of `output` physical pixels: the part of `hole`
/// at least `band` pixels from every output edge, and the strips (in the frame colour) that fill
/// the band where the hole crosses it. A framed rectangle wholly on the output needs no strip.
pub fn guard(
    hole: Rectangle<i32, Physical>,
    outer: Rectangle<i32, Physical>,
    output: Size<i32, Physical>,
    band: i32,
) -> (Option<PhysRect>, Vec<PhysRect>) {
    let (w, h) = (output.w, output.h);
    let inner = rect(band, band, w - band, h - band);
    let crop = hole.intersection(inner).filter(|r| !r.is_empty());
    let (hx0, hy0, hx1, hy1) = (hole.loc.x, hole.loc.y, hole.loc.x + hole.size.w, hole.loc.y + hole.size.h);
    let shown = hx0 < w && hx1 > 0 && hy0 < h && hy1 > 0;
    let mut strips = Vec::new();
    if shown && band > 0 {
        let (ox0, oy0) = (outer.loc.x.max(0), outer.loc.y.max(0));
        let (ox1, oy1) = ((outer.loc.x + outer.size.w).min(w), (outer.loc.y + outer.size.h).min(h));
        if hx0 < band {
            strips.push(rect(0, oy0, band, oy1));
        }
        if hx1 > w - band {
            strips.push(rect(w - band, oy0, w, oy1));
        }
        if hy0 < band {
            strips.push(rect(ox0, 0, ox1, band));
        }
        if hy1 > h - band {
            strips.push(rect(ox0, h - band, ox1, h));
        }
    }
    (crop, strips)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insets() -> Insets {
        Insets { left: 4, top: 30, right: 4, bottom: 4, title: 26 }
    }

    #[test]
    fn content_title_and_frame_meet_at_every_scale() {
        for scale in [1.0, 1.25, 1.5, 1.75, 2.0] {
            for (x, y, w, h) in [(3, 5, 321, 201), (10, 41, 333, 177), (7, 7, 1, 1), (-37, 13, 999, 601)] {
                let l = FrameLayout::new(Rectangle::new((x, y).into(), (w, h).into()), &insets(), scale);
                let [band, left, right, bottom] = l.pieces;
                let end = |r: Rectangle<i32, Physical>| (r.loc.x + r.size.w, r.loc.y + r.size.h);
                // The content, as the renderer draws a surface at the hole's origin.
                let content_end = (l.hole.loc.x + scaled(w, scale), l.hole.loc.y + scaled(h, scale));
                assert_eq!(content_end, end(l.hole), "content fills the hole at {scale}");
                assert_eq!(end(left).0, l.hole.loc.x, "left piece meets the content at {scale}");
                assert_eq!(right.loc.x, end(l.hole).0, "right piece meets the content at {scale}");
                assert_eq!(bottom.loc.y, end(l.hole).1, "bottom piece meets the content at {scale}");
                assert_eq!(end(l.title).1, l.hole.loc.y, "title bar meets the content at {scale}");
                assert_eq!(end(band).1, l.title.loc.y, "band meets the title bar at {scale}");
                assert_eq!((l.title.loc.x, end(l.title).0), (l.hole.loc.x, end(l.hole).0));
                assert_eq!(l.title.size.w, scaled(w, scale), "the title image is drawn at its rounded size");
            }
        }
    }

    #[test]
    fn a_window_wholly_on_the_output_needs_no_strip() {
        let l = FrameLayout::new(Rectangle::new((4, 30).into(), (300, 200).into()), &insets(), 1.5);
        let (crop, strips) = guard(l.hole, l.outer, Size::from((1920, 1200)), scaled(4, 1.5));
        assert_eq!(crop, Some(l.hole));
        assert!(strips.is_empty());
    }

    #[test]
    fn content_crossing_an_edge_keeps_a_band_of_frame_there() {
        // Hanging off the right edge of a 1000x600 output by 100 pixels, and off the top.
        let l = FrameLayout::new(Rectangle::new((800, -50).into(), (300, 200).into()), &insets(), 1.0);
        let (crop, strips) = guard(l.hole, l.outer, Size::from((1000, 600)), 4);
        assert_eq!(crop, Some(rect(800, 4, 996, 150)));
        assert_eq!(strips, vec![rect(996, 0, 1000, 154), rect(796, 0, 1000, 4)]);
        // Seen from the output to the right (the same window at x - 1000): only its frame edge and
        // a strip, never content closer than the band to the edge.
        let l = FrameLayout::new(Rectangle::new((-200, 50).into(), (300, 200).into()), &insets(), 1.0);
        let (crop, strips) = guard(l.hole, l.outer, Size::from((1000, 600)), 4);
        assert_eq!(crop, Some(rect(4, 50, 100, 250)));
        assert_eq!(strips, vec![rect(0, 20, 4, 254)]);
    }
}
