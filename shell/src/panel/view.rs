//! What the panel shows: launcher button, open windows with their VM colours, VM states,
//! a sign while a program captures the screen, keyboard layout, battery, levels, notifications, clock and power button, laid out for one
//! output.

use canopy_protocols::lifecycle::State;
use canopy_themes::Rgba;

use super::{PanelAction, PanelModel};
use crate::draw::{Align, Rect, Scene, Weight};
use crate::wl::{View, ViewCx};

const PAD: f32 = 4.0;
const GAP: f32 = 6.0;
const TEXT: f32 = 12.0;
const SMALL: f32 = 11.0;
/// Window buttons share the free width, within these limits.
const WINDOW_MAX: f32 = 220.0;
const WINDOW_MIN: f32 = 56.0;
const VM_NAME_MAX: f32 = 96.0;

pub fn view(model: &PanelModel, cx: &ViewCx<'_, PanelAction>) -> View<PanelAction> {
    let d = &cx.theme.desktop;
    let (w, h) = (cx.width, cx.height);
    let mut v = View::new(Scene::new(w, h, d.panel_background));
    let output = cx.output.map(str::to_string);
    let button = h - 2.0 * PAD;
    let dim = d.panel_text.mix(d.panel_background, 0.45);

    // Left: the launcher button.
    let launcher = Rect::new(PAD, PAD, button, button);
    icon_button(&mut v, cx, launcher, "launcher", PanelAction::Launcher(output.clone()));
    let left_end = launcher.right() + GAP;

    // Right, placed from the edge inwards: power, clock, battery, layout, VM states.
    let mut right = w - PAD;
    let power = Rect::new(right - button, PAD, button, button);
    icon_button(&mut v, cx, power, "power", PanelAction::Power(output));
    right = power.x - GAP;

    let clock_w = cx.text_width(&model.clock, TEXT, Weight::Bold) + 12.0;
    let clock = Rect::new(right - clock_w, 0.0, clock_w, h);
    v.scene.text(clock, model.clock.clone(), TEXT, Weight::Bold, d.panel_text, Align::Centre);
    right = clock.x - GAP;

    if let Some(state) = &model.notifications {
        let bw = super::centre::bell_width(state, cx);
        super::centre::bell(&mut v, state, cx, Rect::new(right - bw, PAD, bw, button));
        right -= bw + GAP;
    }

    let lw = super::levels_view::indicators_width(&model.levels, cx);
    if lw > 0.0 {
        super::levels_view::indicators(&mut v, &model.levels, cx, Rect::new(right - lw, PAD, lw, button));
        right -= lw + GAP;
    }

    if let Some(b) = model.battery {
        let label = format!("{}%", b.percent);
        let text_w = cx.text_width(&label, SMALL, Weight::Regular);
        let bolt = if b.charging { 12.0 } else { 0.0 };
        let total = 22.0 + 2.0 + bolt + text_w;
        let x = right - total;
        let icon = Rect::new(x, (h - 22.0) / 2.0, 22.0, 22.0);
        v.scene.icon(icon, "battery", Some(d.panel_text));
        // The level inside the outline (battery.svg's body is x 2.5..19.5, y 7..17 of 24).
        let s = 22.0 / 24.0;
        let inner = Rect::new(icon.x + 4.3 * s, icon.y + 8.7 * s, 13.4 * s, 6.6 * s);
        let level = (b.percent.min(100) as f32 / 100.0 * inner.w).max(1.0);
        let colour = if b.percent <= 10 && !b.charging { d.danger } else { d.panel_text };
        v.scene.fill(Rect::new(inner.x, inner.y, level, inner.h), colour, 1.0);
        if b.charging {
            v.scene.icon(Rect::new(icon.right() + 1.0, (h - 12.0) / 2.0, 12.0, 12.0), "charging", Some(d.panel_text));
        }
        let text = Rect::new(right - text_w, 0.0, text_w, h);
        v.scene.text(text, label, SMALL, Weight::Regular, d.panel_text, Align::End);
        right = x - GAP * 2.0;
    }

    if let Some(layout) = cx.windows.layout_name() {
        let label = short_layout(layout);
        let lw = cx.text_width(&label, SMALL, Weight::Bold) + 14.0;
        let chip = Rect::new(right - lw, PAD + 3.0, lw, button - 6.0);
        if cx.is_hovered(&PanelAction::Layout) {
            v.scene.fill(chip, d.button_hover, 4.0);
        }
        v.scene.stroke(chip, dim, 1.0, 4.0);
        v.scene.text(chip, label, SMALL, Weight::Bold, d.panel_text, Align::Centre);
        if cx.windows.layouts.len() > 1 {
            v.hit(chip, PanelAction::Layout);
        }
        right = chip.x - GAP * 2.0;
    }

    right = capture_sign(&mut v, cx, right);
    right = vm_states(&mut v, model, cx, right);

    // Middle: the window list.
    let list = Rect::new(left_end, 0.0, (right - GAP - left_end).max(0.0), h);
    window_list(&mut v, cx, list, dim);
    v
}

/// While a program captures the screen: a red chip naming it, ending at `right`. Returns the
/// new right edge.
fn capture_sign(v: &mut View<PanelAction>, cx: &ViewCx<'_, PanelAction>, right: f32) -> f32 {
    let programs = &cx.windows.capturing;
    if programs.is_empty() {
        return right;
    }
    let d = &cx.theme.desktop;
    let label = format!("\u{25CF} {} capturing the screen", programs.join(", "));
    let width = (cx.text_width(&label, SMALL, Weight::Bold) + 14.0).min(320.0);
    let chip = Rect::new(right - width, PAD + 3.0, width, cx.height - 2.0 * PAD - 6.0);
    v.scene.fill(chip, d.danger, 4.0);
    v.scene.text(chip, label, SMALL, Weight::Bold, d.panel_text, Align::Centre);
    chip.x - GAP * 2.0
}

