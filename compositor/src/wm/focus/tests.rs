//! The focus rules without a Wayland connection: the attacks of issue 12 as sequences, and
//! random sequences of map, unmap, click, minimise, lock, grab and layer operations that must
//! keep the focus invariants.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::policy::{Cause, Domain, Focus, Target, WindowFacts};

fn vm(name: &str) -> Domain {
    Domain::Vm(name.into())
}

fn win(id: u64, domain: Domain) -> WindowFacts {
    WindowFacts { id, domain, visible: true }
}

#[test]
fn a_mapped_vm_window_does_not_take_the_keyboard_from_another_vm() {
    let t = Instant::now();
    let mut f = Focus::<u32>::default();
    let bank = win(1, vm("bank"));
    f.user_act(bank.domain.clone(), t);
    assert!(f.request_window(&bank, Cause::User, t));
    // Seconds later a background VM maps a window (or maps one again after hiding it).
    let evil = win(2, vm("evil"));
    assert!(!f.request_window(&evil, Cause::Mapped, t + Duration::from_secs(5)));
    assert_eq!(f.keyboard(), Some(&Target::Window(1)));
    // The bank VM's own dialog, opened in answer to the user's click, does take it.
    f.user_act(bank.domain.clone(), t + Duration::from_secs(6));
    assert!(f.request_window(&win(3, vm("bank")), Cause::Mapped, t + Duration::from_secs(7)));
    // A window of the VM that holds the keyboard may too, however late.
    assert!(f.request_window(&win(4, vm("bank")), Cause::Mapped, t + Duration::from_secs(60)));
    // Local (trusted) programs' windows always do.
    assert!(f.request_window(&win(5, Domain::Local), Cause::Mapped, t + Duration::from_secs(61)));
}

#[test]
fn a_vm_remapping_whenever_it_loses_focus_never_gets_it_back() {
    let t = Instant::now();
    let mut f = Focus::<u32>::default();
    let evil = win(1, vm("evil"));
    let bank = win(2, vm("bank"));
    assert!(f.request_window(&evil, Cause::User, t));
    for i in 0..3 {
        let now = t + Duration::from_secs(10 * (i + 1));
        f.user_act(bank.domain.clone(), now);
        assert!(f.request_window(&bank, Cause::User, now));
        // evil unmaps and maps again at once.
        f.window_gone(1, true, &[WindowFacts { visible: false, ..evil.clone() }, bank.clone()]);
        assert!(!f.request_window(&evil, Cause::Mapped, now + Duration::from_millis(5)));
        assert_eq!(f.keyboard(), Some(&Target::Window(2)));
    }
}

#[test]
fn while_locked_only_the_lock_has_the_keyboard_and_keeps_it() {
    let t = Instant::now();
    let mut f = Focus::<u32>::default();
    let evil = win(1, vm("evil"));
    assert!(f.request_window(&evil, Cause::User, t));
    assert!(f.start_grab(1));
    f.lock();
    assert_eq!(f.grab(), None, "locking ends the grab");
    assert_eq!(f.keyboard(), None);
    f.lock_surface(100, false);
    assert_eq!(f.keyboard(), Some(&Target::Lock(100)));
    assert!(!f.start_grab(1), "no grab while locked");
    assert!(!f.request_window(&evil, Cause::User, t));
    assert!(!f.request_window(&evil, Cause::Activation, t));
    assert!(!f.request_layer(7));
    // The focused window closes and no other is mapped: the lock keeps the keyboard.
    f.window_gone(1, true, &[]);
    assert_eq!(f.keyboard(), Some(&Target::Lock(100)));
    // A second output's lock surface, then the first one's goes away.
    f.lock_surface(101, false);
    assert_eq!(f.keyboard(), Some(&Target::Lock(100)));
    f.lock_surface_gone(&100);
    assert_eq!(f.keyboard(), Some(&Target::Lock(101)));
    f.unlock(&[]);
    assert_eq!(f.keyboard(), None);
}

