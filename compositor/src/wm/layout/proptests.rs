//! Random sessions of window management: windows mapped, moved, resized, maximised, made
//! fullscreen, minimised and closed while outputs come, go and change and panels appear. After
//! every step: no window is lost, every shown window is on an output with its title bar on
//! one, maximised windows cover exactly their output's usable zone, fullscreen ones their
//! output, VM windows are no larger than their output's usable zone, and the keyboard focus
//! (the real focus rules, told what the layout does) is on a shown window or none.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::tests::{r, screen};
use super::*;
use crate::wm::focus::policy::{Cause, Domain, Focus, WindowFacts};

/// The height of a title bar, which must stay where the pointer can reach it.
const TITLE: i32 = 30;

#[derive(Debug, Clone)]
enum Op {
    Map {
        vm: bool,
        w: i32,
        h: i32,
    },
    Close(usize),
    Click(usize),
    /// Dragged by its title bar to a point on output `on`.
    Drag {
        k: usize,
        on: usize,
        x: i32,
        y: i32,
        grab: i32,
    },
    Resize {
        k: usize,
        w: i32,
        h: i32,
    },
    Maximise(usize),
    Unmaximise(usize),
    Fullscreen {
        k: usize,
        on: Option<usize>,
    },
    Unfullscreen(usize),
    Minimise(usize),
    Unminimise(usize),
    AddOutput {
        w: i32,
        h: i32,
    },
    RemoveOutput(usize),
    ResizeOutput {
        on: usize,
        w: i32,
        h: i32,
    },
    Panel {
        on: usize,
        height: i32,
    },
    Pointer(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let k = 0..8usize;
    prop_oneof![
        3 => (any::<bool>(), 50..3000i32, 50..2000i32).prop_map(|(vm, w, h)| Op::Map { vm, w, h }),
        1 => k.clone().prop_map(Op::Close),
        2 => k.clone().prop_map(Op::Click),
        2 => (k.clone(), 0..4usize, 0..4000i32, 0..4000i32, 0..4000i32)
            .prop_map(|(k, on, x, y, grab)| Op::Drag { k, on, x, y, grab }),
        1 => (k.clone(), 50..3000i32, 50..2000i32).prop_map(|(k, w, h)| Op::Resize { k, w, h }),
        2 => k.clone().prop_map(Op::Maximise),
        1 => k.clone().prop_map(Op::Unmaximise),
        2 => (k.clone(), proptest::option::of(0..4usize)).prop_map(|(k, on)| Op::Fullscreen { k, on }),
        1 => k.clone().prop_map(Op::Unfullscreen),
        1 => k.clone().prop_map(Op::Minimise),
        1 => k.clone().prop_map(Op::Unminimise),
        1 => (640..2560i32, 480..1600i32).prop_map(|(w, h)| Op::AddOutput { w, h }),
        1 => (0..4usize).prop_map(Op::RemoveOutput),
        1 => (0..4usize, 640..2560i32, 480..1600i32).prop_map(|(on, w, h)| Op::ResizeOutput { on, w, h }),
        1 => (0..4usize, 0..100i32).prop_map(|(on, height)| Op::Panel { on, height }),
        1 => (0..4usize).prop_map(Op::Pointer),
    ]
}

/// The outputs left to right as the compositor arranges them, with their panels.
fn arranged(sizes: &[(String, i32, i32, i32)]) -> Vec<Screen> {
    let mut x = 0;
    let mut out = Vec::new();
    for (name, w, h, panel) in sizes {
        out.push(screen(name, r(x, 0, *w, *h), (*panel).min(*h - 1)));
        x += w;
    }
    out
}

struct Session {
    layout: Layout,
    outputs: Vec<(String, i32, i32, i32)>,
    next_output: u32,
    /// Windows alive, oldest first.
    alive: Vec<u64>,
    next_id: u64,
    focus: Focus<u32>,
    now: Instant,
}

impl Session {
    fn new() -> Self {
        let outputs = vec![("O0".to_string(), 1280, 800, 32)];
        let mut layout = Layout::new(arranged(&outputs));
        layout.title_height = TITLE;
        Self {
            layout,
            outputs,
            next_output: 1,
            alive: Vec::new(),
            next_id: 1,
            focus: Focus::default(),
            now: Instant::now(),
        }
    }

    fn pick(&self, k: usize) -> Option<u64> {
        (!self.alive.is_empty()).then(|| self.alive[k % self.alive.len()])
    }

    fn facts(&self, id: u64) -> WindowFacts {
        let slot = self.layout.slot(id).expect("alive");
        let domain = if slot.vm { Domain::Vm("vm".into()) } else { Domain::Local };
        WindowFacts { id, domain, visible: slot.shown == Shown::Mapped }
    }

    /// Every window the focus rules may hand the keyboard to, most recently used first.
    fn world(&self) -> Vec<WindowFacts> {
        self.focus.mru().iter().filter(|id| self.alive.contains(id)).map(|id| self.facts(*id)).collect()
    }

    fn click(&mut self, id: u64) {
        self.now += Duration::from_millis(10);
        let facts = self.facts(id);
        self.focus.user_act(facts.domain.clone(), self.now);
        self.focus.request_window(&facts, Cause::User, self.now);
    }

    fn outputs_changed(&mut self, removed: bool) {
        self.layout.set_screens(arranged(&self.outputs), removed);
    }

