//! VM lifecycle in hostd: serialised start and stop through the backend, waiting for the agent
//! with backoff, and the watch connection to each running VM's agent (app exits, VM loss).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use canopy_protocols::lifecycle::{AgentApp, AgentEvent, AppKind, Error, FrameError, State};

use super::backend::VmRef;
use super::status::Instance;
use super::waits::{Held, StopGuard, Stopping};
use super::{lock, untrusted, Daemon};
use crate::backoff::{retry, Backoff};
use crate::client::{AgentClient, ClientError, Watcher};
use canopy_common::transport::Address;
use canopy_common::transport::Stream;

/// Requests that may queue for one VM before more get `busy`.
const MAX_WAITING: usize = 256;
/// Longest single attempt to reach an agent.
const AGENT_ATTEMPT: Duration = Duration::from_secs(5);
/// How long a VM whose agent connection dropped may take to be seen stopped by its backend.
const AGENT_LOSS_GRACE: Duration = Duration::from_secs(5);
/// How long the start-up probe tries an already running VM's agent.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

static NEXT_MONITOR: AtomicU64 = AtomicU64::new(1);

#[derive(Default)]
pub struct VmRuntime {
    monitor: Option<Monitor>,
}

/// The watch connection to a VM's agent; dropping it closes the connection on purpose.
struct Monitor {
    id: u64,
    alive: Arc<AtomicBool>,
    closing: Arc<AtomicBool>,
    stream: Stream,
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.closing.store(true, Ordering::SeqCst);
        self.stream.shutdown();
    }
}

