//! How many requests of one kind a VM may make: a token bucket (a burst, then a steady rate)
//! and a bound on how many are under way at once. The agent limits what its VM's programs ask;
//! hostd limits each VM's agent again, more loosely, since a compromised agent skips its own.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Requests that may come at once after a quiet spell.
    pub burst: u32,
    /// Requests per second after that.
    pub per_sec: f64,
    /// Requests under way at once.
    pub in_flight: usize,
}

#[derive(Debug)]
pub struct Limiter {
    rate: Rate,
    tokens: f64,
    last: Instant,
    in_flight: usize,
}

impl Limiter {
    pub fn new(rate: Rate) -> Self {
        Limiter { rate, tokens: rate.burst as f64, last: Instant::now(), in_flight: 0 }
    }

    /// Admit one request now, or say why not; an admitted one ends with [`Self::done`].
    pub fn admit(&mut self) -> Result<(), String> {
        self.admit_at(Instant::now())
    }

    fn admit_at(&mut self, now: Instant) -> Result<(), String> {
        let r = self.rate;
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * r.per_sec).min(r.burst as f64);
        self.last = now;
        if self.in_flight >= r.in_flight {
            return Err(format!("{} requests are under way already (at most {})", self.in_flight, r.in_flight));
        }
        if self.tokens < 1.0 {
            let wait = Duration::from_secs_f64((1.0 - self.tokens) / r.per_sec);
            return Err(format!(
                "too many requests: at most {} at once and {} a second; try again in {:.1} s",
                r.burst,
                r.per_sec,
                wait.as_secs_f64()
            ));
        }
        self.tokens -= 1.0;
        self.in_flight += 1;
        Ok(())
    }

    pub fn done(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_a_steady_rate_and_a_bound_in_flight() {
        let rate = Rate { burst: 3, per_sec: 2.0, in_flight: 2 };
        let mut l = Limiter::new(rate);
        let t0 = l.last;
        assert!(l.admit_at(t0).is_ok());
        assert!(l.admit_at(t0).is_ok());
        let e = l.admit_at(t0).unwrap_err();
        assert!(e.contains("2 requests are under way"), "{e}");
        l.done();
        l.done();
        assert!(l.admit_at(t0).is_ok());
        l.done();
        let e = l.admit_at(t0).unwrap_err();
        assert!(e.contains("at most 3 at once and 2 a second; try again in 0.5 s"), "{e}");
        // Half a second later one more; a thousand at once still gets one.
        assert!(l.admit_at(t0 + Duration::from_millis(500)).is_ok());
        l.done();
        let t1 = t0 + Duration::from_millis(1000);
        let admitted = (0..1000)
            .filter(|_| {
                let ok = l.admit_at(t1).is_ok();
                l.done();
                ok
            })
            .count();
        assert_eq!(admitted, 1);
        // A long quiet spell refills only the burst.
        let admitted = (0..10).filter(|_| l.admit_at(t1 + Duration::from_secs(3600)).map(|_| l.done()).is_ok()).count();
        assert_eq!(admitted, 3);
    }
}
