//! Requests waiting for the user's choice: hostd sends each to its watchers in the GUI VM (the
//! panel starts the chooser), and waits for the answer, which any client of the GUI VM may give
//! (hostd accepts only the GUI VM's connections), or for the time to run out, which denies.
//! One VM has at most one request waiting, so a VM cannot pile choosers up.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use canopy_protocols::lifecycle::open::{Choice, OpenError};
use canopy_protocols::lifecycle::Error;

pub struct Choices {
    state: Mutex<State>,
    answered: Condvar,
}

struct State {
    next: u64,
    open: BTreeMap<u64, Slot>,
}

struct Slot {
    from: String,
    offered: Vec<String>,
    /// Some(None) for Cancel.
    answer: Option<Option<String>>,
}

impl Default for Choices {
    fn default() -> Self {
        // Ids start somewhere new each run, so a chooser left from an earlier hostd cannot answer
        // a request of this one.
        let seed = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1);
        Choices {
            state: Mutex::new(State { next: seed & ((1 << 52) - 1), open: BTreeMap::new() }),
            answered: Condvar::new(),
        }
    }
}

impl Choices {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Offer `choice` (its id is set here) through `publish`, which returns how many watchers
    /// got it, and wait up to `timeout` for the VM chosen.
    pub fn ask(
        &self,
        mut choice: Choice,
        timeout: Duration,
        publish: impl FnOnce(&Choice) -> usize,
    ) -> Result<String, OpenError> {
        let id = {
            let mut st = self.state();
            if st.open.values().any(|s| s.from == choice.from) {
                return Err(OpenError::busy(format!(
                    "a request from VM {:?} already waits for the user's choice",
                    choice.from
                )));
            }
            st.next += 1;
            let id = st.next;
            let offered = choice.targets.iter().map(|t| t.vm.clone()).collect();
            st.open.insert(id, Slot { from: choice.from.clone(), offered, answer: None });
            id
        };
        choice.id = id;
        if publish(&choice) == 0 {
            self.state().open.remove(&id);
            return Err(OpenError::Denied { reason: "nobody can be asked (no panel is watching hostd)".into() });
        }
        let deadline = Instant::now() + timeout;
        let mut st = self.state();
        loop {
            if let Some(answer) = st.open.get(&id).and_then(|s| s.answer.clone()) {
                st.open.remove(&id);
                return answer.ok_or(OpenError::Cancelled);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                st.open.remove(&id);
                return Err(OpenError::Denied {
                    reason: format!("no choice was made within {} s", timeout.as_secs_f64().round()),
                });
            }
            st = self.answered.wait_timeout(st, left).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    /// The user's answer to choice `id`: a VM it offered, or None for Cancel.
    pub fn answer(&self, id: u64, vm: Option<String>) -> Result<(), Error> {
        let mut st = self.state();
        let slot = st.open.get_mut(&id).ok_or_else(|| {
            Error::bad_request(format!("no request waits for choice {id} (it was answered, or its time ran out)"))
        })?;
        if let Some(v) = &vm {
            if !slot.offered.contains(v) {
                return Err(Error::not_allowed(format!("VM {v:?} was not offered")));
            }
        }
        if slot.answer.is_some() {
            return Err(Error::bad_request(format!("choice {id} has been made already")));
        }
        slot.answer = Some(vm);
        self.answered.notify_all();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_protocols::lifecycle::open::{ChoiceTarget, Intent, Shown};
    use canopy_protocols::lifecycle::State as VmState;
    use std::sync::Arc;

    fn choice(from: &str) -> Choice {
        Choice {
            id: 0,
            from: from.into(),
            from_trust: "work".into(),
            intent: Intent::Send,
            what: Shown::Files(vec![]),
            targets: ["web", "mail"]
                .iter()
                .map(|vm| ChoiceTarget {
                    vm: vm.to_string(),
                    trust: "untrusted".into(),
                    state: VmState::Running,
                    app: None,
                    icon: None,
                })
                .collect(),
            timeout_ms: 0,
        }
    }

    #[test]
    fn the_answer_timeout_and_cancel() {
        let c = Arc::new(Choices::default());
        let (tx, rx) = std::sync::mpsc::channel();
        let asker = {
            let c = c.clone();
            std::thread::spawn(move || {
                c.ask(choice("docs"), Duration::from_secs(20), |ch| {
                    tx.send(ch.id).unwrap();
                    1
                })
            })
        };
        let id = rx.recv().unwrap();
        // One waiting request per VM.
        let again = c.ask(choice("docs"), Duration::from_secs(1), |_| 1).unwrap_err();
        assert_eq!(again.kind(), "busy");
        assert!(c.answer(id, Some("elsewhere".into())).unwrap_err().to_string().contains("was not offered"));
        assert!(c.answer(id + 1, None).is_err());
        c.answer(id, Some("mail".into())).unwrap();
        assert_eq!(asker.join().unwrap(), Ok("mail".into()));
        assert!(c.answer(id, None).is_err(), "answered once");

        let t0 = Instant::now();
        let e = c.ask(choice("docs"), Duration::from_millis(100), |_| 1).unwrap_err();
        assert!(matches!(&e, OpenError::Denied { reason } if reason.contains("no choice was made")), "{e}");
        assert!(t0.elapsed() >= Duration::from_millis(100));
        let e = c.ask(choice("docs"), Duration::from_secs(20), |_| 0).unwrap_err();
        assert!(e.to_string().contains("no panel"), "{e}");

        let (tx, rx) = std::sync::mpsc::channel();
        let asker = {
            let c = c.clone();
            std::thread::spawn(move || {
                c.ask(choice("docs"), Duration::from_secs(20), |ch| tx.send(ch.id).map_or(0, |_| 1))
            })
        };
        c.answer(rx.recv().unwrap(), None).unwrap();
        assert_eq!(asker.join().unwrap(), Err(OpenError::Cancelled));
    }
}
