//! Window management as plain data: the outputs with their geometry and usable zone (the output
//! less the panel's exclusive zone), each window's frame and placement (floating, maximised with
//! the frame to restore, fullscreen on an output; shown or minimised), and the decisions on them:
//! placing and cascading new windows, maximise and restore, fullscreen enter and leave, outputs
//! added, removed or changed, usable zones changing. Its methods take ids and rectangles and
//! return the [`Action`]s that must happen; the compositor applies them (`wm::apply`). It knows
//! nothing of Wayland, so `tests.rs` and `proptests.rs` drive it with no connection.

mod modes;
pub mod place;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use smithay::utils::{Logical, Point, Rectangle, Size};

pub type Rect = Rectangle<i32, Logical>;
pub type Pos = Point<i32, Logical>;
pub type Extent = Size<i32, Logical>;

/// An output as window management sees it (global coordinates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    pub name: String,
    pub geometry: Rect,
    /// Where windows go: the geometry less the exclusive zones of layer surfaces (the panel).
    pub usable: Rect,
}

/// How a window is sized and placed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Floating,
    /// Covering its output's usable zone; `restore` is the floating frame to return to.
    Maximised { restore: Option<Rect> },
    /// Covering `output`; leaving goes back to maximised when it came from there.
    Fullscreen { restore: Option<Rect>, output: String, from_maximised: bool },
}

impl Mode {
    pub fn is_maximised(&self) -> bool {
        matches!(self, Mode::Maximised { .. })
    }

    pub fn is_fullscreen(&self) -> bool {
        matches!(self, Mode::Fullscreen { .. })
    }

    /// Sized by its output rather than by its client.
    pub fn is_sized_by_output(&self) -> bool {
        !matches!(self, Mode::Floating)
    }

    /// The floating frame it returns to.
    pub fn restore(&self) -> Option<Rect> {
        match self {
            Mode::Floating => None,
            Mode::Maximised { restore } | Mode::Fullscreen { restore, .. } => *restore,
        }
    }

    fn restore_mut(&mut self) -> Option<&mut Rect> {
        match self {
            Mode::Floating => None,
            Mode::Maximised { restore } | Mode::Fullscreen { restore, .. } => restore.as_mut(),
        }
    }
}

/// Whether a window is on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Mapped,
    /// Off screen; restored where it was (`at`, its frame's top-left), or placed as a new window
    /// when that output went away.
    Minimised {
        at: Option<Pos>,
    },
}

/// One window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub id: u64,
    /// Its frame (decorations and all) while mapped; its size while minimised.
    pub frame: Rect,
    /// The frame its client asks for: a VM window is shown no larger than its output's usable
    /// zone (`wm::fit`), and grows back to this on a larger one.
    pub wanted: Extent,
    pub shown: Shown,
    pub mode: Mode,
    /// A VM's window: bounded by its output, and maximised instead of fullscreen when the
    /// config says so.
    pub vm: bool,
}

/// The states a configure tells a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum States {
    Floating,
    Maximised,
    Fullscreen { output: String },
}

/// What must happen for a decision to take effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Tell the client its size (the frame's; `None`: its own choice) and states.
    Configure { id: u64, frame: Option<Extent>, states: States },
    /// Show the window with its frame's top-left at `to` (on top; a minimised one again).
    Move { id: u64, to: Pos },
    /// Take the window off the screen (minimised): it can no longer have the keyboard.
    Hide { id: u64 },
    /// Bound a VM window by `output`'s usable zone, asking it to shrink when larger.
    Fit { id: u64, output: String },
    /// A VM window went fullscreen on `output`: tell the user which VM now owns the screen.
    FullscreenNotice { id: u64, output: String },
    /// Its state changed: redraw where it is and tell the panels.
    Changed { id: u64 },
}

/// Outputs and windows, windows in stacking order (mapped bottom first, then minimised).
#[derive(Debug, Clone, Default)]
pub struct Layout {
    screens: Vec<Screen>,
    slots: Vec<Slot>,
    /// The output under the pointer: new windows open there, and so do windows on no output.
    pub pointer_on: Option<String>,
    /// The config's `fullscreen = "maximize"`: a VM window asking for fullscreen is maximised.
    pub vm_fullscreen_maximises: bool,
    /// How much of a frame's top must stay on an output to be grabbed (its title bar).
    pub title_height: i32,
}

impl Layout {
    pub fn new(screens: Vec<Screen>) -> Self {
        Self { screens, ..Self::default() }
    }

    pub fn screens(&self) -> &[Screen] {
        &self.screens
    }

    pub fn screen(&self, name: &str) -> Option<&Screen> {
        self.screens.iter().find(|s| s.name == name)
    }

    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    pub fn slot(&self, id: u64) -> Option<&Slot> {
        self.slots.iter().find(|s| s.id == id)
    }