    fn run(&mut self, op: &Op) {
        match op.clone() {
            Op::Map { vm, w, h } => {
                let id = self.next_id;
                self.next_id += 1;
                self.layout.map(id, Extent::from((w, h)), vm);
                self.alive.push(id);
                self.now += Duration::from_millis(10);
                let facts = self.facts(id);
                self.focus.request_window(&facts, Cause::Mapped, self.now);
            }
            Op::Close(k) => {
                let Some(id) = self.pick(k) else { return };
                self.layout.remove(id);
                self.alive.retain(|i| *i != id);
                let world = self.world();
                self.focus.window_gone(id, true, &world);
            }
            Op::Click(k) => {
                let Some(id) = self.pick(k) else { return };
                if self.layout.slot(id).is_some_and(|s| s.shown == Shown::Mapped) {
                    self.click(id);
                }
            }
            Op::Drag { k, on, x, y, grab } => {
                let Some(id) = self.pick(k) else { return };
                let s = self.layout.screens()[on % self.layout.screens().len()].clone();
                let slot = self.layout.slot(id).expect("alive");
                if slot.shown != Shown::Mapped || slot.mode.is_sized_by_output() {
                    return;
                }
                // The pointer holds the title bar at `grab` along it and stays on an output.
                let pointer = s.geometry.loc + Pos::from((x % s.geometry.size.w, y % s.geometry.size.h));
                let grab = Pos::from((grab % slot.frame.size.w.max(1), TITLE / 2));
                let _ = self.layout.moved(id, pointer - grab);
            }
            Op::Resize { k, w, h } => {
                let Some(id) = self.pick(k) else { return };
                let _ = self.layout.resized(id, Extent::from((w, h)));
            }
            Op::Maximise(k) => {
                let Some(id) = self.pick(k) else { return };
                self.layout.maximise(id);
            }
            Op::Unmaximise(k) => {
                let Some(id) = self.pick(k) else { return };
                self.layout.unmaximise(id);
            }
            Op::Fullscreen { k, on } => {
                let Some(id) = self.pick(k) else { return };
                let on = on.map(|i| self.layout.screens()[i % self.layout.screens().len()].name.clone());
                self.layout.fullscreen(id, on.as_deref());
            }
            Op::Unfullscreen(k) => {
                let Some(id) = self.pick(k) else { return };
                self.layout.unfullscreen(id);
            }
            Op::Minimise(k) => {
                let Some(id) = self.pick(k) else { return };
                if !self.layout.minimise(id).is_empty() {
                    let world = self.world();
                    self.focus.window_gone(id, false, &world);
                }
            }
            Op::Unminimise(k) => {
                let Some(id) = self.pick(k) else { return };
                if !self.layout.unminimise(id).is_empty() {
                    self.click(id);
                }
            }
            Op::AddOutput { w, h } => {
                if self.outputs.len() < 4 {
                    self.outputs.push((format!("O{}", self.next_output), w, h, 0));
                    self.next_output += 1;
                    self.outputs_changed(false);
                }
            }
            Op::RemoveOutput(i) => {
                // The compositor keeps its last output.
                if self.outputs.len() > 1 {
                    self.outputs.remove(i % self.outputs.len());
                    self.outputs_changed(true);
                }
            }
            Op::ResizeOutput { on, w, h } => {
                let n = self.outputs.len();
                let o = &mut self.outputs[on % n];
                (o.1, o.2) = (w, h);
                self.outputs_changed(true);
            }
            Op::Panel { on, height } => {
                let n = self.outputs.len();
                let o = &mut self.outputs[on % n];
                o.3 = height;
                let s = arranged(&self.outputs).remove(on % n);
                self.layout.set_usable(&s.name, s.usable);
            }
            Op::Pointer(i) => {
                self.layout.pointer_on = Some(self.outputs[i % self.outputs.len()].0.clone());
            }
        }
    }

    fn check(&self, op: &Op) -> Result<(), TestCaseError> {
        let l = &self.layout;
        let ids: BTreeSet<u64> = l.slots().iter().map(|s| s.id).collect();
        let alive: BTreeSet<u64> = self.alive.iter().copied().collect();
        prop_assert_eq!(&ids, &alive, "a window was lost or duplicated after {:?}", op);
        prop_assert_eq!(ids.len(), l.slots().len(), "a window listed twice after {:?}", op);
        for s in l.slots() {
            if s.shown != Shown::Mapped {
                continue;
            }
            let output = l.output_of(s.id).and_then(|n| l.screen(n));
            let Some(output) = output else {
                return Err(TestCaseError::fail(format!("window {} on no output after {op:?}: {s:?}", s.id)));
            };
            let title = Rect::new(s.frame.loc, (s.frame.size.w, TITLE.min(s.frame.size.h)).into());
            prop_assert!(
                l.screens().iter().any(|o| o.geometry.overlaps(title)),
                "window {}'s title bar is on no output after {:?}: {:?} {:?}",
                s.id,
                op,
                s,
                l.screens()
            );
            match &s.mode {
                Mode::Maximised { .. } => prop_assert_eq!(s.frame, output.usable, "maximised after {:?}", op),
                Mode::Fullscreen { output: on, .. } => {
                    prop_assert_eq!(s.frame, output.geometry, "fullscreen after {:?}", op);
                    prop_assert_eq!(on, &output.name);
                }
                Mode::Floating if s.vm => prop_assert!(
                    s.frame.size.w <= output.usable.size.w && s.frame.size.h <= output.usable.size.h,
                    "VM window {} larger than its output's usable zone after {:?}: {:?} {:?}",
                    s.id,
                    op,
                    s,
                    output
                ),
                Mode::Floating => {}
            }
        }
        if let Some(f) = self.focus.window() {
            let shown = l.slot(f).is_some_and(|s| s.shown == Shown::Mapped);
            prop_assert!(shown, "focus on window {} that is not shown after {:?}", f, op);
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_sessions_keep_every_window_on_an_output(ops in proptest::collection::vec(op(), 1..50)) {
        let mut s = Session::new();
        for op in &ops {
            s.run(op);
            s.check(op)?;
        }
    }
}
