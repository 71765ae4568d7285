//! The host's own suspend, announced first: hostd tells its watchers in the GUI VM
//! ([`Event::SuspendDue`]), waits, bounded, for the GUI VM's compositor to answer that its lock
//! shows on every output ([`Request::Locked`]), then runs the suspend command, and says
//! [`Event::Resumed`] when that returns. Suspends run one at a time.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use canopy_protocols::lifecycle::{Error, Event, Reply};
use serde_json::json;

use super::Daemon;
use canopy_common::transport::Peer;

#[derive(Default)]
pub struct SleepWaits {
    state: Mutex<State>,
    answered: Condvar,
    /// Held while a suspend runs, so a second waits for the first.
    running: Mutex<()>,
}

#[derive(Default)]
struct State {
    next: u64,
    /// Announced suspends and whether the GUI VM confirmed.
    open: BTreeMap<u64, bool>,
}

/// How an announced suspend's wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    Confirmed,
    /// The GUI VM did not answer in time (or nobody watches).
    TimedOut,
}

impl SleepWaits {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Announce a suspend through `publish` and wait up to `wait` for its confirmation.
    pub fn announce_and_wait(&self, wait: Duration, publish: impl FnOnce(u64) -> usize) -> (u64, Waited) {
        let id = {
            let mut st = self.state();
            st.next += 1;
            let id = st.next;
            st.open.insert(id, false);
            id
        };
        if publish(id) == 0 {
            tracing::warn!("host suspend {id}: nobody in the GUI VM watches hostd to lock first");
        }
        let deadline = Instant::now() + wait;
        let mut st = self.state();
        loop {
            if st.open.get(&id) == Some(&true) {
                st.open.remove(&id);
                return (id, Waited::Confirmed);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                st.open.remove(&id);
                return (id, Waited::TimedOut);
            }
            st = self.answered.wait_timeout(st, left).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    /// The GUI VM says it is locked for suspend `id`.
    pub fn confirm(&self, id: u64) -> Result<(), Error> {
        let mut st = self.state();
        let slot = st.open.get_mut(&id).ok_or_else(|| {
            Error::bad_request(format!("no suspend {id} waits (it went ahead, or none was announced)"))
        })?;
        *slot = true;
        self.answered.notify_all();
        Ok(())
    }
}

impl Daemon {
    /// `host_suspend`: announce, wait for the lock (bounded), suspend, say it resumed.
    pub(super) fn host_suspend(&self, peer: &Peer) -> Result<Reply, Error> {
        let argv = self.config.power.suspend.as_ref().ok_or_else(|| Error::not_allowed("suspend is not configured"))?;
        let _one = self.sleep.running.lock().unwrap_or_else(|e| e.into_inner());
        let wait = self.config.power.lock_wait();
        let wait_ms = wait.as_millis() as u64;
        let (id, waited) =
            self.sleep.announce_and_wait(wait, |id| self.status().publish(&Event::SuspendDue { id, wait_ms }));
        let how = match waited {
            Waited::Confirmed => Ok(format!("suspend {id}: the GUI VM is locked")),
            // The host's reason to sleep (a flat battery) outweighs waiting longer; the compositor
            // covers its outputs on its own well within this bound.
            Waited::TimedOut => Err(format!("suspend {id}: no lock confirmed within {wait_ms} ms; suspending anyway")),
        };
        self.audit.record(peer, json!({"type": "host_suspend", "id": id, "stage": "lock"}), how);
        let r = self.run_power("suspend", argv);
        self.status().publish(&Event::Resumed);
        r
    }

    /// Suspend asked by the GUI VM (it locked first); watchers hear when it returns.
    pub(super) fn suspend(&self) -> Result<Reply, Error> {
        let argv = self.config.power.suspend.as_ref().ok_or_else(|| Error::not_allowed("suspend is not configured"))?;
        let _one = self.sleep.running.lock().unwrap_or_else(|e| e.into_inner());
        let r = self.run_power("suspend", argv);
        if r.is_ok() {
            self.status().publish(&Event::Resumed);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_confirmed_suspend_goes_at_once_and_an_unconfirmed_one_after_the_bound() {
        let waits = std::sync::Arc::new(SleepWaits::default());
        let w = waits.clone();
        let (id, how) = waits.announce_and_wait(Duration::from_secs(60), move |id| {
            let w = w.clone();
            std::thread::spawn(move || w.confirm(id).unwrap());
            1
        });
        assert_eq!(how, Waited::Confirmed);
        assert!(waits.confirm(id).is_err(), "answered once");
        let t0 = Instant::now();
        let (_, how) = waits.announce_and_wait(Duration::from_millis(50), |_| 0);
        assert_eq!(how, Waited::TimedOut);
        assert!(t0.elapsed() >= Duration::from_millis(50));
        assert!(waits.confirm(77).is_err());
    }
}
