//! The lock-before-sleep state machine: pure, no Wayland, no clock. Events come in (the lid, a
//! suspend asked for by the power menu, the idle chain, the power key or the host, the lock
//! program locking or dying, the lock's time bound running out, a frame drawn on an output, the
//! user unlocking, hostd's answer, a resume) and actions come out (start the lock program, cover
//! the outputs with the compositor's own lock-out, send the suspend request to hostd, confirm a
//! host suspend, wake the outputs).
//!
//! The one rule: no suspend request and no confirmation to the host leaves while any output's
//! last drawn frame was not a locked one. "Locked" is the lock program's surface on every output
//! (ext-session-lock `locked` and its surfaces drawn), or, once the lock program failed to lock
//! within the bound (or died), the compositor's own lock-out drawn on every output.

use std::collections::BTreeMap;

/// Who asked for the laptop to sleep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    Lid,
    Menu,
    Idle,
    PowerKey,
    /// The host announced a suspend of its own (low battery, a host-side power button).
    Host,
    SuspendKey,
}

/// What a drawn frame showed on an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shown {
    /// The desktop: anything but the lock.
    Unlocked,
    /// Locked, with the lock program's surface on this output.
    LockSurface,
    /// Locked, and this output shows the compositor's own opaque cover (no lock surface on it).
    Covered,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A local part asks to suspend (the lid's own close is [`Event::LidClosed`]).
    SuspendAsked(Source),
    /// hostd announced suspend `id` and waits, bounded, for [`Action::ConfirmLocked`].
    HostAnnounced {
        id: u64,
    },
    LidClosed,
    LidOpened,
    /// The session was locked by a lock program (ext-session-lock `locked` sent to it).
    Locked,
    /// The user unlocked.
    Unlocked,
    /// Lock program `run` ended (crashed, could not start, or quit after an unlock). An earlier
    /// run's late exit says nothing about the one running now.
    LockProgramExited {
        run: u64,
    },
    /// The bound given the lock program ran out (stale generations are ignored).
    LockTimedOut {
        generation: u64,
    },
    OutputAdded(String),
    OutputGone(String),
    /// A frame was drawn on `output`.
    FrameShown {
        output: String,
        shown: Shown,
    },
    /// hostd answered the suspend request (an error: unreachable, refused, failed).
    SuspendAnswered(Result<(), String>),
    /// The laptop woke up.
    Resumed,
    /// logind is about to sleep (`PrepareForSleep(true)`) and waits on canopy's delay inhibitor.
    SleepPrepared,
    /// Lock now, with no suspend (the idle chain's lock step; the power key set to `lock`).
    LockAsked,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Start the lock program; its exit comes back as [`Event::LockProgramExited`] of this run.
    StartLockProgram { run: u64 },
    /// Call back with [`Event::LockTimedOut`] of this generation after the bound.
    ArmLockTimer { generation: u64 },
    /// Lock the session with no lock client: every output covered by the compositor.
    LockOut,
    /// Ask hostd to suspend.
    RequestSuspend { source: Source },
    /// Tell hostd that its announced suspend `id` may go ahead: every output shows the lock.
    ConfirmLocked { id: u64 },
    /// Outputs on, redrawn, clients told (after a resume or the lid opening).
    WakeOutputs,
    /// Release logind's delay inhibitor: every output shows the lock, logind may sleep.
    ReleaseSleepDelay,
}

/// What the lid does when it closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LidAction {
    /// Lock, then suspend.
    #[default]
    Suspend,
    /// Lock only.
    Lock,
    /// Nothing.
    Ignore,
}

/// The state of the lock program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Program {
    NotRunning,
    Starting,
    Locked,
}

