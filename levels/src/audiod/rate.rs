//! A token bucket: `burst` requests at once, then `per_second` more each second.

use std::time::Instant;

#[derive(Debug)]
pub struct Bucket {
    tokens: f64,
    burst: f64,
    per_second: f64,
    last: Instant,
}

impl Bucket {
    pub fn new(per_second: u32, burst: u32) -> Self {
        Bucket { tokens: burst as f64, burst: burst as f64, per_second: per_second as f64, last: Instant::now() }
    }

    /// Whether one more request may go ahead now.
    pub fn take(&mut self) -> bool {
        self.take_at(Instant::now())
    }

    fn take_at(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_then_the_rate() {
        let t0 = Instant::now();
        let mut b = Bucket { tokens: 3.0, burst: 3.0, per_second: 10.0, last: t0 };
        assert_eq!((0..5).filter(|_| b.take_at(t0)).count(), 3);
        // A tenth of a second buys one more; a long pause no more than the burst.
        assert!(b.take_at(t0 + Duration::from_millis(100)));
        assert!(!b.take_at(t0 + Duration::from_millis(100)));
        let later = t0 + Duration::from_secs(60);
        assert_eq!((0..10).filter(|_| b.take_at(later)).count(), 3);
    }
}
