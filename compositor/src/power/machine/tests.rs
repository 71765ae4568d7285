//! The machine against a model of the compositor: named cases for each fault the issue lists,
//! and random event sequences (proptest) checking that nothing leaves while an output was last
//! seen unlocked, and that a due suspend always goes once the lock is drawn.

use proptest::prelude::*;

use super::*;

/// What the compositor and the lock program do with the machine's actions.
#[derive(Debug, Default)]
struct World {
    outputs: Vec<String>,
    /// The compositor draws only the lock (ext-session-lock locked, or its own lock-out).
    locked: bool,
    program_running: bool,
    program_locked: bool,
    /// The run number of the lock program now running, and earlier runs still quitting after an
    /// unlock (their exits arrive late, possibly after the next lock program started).
    run: u64,
    quitting: Vec<u64>,
    /// The latest timer the machine armed.
    timer: Option<u64>,
    /// What each output's last drawn frame showed, as the screen really was.
    drawn: BTreeMap<String, Shown>,
    requests: u32,
    confirmations: u32,
    releases: u32,
    answered: u32,
}

#[derive(Debug, Clone)]
enum Op {
    Ask(Source),
    Announce(u64),
    LidClose,
    LidOpen,
    /// The lock program locks (if running).
    ProgramLocks,
    /// The lock program dies.
    ProgramDies,
    /// An earlier lock program, unlocked, finally exits.
    OldProgramExits,
    /// The user unlocks (only the lock program can).
    UserUnlocks,
    /// The latest timer fires, or a stale one.
    Timer {
        stale: bool,
    },
    Draw(usize),
    AddOutput,
    RemoveOutput(usize),
    Answer(bool),
    Resume,
    /// logind's PrepareForSleep(true).
    LogindSleeps,
    /// The power key set to lock.
    LockNow,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        prop_oneof![Just(Source::Menu), Just(Source::Idle), Just(Source::PowerKey)].prop_map(Op::Ask),
        (1u64..4).prop_map(Op::Announce),
        Just(Op::LidClose),
        Just(Op::LidOpen),
        Just(Op::ProgramLocks),
        Just(Op::ProgramDies),
        Just(Op::OldProgramExits),
        Just(Op::UserUnlocks),
        any::<bool>().prop_map(|stale| Op::Timer { stale }),
        (0usize..3).prop_map(Op::Draw),
        (0usize..3).prop_map(Op::Draw),
        Just(Op::AddOutput),
        (0usize..3).prop_map(Op::RemoveOutput),
        any::<bool>().prop_map(Op::Answer),
        Just(Op::Resume),
        Just(Op::LogindSleeps),
        Just(Op::LockNow),
    ]
}

impl World {
    fn new(m: &mut Machine, outputs: usize) -> Self {
        let mut w = World::default();
        for i in 0..outputs {
            w.add_output(m, format!("OUT-{i}"));
        }
        w
    }

    fn add_output(&mut self, m: &mut Machine, name: String) {
        self.outputs.push(name.clone());
        self.drawn.insert(name.clone(), Shown::Unlocked);
        let acts = m.handle(Event::OutputAdded(name));
        self.act(m, acts);
    }

    fn frame(&self) -> Shown {
        match (self.locked, self.program_locked) {
            (false, _) => Shown::Unlocked,
            (true, true) => Shown::LockSurface,
            (true, false) => Shown::Covered,
        }
    }

    /// Feed an event and carry out what comes back, checking the rule at every request.
    fn feed(&mut self, m: &mut Machine, e: Event) {
        let acts = m.handle(e);
        self.act(m, acts);
    }

    fn act(&mut self, m: &mut Machine, acts: Vec<Action>) {
        for a in acts {
            match a {
                Action::StartLockProgram { run } => {
                    self.run = run;
                    self.program_running = true;
                    self.program_locked = false;
                }
                Action::ArmLockTimer { generation } => self.timer = Some(generation),
                Action::LockOut => self.locked = true,
                Action::RequestSuspend { .. } | Action::ConfirmLocked { .. } | Action::ReleaseSleepDelay => {
                    assert!(self.locked, "{a:?} while the session is unlocked");
                    for (o, s) in &self.drawn {
                        assert_ne!(*s, Shown::Unlocked, "{a:?} while {o} last showed the desktop");
                    }
                    if matches!(a, Action::RequestSuspend { .. }) {
                        assert_eq!(self.requests, self.answered, "a second request before the first was answered");
                        self.requests += 1;
                    } else if a == Action::ReleaseSleepDelay {
                        self.releases += 1;
                    } else {
                        self.confirmations += 1;
                    }
                }
                Action::WakeOutputs => {}
            }
        }
        let _ = m;
    }