#[test]
fn unlock_returns_to_the_window_that_had_the_keyboard() {
    let t = Instant::now();
    let mut f = Focus::<u32>::default();
    let (a, b) = (win(1, vm("a")), win(2, vm("b")));
    f.request_window(&a, Cause::User, t);
    f.request_window(&b, Cause::User, t);
    f.lock();
    f.lock_surface(9, false);
    f.unlock(&[a.clone(), b.clone()]);
    assert_eq!(f.keyboard(), Some(&Target::Window(2)));
    // Minimised while locked: the most recently used visible window gets it.
    f.lock();
    f.window_gone(2, false, &[a.clone(), WindowFacts { visible: false, ..b.clone() }]);
    f.unlock(&[a.clone(), WindowFacts { visible: false, ..b }]);
    assert_eq!(f.keyboard(), Some(&Target::Window(1)));
}

#[test]
fn the_exclusive_layer_keeps_the_keyboard_until_it_goes() {
    let t = Instant::now();
    let mut f = Focus::<u32>::default();
    let a = win(1, Domain::Local);
    f.request_window(&a, Cause::User, t);
    f.set_exclusive(Some(50), std::slice::from_ref(&a));
    assert_eq!(f.keyboard(), Some(&Target::Layer(50)));
    assert!(f.request_window(&a, Cause::User, t), "the window is active");
    assert_eq!(f.keyboard(), Some(&Target::Layer(50)), "but the launcher keeps the keys");
    assert!(!f.request_layer(51));
    f.layer_gone(&50, std::slice::from_ref(&a));
    assert_eq!(f.keyboard(), Some(&Target::Window(1)));
}

/// One step of a random session.
#[derive(Debug, Clone)]
enum Op {
    Map(u64, u8),
    Unmap(u64),
    Click(u64),
    Activate(u64),
    Minimise(u64),
    Close(u64),
    Type,
    Wait(u64),
    Lock,
    LockSurface(u32),
    LockSurfaceGone(u32),
    Unlock,
    Grab(u64),
    Layer(u32),
    LayerGone(u32),
    Exclusive(Option<u32>),
}

fn op() -> impl Strategy<Value = Op> {
    let id = 0u64..6;
    prop_oneof![
        (id.clone(), 0u8..3).prop_map(|(i, d)| Op::Map(i, d)),
        id.clone().prop_map(Op::Unmap),
        id.clone().prop_map(Op::Click),
        id.clone().prop_map(Op::Activate),
        id.clone().prop_map(Op::Minimise),
        id.clone().prop_map(Op::Close),
        Just(Op::Type),
        (0u64..4000).prop_map(Op::Wait),
        Just(Op::Lock),
        (0u32..3).prop_map(Op::LockSurface),
        (0u32..3).prop_map(Op::LockSurfaceGone),
        Just(Op::Unlock),
        id.prop_map(Op::Grab),
        (10u32..12).prop_map(Op::Layer),
        (10u32..12).prop_map(Op::LayerGone),
        prop_oneof![Just(None), (10u32..12).prop_map(Some)].prop_map(Op::Exclusive),
    ]
}

/// The world the policy is told about: windows (id → facts), lock surfaces, shown layers.
#[derive(Default)]
struct World {
    windows: Vec<WindowFacts>,
    locks: Vec<u32>,
    layers: Vec<u32>,
}

impl World {
    fn get(&self, id: u64) -> Option<&WindowFacts> {
        self.windows.iter().find(|w| w.id == id)
    }
    fn set_visible(&mut self, id: u64, v: bool) {
        if let Some(w) = self.windows.iter_mut().find(|w| w.id == id) {
            w.visible = v;
        }
    }
}

