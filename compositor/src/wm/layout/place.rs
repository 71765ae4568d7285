//! Where a new window opens: centred in the usable area of the output under the pointer,
//! cascaded down and right when that spot is taken, and always inside the usable area; and how
//! a frame is brought inside an area.

use smithay::utils::{Logical, Point, Rectangle, Size};

const CASCADE_STEP: i32 = 32;

/// Pure placement rule, separated so it can be tested without a compositor.
pub fn place(
    usable: Rectangle<i32, Logical>,
    frame: Size<i32, Logical>,
    taken: impl Fn(&Point<i32, Logical>) -> bool,
) -> Point<i32, Logical> {
    let centre = Point::from((
        usable.loc.x + (usable.size.w - frame.w).max(0) / 2,
        usable.loc.y + (usable.size.h - frame.h).max(0) / 2,
    ));
    let max: Point<i32, Logical> =
        Point::from((usable.loc.x + (usable.size.w - frame.w).max(0), usable.loc.y + (usable.size.h - frame.h).max(0)));
    let mut p = centre;
    for _ in 0..64 {
        if !taken(&p) {
            return p;
        }
        p = Point::from((p.x + CASCADE_STEP, p.y + CASCADE_STEP));
        if p.x > max.x || p.y > max.y {
            // Wrap to the usable area's top-left and keep cascading from there.
            p = Point::from((usable.loc.x + (p.x - usable.loc.x) % CASCADE_STEP.max(1), usable.loc.y));
        }
    }
    centre
}

/// `loc` moved so that a frame of `size` there lies inside `area` (at its top-left when it is
/// larger).
pub fn clamp_into(
    loc: Point<i32, Logical>,
    size: Size<i32, Logical>,
    area: Rectangle<i32, Logical>,
) -> Point<i32, Logical> {
    let x = loc.x.min(area.loc.x + area.size.w - size.w).max(area.loc.x);
    let y = loc.y.min(area.loc.y + area.size.h - size.h).max(area.loc.y);
    Point::from((x, y))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(x: i32, y: i32, w: i32, h: i32) -> Rectangle<i32, Logical> {
        Rectangle::new((x, y).into(), (w, h).into())
    }

    #[test]
    fn centred_then_cascaded() {
        let usable = r(0, 32, 1280, 768);
        let frame = Size::from((408, 334));
        let first = place(usable, frame, |_| false);
        assert_eq!(first, Point::from((436, 249)));
        let second = place(usable, frame, |p| *p == first);
        assert_eq!(second, Point::from((468, 281)));
        let third = place(usable, frame, |p| [first, second].contains(p));
        assert_eq!(third, Point::from((500, 313)));
    }

    #[test]
    fn inside_usable_area_even_when_too_big() {
        let usable = r(0, 32, 800, 600);
        let p = place(usable, Size::from((1000, 900)), |_| false);
        assert_eq!(p, Point::from((0, 32)));
    }

    #[test]
    fn cascade_stays_inside() {
        let usable = r(100, 100, 500, 400);
        let frame = Size::from((400, 300));
        let mut taken = Vec::new();
        for _ in 0..20 {
            let p = place(usable, frame, |q| taken.contains(q));
            assert!(p.x >= 100 && p.y >= 100 && p.x + 400 <= 600 && p.y + 300 <= 500, "{p:?}");
            taken.push(p);
        }
    }
}