    fn apply(&mut self, m: &mut Machine, op: Op) {
        match op {
            Op::Ask(s) => self.feed(m, Event::SuspendAsked(s)),
            Op::Announce(id) => self.feed(m, Event::HostAnnounced { id }),
            Op::LidClose => self.feed(m, Event::LidClosed),
            Op::LidOpen => self.feed(m, Event::LidOpened),
            Op::ProgramLocks => {
                if self.program_running && !self.program_locked {
                    self.program_locked = true;
                    self.locked = true;
                    self.feed(m, Event::Locked);
                }
            }
            Op::ProgramDies => {
                if self.program_running {
                    self.program_running = false;
                    self.program_locked = false;
                    self.feed(m, Event::LockProgramExited { run: self.run });
                }
            }
            Op::UserUnlocks => {
                if self.program_locked {
                    self.locked = false;
                    self.program_locked = false;
                    self.program_running = false;
                    self.quitting.push(self.run);
                    self.feed(m, Event::Unlocked);
                }
            }
            Op::OldProgramExits => {
                if !self.quitting.is_empty() {
                    let run = self.quitting.remove(0);
                    self.feed(m, Event::LockProgramExited { run });
                }
            }
            Op::Timer { stale } => {
                if let Some(g) = self.timer {
                    let generation = if stale { g.saturating_sub(1) } else { g };
                    self.feed(m, Event::LockTimedOut { generation });
                }
            }
            Op::Draw(i) => {
                if let Some(o) = self.outputs.get(i % self.outputs.len().max(1)).cloned() {
                    let shown = self.frame();
                    self.drawn.insert(o.clone(), shown);
                    self.feed(m, Event::FrameShown { output: o, shown });
                }
            }
            Op::AddOutput => {
                if self.outputs.len() < 4 {
                    let name = format!("OUT-{}", self.outputs.len() + 10 * self.drawn.len());
                    self.add_output(m, name);
                }
            }
            Op::RemoveOutput(i) => {
                if self.outputs.len() > 1 {
                    let o = self.outputs.remove(i % self.outputs.len());
                    self.drawn.remove(&o);
                    self.feed(m, Event::OutputGone(o));
                }
            }
            Op::Answer(ok) => {
                if self.answered < self.requests {
                    self.answered += 1;
                    self.feed(m, Event::SuspendAnswered(if ok { Ok(()) } else { Err("hostd unreachable".into()) }));
                }
            }
            Op::Resume => {
                self.answered = self.requests;
                self.feed(m, Event::Resumed);
            }
            Op::LogindSleeps => self.feed(m, Event::SleepPrepared),
            Op::LockNow => self.feed(m, Event::LockAsked),
        }
    }

    fn draw_all(&mut self, m: &mut Machine) {
        for i in 0..self.outputs.len() {
            self.apply(m, Op::Draw(i));
        }
    }
}

fn setup(outputs: usize) -> (Machine, World) {
    let mut m = Machine::new(LidAction::Suspend);
    let w = World::new(&mut m, outputs);
    (m, w)
}

#[test]
fn lid_close_locks_then_suspends_only_once_every_output_shows_the_lock() {
    let (mut m, mut w) = setup(2);
    let acts = m.handle(Event::LidClosed);
    assert_eq!(acts, vec![Action::StartLockProgram { run: 1 }, Action::ArmLockTimer { generation: 1 }]);
    w.act(&mut m, acts);
    w.apply(&mut m, Op::ProgramLocks);
    assert_eq!(w.requests, 0, "locked, but nothing drawn yet");
    w.apply(&mut m, Op::Draw(0));
    assert_eq!(w.requests, 0, "one output still shows the desktop");
    w.apply(&mut m, Op::Draw(1));
    assert_eq!(w.requests, 1);
    assert!(m.in_flight);
}

#[test]
fn a_lock_program_that_never_locks_is_covered_by_the_lockout_after_the_bound() {
    let (mut m, mut w) = setup(2);
    w.apply(&mut m, Op::Ask(Source::Menu));
    w.draw_all(&mut m);
    assert_eq!(w.requests, 0);
    w.apply(&mut m, Op::Timer { stale: true });
    assert!(!w.locked, "a stale timer decides nothing");
    w.apply(&mut m, Op::Timer { stale: false });
    assert!(w.locked && m.locked_out);
    assert_eq!(w.requests, 0, "the cover is not drawn yet");
    w.draw_all(&mut m);
    assert_eq!(w.requests, 1);
}

