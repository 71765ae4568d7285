//! Turns wl_pointer axis events into whole scroll steps: wheel clicks (high-resolution
//! `value120`, or the older `discrete`), or, from touchpads, every so many pixels of motion.

use smithay_client_toolkit::seat::pointer::AxisScroll;

/// Pixels of continuous (touchpad) scrolling that make one step.
const PIXELS_PER_STEP: f64 = 48.0;

#[derive(Debug, Default, Clone, Copy)]
pub struct ScrollSteps {
    /// Parts of a step not handed out yet: 120ths of a wheel click, and pixels.
    v120: i32,
    pixels: f64,
}

impl ScrollSteps {
    /// Whole steps in this event (positive: down or right); the rest is kept for later events.
    pub fn push(&mut self, axis: &AxisScroll) -> i32 {
        if axis.stop {
            *self = Self::default();
            return 0;
        }
        if axis.value120 != 0 {
            self.v120 += axis.value120;
            let steps = self.v120 / 120;
            self.v120 -= steps * 120;
            return steps;
        }
        if axis.discrete != 0 {
            return axis.discrete;
        }
        self.pixels += axis.absolute;
        let steps = (self.pixels / PIXELS_PER_STEP).trunc();
        self.pixels -= steps * PIXELS_PER_STEP;
        steps as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wheel(value120: i32) -> AxisScroll {
        AxisScroll { absolute: value120 as f64 / 8.0, value120, ..Default::default() }
    }

    #[test]
    fn wheel_clicks_and_high_resolution_wheels() {
        let mut s = ScrollSteps::default();
        assert_eq!(s.push(&wheel(120)), 1);
        assert_eq!(s.push(&wheel(-240)), -2);
        // A high-resolution wheel sends parts of a click.
        assert_eq!(s.push(&wheel(60)), 0);
        assert_eq!(s.push(&wheel(60)), 1);
        let old = AxisScroll { absolute: 10.0, discrete: 1, ..Default::default() };
        assert_eq!(s.push(&old), 1, "older compositors send discrete steps");
    }

    #[test]
    fn touchpads_step_every_so_many_pixels_until_they_stop() {
        let mut s = ScrollSteps::default();
        let px = |absolute| AxisScroll { absolute, ..Default::default() };
        assert_eq!(s.push(&px(30.0)), 0);
        assert_eq!(s.push(&px(30.0)), 1);
        assert_eq!(s.push(&px(-70.0)), -1);
        s.push(&AxisScroll { stop: true, ..Default::default() });
        assert_eq!(s.push(&px(40.0)), 0, "a stop forgets the remainder");
    }
}
