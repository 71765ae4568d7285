//! The keyboard-focus rules as a pure type, free of Wayland so they can be tested alone. It
//! holds who has the keyboard, the active window, the most-recently-used order, the lock and
//! popup grabs, and decides every change:
//! - while locked only a lock surface may have the keyboard, and one has it whenever one exists;
//! - a VM's window gets it only from a user act on it (click, Alt+Tab, panel), a valid
//!   activation token, or by mapping while its VM holds the keyboard or within
//!   [`Focus::act_window`] of a user act in that VM;
//! - it is never given to a window the user cannot see; when the focused window goes, the most
//!   recently used visible window (chosen by the user before) takes it, or nothing;
//! - a popup grab belongs to the window with the keyboard; it ends when the keyboard moves
//!   elsewhere or the session locks, and none starts while locked.

use std::time::{Duration, Instant};

/// Whose a surface is, for the focus rules: the GUI VM's own clients, or a VM's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Domain {
    Local,
    Vm(String),
}

impl Domain {
    pub fn of(vm: Option<&str>) -> Domain {
        match vm {
            Some(vm) => Domain::Vm(vm.to_string()),
            None => Domain::Local,
        }
    }
}

/// What may hold the keyboard. `S` names layer and lock surfaces (a `WlSurface` in the
/// compositor, a number in tests); windows go by their id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target<S> {
    Window(u64),
    Layer(S),
    Lock(S),
}

/// Why a window asks for the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The user clicked it, chose it with Alt+Tab or in the panel (or a control command did).
    User,
    /// A valid xdg-activation token (made by the client that had the keyboard).
    Activation,
    /// It mapped (the first time or again).
    Mapped,
}

/// A window as far as focus goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowFacts {
    pub id: u64,
    pub domain: Domain,
    /// Mapped, not minimised, and on an output: the user can see it.
    pub visible: bool,
}

/// How long after a user act in a VM a window that VM maps may take the keyboard (a dialog
/// opening in answer to a click).
pub const ACT_WINDOW: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub struct Focus<S> {
    keyboard: Option<Target<S>>,
    /// The active window: drawn focused, and where the keyboard returns from a layer surface
    /// or the lock.
    window: Option<(u64, Domain)>,
    /// Windows the user has focused, most recent first.
    mru: Vec<u64>,
    locked: bool,
    locks: Vec<S>,
    /// A shown layer surface that holds the keyboard exclusively (the launcher).
    exclusive: Option<S>,
    /// The window whose popup holds a grab.
    grab: Option<u64>,
    last_act: Option<(Domain, Instant)>,
    pub act_window: Duration,
}

impl<S> Default for Focus<S> {
    fn default() -> Self {
        Focus {
            keyboard: None,
            window: None,
            mru: Vec::new(),
            locked: false,
            locks: Vec::new(),
            exclusive: None,
            grab: None,
            last_act: None,
            act_window: ACT_WINDOW,
        }
    }
}

impl<S: Clone + PartialEq> Focus<S> {
    pub fn keyboard(&self) -> Option<&Target<S>> {
        self.keyboard.as_ref()
    }

    /// The active window.
    pub fn window(&self) -> Option<u64> {
        self.window.as_ref().map(|(id, _)| *id)
    }

    pub fn mru(&self) -> &[u64] {
        &self.mru
    }

    pub fn is_locked(&self) -> bool {
        self.locked
    }

    pub fn grab(&self) -> Option<u64> {
        self.grab
    }

    /// The domain whose window has the keyboard now.
    fn holder(&self) -> Option<&Domain> {
        match (&self.keyboard, &self.window) {
            (Some(Target::Window(k)), Some((id, domain))) if k == id => Some(domain),
            _ => None,
        }
    }

    #[cfg(test)]
    pub fn last_act_for_tests(&self) -> Option<&(Domain, Instant)> {
        self.last_act.as_ref()
    }

    /// The user pressed a key or a button on something of `domain`.
    pub fn user_act(&mut self, domain: Domain, now: Instant) {
        self.last_act = Some((domain, now));
    }

    /// A window asks for the keyboard; true if it gets it.
    pub fn request_window(&mut self, w: &WindowFacts, cause: Cause, now: Instant) -> bool {
        if self.locked || !w.visible {
            return false;
        }
        let allowed = match cause {
            Cause::User | Cause::Activation => true,
            Cause::Mapped => {
                w.domain == Domain::Local
                    || self.holder() == Some(&w.domain)
                    || self
                        .last_act
                        .as_ref()
                        .is_some_and(|(d, t)| *d == w.domain && now.saturating_duration_since(*t) <= self.act_window)
            }
        };
        if !allowed {
            return false;
        }
        self.mru.retain(|id| *id != w.id);
        self.mru.insert(0, w.id);
        self.window = Some((w.id, w.domain.clone()));
        self.set_keyboard(Some(self.exclusive.clone().map_or(Target::Window(w.id), Target::Layer)));
        true
    }

