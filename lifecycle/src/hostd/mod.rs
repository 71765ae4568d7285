//! `canopy-hostd`: starts and stops VMs, starts apps in them through their agents, runs power
//! actions; for the GUI VM only.

pub mod audit;
pub mod backend;
pub mod config;
mod open;
pub mod policy;
mod requests;
mod sleep;
pub mod state;
mod status;
mod vms;
mod waits;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use crate::server::listen;
use canopy_common::transport::Peer;

use audit::Audit;
use backend::BackendRunner;
use config::Config;
use state::StateFile;
use status::Status;
use vms::VmRuntime;
use waits::AgentWaits;

/// Most connections served at once.
const MAX_CONNECTIONS: usize = 512;

pub struct Daemon {
    config: Config,
    vms: BTreeMap<String, VmSlot>,
    status: Mutex<Status>,
    next_instance: AtomicU64,
    state: Mutex<StateFile>,
    audit: Audit,
    asks: open::Asks,
    sleep: sleep::SleepWaits,
}

struct VmSlot {
    /// Written across every change of the VM's state, so those run one at a time (a storm of
    /// StartApp starts the VM once); read while an app is being started in the VM, so that no
    /// state change (nor the reconciling with the agent's list of apps) runs meanwhile.
    runtime: RwLock<VmRuntime>,
    /// Requests waiting for `runtime`; beyond a limit they get `busy`.
    waiting: AtomicUsize,
    /// None for an unmanaged VM.
    backend: Option<BackendRunner>,
    /// What waits on the VM's agent, which a stop of the VM cuts short.
    waits: AgentWaits,
}

/// Text that came from a VM's agent (an error reason, an app name), made safe to log and to show
/// by the one sanitiser every part uses (no controls, format or bidi characters, no line breaks,
/// bounded length).
fn untrusted(text: impl std::fmt::Display) -> String {
    canopy_protocols::text::sanitise(&text.to_string(), canopy_protocols::text::MESSAGE)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic in one request must not take the daemon down with it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
#[test]
fn untrusted_text_is_defused() {
    assert_eq!(
        untrusted("exited\n2026 INFO audit: uid 0: power_off -> ok"),
        "exited 2026 INFO audit: uid 0: power_off -> ok"
    );
    assert_eq!(untrusted("\x1b[2J"), "[2J");
    assert_eq!(untrusted("x".repeat(1000)).chars().count(), canopy_protocols::text::MESSAGE.chars);
}

impl Daemon {
    pub fn new(config: Config) -> Result<Arc<Daemon>, String> {
        let audit = Audit::open(config.audit_log.as_deref())?;
        let state = StateFile::load(&config.state_dir)?;
        let vms = config
            .vms
            .iter()
            .map(|(name, vm)| {
                let backend = vm.managed.then(|| BackendRunner {
                    backend: config.backend_of(vm).clone(),
                    timeout: config.timeouts.command(),
                    state_dir: config.state_dir.clone(),
                });
                let slot = VmSlot {
                    runtime: RwLock::new(VmRuntime::default()),
                    waiting: AtomicUsize::new(0),
                    backend,
                    waits: AgentWaits::default(),
                };
                (name.clone(), slot)
            })
            .collect();
        Ok(Arc::new(Daemon {
            status: Mutex::new(Status::new(config.vms.keys())),
            vms,
            next_instance: AtomicU64::new(1),
            state: Mutex::new(state),
            audit,
            asks: open::Asks::default(),
            sleep: sleep::SleepWaits::default(),
            config,
        }))
    }

    /// Listen on every configured address and serve until the process ends.
    pub fn run(self: &Arc<Self>) -> Result<(), String> {
        let mut acceptors = Vec::new();
        for addr in &self.config.listen {
            let (me, check) = (self.clone(), self.clone());
            let allowed = move |peer: &Peer| check.peer_allowed(peer).is_ok();
            let (t, _) = listen(addr, "", MAX_CONNECTIONS, allowed, move |stream, peer| me.serve(stream, peer))?;
            acceptors.push(t);
        }
        for name in self.config.vms.keys() {
            let me = self.clone();
            let name = name.clone();
            std::thread::Builder::new()
                .name(format!("probe {name}"))
                .spawn(move || me.probe(&name))
                .map_err(|e| format!("cannot start a thread: {e}"))?;
        }
        for t in acceptors {
            let _ = t.join();
        }
        Ok(())
    }

    fn peer_allowed(&self, peer: &Peer) -> Result<(), String> {
        self.config.allow.check(peer)
    }

    fn status(&self) -> MutexGuard<'_, Status> {
        lock(&self.status)
    }
}
