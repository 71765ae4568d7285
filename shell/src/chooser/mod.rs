//! The chooser: the trusted side's question when a VM asks to open a link or file, or send files,
//! in another VM and hostd's policy says to ask. The panel starts it with hostd's request on
//! stdin; it shows the request and the VMs it may go to, and answers hostd with the user's
//! choice (a click or Enter on a VM, Cancel, Escape). It ignores input for a moment after it
//! appears, so that a click or key meant for a window cannot answer a question it did not show
//! yet; it closes by itself when hostd's time for an answer is over (hostd then denies).
//!
//! Given a notice instead, it shows that in a corner for a few seconds ([`notice`]).

pub mod notice;
pub mod view;

use std::time::Duration;

use canopy_protocols::lifecycle::open::Choice;
use smithay_client_toolkit::reexports::calloop::channel::{self, Channel};
use smithay_client_toolkit::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay_client_toolkit::seat::keyboard::{KeyEvent, Keysym, Modifiers};

use crate::host::{describe, Host};
use crate::wl::{App, Core, Placement, View, ViewCx};

/// How long input is ignored after the chooser appears.
pub const ARM_DELAY: Duration = Duration::from_millis(600);

#[derive(Debug, Clone, PartialEq)]
pub enum ChooserAction {
    /// The n-th target VM.
    Target(usize),
    Cancel,
    /// The card itself: a click there does nothing.
    Card,
    /// Beside the card: nothing either (a stray click must not answer).
    Outside,
}

/// What the chooser shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ChooserModel {
    pub choice: Choice,
    /// The target Enter picks: the preferred one, until the arrows move it.
    pub selected: usize,
    /// Whether input counts yet.
    pub armed: bool,
}

impl ChooserModel {
    pub fn new(choice: Choice) -> Self {
        ChooserModel { choice, selected: 0, armed: false }
    }

    /// Left / Right / Tab: the next target, wrapping around.
    pub fn step(&mut self, forward: bool) {
        let n = self.choice.targets.len().max(1);
        self.selected = if forward { (self.selected + 1) % n } else { (self.selected + n - 1) % n };
    }
}

pub struct Chooser {
    pub model: ChooserModel,
    host: Host,
    arm_delay: Duration,
    /// The answer is on its way to hostd.
    answered: bool,
    tx: Option<channel::Sender<()>>,
}

impl Chooser {
    pub fn new(choice: Choice, host: Host, arm_delay: Duration) -> Self {
        Chooser { model: ChooserModel::new(choice), host, arm_delay, answered: false, tx: None }
    }

    /// Send the user's answer (None: Cancel) to hostd, then close.
    fn answer(&mut self, vm: Option<String>) {
        if !self.model.armed || self.answered {
            return;
        }
        self.answered = true;
        let (host, id, tx) = (self.host.clone(), self.model.choice.id, self.tx.clone());
        tracing::info!("choice {id}: {}", vm.as_deref().unwrap_or("cancel"));
        std::thread::spawn(move || {
            if let Err(e) = host.choose(id, vm.as_deref()) {
                tracing::warn!("hostd did not take the answer: {}", describe(&e));
            }
            if let Some(tx) = tx {
                let _ = tx.send(());
            }
        });
    }

    fn pick(&mut self, i: usize) {
        let vm = self.model.choice.targets.get(i).map(|t| t.vm.clone());
        if vm.is_some() {
            self.answer(vm);
        }
    }
}

/// Run `f` once after `after`, in the program's event loop.
pub(crate) fn after<A: App>(core: &mut Core<A>, after: Duration, f: impl FnOnce(&mut A, &mut Core<A>) + 'static) {
    let mut f = Some(f);
    let inserted = core.handle.insert_source(Timer::from_duration(after), move |_, _, shell| {
        if let Some(f) = f.take() {
            f(&mut shell.app, &mut shell.core);
        }
        TimeoutAction::Drop
    });
    if let Err(e) = inserted {
        tracing::error!("cannot start a timer: {e}");
    }
}

impl App for Chooser {
    type Action = ChooserAction;

    fn namespace(&self) -> &'static str {
        "canopy-chooser"
    }

    fn placement(&self) -> Placement {
        Placement::Overlay { output: None }
    }

    fn init(&mut self, core: &mut Core<Self>) {
        let (tx, rx): (_, Channel<()>) = channel::channel();
        self.tx = Some(tx);
        if let Err(e) = core.handle.insert_source(rx, |_, _, shell| shell.core.exit(0)) {
            tracing::error!("cannot wait for hostd's answer: {e}");
        }
        after(core, self.arm_delay, |app: &mut Chooser, core| {
            app.model.armed = true;
            core.redraw();
        });
        let timeout = Duration::from_millis(self.model.choice.timeout_ms);
        after(core, timeout, |app: &mut Chooser, core| {
            tracing::info!("choice {}: no answer in time; hostd denies it", app.model.choice.id);
            core.exit(0);
        });
    }

    fn view(&self, cx: &ViewCx<'_, ChooserAction>) -> View<ChooserAction> {
        view::view(&self.model, cx)
    }

    fn click(&mut self, _core: &mut Core<Self>, action: ChooserAction, _button: u32) {
        match action {
            ChooserAction::Target(i) => self.pick(i),
            ChooserAction::Cancel => self.answer(None),
            ChooserAction::Card | ChooserAction::Outside => {}
        }
    }

    fn key(&mut self, core: &mut Core<Self>, key: &KeyEvent, mods: &Modifiers) {
        if !self.model.armed || self.answered {
            return;
        }
        match key.keysym {
            Keysym::Escape => self.answer(None),
            Keysym::Return | Keysym::KP_Enter => self.pick(self.model.selected),
            Keysym::Left => self.model.step(false),
            Keysym::Right => self.model.step(true),
            Keysym::Tab => self.model.step(!mods.shift),
            _ => return,
        }
        core.redraw();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_protocols::lifecycle::open::{ChoiceTarget, Intent, Shown};
    use canopy_protocols::lifecycle::State;

    #[test]
    fn the_arrows_wrap_around_the_targets() {
        let target = |vm: &str| ChoiceTarget {
            vm: vm.into(),
            trust: "work".into(),
            state: State::Running,
            app: None,
            icon: None,
        };
        let mut m = ChooserModel::new(Choice {
            id: 1,
            from: "docs".into(),
            from_trust: "work".into(),
            intent: Intent::Send,
            what: Shown::Files(vec![]),
            targets: vec![target("a"), target("b"), target("c")],
            timeout_ms: 1000,
        });
        m.step(false);
        assert_eq!(m.selected, 2);
        m.step(true);
        m.step(true);
        assert_eq!(m.selected, 1);
    }
}
