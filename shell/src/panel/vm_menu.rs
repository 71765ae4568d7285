//! The menu a click on a VM's status chip opens: the VM's name and state in its trust colour,
//! then Start, Stop and Restart as its state allows. Stop and Restart ask first, naming the
//! windows of that VM that will close (from the compositor's window list, never from the VM),
//! and act through hostd only once the user confirms.

use canopy_protocols::lifecycle::State;
use canopy_themes::Rgba;

use super::{PanelAction, VmChip};
use crate::draw::{Align, Rect, Scene, Weight};
use crate::wl::{View, ViewCx, WindowList};

const WIDTH: f32 = 260.0;
const ROW: f32 = 30.0;
const PAD: f32 = 6.0;
const LINE: f32 = 18.0;
/// Windows named in the question; the rest are counted.
const NAMED: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmOp {
    Start,
    Stop,
    Restart,
}

impl VmOp {
    pub const ALL: [VmOp; 3] = [VmOp::Start, VmOp::Stop, VmOp::Restart];

    pub fn label(self) -> &'static str {
        match self {
            VmOp::Start => "Start",
            VmOp::Stop => "Stop",
            VmOp::Restart => "Restart",
        }
    }

    /// The verb in a sentence ("Could not stop web").
    pub fn verb(self) -> &'static str {
        match self {
            VmOp::Start => "start",
            VmOp::Stop => "stop",
            VmOp::Restart => "restart",
        }
    }

    /// What the VM's state allows: starting one that is not up, stopping or restarting one
    /// that is (or is on its way up).
    pub fn offered(self, state: &State) -> bool {
        match self {
            VmOp::Start => matches!(state, State::Stopped | State::Failed(_)),
            VmOp::Stop => matches!(state, State::Running | State::Starting),
            VmOp::Restart => matches!(state, State::Running),
        }
    }

    /// Whether windows close, so the user is asked first.
    pub fn asks(self) -> bool {
        self != VmOp::Start
    }
}

/// What a click in the VM menu does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmMenuAction {
    /// Start at once, or ask about Stop and Restart.
    Op(VmOp),
    /// The answer to the question: go ahead.
    Confirm,
    Cancel,
}

/// The open VM menu: which VM, where, the question when one is asked, and what the keyboard
/// is on.
#[derive(Debug, Clone, PartialEq)]
pub struct VmMenu {
    pub vm: String,
    pub x: f32,
    pub asking: Option<VmOp>,
    /// An index into [`VmMenu::choices`]; None until an arrow key is pressed.
    pub focus: Option<usize>,
}

impl VmMenu {
    pub fn new(vm: String, x: f32) -> Self {
        VmMenu { vm, x, asking: None, focus: None }
    }

    /// What the keyboard can reach: the items the VM's state allows, or the question's
    /// Cancel and go-ahead.
    pub fn choices(&self, state: &State) -> Vec<VmMenuAction> {
        match self.asking {
            Some(_) => vec![VmMenuAction::Cancel, VmMenuAction::Confirm],
            None => VmOp::ALL.into_iter().filter(|o| o.offered(state)).map(VmMenuAction::Op).collect(),
        }
    }

    /// Up / Down: the next choice, wrapping around; the first (or last) at first.
    pub fn move_focus(&mut self, state: &State, down: bool) {
        let n = self.choices(state).len();
        if n == 0 {
            self.focus = None;
            return;
        }
        self.focus = Some(match self.focus.filter(|&f| f < n) {
            None if down => 0,
            None => n - 1,
            Some(f) if down => (f + 1) % n,
            Some(f) => (f + n - 1) % n,
        });
    }

    /// The choice the keyboard is on, if it is still there.
    pub fn focused(&self, state: &State) -> Option<VmMenuAction> {
        self.focus.and_then(|f| self.choices(state).get(f).copied())
    }

    /// Whether `action` is drawn as under the pointer or the keyboard.
    fn lit(&self, state: &State, action: VmMenuAction, cx: &ViewCx<'_, PanelAction>) -> bool {
        cx.is_hovered(&PanelAction::VmMenu(action)) || self.focused(state) == Some(action)
    }
}

