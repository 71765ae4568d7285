//! What hostd waits on a VM's agent for (its start-up, a request), made so that a stop of that
//! VM cuts it short: the stop goes to the backend at once, and never waits on the agent.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use canopy_common::transport::Stream;

/// The VM is being stopped: nothing may wait on its agent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopping;

impl std::fmt::Display for Stopping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the VM is being stopped")
    }
}

#[derive(Default)]
pub struct AgentWaits {
    state: Mutex<State>,
    woken: Condvar,
}

#[derive(Default)]
struct State {
    /// Stops under way.
    stopping: usize,
    next: u64,
    /// Connections to the agent in use now (clones, to shut them down).
    open: BTreeMap<u64, Stream>,
}

/// A connection registered with [`AgentWaits::hold`]; forgotten when dropped.
pub struct Held<'a> {
    waits: &'a AgentWaits,
    id: u64,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.waits.state().open.remove(&self.id);
    }
}

/// A stop under way; others may wait on the agent again once it is dropped.
pub struct StopGuard<'a>(&'a AgentWaits);

impl Drop for StopGuard<'_> {
    fn drop(&mut self) {
        self.0.state().stopping -= 1;
    }
}

impl AgentWaits {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Begin a stop: every connection to the agent in use is shut down (its reader gets an error
    /// at once), sleeps between attempts end, and no new wait starts until the guard is dropped.
    pub fn stop(&self) -> StopGuard<'_> {
        let mut st = self.state();
        st.stopping += 1;
        for s in st.open.values() {
            s.shutdown();
        }
        self.woken.notify_all();
        StopGuard(self)
    }

    pub fn stopping(&self) -> bool {
        self.state().stopping > 0
    }

    /// Register a connection to the agent for the time it is used.
    pub fn hold(&self, stream: &Stream) -> Result<Held<'_>, Stopping> {
        let mut st = self.state();
        if st.stopping > 0 {
            return Err(Stopping);
        }
        // Without a clone to shut down, a stop could not interrupt this wait: refuse it.
        let clone = stream.try_clone().map_err(|_| Stopping)?;
        let id = st.next;
        st.next += 1;
        st.open.insert(id, clone);
        Ok(Held { waits: self, id })
    }

    /// Sleep `d` between attempts to reach the agent, unless a stop begins.
    pub fn sleep(&self, d: Duration) -> Result<(), Stopping> {
        let end = Instant::now() + d;
        let mut st = self.state();
        loop {
            if st.stopping > 0 {
                return Err(Stopping);
            }
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            st = self.woken.wait_timeout(st, left).unwrap_or_else(|e| e.into_inner()).0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn a_stop_ends_reads_and_sleeps_and_refuses_new_waits_until_done() {
        let (c, _s) = Stream::pair().unwrap();
        let waits = AgentWaits::default();
        std::thread::scope(|scope| {
            let held = waits.hold(&c).unwrap();
            let reader = scope.spawn(|| {
                let _held = held;
                (&c).read(&mut [0u8; 4])
            });
            let sleeper = scope.spawn(|| waits.sleep(Duration::from_secs(600)));
            // Whether they are waiting yet or not, the stop ends both at once.
            let t0 = Instant::now();
            let guard = waits.stop();
            assert_eq!(reader.join().unwrap().unwrap_or(0), 0, "the read ended");
            assert_eq!(sleeper.join().unwrap(), Err(Stopping));
            assert!(t0.elapsed() < Duration::from_secs(5));
            assert!(waits.hold(&c).is_err());
            assert!(waits.stopping());
            drop(guard);
            assert!(!waits.stopping());
            assert!(waits.hold(&c).is_ok());
            assert_eq!(waits.sleep(Duration::from_millis(1)), Ok(()));
        });
    }
}
