//! Maximise and restore, fullscreen enter and leave, minimise and restore, as decisions on a
//! [`Layout`]. A window keeps the floating frame it had before either, so leaving both returns
//! it there; a VM window asking for fullscreen is maximised instead when the config says so.

use super::{Action, Extent, Layout, Mode, Shown, States};

impl Layout {
    /// The size a window that asks to open maximised or fullscreen learns in its first
    /// configure, on the active output (a client may wait for a size before drawing anything):
    /// the output for fullscreen, the usable zone for maximised, or for a VM's fullscreen when
    /// the config maximises those instead.
    pub fn opening_size(&self, vm: bool, wants_max: bool, wants_full: bool) -> Option<(States, Extent)> {
        let screen = self.active()?;
        if wants_full && !(vm && self.vm_fullscreen_maximises) {
            Some((States::Fullscreen { output: screen.name.clone() }, screen.geometry.size))
        } else if wants_max || wants_full {
            Some((States::Maximised, screen.usable.size))
        } else {
            None
        }
    }

    /// Maximise a shown window on the output it belongs to (the active one when it is on
    /// none). Minimised windows are left as they are, as everything that asks for these acts
    /// on shown windows.
    pub fn maximise(&mut self, id: u64) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(i) = self.shown_index(id) else { return out };
        if self.slots[i].mode.is_maximised() {
            return out;
        }
        let output = self.output_of(id).and_then(|n| self.screen(n)).or(self.active()).cloned();
        let Some(screen) = output else { return out };
        let slot = &mut self.slots[i];
        // Leaving fullscreen for maximised keeps the floating frame it had before both.
        let restore = match &slot.mode {
            Mode::Floating => (slot.shown == Shown::Mapped).then_some(slot.frame),
            Mode::Maximised { restore } | Mode::Fullscreen { restore, .. } => *restore,
        };
        slot.mode = Mode::Maximised { restore };
        self.configure(id, Some(screen.usable.size), States::Maximised, &mut out);
        self.move_to(id, screen.usable.loc, &mut out);
        out.push(Action::Changed { id });
        out
    }

    /// Back to the floating frame it had (or to a size of its client's choice, in place, when
    /// it never had one).
    pub fn unmaximise(&mut self, id: u64) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(i) = self.shown_index(id) else { return out };
        let Mode::Maximised { restore } = self.slots[i].mode else { return out };
        self.slots[i].mode = Mode::Floating;
        self.restore_floating(id, restore, &mut out);
        out
    }

    pub fn toggle_maximised(&mut self, id: u64) -> Vec<Action> {
        match self.slot(id).map(|s| s.mode.is_maximised()) {
            Some(true) => self.unmaximise(id),
            Some(false) => self.maximise(id),
            None => Vec::new(),
        }
    }

    fn restore_floating(&mut self, id: u64, restore: Option<super::Rect>, out: &mut Vec<Action>) {
        self.configure(id, restore.map(|r| r.size), States::Floating, out);
        if let Some(r) = restore {
            self.move_to(id, r.loc, out);
        }
        // The frame it had may be larger than the output it comes back on, or be on none.
        self.rebound(id, out);
        out.extend(self.keep_reachable(id));
        out.push(Action::Changed { id });
    }

    /// Fullscreen on `on` (else the output it belongs to, else the active one).
    pub fn fullscreen(&mut self, id: u64, on: Option<&str>) -> Vec<Action> {
        let Some(i) = self.shown_index(id) else { return Vec::new() };
        if self.slots[i].vm && self.vm_fullscreen_maximises {
            return self.maximise(id);
        }
        let mut out = Vec::new();
        let output = on.and_then(|n| self.screen(n)).or_else(|| self.output_of(id).and_then(|n| self.screen(n)));
        let Some(screen) = output.or(self.active()).cloned() else { return out };
        let slot = &mut self.slots[i];
        let (restore, from_maximised) = match &slot.mode {
            Mode::Floating => ((slot.shown == Shown::Mapped).then_some(slot.frame), false),
            Mode::Maximised { restore } => (*restore, true),
            Mode::Fullscreen { restore, from_maximised, .. } => (*restore, *from_maximised),
        };
        slot.mode = Mode::Fullscreen { restore, output: screen.name.clone(), from_maximised };
        let vm = slot.vm;
        let states = States::Fullscreen { output: screen.name.clone() };
        self.configure(id, Some(screen.geometry.size), states, &mut out);
        self.move_to(id, screen.geometry.loc, &mut out);
        if vm {
            out.push(Action::FullscreenNotice { id, output: screen.name.clone() });
        }
        out.push(Action::Changed { id });
        out
    }

    /// Leave fullscreen: maximised again when it was before, else its floating frame.
    pub fn unfullscreen(&mut self, id: u64) -> Vec<Action> {
        let Some(i) = self.shown_index(id) else { return Vec::new() };
        let Mode::Fullscreen { restore, from_maximised, .. } = self.slots[i].mode.clone() else {
            return Vec::new();
        };
        if from_maximised {
            let slot = &mut self.slots[i];
            // Back to what the user had: maximised, with the floating frame still kept (the
            // fullscreen frame when it had none).
            let restore = restore.or((slot.shown == Shown::Mapped).then_some(slot.frame));
            slot.mode = Mode::Floating;
            let out = self.maximise(id);
            if let Some(i) = self.index(id) {
                self.slots[i].mode = Mode::Maximised { restore };
            }
            return out;
        }
        self.slots[i].mode = Mode::Floating;
        let mut out = Vec::new();
        self.restore_floating(id, restore, &mut out);
        out
    }

    /// Off the screen, to be restored where it was.
    pub fn minimise(&mut self, id: u64) -> Vec<Action> {
        let Some(i) = self.index(id) else { return Vec::new() };
        if self.slots[i].shown != Shown::Mapped {
            return Vec::new();
        }
        let mut slot = self.slots.remove(i);
        slot.shown = Shown::Minimised { at: Some(slot.frame.loc) };
        self.slots.push(slot);
        vec![Action::Hide { id }, Action::Changed { id }]
    }

    /// Back where it was, or placed as a new window when its output went away.
    pub fn unminimise(&mut self, id: u64) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(slot) = self.slot(id) else { return out };
        let Shown::Minimised { at } = slot.shown else { return out };
        let size = slot.frame.size;
        let to = match (at, self.active()) {
            (Some(at), _) => at,
            (None, Some(screen)) => self.place_new(size, screen, Some(id)),
            (None, None) => Default::default(),
        };
        self.move_to(id, to, &mut out);
        // Maximised or fullscreen on an output that may have changed (or gone) meanwhile.
        out.extend(self.refit_window(id));
        self.rebound(id, &mut out);
        out.extend(self.keep_reachable(id));
        out.push(Action::Changed { id });
        out
    }

    fn shown_index(&self, id: u64) -> Option<usize> {
        self.index(id).filter(|i| self.slots[*i].shown == Shown::Mapped)
    }
}
