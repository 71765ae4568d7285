//! The log of rules VMs break. Every time the compositor closes a VM's client (a storm of
//! frame callbacks) or drops or holds back what it asked for (a cursor too large, window
//! changes beyond the rate), it says so here with the VM's name and the rule, at warn level.
//! Closing is always written; a flood of dropped requests cannot flood the log: each (VM, rule)
//! is written at most once per [`QUIET`], and the next line counts what happened in between.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};

pub const QUIET: Duration = Duration::from_secs(10);

/// A VM and the rule it broke.
type Key = (String, &'static str);

#[derive(Debug, Default)]
pub struct Violations {
    /// Per (VM, rule): when it was last written and how often it happened since.
    seen: RefCell<HashMap<Key, (Instant, u64)>>,
}

impl Violations {
    /// `vm` broke `rule`; `what` says what happened and what the compositor did about it.
    pub fn report(&self, vm: &str, rule: &'static str, what: impl FnOnce() -> String) {
        let now = Instant::now();
        let mut seen = self.seen.borrow_mut();
        let entry = seen.entry((vm.to_string(), rule)).or_insert((now - QUIET - QUIET, 0));
        entry.1 += 1;
        if now.duration_since(entry.0) < QUIET {
            return;
        }
        let more = entry.1 - 1;
        *entry = (now, 0);
        let what = what();
        if more > 0 {
            tracing::warn!(vm, rule, "{what} ({more} more since the last report)");
        } else {
            tracing::warn!(vm, rule, "{what}");
        }
    }

    /// `vm`'s client broke `rule` and is being closed: always written.
    pub fn closed(&self, vm: &str, rule: &'static str, what: &str) {
        tracing::warn!(vm, rule, "closing the VM's client: {what}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_once_per_quiet_period() {
        let v = Violations::default();
        let mut written = 0;
        for _ in 0..1000 {
            v.report("evil-vm", "title rate", || {
                written += 1;
                String::new()
            });
        }
        assert_eq!(written, 1);
        let (_, count) = v.seen.borrow()[&("evil-vm".to_string(), "title rate")];
        assert_eq!(count, 999, "the rest are counted for the next line");
        v.report("other-vm", "title rate", || {
            written += 1;
            String::new()
        });
        assert_eq!(written, 2, "each VM has its own count");
    }
}
