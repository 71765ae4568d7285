//! The notification centre in the panel: the bell (with the unread count, or crossed out under
//! do-not-disturb) and, when it is clicked, the list of what the daemon holds, grouped by VM in
//! each VM's colours under a `[vm]` heading drawn from the daemon's listener names; clear one or
//! all, do-not-disturb, mute a VM. What the VMs wrote is shown as plain text only.

use canopy_notify::centre::{CentreState, Command, Group};
use canopy_themes::Rgba;

use super::PanelAction;
use crate::draw::{Align, Rect, Scene, Weight};
use crate::notifyd::cards::source_colours;
use crate::wl::{View, ViewCx};

const WIDTH: f32 = 380.0;
const PAD: f32 = 8.0;
const HEAD: f32 = 34.0;
const GROUP: f32 = 28.0;
const ITEM: f32 = 40.0;
const NOTE: f32 = 18.0;
/// Items shown per VM; the rest are counted.
const SHOWN: usize = 5;

/// What a click in the centre asks the daemon.
#[derive(Debug, Clone, PartialEq)]
pub enum CentreAction {
    /// Dismiss one notification (its VM, None for the GUI VM's own programs).
    Dismiss(Option<String>, u32),
    /// Clear one source's notifications.
    Clear(Option<String>),
    ClearAll,
    Dnd(bool),
    Mute(String, bool),
}

impl CentreAction {
    pub fn command(self) -> Command {
        match self {
            CentreAction::Dismiss(vm, id) => Command::Dismiss { vm, id },
            CentreAction::Clear(vm) => Command::Clear { vm: Some(vm) },
            CentreAction::ClearAll => Command::Clear { vm: None },
            CentreAction::Dnd(on) => Command::SetDnd(on),
            CentreAction::Mute(vm, muted) => Command::SetMuted { vm, muted },
        }
    }
}

/// The bell's width for `state` (its count badge included).
pub fn bell_width(state: &CentreState, cx: &ViewCx<'_, PanelAction>) -> f32 {
    let badge = if state.unread > 0 { cx.text_width(&count(state.unread), 10.0, Weight::Bold) + 8.0 } else { 0.0 };
    cx.height - 8.0 + badge
}

fn count(n: usize) -> String {
    if n > 99 {
        "99+".into()
    } else {
        n.to_string()
    }
}

/// The bell in the panel at `r`.
pub fn bell(v: &mut View<PanelAction>, state: &CentreState, cx: &ViewCx<'_, PanelAction>, r: Rect) {
    let d = &cx.theme.desktop;
    if cx.is_hovered(&PanelAction::Bell) {
        v.scene.fill(r, d.button_hover, 6.0);
    }
    let icon = if state.dnd { "bell-off" } else { "bell" };
    let side = cx.height - 8.0;
    v.scene.icon(Rect::new(r.x, r.y, side, r.h).centred(18.0, 18.0), icon, Some(d.panel_text));
    if state.unread > 0 {
        let label = count(state.unread);
        let w = cx.text_width(&label, 10.0, Weight::Bold) + 8.0;
        let badge = Rect::new(r.x + side - 4.0, r.y + (r.h - 16.0) / 2.0, w, 16.0);
        v.scene.fill(badge, d.panel_accent, 8.0);
        v.scene.text(badge, label, 10.0, Weight::Bold, d.panel_background, Align::Centre);
    }
    v.hit(r, PanelAction::Bell);
}

