//! The one list of managed windows. Each window is in one state (not yet mapped, mapped,
//! minimised); the list keeps the stacking order of the mapped ones and the order the minimised
//! ones were minimised in, so no separate collection can disagree with it. It knows nothing of
//! Wayland: the compositor's windows and the unit tests' windows both live in it.

use std::collections::HashMap;
use std::hash::Hash;

/// Where a window is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Presence {
    /// Known, but not shown: no buffer yet, or it hid itself by committing none.
    #[default]
    Unmapped,
    /// Shown, in the stacking order.
    Mapped,
    /// Taken off the screen by the user; on the panel, restorable.
    Minimised,
}

/// What the list needs of a window. The presence is kept on the window itself, so code holding
/// only a window can ask whether it is shown; only [`Windows`] changes it.
pub trait Managed: Clone {
    /// What the window is found by besides its id (its toplevel surface).
    type Key: Hash + Eq + Clone;
    fn id(&self) -> u64;
    fn key(&self) -> Self::Key;
    fn presence(&self) -> Presence;
    fn set_presence(&self, p: Presence);
}

#[derive(Debug)]
pub struct Windows<W: Managed> {
    by_id: HashMap<u64, W>,
    by_key: HashMap<W::Key, u64>,
    /// Mapped windows, bottom of the stack first.
    stack: Vec<u64>,
    /// Minimised windows, first minimised first.
    minimised: Vec<u64>,
}

impl<W: Managed> Default for Windows<W> {
    fn default() -> Self {
        Self { by_id: HashMap::new(), by_key: HashMap::new(), stack: Vec::new(), minimised: Vec::new() }
    }
}

impl<W: Managed> Windows<W> {
    /// A new window, not yet mapped.
    pub fn insert(&mut self, w: W) {
        w.set_presence(Presence::Unmapped);
        self.by_key.insert(w.key(), w.id());
        self.by_id.insert(w.id(), w);
    }

    /// The window is gone for good; returns it, in the state it was last in.
    pub fn remove_by_key(&mut self, key: &W::Key) -> Option<W> {
        let id = self.by_key.remove(key)?;
        let w = self.by_id.remove(&id)?;
        self.stack.retain(|i| *i != id);
        self.minimised.retain(|i| *i != id);
        Some(w)
    }

    pub fn get(&self, id: u64) -> Option<&W> {
        self.by_id.get(&id)
    }

    pub fn by_key(&self, key: &W::Key) -> Option<&W> {
        self.by_id.get(self.by_key.get(key)?)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Mapped, on top of the stack (moved there if it was mapped already).
    pub fn map_on_top(&mut self, w: &W) {
        self.set(w, Presence::Mapped);
    }

    /// Mapped windows only: move to the top of the stack.
    pub fn raise(&mut self, w: &W) {
        let id = w.id();
        if let Some(i) = self.stack.iter().position(|s| *s == id) {
            self.stack.remove(i);
            self.stack.push(id);
        }
    }

    pub fn minimise(&mut self, w: &W) {
        self.set(w, Presence::Minimised);
    }

    /// Not shown, but still known (it committed no buffer), or being taken away.
    pub fn unmap(&mut self, w: &W) {
        self.set(w, Presence::Unmapped);
    }

    /// The state is set on the window given, so a window already removed from the list (closed,
    /// and being taken off the screen) is left unmapped rather than shown outside it.
    fn set(&mut self, w: &W, p: Presence) {
        let id = w.id();
        self.stack.retain(|i| *i != id);
        self.minimised.retain(|i| *i != id);
        if !self.by_id.contains_key(&id) {
            w.set_presence(Presence::Unmapped);
            return;
        }
        match p {
            Presence::Mapped => self.stack.push(id),
            Presence::Minimised => self.minimised.push(id),
            Presence::Unmapped => {}
        }
        w.set_presence(p);
    }

    /// Mapped windows, bottom of the stack first.
    pub fn stacked(&self) -> impl DoubleEndedIterator<Item = &W> + '_ {
        self.stack.iter().filter_map(|id| self.by_id.get(id))
    }