/// The overlay with the menu under the panel (`top` is its height); `windows` are the titles of
/// the VM's windows.
pub fn view(
    menu: &VmMenu,
    chip: Option<&VmChip>,
    windows: &[String],
    top: f32,
    cx: &ViewCx<'_, PanelAction>,
) -> View<PanelAction> {
    let d = &cx.theme.desktop;
    let mut v = View::new(Scene::new(cx.width, cx.height, Rgba { r: 0, g: 0, b: 0, a: 0 }));
    v.hit(Rect::new(0.0, 0.0, cx.width, cx.height), PanelAction::MenuOutside);
    let state = chip.map_or(State::Stopped, |c| c.state.clone());
    let colour = chip.map_or(d.panel_text, |c| cx.theme.colours(&c.trust).focused);
    let dim = d.panel_text.mix(d.panel_background, 0.35);
    let body = match menu.asking {
        None => ROW * VmOp::ALL.len() as f32,
        Some(_) => question_lines(windows) as f32 * LINE + PAD + ROW,
    };
    let h = PAD + ROW + 1.0 + PAD + body + PAD;
    let x = (menu.x - WIDTH / 2.0).min(cx.width - WIDTH - 4.0).max(4.0).round();
    let card = Rect::new(x, top + 4.0, WIDTH, h);
    v.scene.fill(card, d.panel_background, 8.0);
    v.scene.stroke(card, colour, 2.0, 8.0);
    v.hit(card, PanelAction::MenuCard);

    let head = Rect::new(card.x + PAD, card.y + PAD, WIDTH - 2.0 * PAD, ROW);
    v.scene.fill(Rect::new(head.x + 6.0, head.y + (ROW - 10.0) / 2.0, 10.0, 10.0), colour, 5.0);
    let name = Rect::new(head.x + 22.0, head.y, head.w - 26.0, ROW);
    v.scene.text(name, format!("{} · {}", menu.vm, short(&state)), 12.0, Weight::Bold, dim, Align::Start);
    let rule = Rect::new(card.x + PAD, head.bottom(), WIDTH - 2.0 * PAD, 1.0);
    v.scene.fill(rule, d.panel_text.mix(d.panel_background, 0.8), 0.0);
    let mut y = rule.bottom() + PAD;

    let Some(op) = menu.asking else {
        for op in VmOp::ALL {
            let r = Rect::new(card.x + PAD, y, WIDTH - 2.0 * PAD, ROW);
            let action = PanelAction::VmMenu(VmMenuAction::Op(op));
            let offered = op.offered(&state);
            if offered && menu.lit(&state, VmMenuAction::Op(op), cx) {
                v.scene.fill(r, d.button_hover, 5.0);
            }
            let c = match op {
                _ if !offered => d.panel_text.mix(d.panel_background, 0.6),
                VmOp::Stop => d.danger.mix(d.panel_text, 0.25),
                _ => d.panel_text,
            };
            let label = if op.asks() { format!("{}…", op.label()) } else { op.label().to_string() };
            v.scene.text(Rect::new(r.x + 12.0, r.y, r.w - 24.0, r.h), label, 13.0, Weight::Regular, c, Align::Start);
            if offered {
                v.hit(r, action);
            }
            y += ROW;
        }
        return v;
    };

    // The question: what closes, then Cancel and the action.
    let text = |v: &mut View<PanelAction>, y: &mut f32, s: String, weight: Weight, c: Rgba| {
        v.scene.text(Rect::new(card.x + 2.0 * PAD, *y, WIDTH - 4.0 * PAD, LINE), s, 12.0, weight, c, Align::Start);
        *y += LINE;
    };
    let verb = if op == VmOp::Stop { "Stop" } else { "Restart" };
    text(&mut v, &mut y, format!("{verb} {}?", menu.vm), Weight::Bold, d.panel_text);
    if windows.is_empty() {
        text(&mut v, &mut y, "No windows of it are open.".into(), Weight::Regular, dim);
    } else {
        let n = windows.len();
        let these = if n == 1 { "This window closes:".to_string() } else { format!("These {n} windows close:") };
        text(&mut v, &mut y, these, Weight::Regular, dim);
        for w in windows.iter().take(NAMED) {
            let r = Rect::new(card.x + 3.0 * PAD, y, WIDTH - 5.0 * PAD, LINE);
            v.scene.fill(Rect::new(r.x, r.y + (LINE - 8.0) / 2.0, 8.0, 8.0), colour, 2.0);
            v.scene.title(
                Rect::new(r.x + 14.0, r.y, r.w - 14.0, LINE),
                Some(&menu.vm),
                w,
                12.0,
                Weight::Regular,
                d.panel_text,
            );
            y += LINE;
        }
        if n > NAMED {
            text(&mut v, &mut y, format!("and {} more", n - NAMED), Weight::Regular, dim);
        }
    }
    y += PAD;
    let bw = (WIDTH - 3.0 * PAD) / 2.0;
    let cancel = Rect::new(card.x + PAD, y, bw, ROW - 4.0);
    let go = Rect::new(cancel.right() + PAD, y, bw, ROW - 4.0);
    for (r, label, action, c) in [
        (cancel, "Cancel", VmMenuAction::Cancel, d.panel_text),
        (go, verb, VmMenuAction::Confirm, d.danger.mix(d.panel_text, 0.25)),
    ] {
        let a = PanelAction::VmMenu(action);
        if menu.lit(&state, action, cx) {
            v.scene.fill(r, Rgba { a: 60, ..c }, 5.0);
        }
        v.scene.stroke(r, Rgba { a: 160, ..c }, 1.0, 5.0);
        v.scene.text(r, label, 12.0, Weight::Bold, c, Align::Centre);
        v.hit(r, a);
    }
    v
}