/// The centre's card under the panel at the right of the output, over a transparent overlay
/// whose clicks close it.
pub fn view(state: &CentreState, top: f32, cx: &ViewCx<'_, PanelAction>) -> View<PanelAction> {
    let d = &cx.theme.desktop;
    let mut v = View::new(Scene::new(cx.width, cx.height, Rgba { r: 0, g: 0, b: 0, a: 0 }));
    v.hit(Rect::new(0.0, 0.0, cx.width, cx.height), PanelAction::MenuOutside);
    let max_h = (cx.height - top - 2.0 * PAD).max(HEAD + 2.0 * PAD);
    let h = height(state).min(max_h);
    let card = Rect::new((cx.width - WIDTH - 4.0).max(0.0), top + 4.0, WIDTH.min(cx.width), h);
    v.scene.fill(card, d.panel_background, 8.0);
    v.scene.stroke(card, d.panel_text.mix(d.panel_background, 0.7), 1.0, 8.0);
    v.hit(card, PanelAction::MenuCard);
    let dim = d.panel_text.mix(d.panel_background, 0.4);

    // Heading: title, do-not-disturb, clear all.
    let head = Rect::new(card.x + PAD, card.y + PAD, card.w - 2.0 * PAD, HEAD);
    v.scene.text(
        Rect::new(head.x + 4.0, head.y, 140.0, HEAD),
        "Notifications",
        14.0,
        Weight::Bold,
        d.panel_text,
        Align::Start,
    );
    let clear = Rect::new(head.right() - 76.0, head.y + 4.0, 76.0, HEAD - 8.0);
    text_button(&mut v, cx, clear, "Clear all", PanelAction::Centre(CentreAction::ClearAll), d.panel_text);
    let dnd = Rect::new(clear.x - 8.0 - 124.0, clear.y, 124.0, clear.h);
    let dnd_action = PanelAction::Centre(CentreAction::Dnd(!state.dnd));
    if state.dnd {
        v.scene.fill(dnd, d.panel_accent, 5.0);
    } else if cx.is_hovered(&dnd_action) {
        v.scene.fill(dnd, d.button_hover, 5.0);
    }
    v.scene.stroke(dnd, dim, 1.0, 5.0);
    let on = if state.dnd { d.panel_background } else { d.panel_text };
    v.scene.icon(Rect::new(dnd.x + 6.0, dnd.y, 16.0, dnd.h).centred(14.0, 14.0), "bell-off", Some(on));
    v.scene.text(
        Rect::new(dnd.x + 24.0, dnd.y, dnd.w - 28.0, dnd.h),
        "Do not disturb",
        12.0,
        Weight::Regular,
        on,
        Align::Start,
    );
    v.hit(dnd, dnd_action);

    let mut y = head.bottom() + PAD;
    let bottom = card.bottom() - PAD;
    if state.groups.is_empty() {
        v.scene.text(Rect::new(card.x, y, card.w, ITEM), "No notifications", 13.0, Weight::Regular, dim, Align::Centre);
    }
    for g in &state.groups {
        if y + GROUP > bottom {
            break;
        }
        y = group(&mut v, g, cx, Rect::new(card.x + PAD, y, card.w - 2.0 * PAD, bottom - y), dim) + PAD;
    }
    v
}

