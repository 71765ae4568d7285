//! Counting over time, per VM: a token bucket for how many popups it may raise, and a window of
//! recent rule breaks.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Up to `burst` at once, then one more every `every`.
#[derive(Debug, Clone)]
pub struct Bucket {
    burst: u32,
    every: Duration,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    pub fn new(burst: u32, per_minute: u32, now: Instant) -> Self {
        let every = Duration::from_secs_f64(60.0 / per_minute.max(1) as f64);
        Bucket { burst, every, tokens: burst as f64, at: now }
    }

    /// Takes a token if there is one.
    pub fn take(&mut self, now: Instant) -> bool {
        let gained = now.saturating_duration_since(self.at).as_secs_f64() / self.every.as_secs_f64();
        self.tokens = (self.tokens + gained).min(self.burst as f64);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Events within the last `window`.
#[derive(Debug, Clone)]
pub struct Window {
    window: Duration,
    times: VecDeque<Instant>,
}

impl Window {
    pub fn new(window: Duration) -> Self {
        Window { window, times: VecDeque::new() }
    }

    /// Counts one more and returns how many there were within the window.
    pub fn add(&mut self, now: Instant) -> usize {
        while self.times.front().is_some_and(|t| now.saturating_duration_since(*t) > self.window) {
            self.times.pop_front();
        }
        self.times.push_back(now);
        self.times.len()
    }

    pub fn clear(&mut self) {
        self.times.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_per_period() {
        let t0 = Instant::now();
        let mut b = Bucket::new(3, 12, t0); // one every 5 s
        assert!((0..3).all(|_| b.take(t0)));
        assert!(!b.take(t0));
        assert!(!b.take(t0 + Duration::from_secs(4)));
        assert!(b.take(t0 + Duration::from_secs(5)));
        assert!(!b.take(t0 + Duration::from_secs(6)));
        // A long quiet refills only up to the burst.
        let later = t0 + Duration::from_secs(3600);
        assert!((0..3).all(|_| b.take(later)));
        assert!(!b.take(later));
    }

    #[test]
    fn window_forgets_old_events() {
        let t0 = Instant::now();
        let mut w = Window::new(Duration::from_secs(10));
        assert_eq!(w.add(t0), 1);
        assert_eq!(w.add(t0 + Duration::from_secs(5)), 2);
        assert_eq!(w.add(t0 + Duration::from_secs(11)), 2);
        w.clear();
        assert_eq!(w.add(t0 + Duration::from_secs(12)), 1);
    }
}
