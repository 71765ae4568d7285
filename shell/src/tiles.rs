//! The app tile that the launcher's grid and the chooser's targets share: the app's icon and
//! name over its VM's name and state, a bar in the VM's trust colour, the hover fill and the
//! selection outline.

use canopy_protocols::lifecycle::State;
use canopy_themes::Rgba;

use crate::draw::{Align, Rect, Weight};
use crate::wl::{View, ViewCx};

pub const TILE_W: f32 = 140.0;
pub const TILE_H: f32 = 148.0;

/// What a tile shows.
pub struct TileLook<'a> {
    pub icon: &'a str,
    pub name: &'a str,
    pub vm: &'a str,
    /// The VM's trust level, which picks its colour.
    pub trust: &'a str,
    /// The VM's state, when known.
    pub state: Option<&'a State>,
}

/// Draws a tile at `r` (a [`TILE_W`]×[`TILE_H`] rectangle) that `action` acts on.
pub fn tile<Act: Clone + PartialEq>(
    v: &mut View<Act>,
    cx: &ViewCx<'_, Act>,
    r: Rect,
    look: &TileLook<'_>,
    action: Act,
    selected: bool,
) {
    let d = &cx.theme.desktop;
    let bg = if cx.is_hovered(&action) { d.button_hover } else { d.notice_background };
    v.scene.fill(r, bg, 12.0);
    if selected {
        v.scene.stroke(r, d.panel_accent, 2.0, 12.0);
    }
    let colour = cx.theme.colours(look.trust).focused;
    v.scene.fill(Rect::new(r.x + 16.0, r.bottom() - 10.0, r.w - 32.0, 4.0), colour, 2.0);
    v.scene.icon(Rect::new(r.x + (TILE_W - 64.0) / 2.0, r.y + 14.0, 64.0, 64.0), look.icon.to_string(), None);
    let name = Rect::new(r.x + 8.0, r.y + 84.0, r.w - 16.0, 22.0);
    v.scene.text(name, look.name.to_string(), 13.0, Weight::Bold, d.launcher_text, Align::Centre);
    // The VM line: a state mark and the VM's name, centred together.
    let vm_w = cx.text_width(look.vm, 11.0, Weight::Regular).min(r.w - 34.0);
    let x = r.x + (r.w - vm_w - 12.0) / 2.0;
    let dot = Rect::new(x, r.y + 109.0, 8.0, 8.0);
    let text_colour = state_mark(v, cx, dot, colour, look.state);
    let vm = Rect::new(x + 12.0, r.y + 104.0, vm_w + 2.0, 18.0);
    v.scene.text(vm, look.vm.to_string(), 11.0, Weight::Regular, text_colour, Align::Start);
    v.hit(r, action);
}

/// Draws a VM's state mark in `dot`; returns the colour for the VM's name.
pub fn state_mark<Act>(
    v: &mut View<Act>,
    cx: &ViewCx<'_, Act>,
    dot: Rect,
    colour: Rgba,
    state: Option<&State>,
) -> Rgba {
    let d = &cx.theme.desktop;
    let grey = d.launcher_text.mix(d.launcher_background, 0.55);
    match state {
        Some(State::Running) => v.scene.fill(dot, colour, 4.0),
        Some(State::Starting) | Some(State::Stopping) => {
            v.scene.stroke(dot, colour, 2.0, 4.0);
            v.scene.fill(dot.centred(2.0, 2.0), colour, 1.0);
        }
        Some(State::Failed(_)) => {
            v.scene.icon(dot.centred(12.0, 12.0), "warning", Some(d.danger));
            return d.danger;
        }
        Some(State::Stopped) | None => v.scene.stroke(dot, grey, 1.5, 4.0),
    }
    d.launcher_text.mix(d.launcher_background, 0.25)
}