/// One source's heading and items in `area`; returns where the next group starts.
fn group(v: &mut View<PanelAction>, g: &Group, cx: &ViewCx<'_, PanelAction>, area: Rect, dim: Rgba) -> f32 {
    let d = &cx.theme.desktop;
    let (frame, text) = source_colours(g.vm.as_deref(), cx.windows, cx.theme);
    let head = Rect::new(area.x, area.y, area.w, GROUP);
    v.scene.fill(head, frame, 5.0);
    // The heading is the daemon's name for the VM (its listener's), as a window's title bar.
    let name = match &g.vm {
        Some(_) => "",
        None => "This computer",
    };
    let clear = Rect::new(head.right() - 54.0, head.y + 3.0, 50.0, GROUP - 6.0);
    // The trusted system's group starts with the shield, as its popups do, where a VM's starts
    // with its `[vm]`.
    let mut x = head.x + 8.0;
    if g.vm.is_none() {
        v.scene.icon(Rect::new(x, head.y + (GROUP - 14.0) / 2.0, 14.0, 14.0), "shield", Some(text));
        x += 20.0;
    }
    v.scene.title(Rect::new(x, head.y, clear.x - x - 70.0, GROUP), g.vm.as_deref(), name, 12.0, Weight::Bold, text);
    text_button(v, cx, clear, "Clear", PanelAction::Centre(CentreAction::Clear(g.vm.clone())), text);
    if let Some(vm) = &g.vm {
        let muted = g.muted.is_some();
        let mute = Rect::new(clear.x - 4.0 - 66.0, clear.y, 66.0, clear.h);
        let label = if muted { "Unmute" } else { "Mute" };
        text_button(v, cx, mute, label, PanelAction::Centre(CentreAction::Mute(vm.clone(), !muted)), text);
    }
    let mut y = head.bottom() + 4.0;
    let note = |v: &mut View<PanelAction>, y: &mut f32, s: String, colour: Rgba| {
        if *y + NOTE <= area.bottom() {
            v.scene.text(
                Rect::new(area.x + 8.0, *y, area.w - 16.0, NOTE),
                s,
                11.0,
                Weight::Regular,
                colour,
                Align::Start,
            );
            *y += NOTE;
        }
    };
    if let Some(why) = &g.muted {
        note(v, &mut y, why.clone(), d.danger.mix(d.panel_text, 0.2));
    }
    if g.hidden > 0 {
        note(v, &mut y, format!("{} hidden while muted", g.hidden), dim);
    }
    if g.dropped > 0 {
        note(v, &mut y, format!("{} older ones dropped", g.dropped), dim);
    }
    for item in g.items.iter().take(SHOWN) {
        if y + ITEM > area.bottom() {
            return y;
        }
        let r = Rect::new(area.x, y, area.w, ITEM);
        if !item.read {
            v.scene.fill(Rect::new(r.x, r.y + 4.0, 3.0, ITEM - 8.0), frame, 0.0);
        }
        let close = Rect::new(r.right() - 24.0, r.y + (ITEM - 20.0) / 2.0, 20.0, 20.0);
        let mut x = r.x + 10.0;
        if item.critical {
            v.scene.icon(Rect::new(x, r.y + 4.0, 14.0, 14.0), "warning", Some(d.danger));
            x += 18.0;
        }
        // Each line a VM wrote carries its `[vm]`, as in the popup: a summary that names
        // another VM cannot pass for one of that VM's, whatever group it is drawn in.
        let tw = close.x - x - 6.0;
        v.scene.title(
            Rect::new(x, r.y + 3.0, tw, 17.0),
            g.vm.as_deref(),
            &item.summary,
            12.0,
            Weight::Bold,
            d.panel_text,
        );
        let first = item.body.first().cloned().unwrap_or_default();
        let body = Rect::new(r.x + 10.0, r.y + 20.0, close.x - r.x - 16.0, 16.0);
        v.scene.text(body, first, 11.0, Weight::Regular, dim, Align::Start);
        let action = PanelAction::Centre(CentreAction::Dismiss(g.vm.clone(), item.id));
        if cx.is_hovered(&action) {
            v.scene.fill(close, d.button_hover, 4.0);
        }
        v.scene.icon(close.centred(12.0, 12.0), "close", Some(dim));
        v.hit(close, action);
        y += ITEM;
    }
    if g.items.len() > SHOWN && y + NOTE <= area.bottom() {
        note(v, &mut y, format!("{} more", g.items.len() - SHOWN), dim);
    }
    y
}

fn text_button(v: &mut View<PanelAction>, cx: &ViewCx<'_, PanelAction>, r: Rect, label: &str, a: PanelAction, c: Rgba) {
    if cx.is_hovered(&a) {
        v.scene.fill(r, Rgba { a: 60, ..c }, 4.0);
    }
    v.scene.stroke(r, Rgba { a: 140, ..c }, 1.0, 4.0);
    v.scene.text(r, label, 11.0, Weight::Regular, c, Align::Centre);
    v.hit(r, a);
}

/// The card's full height for `state`.
fn height(state: &CentreState) -> f32 {
    let mut h = PAD + HEAD + PAD;
    if state.groups.is_empty() {
        h += ITEM;
    }
    for g in &state.groups {
        h += GROUP + 4.0;
        let notes = g.muted.is_some() as usize
            + (g.hidden > 0) as usize
            + (g.dropped > 0) as usize
            + (g.items.len() > SHOWN) as usize;
        h += notes as f32 * NOTE + g.items.len().min(SHOWN) as f32 * ITEM + PAD;
    }
    h + PAD
}