    /// A layer surface asks for the keyboard (a click on it, or it appeared on demand).
    pub fn request_layer(&mut self, s: S) -> bool {
        if self.locked {
            return false;
        }
        match &self.exclusive {
            Some(e) if *e != s => false,
            _ => {
                self.set_keyboard(Some(Target::Layer(s)));
                true
            }
        }
    }

    /// The shown layer surface holding the keyboard exclusively, if any, changed.
    pub fn set_exclusive(&mut self, s: Option<S>, world: &[WindowFacts]) {
        if self.exclusive == s {
            return;
        }
        let old = std::mem::replace(&mut self.exclusive, s.clone());
        if self.locked {
            return;
        }
        match s {
            Some(s) => self.set_keyboard(Some(Target::Layer(s))),
            None => {
                if old.is_some_and(|o| self.keyboard == Some(Target::Layer(o))) {
                    self.back_to_window(world);
                }
            }
        }
    }

    /// A layer surface stopped taking the keyboard (went away, hid, or gave up interactivity).
    pub fn layer_gone(&mut self, s: &S, world: &[WindowFacts]) {
        if self.exclusive.as_ref() == Some(s) {
            self.exclusive = None;
        }
        if !self.locked && self.keyboard.as_ref() == Some(&Target::Layer(s.clone())) {
            self.back_to_window(world);
        }
    }

    /// A window can no longer have the keyboard: it closed, unmapped, was minimised or left
    /// every output. `forget`: it closed or unmapped (minimised windows stay in the MRU order).
    pub fn window_gone(&mut self, id: u64, forget: bool, world: &[WindowFacts]) {
        if forget {
            self.mru.retain(|m| *m != id);
        }
        if self.grab == Some(id) {
            self.grab = None;
        }
        if self.window.as_ref().map(|(w, _)| *w) != Some(id) {
            return;
        }
        self.window = self.successor(world, id);
        if !self.locked && (self.keyboard == Some(Target::Window(id)) || self.keyboard.is_none()) {
            self.back_to_window(world);
        }
    }

    /// The most recently used visible window other than `except`.
    fn successor(&self, world: &[WindowFacts], except: u64) -> Option<(u64, Domain)> {
        self.mru
            .iter()
            .filter(|id| **id != except)
            .find_map(|id| world.iter().find(|w| w.id == *id && w.visible).map(|w| (w.id, w.domain.clone())))
    }

    /// The keyboard goes back to the active window if it can still be seen, else to the most
    /// recently used visible one, else to nothing.
    fn back_to_window(&mut self, world: &[WindowFacts]) {
        if let Some(layer) = self.exclusive.clone() {
            self.set_keyboard(Some(Target::Layer(layer)));
            return;
        }
        let active_visible = self.window.as_ref().is_some_and(|(id, _)| world.iter().any(|w| w.id == *id && w.visible));
        if !active_visible {
            let except = self.window.as_ref().map(|(id, _)| *id).unwrap_or(u64::MAX);
            self.window = self.successor(world, except);
        }
        let target = self.window.as_ref().map(|(id, _)| Target::Window(*id));
        self.set_keyboard(target);
    }

    fn set_keyboard(&mut self, target: Option<Target<S>>) {
        if let Some(g) = self.grab {
            if target != Some(Target::Window(g)) {
                self.grab = None;
            }
        }
        self.keyboard = target;
    }

    /// The session locks: every grab ends and only lock surfaces may have the keyboard.
    pub fn lock(&mut self) {
        self.locked = true;
        self.grab = None;
        self.keyboard = self.locks.first().cloned().map(Target::Lock);
    }

    /// A lock surface appeared; `prefer` gives it the keyboard even if another lock surface has
    /// it (it is on the output under the pointer).
    pub fn lock_surface(&mut self, s: S, prefer: bool) {
        if !self.locks.contains(&s) {
            self.locks.push(s.clone());
        }
        let has_lock = matches!(self.keyboard, Some(Target::Lock(_)));
        if self.locked && (prefer || !has_lock) {
            self.keyboard = Some(Target::Lock(s));
        }
    }

    pub fn lock_surface_gone(&mut self, s: &S) {
        self.locks.retain(|l| l != s);
        if self.keyboard.as_ref() == Some(&Target::Lock(s.clone())) {
            self.keyboard = self.locks.first().cloned().map(Target::Lock);
        }
    }

    /// The session unlocks: the keyboard goes back where it was, if that can still be seen.
    pub fn unlock(&mut self, world: &[WindowFacts]) {
        self.locked = false;
        self.locks.clear();
        self.keyboard = None;
        self.back_to_window(world);
    }

    /// Whether `window` may start a popup grab now: only with the keyboard, never while
    /// locked. When it may, the grab is recorded.
    pub fn start_grab(&mut self, window: u64) -> bool {
        if self.locked || self.keyboard != Some(Target::Window(window)) {
            return false;
        }
        self.grab = Some(window);
        true
    }

    pub fn grab_ended(&mut self) {
        self.grab = None;
    }
}
