//! Alt+Tab: while Alt is held, each Tab previews the next window in most-recently-used order;
//! releasing Alt focuses it for good.

use crate::state::State;

#[derive(Debug)]
pub struct Switcher {
    /// Window ids, most recently used first, as they were when Alt+Tab began.
    order: Vec<u64>,
    index: usize,
}

impl Switcher {
    pub fn new(order: Vec<u64>) -> Self {
        Self { order, index: 0 }
    }

    /// Advance by `step` (1 or -1) and return the selected id.
    pub fn step(&mut self, step: isize) -> Option<u64> {
        if self.order.is_empty() {
            return None;
        }
        let n = self.order.len() as isize;
        self.index = ((self.index as isize + step).rem_euclid(n)) as usize;
        self.order.get(self.index).copied()
    }

    pub fn selected(&self) -> Option<u64> {
        self.order.get(self.index).copied()
    }
}

impl State {
    pub fn switch_focus(&mut self, step: isize) {
        let canopy = &mut self.canopy;
        if canopy.switcher.is_none() {
            let all = canopy.all_windows();
            let mut order: Vec<u64> =
                canopy.focus.mru().iter().copied().filter(|id| all.iter().any(|w| w.id() == *id)).collect();
            // Windows never focused yet go last.
            for w in all.iter().rev() {
                if !order.contains(&w.id()) {
                    order.push(w.id());
                }
            }
            canopy.switcher = Some(Switcher::new(order));
        }
        let Some(id) = canopy.switcher.as_mut().and_then(|s| s.step(step)) else { return };
        if let Some(w) = canopy.window_by_id(id) {
            // Choosing with Alt+Tab is the user's act.
            canopy.user_act(crate::wm::focus::Domain::of(w.vm()), Some(w.wl_surface()));
            canopy.focus_window(&w, crate::wm::focus::Cause::User);
        }
        self.enforce_focus();
    }

    pub fn finish_switcher(&mut self) {
        let Some(switcher) = self.canopy.switcher.take() else { return };
        if let Some(w) = switcher.selected().and_then(|id| self.canopy.mapped_window_by_id(id)) {
            self.canopy.focus_window(&w, crate::wm::focus::Cause::User);
        }
        self.enforce_focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_both_ways() {
        let mut s = Switcher::new(vec![3, 2, 1]);
        assert_eq!(s.step(1), Some(2));
        assert_eq!(s.step(1), Some(1));
        assert_eq!(s.step(1), Some(3));
        assert_eq!(s.step(-1), Some(1));
        assert_eq!(Switcher::new(vec![]).step(1), None);
    }
}