    /// Minimised windows, first minimised first.
    pub fn minimised(&self) -> impl Iterator<Item = &W> + '_ {
        self.minimised.iter().filter_map(|id| self.by_id.get(id))
    }

    /// Every window in any state, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &W> + '_ {
        self.by_id.values()
    }

    /// The list's own consistency, for tests: every window is in exactly the order that its
    /// state says, once, and each key finds its window.
    pub fn check(&self) -> Result<(), String> {
        for (id, w) in &self.by_id {
            let in_stack = self.stack.iter().filter(|i| *i == id).count();
            let in_min = self.minimised.iter().filter(|i| *i == id).count();
            let want = match w.presence() {
                Presence::Mapped => (1, 0),
                Presence::Minimised => (0, 1),
                Presence::Unmapped => (0, 0),
            };
            if (in_stack, in_min) != want {
                return Err(format!("window {id} is {:?} but in stack {in_stack}×, minimised {in_min}×", w.presence()));
            }
            if self.by_key.get(&w.key()) != Some(id) {
                return Err(format!("window {id} is not found by its key"));
            }
        }
        if self.stack.len() + self.minimised.len() > self.by_id.len() || self.by_key.len() != self.by_id.len() {
            return Err("orders or keys name windows the list does not hold".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use proptest::prelude::*;

    use super::*;

    /// A window without a Wayland connection.
    #[derive(Debug, Clone)]
    struct TestWindow {
        id: u64,
        presence: Rc<Cell<Presence>>,
    }

    impl TestWindow {
        fn new(id: u64) -> Self {
            Self { id, presence: Rc::default() }
        }
    }

    impl Managed for TestWindow {
        type Key = u64;
        fn id(&self) -> u64 {
            self.id
        }
        fn key(&self) -> u64 {
            self.id + 1000
        }
        fn presence(&self) -> Presence {
            self.presence.get()
        }
        fn set_presence(&self, p: Presence) {
            self.presence.set(p)
        }
    }

    fn ids<'a>(it: impl Iterator<Item = &'a TestWindow>) -> Vec<u64> {
        it.map(|w| w.id).collect()
    }

    #[test]
    fn mapping_stacks_on_top_and_raise_reorders() {
        let mut l = Windows::default();
        let w: Vec<_> = (0..=3).map(TestWindow::new).collect();
        for w in &w[1..] {
            l.insert(w.clone());
            l.map_on_top(w);
        }
        assert_eq!(ids(l.stacked()), [1, 2, 3]);
        l.raise(&w[1]);
        assert_eq!(ids(l.stacked()), [2, 3, 1]);
        // Placing a mapped window again (a move) puts it on top, as smithay's space does.
        l.map_on_top(&w[2]);
        assert_eq!(ids(l.stacked()), [3, 1, 2]);
        l.check().unwrap();
    }

    #[test]
    fn minimise_and_restore_keep_order_and_state() {
        let mut l = Windows::default();
        let w: Vec<_> = (0..=3).map(TestWindow::new).collect();
        for w in &w[1..] {
            l.insert(w.clone());
            l.map_on_top(w);
        }
        l.minimise(&w[2]);
        l.minimise(&w[1]);
        assert_eq!(ids(l.stacked()), [3]);
        assert_eq!(ids(l.minimised()), [2, 1]);
        assert_eq!(l.get(2).unwrap().presence(), Presence::Minimised);
        l.map_on_top(&w[2]);
        assert_eq!(ids(l.stacked()), [3, 2]);
        assert_eq!(ids(l.minimised()), [1]);
        // A window closed while minimised leaves no trace in either order.
        let gone = l.remove_by_key(&1001).unwrap();
        assert_eq!(gone.presence(), Presence::Minimised);
        assert_eq!(ids(l.minimised()), Vec::<u64>::new());
        assert!(l.get(1).is_none() && l.by_key(&1001).is_none());
        // Taking a closed window off the screen leaves it unmapped, and the list unchanged.
        let gone = l.remove_by_key(&1003).unwrap();
        l.unmap(&gone);
        assert_eq!(gone.presence(), Presence::Unmapped);
        l.map_on_top(&gone);
        assert_eq!(gone.presence(), Presence::Unmapped);
        assert_eq!(ids(l.stacked()), [2]);
        l.check().unwrap();
    }

    #[test]
    fn raising_an_unmapped_or_minimised_window_does_not_show_it() {
        let mut l = Windows::default();
        let w: Vec<_> = (0..=2).map(TestWindow::new).collect();
        l.insert(w[1].clone());
        l.insert(w[2].clone());
        l.map_on_top(&w[2]);
        l.minimise(&w[2]);
        l.raise(&w[1]);
        l.raise(&w[2]);
        assert_eq!(l.stacked().count(), 0);
        assert_eq!(l.get(1).unwrap().presence(), Presence::Unmapped);
        l.check().unwrap();
    }

    #[derive(Debug, Clone)]
    enum Op {
        Add,
        Map(usize),
        Raise(usize),
        Minimise(usize),
        Unmap(usize),
        Remove(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            Just(Op::Add),
            any::<usize>().prop_map(Op::Map),
            any::<usize>().prop_map(Op::Raise),
            any::<usize>().prop_map(Op::Minimise),
            any::<usize>().prop_map(Op::Unmap),
            any::<usize>().prop_map(Op::Remove),
        ]
    }

    proptest! {
        /// Whatever happens, no window is lost or duplicated: every window added and not removed
        /// is in the list exactly once, in the order its state says; the top of the stack is
        /// the last window mapped or raised that is still mapped.
        #[test]
        fn no_window_lost(ops in proptest::collection::vec(op(), 1..80)) {
            let mut l = Windows::default();
            let mut alive: Vec<u64> = Vec::new();
            let mut next = 0;
            let mut top: Vec<u64> = Vec::new();
            let mut made: Vec<TestWindow> = vec![TestWindow::new(0)];
            for op in ops {
                let pick = |i: usize| (!alive.is_empty()).then(|| alive[i % alive.len()]);
                match op {
                    Op::Add => {
                        next += 1;
                        made.push(TestWindow::new(next));
                        l.insert(made[next as usize].clone());
                        alive.push(next);
                    }
                    Op::Map(i) => if let Some(id) = pick(i) {
                        l.map_on_top(&made[id as usize]);
                        top.retain(|t| *t != id);
                        top.push(id);
                    },
                    Op::Raise(i) => if let Some(id) = pick(i) {
                        if l.get(id).unwrap().presence() == Presence::Mapped {
                            top.retain(|t| *t != id);
                            top.push(id);
                        }
                        l.raise(&made[id as usize]);
                    },
                    Op::Minimise(i) => if let Some(id) = pick(i) {
                        l.minimise(&made[id as usize]);
                        top.retain(|t| *t != id);
                    },
                    Op::Unmap(i) => if let Some(id) = pick(i) {
                        l.unmap(&made[id as usize]);
                        top.retain(|t| *t != id);
                    },
                    Op::Remove(i) => if let Some(id) = pick(i) {
                        prop_assert!(l.remove_by_key(&(id + 1000)).is_some());
                        alive.retain(|a| *a != id);
                        top.retain(|t| *t != id);
                    },
                }
                prop_assert_eq!(l.check(), Ok(()));
                prop_assert_eq!(l.len(), alive.len());
                for id in &alive {
                    prop_assert!(l.get(*id).is_some());
                }
                prop_assert_eq!(ids(l.stacked()), top.clone());
            }
        }
    }
}