impl Daemon {
    /// Lock a VM for a state change, waiting behind earlier requests for it.
    pub(super) fn lock_vm(&self, name: &str) -> Result<RwLockWriteGuard<'_, VmRuntime>, Error> {
        self.queue(name, |slot| slot.runtime.write().unwrap_or_else(|e| e.into_inner()))
    }

    /// Lock a VM to stop it. Whatever waits on its agent (a start waiting for it to answer, an
    /// app start waiting for its reply) is cut short first, and nothing waits on it until the
    /// returned guard is dropped: a stop goes to the backend and never waits on the agent.
    pub(super) fn lock_vm_to_stop(
        &self,
        name: &str,
    ) -> Result<(StopGuard<'_>, RwLockWriteGuard<'_, VmRuntime>), Error> {
        let slot = self.vms.get(name).ok_or_else(|| Error::UnknownVm { vm: name.into() })?;
        let stopping = slot.waits.stop();
        let rt = self.lock_vm(name)?;
        Ok((stopping, rt))
    }

    /// Open a connection to a VM's agent, registered so that a stop of the VM shuts it down;
    /// connecting, the handshake and every request on it end by `deadline`.
    pub(super) fn open_agent(
        &self,
        vm: &str,
        addr: &Address,
        deadline: Instant,
    ) -> Result<(AgentClient, Held<'_>), ClientError> {
        let connect_error = |source| ClientError::Connect { addr: addr.clone(), source };
        let stream = Stream::connect_until(addr, deadline).map_err(connect_error)?;
        let held = self.vms[vm].waits.hold(&stream).map_err(|s| connect_error(std::io::Error::other(s.to_string())))?;
        Ok((AgentClient::handshake_until(stream, addr, "canopy-hostd", deadline)?, held))
    }

    /// Whether a stop of the VM is under way (what failed waiting on its agent failed for that).
    pub(super) fn stopping(&self, vm: &str) -> bool {
        self.vms.get(vm).is_some_and(|s| s.waits.stopping())
    }

    /// Hold a VM in its state while an app starts in it; fails when it is not running.
    pub(super) fn share_vm(&self, name: &str) -> Result<RwLockReadGuard<'_, VmRuntime>, Error> {
        let guard = self.queue(name, |slot| slot.runtime.read().unwrap_or_else(|e| e.into_inner()))?;
        match self.status().vm(name) {
            State::Running => Ok(guard),
            other => Err(Error::Busy { reason: format!("VM {name:?} changed to {other} while the app was starting") }),
        }
    }

    fn queue<'a, G>(&'a self, name: &str, take: impl FnOnce(&'a super::VmSlot) -> G) -> Result<G, Error> {
        let slot = self.vms.get(name).ok_or_else(|| Error::UnknownVm { vm: name.into() })?;
        if slot.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
            slot.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Error::Busy { reason: format!("{MAX_WAITING} requests are already waiting for VM {name:?}") });
        }
        let guard = take(slot);
        slot.waiting.fetch_sub(1, Ordering::SeqCst);
        Ok(guard)
    }

    /// The disk image a VM boots from: the one the user set, else the configured one.
    pub(super) fn disk_image(&self, name: &str) -> Result<Option<PathBuf>, Error> {
        let vm = &self.config.vms[name];
        if !vm.needs_disk_image {
            return Ok(None);
        }
        let remembered = lock(&self.state).disk_image(name).map(PathBuf::from);
        let Some(path) = remembered.or_else(|| vm.disk_image.clone()) else {
            return Err(Error::DiskImageMissing { vm: name.into(), reason: "no disk image is set".into() });
        };
        if !path.is_file() {
            return Err(Error::DiskImageMissing {
                vm: name.into(),
                reason: format!("{} does not exist or is not a file", path.display()),
            });
        }
        Ok(Some(path))
    }

    /// Bring a locked VM up: start it through its backend unless it runs, then wait until its
    /// agent answers. Cheap when it is already up.
    pub(super) fn ensure_running(self: &Arc<Self>, name: &str, rt: &mut VmRuntime) -> Result<(), Error> {
        let vm = &self.config.vms[name];
        let monitor_alive = rt.monitor.as_ref().is_some_and(|m| m.alive.load(Ordering::SeqCst));
        if self.status().vm(name) == State::Running && (vm.agent.is_none() || monitor_alive) {
            return Ok(());
        }
        if let Some(backend) = &self.vms[name].backend {
            let image = self.disk_image(name)?;
            let vmref = VmRef { name, cid: vm.cid, disk_image: image.as_deref() };
            let running = backend.is_running(&vmref).map_err(|reason| {
                let reason = format!("cannot tell whether it runs: {reason}");
                self.status().set_vm(name, State::Failed(reason.clone()));
                Error::VmFailedToStart { vm: name.into(), reason }
            })?;
            if !running {
                rt.monitor = None;
                {
                    let mut st = self.status();
                    st.set_vm(name, State::Starting);
                    st.progress(name, "starting the VM".into());
                }
                if let Err(reason) = backend.start(&vmref) {
                    self.status().set_vm(name, State::Failed(reason.clone()));
                    return Err(Error::VmFailedToStart { vm: name.into(), reason });
                }
            }
        }
        if let Some(agent) = &vm.agent {
            rt.monitor = None;
            self.status().set_vm(name, State::Starting);
            match self.connect_agent(name, agent, self.config.agent_ready(vm)) {
                Ok(m) => rt.monitor = Some(m),
                // The stop waiting for this lock reports the VM's state.
                Err(_) if self.stopping(name) => {
                    return Err(Error::Busy { reason: format!("VM {name:?} was stopped while it was starting") })
                }
                Err(reason) => {
                    tracing::warn!("VM {name}: agent unreachable: {reason}");
                    self.status().set_vm(name, State::Failed(format!("agent unreachable: {reason}")));
                    return Err(Error::AgentUnreachable { vm: name.into(), reason });
                }
            }
        }
        self.status().set_vm(name, State::Running);
        Ok(())
    }

    /// Stop a locked, managed VM.
    pub(super) fn stop_locked(self: &Arc<Self>, name: &str, rt: &mut VmRuntime) -> Result<(), Error> {
        let backend = self.vms[name].backend.as_ref().ok_or_else(|| not_managed(name))?;
        self.status().set_vm(name, State::Stopping);
        // Display clients of this VM run in another VM: end them first.
        let displays = self.status().apps_where(|i| i.vm == name && i.agent_vm != name);
        for (_, inst) in displays {
            self.status().progress(name, format!("closing its display {} in {}", inst.app, inst.agent_vm));
            if let Err(e) = self.stop_instance(&inst) {
                tracing::warn!("cannot stop the display client {} of VM {name}: {e}", inst.app);
            }
        }
        rt.monitor = None;
        let image = self.disk_image(name).ok().flatten();
        let vmref = VmRef { name, cid: self.config.vms[name].cid, disk_image: image.as_deref() };
        self.status().progress(name, "stopping the VM".into());
        if let Err(reason) = backend.stop(&vmref) {
            self.status().set_vm(name, State::Failed(reason.clone()));
            return Err(Error::ActionFailed { action: format!("stopping VM {name}"), reason });
        }
        let mut st = self.status();
        st.vm_stopped(name);
        st.set_vm(name, State::Stopped);
        Ok(())
    }

    /// Find out what runs after hostd (re)started: the backend's view, and the agent when it
    /// answers at once.
    pub(super) fn probe(self: &Arc<Self>, name: &str) {
        let Ok(mut rt) = self.lock_vm(name) else { return };
        if rt.monitor.is_some() {
            return; // a request got here first
        }
        let vm = &self.config.vms[name];
        let running = match &self.vms[name].backend {
            None => true,
            Some(backend) => {
                let image = self.disk_image(name).ok().flatten();
                let vmref = VmRef { name, cid: vm.cid, disk_image: image.as_deref() };
                match backend.is_running(&vmref) {
                    Ok(r) => r,
                    Err(reason) => {
                        self.status().set_vm(name, State::Failed(reason));
                        return;
                    }
                }
            }
        };
        if !running {
            self.status().set_vm(name, State::Stopped);
            return;
        }
        self.status().set_vm(name, State::Running);
        if let Some(agent) = &vm.agent {
            match self.connect_agent(name, agent, PROBE_TIMEOUT) {
                Ok(m) => rt.monitor = Some(m),
                Err(e) => tracing::info!("VM {name} runs but its agent does not answer yet: {e}"),
            }
        }
    }

    /// Wait until the agent answers (retry with backoff up to `timeout`), then keep a watch
    /// connection to it.
    fn connect_agent(self: &Arc<Self>, name: &str, addr: &Address, timeout: Duration) -> Result<Monitor, String> {
        let mut backoff = Backoff::new(Duration::from_millis(20), Duration::from_secs(1), timeout);
        let (apps, watcher) = loop {
            let n = backoff.attempts() + 1;
            if n.is_power_of_two() {
                self.status().progress(name, format!("waiting for the agent at {addr} (attempt {n})"));
            }
            // The whole attempt (connect, hello, watch and its reply) ends by this deadline,
            // however the agent paces its bytes.
            let deadline = Instant::now() + AGENT_ATTEMPT.min(backoff.remaining()).max(Duration::from_millis(100));
            match self.open_agent(name, addr, deadline).and_then(|(c, _held)| c.watch()) {
                Ok(w) => break w,
                Err(_) if self.stopping(name) => return Err(Stopping.to_string()),
                // It answered, and said no: waiting longer will not change that.
                Err(ClientError::Refused(e)) => return Err(format!("the agent at {addr} refused: {}", untrusted(e))),
                // Or it answered with more than any agent may claim: it is not to be believed.
                Err(e @ ClientError::Excess { .. }) => return Err(untrusted(e)),
                Err(e) => {
                    let e = untrusted(e);
                    tracing::debug!("VM {name}: agent attempt {n}: {e}");
                    if !backoff.failed() {
                        return Err(format!(
                            "no answer from {addr} within {:.1} s ({} attempts; last error: {e})",
                            timeout.as_secs_f64(),
                            backoff.attempts()
                        ));
                    }
                    self.vms[name].waits.sleep(backoff.next_pause()).map_err(|s| s.to_string())?;
                }
            }
        };
        tracing::info!("VM {name}: agent at {addr} answers ({} apps running)", apps.len());
        self.adopt(name, &apps);
        let monitor = Monitor {
            id: NEXT_MONITOR.fetch_add(1, Ordering::SeqCst),
            alive: Arc::new(AtomicBool::new(true)),
            closing: Arc::new(AtomicBool::new(false)),
            stream: watcher.shutdown_handle().map_err(|e| e.to_string())?,
        };
        let (me, vm) = (self.clone(), name.to_string());
        let (id, alive, closing) = (monitor.id, monitor.alive.clone(), monitor.closing.clone());
        std::thread::Builder::new()
            .name(format!("agent {name}"))
            .spawn(move || me.watch_agent(&vm, id, watcher, &alive, &closing))
            .map_err(|e| e.to_string())?;
        Ok(monitor)
    }

    /// Reconcile with the apps an agent says are running: take on ones hostd does not know
    /// (hostd restarted), forget ones that are gone.
    fn adopt(&self, vm: &str, running: &[AgentApp]) {
        let mut st = self.status();
        for (id, inst) in st.apps_where(|i| i.agent_vm == vm && i.agent_instance.is_some()) {
            if !running.iter().any(|a| Some(a.instance) == inst.agent_instance) {
                st.set_app(id, State::Stopped);
            }
        }
        for a in running {
            if st.is_bound(vm, a.instance) {
                continue;
            }
            let Some((app_name, shown_vm)) = self.app_for_agent_app(vm, &a.app) else {
                tracing::warn!("VM {vm} runs {:?}, which no app of hostd's config names", a.app);
                continue;
            };
            let id = self.next_instance.fetch_add(1, Ordering::SeqCst);
            let inst = Instance {
                app: app_name,
                vm: shown_vm,
                agent_vm: vm.into(),
                agent_instance: Some(a.instance),
                state: State::Running,
            };
            if let Err(e) = st.add_app(id, inst) {
                tracing::warn!("VM {vm}: not taking on instance {} ({:?}): {e}", a.instance, a.app);
            }
        }
    }

    /// Which configured app (and in which VM the user sees it) an agent's app name is.
    fn app_for_agent_app(&self, agent_vm: &str, agent_app: &str) -> Option<(String, String)> {
        self.config.apps.iter().find_map(|(name, app)| match app.kind {
            AppKind::App if app.offered_in(agent_vm) && app.agent_app(name) == agent_app => {
                Some((name.clone(), agent_vm.to_string()))
            }
            AppKind::VmDisplay
                if app.display_vm.as_deref() == Some(agent_vm) && app.display_app.as_deref() == Some(agent_app) =>
            {
                Some((name.clone(), app.vm.clone()))
            }
            _ => None,
        })
    }

    fn watch_agent(
        self: &Arc<Self>,
        vm: &str,
        monitor_id: u64,
        mut watcher: Watcher<AgentEvent>,
        alive: &AtomicBool,
        closing: &AtomicBool,
    ) {
        let err = loop {
            match watcher.next_event() {
                Ok(AgentEvent::Exited { instance, app, status, requested }) => {
                    tracing::debug!("VM {vm}: agent instance {instance} ({app:?}) {status}");
                    self.status().agent_exit(vm, instance, status, requested);
                }
                Ok(AgentEvent::Ask { id, intent, subject }) => self.ask_arrived(vm, id, intent, subject),
                Err(e) => break e,
            }
        };
        alive.store(false, Ordering::SeqCst);
        if closing.load(Ordering::SeqCst) {
            return;
        }
        let why = untrusted(&err);
        // A connection that ends is a loss; one that breaks a rule (a frame over the limit, an
        // event dribbled past its deadline, a list over its limit) is the agent's doing.
        let hostile = match &err {
            ClientError::Connection { source: FrameError::Closed, .. } => false,
            ClientError::Connection { source: FrameError::Io(e), .. } => e.kind() == std::io::ErrorKind::TimedOut,
            _ => true,
        };
        if hostile {
            tracing::warn!("VM {vm}: closing the agent connection: {why}");
        } else {
            tracing::warn!("VM {vm}: lost the agent: {why}");
        }
        // A VM going down drops the connection a moment before the backend sees it gone: ask
        // the backend until it says stopped, for a little while, before calling it a failure.
        let is_running = || match &self.vms[vm].backend {
            None => Ok(true),
            Some(b) => {
                let image = self.disk_image(vm).ok().flatten();
                b.is_running(&VmRef { name: vm, cid: self.config.vms[vm].cid, disk_image: image.as_deref() })
            }
        };
        let settled =
            retry(Duration::from_millis(10), Duration::from_millis(500), AGENT_LOSS_GRACE, |_| match is_running() {
                Ok(true) => Err(()),
                other => Ok(other),
            });
        let still_running = settled.unwrap_or(Ok(true));
        // Decide what the loss means, unless a request has meanwhile replaced this connection.
        let Ok(mut rt) = self.lock_vm(vm) else { return };
        if rt.monitor.as_ref().map(|m| m.id) != Some(monitor_id) {
            return;
        }
        rt.monitor = None;
        let mut st = self.status();
        match still_running {
            Ok(false) => {
                st.vm_stopped(vm);
                st.set_vm(vm, State::Stopped);
            }
            Ok(true) => st.set_vm(vm, State::Failed(format!("lost its agent: {why}"))),
            Err(e) => st.set_vm(vm, State::Failed(e)),
        }
    }
}

pub(super) fn not_managed(vm: &str) -> Error {
    Error::not_allowed(format!("VM {vm:?} is not managed by hostd"))
}