#[test]
fn the_idle_lock_starts_the_lock_program_once_and_is_covered_if_it_never_locks() {
    let (mut m, mut w) = setup(2);
    let acts = m.handle(Event::LockAsked);
    assert_eq!(acts, vec![Action::StartLockProgram { run: 1 }, Action::ArmLockTimer { generation: 1 }]);
    w.act(&mut m, acts);
    let again = m.handle(Event::LockAsked);
    assert!(again.iter().all(|a| !matches!(a, Action::StartLockProgram { .. })), "one lock program: {again:?}");
    w.act(&mut m, again);
    w.apply(&mut m, Op::Timer { stale: false });
    assert!(w.locked && m.locked_out, "the lock-out covers a lock program that never locks");
    w.draw_all(&mut m);
    assert!(m.every_output_locked());
    assert_eq!(w.requests, 0, "a lock alone asks nothing of hostd");
    assert!(m.handle(Event::LockAsked).is_empty(), "already locked");
}

#[test]
fn a_lock_program_that_crashes_is_covered_at_once() {
    let (mut m, mut w) = setup(1);
    w.apply(&mut m, Op::LidClose);
    w.apply(&mut m, Op::ProgramDies);
    assert!(w.locked && m.locked_out);
    w.draw_all(&mut m);
    assert_eq!(w.requests, 1);
}

#[test]
fn the_last_lock_programs_late_exit_does_not_cover_the_next_lock() {
    // Unlocked, then the lid closes again before the unlocked lock program has quit: its exit
    // must not count as the new lock program dying (CI saw the cover drawn instead of the lock).
    let (mut m, mut w) = setup(2);
    w.apply(&mut m, Op::LidClose);
    w.apply(&mut m, Op::ProgramLocks);
    w.draw_all(&mut m);
    w.apply(&mut m, Op::Answer(true));
    w.apply(&mut m, Op::LidOpen);
    w.apply(&mut m, Op::UserUnlocks);
    w.apply(&mut m, Op::LidClose);
    w.apply(&mut m, Op::OldProgramExits);
    assert!(!w.locked && !m.locked_out, "the new lock program still has its chance");
    w.apply(&mut m, Op::ProgramLocks);
    w.draw_all(&mut m);
    assert_eq!(w.requests, 2);
    assert!(w.drawn.values().all(|s| *s == Shown::LockSurface));
}

#[test]
fn a_lock_surface_missing_on_one_output_waits_for_the_bound() {
    let (mut m, mut w) = setup(2);
    w.apply(&mut m, Op::Ask(Source::PowerKey));
    w.apply(&mut m, Op::ProgramLocks);
    m.handle(Event::FrameShown { output: "OUT-0".into(), shown: Shown::LockSurface });
    let acts = m.handle(Event::FrameShown { output: "OUT-1".into(), shown: Shown::Covered });
    assert!(acts.is_empty(), "{acts:?}");
    let acts = m.handle(Event::LockTimedOut { generation: 1 });
    assert_eq!(acts, vec![Action::RequestSuspend { source: Source::PowerKey }]);
}

#[test]
fn a_suspend_while_suspending_joins_the_one_on_its_way() {
    let (mut m, mut w) = setup(1);
    w.apply(&mut m, Op::Ask(Source::Menu));
    w.apply(&mut m, Op::ProgramLocks);
    w.draw_all(&mut m);
    assert_eq!(w.requests, 1);
    for s in [Source::Idle, Source::Menu, Source::PowerKey] {
        w.apply(&mut m, Op::Ask(s));
    }
    w.apply(&mut m, Op::LidClose);
    w.draw_all(&mut m);
    assert_eq!(w.requests, 1);
    w.apply(&mut m, Op::Answer(true));
    assert!(!m.locking() && !m.in_flight);
}

#[test]
fn hostd_unreachable_leaves_the_screen_locked_and_says_why() {
    let (mut m, mut w) = setup(1);
    w.apply(&mut m, Op::Ask(Source::Menu));
    w.apply(&mut m, Op::ProgramLocks);
    w.draw_all(&mut m);
    w.apply(&mut m, Op::Answer(false));
    assert!(m.locked && !m.in_flight && m.pending.is_none());
    assert_eq!(m.last_error.as_deref(), Some("hostd unreachable"));
    // The next ask goes again.
    w.apply(&mut m, Op::Ask(Source::Menu));
    assert_eq!(w.requests, 2);
}