    fn index(&self, id: u64) -> Option<usize> {
        self.slots.iter().position(|s| s.id == id)
    }

    /// Add a window as it is (the compositor describing its windows); on top when mapped.
    pub fn insert(&mut self, slot: Slot) {
        self.slots.retain(|s| s.id != slot.id);
        let at = match slot.shown {
            Shown::Mapped => self.slots.iter().take_while(|s| s.shown == Shown::Mapped).count(),
            Shown::Minimised { .. } => self.slots.len(),
        };
        self.slots.insert(at, slot);
    }

    /// The window is gone.
    pub fn remove(&mut self, id: u64) -> Option<Slot> {
        let i = self.index(id)?;
        Some(self.slots.remove(i))
    }

    /// The output new windows open on: the pointer's, else the first.
    pub fn active(&self) -> Option<&Screen> {
        self.pointer_on.as_deref().and_then(|n| self.screen(n)).or(self.screens.first())
    }

    /// The output a window belongs to: the one showing most of its frame; for a minimised
    /// window, the one where it was.
    pub fn output_of(&self, id: u64) -> Option<&str> {
        let slot = self.slot(id)?;
        match slot.shown {
            Shown::Minimised { at } => self.screen_under(at?),
            Shown::Mapped => self.output_showing(slot.frame),
        }
    }

    fn output_showing(&self, frame: Rect) -> Option<&str> {
        let area = |s: &Screen| s.geometry.intersection(frame).map(|i| i.size.w as i64 * i.size.h as i64);
        // The last of equals, as the compositor always chose.
        let most = self.screens.iter().filter_map(|s| Some((area(s)?, s))).max_by_key(|(a, _)| *a);
        most.map(|(_, s)| s.name.as_str()).or_else(|| self.screen_under(frame.loc))
    }

    fn screen_under(&self, p: Pos) -> Option<&str> {
        self.screens.iter().find(|s| s.geometry.contains(p)).map(|s| s.name.as_str())
    }

    /// Where a new window of `frame` size opens on `screen`: centred in the usable zone,
    /// cascaded past the spots other windows' frames start at.
    pub fn place_new(&self, frame: Extent, screen: &Screen, except: Option<u64>) -> Pos {
        let taken: Vec<Pos> = self
            .slots
            .iter()
            .filter(|s| s.shown == Shown::Mapped && Some(s.id) != except)
            .map(|s| s.frame.loc)
            .collect();
        place::place(screen.usable, frame, |p| taken.contains(p))
    }