/// The titles of a VM's windows, as the compositor lists them (canopy_shell_v1), without the
/// `[vm]` prefix the menu draws itself.
pub fn windows_of(list: &WindowList, vm: &str) -> Vec<String> {
    list.windows().filter(|w| w.vm() == Some(vm)).map(|w| w.app_title().to_string()).collect()
}

/// Lines of the question above its buttons.
fn question_lines(windows: &[String]) -> usize {
    let named = windows.len().min(NAMED) + (windows.len() > NAMED) as usize;
    2 + named
}

fn short(state: &State) -> &'static str {
    match state {
        State::Stopped => "stopped",
        State::Starting => "starting",
        State::Running => "running",
        State::Stopping => "stopping",
        State::Failed(_) => "failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_each_state_offers() {
        let offered = |s: State| VmOp::ALL.into_iter().filter(|o| o.offered(&s)).collect::<Vec<_>>();
        assert_eq!(offered(State::Running), [VmOp::Stop, VmOp::Restart]);
        assert_eq!(offered(State::Stopped), [VmOp::Start]);
        assert_eq!(offered(State::Failed("x".into())), [VmOp::Start]);
        assert_eq!(offered(State::Starting), [VmOp::Stop]);
        assert!(offered(State::Stopping).is_empty());
    }

    #[test]
    fn the_keyboard_walks_what_is_offered_and_then_the_question() {
        let mut m = VmMenu::new("web".into(), 100.0);
        let running = State::Running;
        assert_eq!(m.focused(&running), None);
        m.move_focus(&running, true);
        assert_eq!(m.focused(&running), Some(VmMenuAction::Op(VmOp::Stop)), "Start is not offered");
        m.move_focus(&running, true);
        assert_eq!(m.focused(&running), Some(VmMenuAction::Op(VmOp::Restart)));
        m.move_focus(&running, true);
        assert_eq!(m.focused(&running), Some(VmMenuAction::Op(VmOp::Stop)), "wraps around");
        // The state changes under the keyboard: the focus stays on an offered item or none.
        assert_eq!(m.focused(&State::Stopped), Some(VmMenuAction::Op(VmOp::Start)));
        m.focus = Some(1);
        assert_eq!(m.focused(&State::Stopped), None);
        m.move_focus(&State::Stopped, false);
        assert_eq!(m.focused(&State::Stopped), Some(VmMenuAction::Op(VmOp::Start)));
        // The question: Cancel first, then the go-ahead.
        m.asking = Some(VmOp::Stop);
        m.focus = None;
        m.move_focus(&running, true);
        assert_eq!(m.focused(&running), Some(VmMenuAction::Cancel));
        m.move_focus(&running, false);
        assert_eq!(m.focused(&running), Some(VmMenuAction::Confirm));
        let mut m = VmMenu::new("web".into(), 100.0);
        m.move_focus(&State::Stopping, true);
        assert_eq!(m.focused(&State::Stopping), None, "nothing to reach");
    }
}