/// How many times the lock program is started again after it died while locked, before the
/// compositor's lock-out alone stays (a lock program that crashes at once must not spin).
const MAX_LOCK_RESTARTS: u32 = 3;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Machine {
    lid_action: LidAction,
    pub lid_closed: bool,
    /// The session is locked (by a lock program, or the compositor's lock-out).
    pub locked: bool,
    /// Locked with no lock program holding the lock.
    pub locked_out: bool,
    pub program: Program,
    restarts: u32,
    /// The number of the lock program last started.
    run: u64,
    /// A lock was started here and not yet undone by an unlock.
    lock_wanted: bool,
    /// The bound for the current lock ran out.
    timed_out: bool,
    generation: u64,
    /// The last frame drawn on each output.
    pub shown: BTreeMap<String, Shown>,
    /// A local suspend waits for the lock.
    pub pending: Option<Source>,
    /// Host suspends waiting for the lock.
    pub host_pending: Vec<u64>,
    /// A suspend request is with hostd and not answered yet.
    pub in_flight: bool,
    /// Suspend requests sent, host suspends confirmed.
    pub requests_sent: u64,
    pub confirmations_sent: u64,
    pub last_error: Option<String>,
    /// logind's sleep waits on our delay inhibitor for the lock.
    pub sleep_delayed: bool,
}

impl Machine {
    pub fn new(lid_action: LidAction) -> Self {
        Machine {
            lid_action,
            lid_closed: false,
            locked: false,
            locked_out: false,
            program: Program::NotRunning,
            restarts: 0,
            run: 0,
            lock_wanted: false,
            timed_out: false,
            generation: 0,
            shown: BTreeMap::new(),
            pending: None,
            host_pending: Vec::new(),
            in_flight: false,
            requests_sent: 0,
            confirmations_sent: 0,
            last_error: None,
            sleep_delayed: false,
        }
    }

    pub fn set_lid_action(&mut self, a: LidAction) {
        self.lid_action = a;
    }

    /// A session that starts locked (the lock record of a crashed compositor).
    pub fn start_locked_out(&mut self) -> Vec<Action> {
        self.lock_wanted = true;
        self.locked = true;
        self.locked_out = true;
        let mut out = vec![Action::LockOut];
        self.start_program(&mut out);
        out
    }

    /// Whether a suspend (local or host) waits for the lock.
    pub fn locking(&self) -> bool {
        self.pending.is_some() || !self.host_pending.is_empty() || self.sleep_delayed
    }

    /// Every output's last frame showed the lock: the lock program's surface, or the
    /// compositor's cover once the lock program had its chance.
    pub fn every_output_locked(&self) -> bool {
        let cover_ok = self.timed_out || self.locked_out || self.program == Program::NotRunning;
        self.locked
            && self.shown.values().all(|s| match s {
                Shown::LockSurface => true,
                Shown::Covered => cover_ok,
                Shown::Unlocked => false,
            })
    }