#[test]
fn a_host_suspend_is_confirmed_once_locked_and_sends_no_request_of_its_own() {
    let (mut m, mut w) = setup(2);
    w.apply(&mut m, Op::Announce(7));
    w.apply(&mut m, Op::ProgramLocks);
    w.apply(&mut m, Op::Draw(0));
    assert_eq!(w.confirmations, 0);
    let acts = m.handle(Event::FrameShown { output: "OUT-1".into(), shown: Shown::LockSurface });
    assert_eq!(acts, vec![Action::ConfirmLocked { id: 7 }]);
    assert_eq!(w.requests, 0);
}

#[test]
fn opening_the_lid_calls_off_its_suspend_but_keeps_the_lock() {
    let (mut m, mut w) = setup(1);
    w.apply(&mut m, Op::LidClose);
    w.apply(&mut m, Op::LidOpen);
    w.apply(&mut m, Op::ProgramLocks);
    w.draw_all(&mut m);
    assert_eq!(w.requests, 0);
    assert!(m.locked);
}

#[test]
fn a_lid_flapping_100_times_never_sleeps_unlocked_and_starts_one_lock_program() {
    let (mut m, mut w) = setup(2);
    let mut started = 0;
    for i in 0..100 {
        for e in [Event::LidClosed, Event::LidOpened] {
            let acts = m.handle(e);
            started += acts.iter().filter(|a| matches!(a, Action::StartLockProgram { .. })).count();
            w.act(&mut m, acts);
        }
        if i == 50 {
            w.apply(&mut m, Op::ProgramLocks);
        }
        // Frames come slower than the lid flaps: one output at a time.
        w.apply(&mut m, Op::Draw(i));
    }
    assert_eq!(started, 1);
    // The first close after the lock was drawn on both outputs (i = 52) sent one request; the
    // closes after it joined that one (no answer came).
    assert_eq!(w.requests, 1);
    assert!(m.in_flight && m.locked);
}

#[test]
fn unlocking_while_a_suspend_is_due_locks_again_first() {
    let (mut m, mut w) = setup(1);
    w.apply(&mut m, Op::Announce(1));
    w.apply(&mut m, Op::ProgramLocks);
    w.apply(&mut m, Op::UserUnlocks);
    assert!(w.program_running, "the lock program was started again");
    w.draw_all(&mut m);
    assert_eq!(w.confirmations, 0);
    w.apply(&mut m, Op::ProgramLocks);
    w.draw_all(&mut m);
    assert_eq!(w.confirmations, 1);
}

#[test]
fn logind_sleep_waits_for_the_lock_on_every_output_then_lets_go_once() {
    let (mut m, mut w) = setup(2);
    w.apply(&mut m, Op::LogindSleeps);
    assert!(w.program_running, "logind's sleep starts the lock");
    w.apply(&mut m, Op::ProgramLocks);
    w.apply(&mut m, Op::Draw(0));
    assert_eq!(w.releases, 0, "one output still showed the desktop");
    w.apply(&mut m, Op::Draw(1));
    assert_eq!(w.releases, 1);
    // A second PrepareForSleep while locked lets go at once; a resume clears it.
    w.apply(&mut m, Op::LogindSleeps);
    assert_eq!(w.releases, 2);
    w.apply(&mut m, Op::Resume);
    assert!(!m.sleep_delayed && m.locked);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Whatever happens in whatever order, nothing leaves while an output shows the desktop
    /// (World::act asserts it), and a suspend still due goes once the bound runs out and every
    /// output is drawn.
    #[test]
    fn nothing_leaves_unlocked_and_a_due_suspend_goes(outputs in 1usize..4, ops in prop::collection::vec(op(), 0..80)) {
        let (mut m, mut w) = setup(outputs);
        for op in ops {
            w.apply(&mut m, op);
        }
        if m.locking() && !m.in_flight {
            let due_local = m.pending.is_some();
            let due_host = m.host_pending.len() as u32;
            let due_logind = m.sleep_delayed;
            let (req, conf, rel) = (w.requests, w.confirmations, w.releases);
            w.apply(&mut m, Op::Timer { stale: false });
            w.draw_all(&mut m);
            prop_assert_eq!(w.requests, req + due_local as u32);
            prop_assert_eq!(w.confirmations, conf + due_host);
            prop_assert_eq!(w.releases, rel + due_logind as u32);
        }
    }
}
