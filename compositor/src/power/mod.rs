//! Sleep and wake: the lock before every suspend ([`machine`]), fed by the lid ([`lid`], with
//! [`clamshell`] when another output is on), the power and suspend keys ([`key`]), the power
//! menu and scripts (`canopy msg power …`, [`ipc`]), the host ([`host`]) and logind in the GUI VM
//! ([`logind`]), and carried out here on the compositor: the lock program started and watched,
//! the lock's bound timed, the compositor's own lock-out, each drawn frame reported, requests to
//! hostd, and what a resume brings back (`resume`).

pub mod clamshell;
pub mod config;
pub mod host;
pub mod idle;
pub mod idle_config;
pub mod idle_inhibit;
pub mod ipc;
pub mod key;
pub mod lid;
pub mod logind;
pub mod machine;
mod resume;
pub mod source;

use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use smithay::backend::renderer::utils::with_renderer_surface_state;
use smithay::output::Output;
use smithay::reexports::calloop::channel;
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};

use crate::state::State;
use host::{FromHost, ToHost};
use machine::{Action, Event, Machine, Shown};

/// The compositor's side of sleep and wake.
pub struct Power {
    pub machine: Machine,
    to_host: Option<mpsc::Sender<ToHost>>,
    pub host_watching: bool,
    /// When the current lock was asked for, and how long the last one took to show on every
    /// output (the figure the tests print).
    lock_asked: Option<Instant>,
    pub last_lock_ms: Option<f64>,
    /// Wall-clock time (seconds since the epoch) every output last came to show the lock, for
    /// ordering against hostd's audit log.
    pub locked_everywhere_at: Option<f64>,
    pub lid_closed_at: Option<f64>,
    pub resumes: u64,
    pub logind: logind::Logind,
    pub clamshell: clamshell::Clamshell,
}

impl Power {
    pub fn new(config: &config::PowerConfig) -> Self {
        Power {
            machine: Machine::new(config.lid),
            to_host: None,
            host_watching: false,
            lock_asked: None,
            last_lock_ms: None,
            locked_everywhere_at: None,
            lid_closed_at: None,
            resumes: 0,
            logind: logind::Logind::default(),
            clamshell: clamshell::Clamshell::default(),
        }
    }
}

pub(crate) fn wall_clock() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

impl State {
    /// Connect to logind and hostd (threads that wait on them for us).
    pub fn start_power(&mut self) {
        self.start_logind();
        let Some(addr) = self.canopy.config.power.hostd_address() else { return };
        let (tx, rx) = channel::channel::<FromHost>();
        let inserted = self.canopy.loop_handle.insert_source(rx, |event, _, state| {
            if let channel::Event::Msg(m) = event {
                state.heard_from_host(m);
            }
        });
        if let Err(e) = inserted {
            tracing::error!("cannot listen to the hostd threads: {e}");
            return;
        }
        self.canopy.power.to_host = Some(host::start(addr, tx));
    }

    fn heard_from_host(&mut self, m: FromHost) {
        match m {
            FromHost::SuspendAnswered(r) => {
                match &r {
                    Ok(()) => tracing::info!("hostd suspended and came back"),
                    Err(e) => tracing::error!("suspend failed: {e}; the screen stays locked"),
                }
                self.power_event(Event::SuspendAnswered(r));
            }
            FromHost::ConfirmFailed { id, why } => tracing::warn!("host suspend {id}: confirming the lock: {why}"),
            FromHost::Announced { id } => {
                tracing::info!("hostd announces suspend {id}: locking");
                self.power_event(Event::HostAnnounced { id });
            }
            FromHost::Resumed => self.power_event(Event::Resumed),
            FromHost::Watching(w) => {
                tracing::info!("hostd watch {}", if w { "up" } else { "down" });
                self.canopy.power.host_watching = w;
            }
        }
    }

    /// Feed the machine one event and carry out what it says.
    pub fn power_event(&mut self, event: Event) {
        let mut actions = self.sync_power_outputs();
        if matches!(event, Event::SuspendAsked(_) | Event::LidClosed | Event::HostAnnounced { .. })
            && self.canopy.power.lock_asked.is_none()
        {
            self.canopy.power.lock_asked = Some(Instant::now());
        }
        let was_everywhere = self.canopy.power.machine.every_output_locked();
        actions.extend(self.canopy.power.machine.handle(event));
        let p = &mut self.canopy.power;
        if !was_everywhere && p.machine.every_output_locked() {
            p.locked_everywhere_at = Some(wall_clock());
            if let Some(t0) = p.lock_asked.take() {
                let ms = t0.elapsed().as_secs_f64() * 1000.0;
                tracing::info!(ms, "the lock shows on every output");
                p.last_lock_ms = Some(ms);
            }
        }
        if !p.machine.locked && !p.machine.locking() {
            p.lock_asked = None;
        }
        for a in actions {
            self.power_action(a);
        }
    }