fn domain(d: u8) -> Domain {
    match d {
        0 => Domain::Local,
        1 => vm("bank"),
        _ => vm("evil"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_sessions_keep_the_focus_invariants(ops in proptest::collection::vec(op(), 1..60)) {
        let start = Instant::now();
        let mut now = start;
        let mut f = Focus::<u32>::default();
        let mut w = World::default();
        for op in ops {
            let before = f.keyboard().cloned();
            let holder = match &before { Some(Target::Window(id)) => w.get(*id).map(|x| x.domain.clone()), _ => None };
            let mru_before = f.mru().to_vec();
            match &op {
                Op::Map(id, d) => {
                    if w.get(*id).is_none() {
                        w.windows.push(WindowFacts { id: *id, domain: domain(*d), visible: true });
                    }
                    w.set_visible(*id, true);
                    let facts = w.get(*id).unwrap().clone();
                    f.request_window(&facts, Cause::Mapped, now);
                }
                Op::Unmap(id) => { w.set_visible(*id, false); f.window_gone(*id, true, &w.windows); }
                Op::Click(id) => {
                    if let Some(facts) = w.get(*id).cloned() {
                        if facts.visible && !f.is_locked() {
                            f.user_act(facts.domain.clone(), now);
                            f.request_window(&facts, Cause::User, now);
                        }
                    }
                }
                Op::Activate(id) => {
                    if let Some(facts) = w.get(*id).cloned() { f.request_window(&facts, Cause::Activation, now); }
                }
                Op::Minimise(id) => { w.set_visible(*id, false); f.window_gone(*id, false, &w.windows); }
                Op::Close(id) => { w.windows.retain(|x| x.id != *id); f.window_gone(*id, true, &w.windows); }
                Op::Type => { if let Some(d) = holder.clone() { f.user_act(d, now); } }
                Op::Wait(ms) => now += Duration::from_millis(*ms),
                Op::Lock => f.lock(),
                Op::LockSurface(s) => {
                    // Lock surfaces exist only while locked.
                    if f.is_locked() { w.locks.push(*s); f.lock_surface(*s, false); }
                }
                Op::LockSurfaceGone(s) => { w.locks.retain(|l| l != s); f.lock_surface_gone(s); }
                Op::Unlock => { if f.is_locked() { w.locks.clear(); f.unlock(&w.windows); } }
                Op::Grab(id) => { f.start_grab(*id); }
                Op::Layer(s) => { if !w.layers.contains(s) { w.layers.push(*s); } f.request_layer(*s); }
                Op::LayerGone(s) => { w.layers.retain(|l| l != s); f.layer_gone(s, &w.windows); }
                Op::Exclusive(s) => {
                    if let Some(s) = s { if !w.layers.contains(s) { w.layers.push(*s); } }
                    f.set_exclusive(*s, &w.windows);
                }
            }
            let after = f.keyboard().cloned();
            // While locked only lock surfaces have the keyboard, and one has it when one exists.
            if f.is_locked() {
                prop_assert!(matches!(after, None | Some(Target::Lock(_))), "{op:?}: {after:?} while locked");
                let lock_has_it = matches!(&after, Some(Target::Lock(l)) if w.locks.contains(l));
                prop_assert!(w.locks.is_empty() || lock_has_it, "{op:?}: lock surfaces exist but {after:?} has the keyboard");
                prop_assert_eq!(f.grab(), None);
            }
            // The keyboard is never on a window the user cannot see.
            if let Some(Target::Window(id)) = &after {
                prop_assert!(w.get(*id).is_some_and(|x| x.visible), "{op:?}: keyboard on hidden window {id}");
            }
            // A grab belongs to the window with the keyboard.
            if let Some(g) = f.grab() {
                prop_assert_eq!(after.clone(), Some(Target::Window(g)));
            }
            // A VM window takes the keyboard only by a user act on it, a token, mapping while
            // its VM holds it or just after a user act in its VM, or as the most recently used
            // window the user chose before.
            if let Some(Target::Window(id)) = &after {
                if before != after {
                    let d = w.get(*id).unwrap().domain.clone();
                    let ok = d == Domain::Local
                        || matches!(op, Op::Click(i) | Op::Activate(i) if i == *id)
                        || (matches!(op, Op::Map(i, _) if i == *id)
                            && (holder.as_ref() == Some(&d) || f.last_act_for_tests().is_some_and(|(a, t)| *a == d && now - *t <= f.act_window)))
                        || mru_before.contains(id);
                    prop_assert!(ok, "{op:?}: window {id} of {d:?} took the keyboard from {before:?}");
                }
            }
        }
    }
}