fn icon_button(v: &mut View<PanelAction>, cx: &ViewCx<'_, PanelAction>, r: Rect, icon: &str, action: PanelAction) {
    let d = &cx.theme.desktop;
    if cx.is_hovered(&action) {
        v.scene.fill(r, d.button_hover, 6.0);
    }
    v.scene.icon(r.centred(18.0, 18.0), icon, Some(d.panel_text));
    v.hit(r, action);
}

/// `us`, `de(nodeadkeys)` → `US`, `DE`.
fn short_layout(name: &str) -> String {
    name.split('(').next().unwrap_or(name).trim().to_uppercase()
}

/// VM chips right-aligned at `right`; returns the new right edge.
fn vm_states(v: &mut View<PanelAction>, model: &PanelModel, cx: &ViewCx<'_, PanelAction>, mut right: f32) -> f32 {
    let d = &cx.theme.desktop;
    let h = cx.height;
    if let Some(err) = &model.host_error {
        let label = "host offline";
        let tw = cx.text_width(label, SMALL, Weight::Regular);
        let r = Rect::new(right - tw - 16.0, 0.0, tw + 16.0, h);
        v.scene.stroke(Rect::new(r.x, (h - 8.0) / 2.0, 8.0, 8.0), d.danger, 1.5, 4.0);
        v.scene.text(
            Rect::new(r.x + 12.0, 0.0, tw + 4.0, h),
            label,
            SMALL,
            Weight::Regular,
            d.panel_text,
            Align::Start,
        );
        tracing::trace!("host offline: {err}");
        return r.x - GAP * 2.0;
    }
    for vm in model.vms.iter().rev() {
        let name_w = cx.text_width(&vm.name, SMALL, Weight::Regular).min(VM_NAME_MAX);
        let chip_w = 12.0 + name_w + 4.0;
        let x = right - chip_w;
        let colour = cx.theme.colours(&vm.trust).focused;
        let dot = Rect::new(x, (h - 8.0) / 2.0, 8.0, 8.0);
        let grey = d.panel_text.mix(d.panel_background, 0.6);
        let mut text = d.panel_text;
        match &vm.state {
            State::Running => v.scene.fill(dot, colour, 4.0),
            State::Starting | State::Stopping => {
                v.scene.stroke(dot, colour, 2.0, 4.0);
                v.scene.fill(dot.centred(2.0, 2.0), colour, 1.0);
            }
            State::Stopped => {
                v.scene.stroke(dot, grey, 1.5, 4.0);
                text = grey;
            }
            State::Failed(_) => {
                v.scene.icon(dot.centred(12.0, 12.0), "warning", Some(d.danger));
                text = d.danger;
            }
        }
        let name = Rect::new(x + 12.0, 0.0, name_w + 2.0, h);
        v.scene.text(name, vm.name.clone(), SMALL, Weight::Regular, text, Align::Start);
        v.hit(Rect::new(x, 0.0, chip_w, h), PanelAction::Vm(vm.name.clone()));
        right = x - GAP * 2.0;
    }
    right
}

fn window_list(v: &mut View<PanelAction>, cx: &ViewCx<'_, PanelAction>, area: Rect, dim: Rgba) {
    let d = &cx.theme.desktop;
    let windows = cx.windows_here();
    if windows.is_empty() || area.w < WINDOW_MIN {
        return;
    }
    let fit = ((area.w + GAP) / (WINDOW_MIN + GAP)).floor().max(1.0) as usize;
    let shown = windows.len().min(fit);
    let hidden = windows.len() - shown;
    let more_w = if hidden > 0 { 36.0 } else { 0.0 };
    let each =
        ((area.w - more_w - GAP * (shown as f32 - 1.0)) / shown as f32).clamp(WINDOW_MIN.min(area.w), WINDOW_MAX);
    let y = PAD;
    let bh = cx.height - 2.0 * PAD;
    let mut x = area.x;
    for win in &windows[..shown] {
        let r = Rect::new(x, y, each, bh);
        let action = PanelAction::Window(win.id);
        let bg = if win.activated {
            Some(d.button_hover.mix(d.panel_text, 0.08))
        } else if cx.is_hovered(&action) {
            Some(d.button_hover)
        } else {
            None
        };
        if let Some(bg) = bg {
            v.scene.fill(r, bg, 5.0);
        }
        // The VM's colour: a square marker, and a bar under the focused window.
        v.scene.fill(Rect::new(r.x + 8.0, r.y + (bh - 10.0) / 2.0, 10.0, 10.0), win.colour, 2.0);
        if win.activated {
            v.scene.fill(Rect::new(r.x + 4.0, r.bottom() - 3.0, r.w - 8.0, 3.0), win.colour, 1.5);
        }
        let colour = if win.minimized { dim } else { d.panel_text };
        let text = Rect::new(r.x + 24.0, r.y, (r.w - 30.0).max(0.0), bh - 2.0);
        v.scene.title(text, win.vm(), win.app_title(), TEXT, Weight::Regular, colour);
        v.hit(r, action);
        x += each + GAP;
    }
    if hidden > 0 {
        let r = Rect::new(x, y, more_w, bh);
        v.scene.text(r, format!("+{hidden}"), SMALL, Weight::Bold, dim, Align::Centre);
    }
}