    pub(crate) fn power_action(&mut self, action: Action) {
        match action {
            Action::StartLockProgram { run } => self.start_lock_program(run),
            Action::ArmLockTimer { generation } => {
                let bound = Duration::from_millis(self.canopy.config.power.lock_timeout_ms);
                let _ = self.canopy.loop_handle.insert_source(Timer::from_duration(bound), move |_, _, state| {
                    state.power_event(Event::LockTimedOut { generation });
                    TimeoutAction::Drop
                });
            }
            Action::LockOut => {
                tracing::warn!("the lock program did not lock in time: the compositor covers every output");
                self.canopy.lock.lock_out();
                crate::lock_record::set(&self.canopy.socket_name);
                self.lock_focus();
                self.canopy.queue_redraw_all();
            }
            Action::RequestSuspend { source } => {
                tracing::info!(?source, "every output shows the lock: asking hostd to suspend");
                self.ask_host(ToHost::Suspend, |s| s.power_event(Event::SuspendAnswered(Err("no hostd".into()))));
            }
            Action::ConfirmLocked { id } => {
                tracing::info!("every output shows the lock: host suspend {id} may go ahead");
                self.ask_host(ToHost::Locked { id }, |_| {});
            }
            Action::WakeOutputs => {
                self.canopy.power.resumes += 1;
                self.woke();
                // As input would: the idle chain starts again and the screen comes on.
                self.input_activity();
            }
            Action::ReleaseSleepDelay => self.release_sleep_delay(),
        }
    }

    fn ask_host(&mut self, job: ToHost, failed: impl FnOnce(&mut State)) {
        let sent = self.canopy.power.to_host.as_ref().is_some_and(|tx| tx.send(job).is_ok());
        if !sent {
            tracing::error!("hostd's address is not usable: nothing can be asked of it");
            failed(self);
        }
    }

    /// The lock program, watched: its end is an event (it may have crashed before locking).
    fn start_lock_program(&mut self, run: u64) {
        let argv = self.canopy.config.lock_command.clone();
        let (tx, rx) = channel::channel::<()>();
        let _ = self.canopy.loop_handle.insert_source(rx, move |event, _, state| {
            if let channel::Event::Msg(()) = event {
                state.power_event(Event::LockProgramExited { run });
            }
        });
        let child = crate::spawn::start(&argv, &self.canopy);
        std::thread::spawn(move || {
            if let Some(mut child) = child {
                let status = child.wait();
                tracing::info!(?status, "the lock program ended");
            }
            let _ = tx.send(());
        });
    }

    /// The machine knows every output: new ones count as unlocked until drawn.
    fn sync_power_outputs(&mut self) -> Vec<Action> {
        let names: Vec<String> = self.canopy.outputs.iter().map(|o| o.name()).collect();
        let m = &mut self.canopy.power.machine;
        let mut actions = Vec::new();
        for n in names.iter().filter(|n| !m.shown.contains_key(*n)).cloned().collect::<Vec<_>>() {
            actions.extend(m.handle(Event::OutputAdded(n)));
        }
        let gone: Vec<String> = m.shown.keys().filter(|n| !names.contains(n)).cloned().collect();
        for n in gone {
            actions.extend(m.handle(Event::OutputGone(n)));
        }
        actions
    }

    /// A frame of `output` was drawn: tell the machine what it showed.
    pub fn power_frame_shown(&mut self, output: &Output) {
        let shown = if !self.canopy.lock.is_locked() {
            Shown::Unlocked
        } else {
            let drawn = self
                .canopy
                .lock
                .surface_for(output)
                .and_then(|s| with_renderer_surface_state(s.wl_surface(), |st| st.buffer().is_some()))
                .unwrap_or(false);
            if drawn {
                Shown::LockSurface
            } else {
                Shown::Covered
            }
        };
        if self.canopy.power.machine.shown.get(&output.name()) != Some(&shown) || self.canopy.power.machine.locking() {
            self.power_event(Event::FrameShown { output: output.name(), shown });
        }
    }
}