    pub fn handle(&mut self, event: Event) -> Vec<Action> {
        let mut out = Vec::new();
        match event {
            Event::SuspendAsked(source) => self.ask(source, &mut out),
            Event::HostAnnounced { id } => {
                if !self.host_pending.contains(&id) {
                    self.host_pending.push(id);
                }
                self.begin_lock(&mut out);
            }
            Event::LidClosed => {
                self.lid_closed = true;
                match self.lid_action {
                    LidAction::Suspend => self.ask(Source::Lid, &mut out),
                    LidAction::Lock => self.begin_lock(&mut out),
                    LidAction::Ignore => {}
                }
            }
            Event::LidOpened => {
                self.lid_closed = false;
                // The lid's own suspend is called off if it has not left yet; the lock stays.
                if self.pending == Some(Source::Lid) && !self.in_flight {
                    self.pending = None;
                }
                out.push(Action::WakeOutputs);
            }
            Event::Locked => {
                self.locked = true;
                self.locked_out = false;
                self.program = Program::Locked;
            }
            Event::Unlocked => {
                self.locked = false;
                self.locked_out = false;
                self.program = Program::NotRunning;
                self.restarts = 0;
                self.lock_wanted = false;
                self.timed_out = false;
                // The next frame shows the desktop.
                self.shown.values_mut().for_each(|s| *s = Shown::Unlocked);
                // A suspend still due locks again first: nothing keeps a sleeping laptop unlocked.
                if self.locking() {
                    self.begin_lock(&mut out);
                }
            }
            Event::LockProgramExited { run } if run != self.run => {}
            Event::LockProgramExited { .. } => {
                let was = self.program;
                self.program = Program::NotRunning;
                if self.locked {
                    // The session stays locked; someone has to be able to unlock it.
                    if was == Program::Locked && self.restarts < MAX_LOCK_RESTARTS {
                        self.restarts += 1;
                        self.start_program(&mut out);
                    }
                } else if self.lock_wanted {
                    // It died before locking: cover at once rather than wait for the bound.
                    self.lock_out(&mut out);
                }
            }
            Event::LockTimedOut { generation } => {
                if generation == self.generation && self.lock_wanted {
                    self.timed_out = true;
                    if !self.locked {
                        self.lock_out(&mut out);
                    }
                }
            }
            Event::OutputAdded(name) => {
                self.shown.insert(name, Shown::Unlocked);
            }
            Event::OutputGone(name) => {
                self.shown.remove(&name);
            }
            Event::FrameShown { output, shown } => {
                self.shown.insert(output, shown);
            }
            Event::SuspendAnswered(result) => {
                if self.in_flight {
                    self.in_flight = false;
                    self.pending = None;
                    if let Err(e) = result {
                        // Nothing slept; the screen stays locked and says nothing it should not.
                        self.last_error = Some(e);
                    } else {
                        self.last_error = None;
                    }
                }
            }
            Event::Resumed => {
                self.in_flight = false;
                self.pending = None;
                self.sleep_delayed = false;
                out.push(Action::WakeOutputs);
            }
            Event::SleepPrepared => {
                self.sleep_delayed = true;
                self.begin_lock(&mut out);
            }
            Event::LockAsked => {
                if !self.locked {
                    self.begin_lock(&mut out);
                }
            }
        }
        self.release(&mut out);
        out
    }

    fn ask(&mut self, source: Source, out: &mut Vec<Action>) {
        // A suspend while one is already due or on its way joins it.
        if self.pending.is_none() && !self.in_flight {
            self.pending = Some(source);
        }
        self.begin_lock(out);
    }

    /// Lock, if not locked already: the lock program, and the bound it has.
    fn begin_lock(&mut self, out: &mut Vec<Action>) {
        self.lock_wanted = true;
        if self.program == Program::NotRunning && !(self.locked && self.restarts >= MAX_LOCK_RESTARTS) {
            self.start_program(out);
        }
        // Once the bound ran out for this lock, the compositor's cover is what counts.
        if !self.timed_out {
            self.generation += 1;
            out.push(Action::ArmLockTimer { generation: self.generation });
        }
    }

    fn start_program(&mut self, out: &mut Vec<Action>) {
        self.program = Program::Starting;
        self.run += 1;
        out.push(Action::StartLockProgram { run: self.run });
    }

    fn lock_out(&mut self, out: &mut Vec<Action>) {
        self.locked = true;
        self.locked_out = true;
        out.push(Action::LockOut);
    }

    /// Let go what waited for the lock, if every output shows it.
    fn release(&mut self, out: &mut Vec<Action>) {
        if !self.locking() || !self.every_output_locked() {
            return;
        }
        if std::mem::take(&mut self.sleep_delayed) {
            out.push(Action::ReleaseSleepDelay);
        }
        for id in self.host_pending.drain(..) {
            self.confirmations_sent += 1;
            out.push(Action::ConfirmLocked { id });
        }
        if let Some(source) = self.pending {
            if !self.in_flight {
                self.in_flight = true;
                self.requests_sent += 1;
                out.push(Action::RequestSuspend { source });
            }
        }
    }
}

#[cfg(test)]
mod tests;