    /// A new window shows: on the active output, placed as [`Self::place_new`] says, bounded by
    /// that output when it is a VM's.
    pub fn map(&mut self, id: u64, wanted: Extent, vm: bool) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(screen) = self.active().cloned() else { return out };
        let frame = Rect::new(Pos::default(), bounded(wanted, vm, &screen));
        self.slots.retain(|s| s.id != id);
        let to = self.place_new(frame.size, &screen, None);
        self.insert(Slot { id, frame, wanted, shown: Shown::Mapped, mode: Mode::Floating, vm });
        if vm {
            out.push(Action::Fit { id, output: screen.name.clone() });
        }
        self.move_to(id, to, &mut out);
        out.push(Action::Changed { id });
        out
    }

    /// The client committed a new frame size (it may ask for any; a VM window is cut to its
    /// bound). A title bar that leaves every output by it is brought back ([`Self::keep_reachable`]).
    pub fn resized(&mut self, id: u64, wanted: Extent) -> Vec<Action> {
        let Some(i) = self.index(id) else { return Vec::new() };
        self.slots[i].wanted = wanted;
        if !self.slots[i].mode.is_sized_by_output() {
            self.slots[i].frame.size = wanted;
        }
        self.rebound(id, &mut Vec::new());
        self.keep_reachable(id)
    }

    /// A shown floating window whose title bar is on no output comes back wholly onto the output
    /// nearest to it. A client that shrinks its window keeps the frame's top-left, so one the user
    /// dragged far off an edge (held far along its title bar) and then shrunk would leave every
    /// output: it could not be grabbed, and Alt+Tab would give the keyboard to a window no one sees.
    pub fn keep_reachable(&mut self, id: u64) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(slot) = self.slot(id) else { return out };
        if slot.shown != Shown::Mapped || slot.mode.is_sized_by_output() {
            return out;
        }
        let frame = slot.frame;
        let strip = Rect::new(frame.loc, (frame.size.w.max(1), self.title_height.clamp(1, frame.size.h.max(1))).into());
        if self.screens.iter().any(|o| o.geometry.overlaps(strip)) {
            return out;
        }
        let Some(screen) = self.screens.iter().min_by_key(|o| gap(o.geometry, strip)) else { return out };
        let to = place::clamp_into(frame.loc, frame.size, screen.usable);
        self.move_to(id, to, &mut out);
        // On an output now, a VM window is bounded by it.
        self.rebound(id, &mut out);
        out
    }

    /// The user moved the window (a drag of its title bar, `canopy msg move`). A VM window
    /// bounded smaller by the output it is now on may leave the pointer's hold; its title bar is
    /// kept on an output ([`Self::keep_reachable`]).
    pub fn moved(&mut self, id: u64, to: Pos) -> Vec<Action> {
        if let Some(i) = self.index(id) {
            self.slots[i].frame.loc = to;
        }
        self.rebound(id, &mut Vec::new());
        self.keep_reachable(id)
    }

    /// A floating VM window is bounded by the output it is now on, as the compositor does
    /// after each of its commits and moves; its client takes the smaller size it is asked for.
    /// Smaller, it may belong to another output (one that now shows most of it): bounded by
    /// that one in turn, until it stays (sizes only shrink, so this ends).
    fn rebound(&mut self, id: u64, out: &mut Vec<Action>) {
        let Some(i) = self.index(id) else { return };
        let slot = &self.slots[i];
        if !slot.vm || slot.shown != Shown::Mapped || slot.mode.is_sized_by_output() {
            return;
        }
        let mut on = self.output_of(id).map(str::to_string);
        while let Some(screen) = on.as_deref().and_then(|n| self.screen(n)).cloned() {
            let slot = &mut self.slots[i];
            slot.frame.size = bounded(slot.wanted, true, &screen);
            slot.wanted = slot.frame.size;
            out.push(Action::Fit { id, output: screen.name.clone() });
            on = self.output_of(id).map(str::to_string).filter(|n| *n != screen.name);
        }
    }

    fn move_to(&mut self, id: u64, to: Pos, out: &mut Vec<Action>) {
        let Some(i) = self.index(id) else { return };
        let mut slot = self.slots.remove(i);
        slot.frame.loc = to;
        slot.shown = Shown::Mapped;
        // On top, as the compositor shows a window it moves.
        self.insert(slot);
        out.push(Action::Move { id, to });
    }

    fn configure(&mut self, id: u64, frame: Option<Extent>, states: States, out: &mut Vec<Action>) {
        if let (Some(i), Some(size)) = (self.index(id), frame) {
            // The model's client takes the size it is given; a real one commits it later.
            self.slots[i].frame.size = size;
        }
        out.push(Action::Configure { id, frame, states });
    }

    /// Outputs changed: added (`removed` false), or removed or moved or resized. Windows keep
    /// their place relative to their output; those whose output went away go to the first
    /// output, placed as new windows are. After a removal every window lies wholly in the
    /// usable zone of its output, a VM window bounded by it first. Then maximised and
    /// fullscreen windows are sized to their output again.
    pub fn set_screens(&mut self, screens: Vec<Screen>, removed: bool) -> Vec<Action> {
        let mut out = Vec::new();
        let origin = |l: &Layout, name: Option<&str>| name.and_then(|n| l.screen(n)).map(|s| s.geometry.loc);
        // Where each window is relative to the output it belongs to.
        let mut anchors = Vec::new();
        for slot in &self.slots {
            let (output, p) = match slot.shown {
                Shown::Mapped => (self.output_showing(slot.frame), slot.frame.loc),
                Shown::Minimised { at: Some(at) } => (self.screen_under(at), at),
                Shown::Minimised { at: None } => continue,
            };
            let at = p - origin(self, output).unwrap_or_default();
            anchors.push((slot.id, output.map(str::to_string), at));
        }
        self.screens = screens;
        let Some(primary) = self.screens.first().cloned() else { return out };
        for (id, output, at) in anchors {
            let Some(i) = self.index(id) else { continue };
            let target = output.as_deref().and_then(|n| self.screen(n)).cloned();
            if let Shown::Minimised { at: Some(old) } = self.slots[i].shown {
                // Restored where it was on its output, wholly inside it after a removal; where
                // it returns to from maximised moves with it.
                let slot = &mut self.slots[i];
                let size = slot.frame.size;
                let place = |t: &Screen| match removed {
                    true => place::clamp_into(t.geometry.loc + at, size, t.usable),
                    false => t.geometry.loc + at,
                };
                let now = target.as_ref().map(place);
                slot.shown = Shown::Minimised { at: now };
                if let Some(r) = slot.mode.restore_mut() {
                    r.loc += now.unwrap_or(old) - old;
                    if removed {
                        r.loc = place::clamp_into(r.loc, r.size, target.as_ref().unwrap_or(&primary).usable);
                    }
                }
                continue;
            }
            let old = self.slots[i].frame.loc;
            let (screen, mut to) = match target {
                Some(t) => {
                    let to = t.geometry.loc + at;
                    (t, to)
                }
                None => {
                    let to = self.open_on(i, &primary);
                    (primary.clone(), to)
                }
            };
            if removed && !self.slots[i].mode.is_sized_by_output() {
                let slot = &mut self.slots[i];
                if slot.vm {
                    slot.frame.size = bounded(slot.wanted, true, &screen);
                    out.push(Action::Fit { id, output: screen.name.clone() });
                }
                to = place::clamp_into(to, slot.frame.size, screen.usable);
            }
            self.move_to(id, to, &mut out);
            let i = self.index(id).expect("just moved");
            // Where it returns to from maximised or fullscreen moves with it.
            if let Some(r) = self.slots[i].mode.restore_mut() {
                r.loc += to - old;
                if removed {
                    r.loc = place::clamp_into(r.loc, r.size, screen.usable);
                }
            }
            out.push(Action::Changed { id });
        }
        for name in self.screens.iter().map(|s| s.name.clone()).collect::<Vec<_>>() {
            out.extend(self.refit(&name));
        }
        out
    }

    /// Where window `i` opens on `screen` as a new window would.
    fn open_on(&self, i: usize, screen: &Screen) -> Pos {
        let slot = &self.slots[i];
        if slot.mode.is_sized_by_output() {
            return screen.usable.loc;
        }
        self.place_new(slot.frame.size, screen, Some(slot.id))
    }

    /// The usable zone of output `name` changed (a panel came or went).
    pub fn set_usable(&mut self, name: &str, usable: Rect) -> Vec<Action> {
        match self.screens.iter_mut().find(|s| s.name == name) {
            Some(s) => s.usable = usable,
            None => return Vec::new(),
        }
        self.refit(name)
    }

    /// Fit the windows on output `name` to it again: maximised ones to its usable zone,
    /// fullscreen ones to all of it, VM windows bounded by it.
    pub fn refit(&mut self, name: &str) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(screen) = self.screen(name).cloned() else { return out };
        let ids: Vec<u64> = self.slots.iter().filter(|s| s.shown == Shown::Mapped).map(|s| s.id).collect();
        for id in ids {
            if self.output_of(id) == Some(name) {
                self.fit_to(id, &screen, &mut out);
            }
        }
        out
    }

    /// Fit one shown window to the output it is on (after it came back from minimised).
    pub fn refit_window(&mut self, id: u64) -> Vec<Action> {
        let mut out = Vec::new();
        if let Some(screen) = self.output_of(id).and_then(|n| self.screen(n)).cloned() {
            self.fit_to(id, &screen, &mut out);
        }
        out
    }

    fn fit_to(&mut self, id: u64, screen: &Screen, out: &mut Vec<Action>) {
        let Some(i) = self.index(id) else { return };
        match &mut self.slots[i].mode {
            Mode::Maximised { .. } => {
                self.configure(id, Some(screen.usable.size), States::Maximised, out);
                self.move_to(id, screen.usable.loc, out);
            }
            Mode::Fullscreen { output, .. } => {
                output.clone_from(&screen.name);
                let states = States::Fullscreen { output: screen.name.clone() };
                self.configure(id, Some(screen.geometry.size), states, out);
                self.move_to(id, screen.geometry.loc, out);
            }
            Mode::Floating => self.rebound(id, out),
        }
    }
}

/// The frame a window shows on `screen`: a VM window no larger than its usable zone.
fn bounded(wanted: Extent, vm: bool, screen: &Screen) -> Extent {
    match vm {
        true => shrunk_to(wanted, screen.usable.size).unwrap_or(wanted),
        false => wanted,
    }
}

/// The size a VM window asking for `requested` is configured down to when it is larger than
/// `bound` in either direction (`wm::fit`); `None` when it fits.
pub fn shrunk_to(requested: Extent, bound: Extent) -> Option<Extent> {
    let fits = requested.w <= bound.w && requested.h <= bound.h;
    (!fits).then(|| Extent::from((requested.w.min(bound.w), requested.h.min(bound.h))))
}

/// The squared distance between two rectangles (0 when they touch or overlap).
fn gap(a: Rect, b: Rect) -> i64 {
    let axis = |a0: i32, a1: i32, b0: i32, b1: i32| i64::from((a0 - b1).max(b0 - a1).max(0));
    let dx = axis(a.loc.x, a.loc.x + a.size.w, b.loc.x, b.loc.x + b.size.w);
    let dy = axis(a.loc.y, a.loc.y + a.size.h, b.loc.y, b.loc.y + b.size.h);
    dx * dx + dy * dy
}
