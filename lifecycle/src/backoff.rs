//! Retry with exponential backoff until a deadline (readiness checks: no fixed sleeps).

use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Backoff {
    delay: Duration,
    max_delay: Duration,
    deadline: Instant,
    attempts: u32,
}

impl Backoff {
    /// First retry after `first`, doubling up to `max_delay`, giving up after `timeout`.
    pub fn new(first: Duration, max_delay: Duration, timeout: Duration) -> Self {
        Self { delay: first, max_delay, deadline: Instant::now() + timeout, attempts: 0 }
    }

    /// Count an attempt; true when another one may follow (after [`Self::pause`]).
    pub fn failed(&mut self) -> bool {
        self.attempts += 1;
        Instant::now() < self.deadline
    }

    /// Sleep before the next attempt (never past the deadline).
    pub fn pause(&mut self) {
        std::thread::sleep(self.next_pause());
    }

    /// How long to wait before the next attempt (never past the deadline), for a caller that
    /// waits its own way.
    pub fn next_pause(&mut self) -> Duration {
        let d = self.delay.min(self.remaining());
        self.delay = (self.delay * 2).min(self.max_delay);
        d
    }

    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

/// Call `attempt` until it succeeds or `timeout` passes; the error is the last attempt's.
pub fn retry<T, E>(
    first: Duration,
    max_delay: Duration,
    timeout: Duration,
    mut attempt: impl FnMut(&Backoff) -> Result<T, E>,
) -> Result<T, (E, u32)> {
    let mut b = Backoff::new(first, max_delay, timeout);
    loop {
        match attempt(&b) {
            Ok(v) => return Ok(v),
            Err(e) => {
                if !b.failed() {
                    return Err((e, b.attempts()));
                }
                b.pause();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn succeeds_after_failures_and_gives_up_at_the_deadline() {
        let ms = Duration::from_millis;
        let mut n = 0;
        let r: Result<u32, (&str, u32)> = retry(ms(1), ms(4), ms(5000), |_| {
            n += 1;
            if n < 4 {
                Err("no")
            } else {
                Ok(n)
            }
        });
        assert_eq!(r, Ok(4));
        let r: Result<(), (&str, u32)> = retry(ms(1), ms(2), ms(30), |_| Err("never"));
        let (e, attempts) = r.unwrap_err();
        assert_eq!(e, "never");
        assert!(attempts >= 3, "{attempts}");
    }
}
