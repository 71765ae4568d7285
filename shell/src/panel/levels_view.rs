//! The levels in the panel: the volume indicator (with a mark when the microphone is muted, and
//! a warning when the audio VM cannot be reached) and the brightness indicator, and the popover
//! a click on either opens: volume, microphone and brightness sliders with mute toggles, the
//! output and input device choice, and each playing stream with the VM it comes from.
//! Names come from the audio VM: they are drawn as plain text, a stream's under its `[vm]`.

use canopy_protocols::audio::{AudioState, Device, Direction, Target};
use canopy_themes::Rgba;

use super::levels::{AudioStatus, Change, Levels, LightStatus};
use super::PanelAction;
use crate::draw::{Align, Rect, Scene, Weight};
use crate::wl::{View, ViewCx};

const WIDTH: f32 = 340.0;
const PAD: f32 = 10.0;
const ROW: f32 = 30.0;
const HEAD: f32 = 22.0;
const CHOICE: f32 = 24.0;
/// Streams listed; the rest are counted.
const STREAMS: usize = 8;

/// What a click in the levels asks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LevelsAction {
    /// An indicator: open (or close) the popover.
    Open,
    /// A slider's track, from x to x + w in the popover: the value is where the pointer is.
    Slide(Slider, f32, f32),
    Mute(Target, bool),
    Default(u32),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Slider {
    Volume(Target),
    Brightness,
}

impl LevelsAction {
    /// The change a click or drag at `x` asks for, given what is shown.
    pub fn change(&self, x: f64, levels: &Levels) -> Option<Change> {
        match *self {
            LevelsAction::Open => None,
            LevelsAction::Slide(slider, x0, w) => {
                let f = ((x as f32 - x0) / w).clamp(0.0, 1.0);
                match slider {
                    Slider::Brightness => Some(Change::Brightness((f * 100.0).round() as u32)),
                    Slider::Volume(t) => {
                        let AudioStatus::Ready(s) = &levels.audio else { return None };
                        // Whole percent, so a drag does not ask for 0.4137.
                        Some(Change::Volume(t, (f * s.max_volume * 100.0).round() / 100.0))
                    }
                }
            }
            LevelsAction::Mute(t, m) => Some(Change::Mute(t, m)),
            LevelsAction::Default(id) => Some(Change::Default(id)),
        }
    }
}

/// The indicators' width in the panel (0 when neither is shown).
pub fn indicators_width(levels: &Levels, cx: &ViewCx<'_, PanelAction>) -> f32 {
    let side = cx.height - 8.0;
    let volume = match &levels.audio {
        AudioStatus::Off => 0.0,
        AudioStatus::Ready(s) if s.input().is_some_and(|i| i.muted) => side + 14.0,
        _ => side,
    };
    let light = if levels.light == LightStatus::Off { 0.0 } else { side };
    volume + light
}

/// The volume and brightness indicators at `r` (as wide as [`indicators_width`]).
pub fn indicators(v: &mut View<PanelAction>, levels: &Levels, cx: &ViewCx<'_, PanelAction>, r: Rect) {
    let d = &cx.theme.desktop;
    let action = PanelAction::Levels(LevelsAction::Open);
    if cx.is_hovered(&action) {
        v.scene.fill(r, d.button_hover, 6.0);
    }
    let side = cx.height - 8.0;
    let mut x = r.x;
    let dim = d.panel_text.mix(d.panel_background, 0.5);
    match &levels.audio {
        AudioStatus::Off => {}
        AudioStatus::Connecting => {
            v.scene.icon(Rect::new(x, r.y, side, r.h).centred(18.0, 18.0), "volume", Some(dim));
            x += side;
        }
        AudioStatus::Unreachable(_) => {
            v.scene.icon(Rect::new(x, r.y, side, r.h).centred(18.0, 18.0), "volume-off", Some(d.danger));
            x += side;
        }
        AudioStatus::Ready(s) => {
            let icon = match s.output() {
                Some(o) if !o.muted && o.volume > 0.0 => "volume",
                _ => "volume-muted",
            };
            v.scene.icon(Rect::new(x, r.y, side, r.h).centred(18.0, 18.0), icon, Some(d.panel_text));
            x += side;
            if s.input().is_some_and(|i| i.muted) {
                v.scene.icon(Rect::new(x - 4.0, r.y, 16.0, r.h).centred(14.0, 14.0), "mic-off", Some(d.danger));
                x += 14.0;
            }
        }
    }
    match &levels.light {
        LightStatus::Off => {}
        LightStatus::Missing(_) | LightStatus::Level { writable: false, .. } => {
            v.scene.icon(Rect::new(x, r.y, side, r.h).centred(18.0, 18.0), "brightness", Some(dim));
        }
        LightStatus::Level { .. } => {
            v.scene.icon(Rect::new(x, r.y, side, r.h).centred(18.0, 18.0), "brightness", Some(d.panel_text));
        }
    }
    v.hit(r, action);
}

/// The popover under the panel (`top` is its height) at the output's right edge, where the
/// indicators are, over a transparent overlay whose clicks close it.
pub fn popover(levels: &Levels, top: f32, cx: &ViewCx<'_, PanelAction>) -> View<PanelAction> {
    let d = &cx.theme.desktop;
    let mut v = View::new(Scene::new(cx.width, cx.height, Rgba { r: 0, g: 0, b: 0, a: 0 }));
    v.hit(Rect::new(0.0, 0.0, cx.width, cx.height), PanelAction::MenuOutside);
    let left = (cx.width - WIDTH - 4.0).max(0.0).round();
    // Laid out once to learn the height, then drawn on the card.
    let mut probe = View::new(Scene::new(0.0, 0.0, d.panel_background));
    let h = body(&mut probe, levels, cx, left, top + 4.0) - top - 4.0 + PAD;
    let card = Rect::new(left, top + 4.0, WIDTH, h);
    v.scene.fill(card, d.panel_background, 8.0);
    v.scene.stroke(card, d.panel_text.mix(d.panel_background, 0.7), 1.0, 8.0);
    v.hit(card, PanelAction::MenuCard);
    body(&mut v, levels, cx, left, top + 4.0);
    v
}

/// The popover's content from (x, y); returns where it ends.
fn body(v: &mut View<PanelAction>, levels: &Levels, cx: &ViewCx<'_, PanelAction>, x: f32, y: f32) -> f32 {
    let d = &cx.theme.desktop;
    let dim = d.panel_text.mix(d.panel_background, 0.4);
    let inner = Rect::new(x + PAD, y + PAD, WIDTH - 2.0 * PAD, 0.0);
    let mut y = inner.y;
    let line = |v: &mut View<PanelAction>, y: &mut f32, text: &str, colour: Rgba| {
        for l in cx.wrap(text, 12.0, Weight::Regular, inner.w).into_iter().take(3) {
            v.scene.text(Rect::new(inner.x, *y, inner.w, 18.0), l, 12.0, Weight::Regular, colour, Align::Start);
            *y += 18.0;
        }
    };
    let heading = |v: &mut View<PanelAction>, y: &mut f32, text: &str| {
        v.scene.text(Rect::new(inner.x, *y, inner.w, HEAD), text, 13.0, Weight::Bold, d.panel_text, Align::Start);
        *y += HEAD;
    };

    match &levels.audio {
        AudioStatus::Off => {}
        AudioStatus::Connecting => {
            heading(v, &mut y, "Sound");
            line(v, &mut y, "Connecting to the audio VM…", dim);
        }
        AudioStatus::Unreachable(why) => {
            heading(v, &mut y, "Sound");
            line(v, &mut y, "The audio VM cannot be reached", d.danger.mix(d.panel_text, 0.2));
            line(v, &mut y, why, dim);
        }
        AudioStatus::Ready(s) => y = audio(v, s, cx, inner, y, dim),
    }
    if levels.audio != AudioStatus::Off && levels.light != LightStatus::Off {
        y += 6.0;
        v.scene.fill(Rect::new(inner.x, y, inner.w, 1.0), d.panel_text.mix(d.panel_background, 0.8), 0.0);
        y += 7.0;
    }
    match &levels.light {
        LightStatus::Off => {}
        LightStatus::Missing(why) => {
            heading(v, &mut y, "Brightness");
            line(v, &mut y, "No backlight can be found", d.panel_text);
            line(v, &mut y, why, dim);
        }
        LightStatus::Level { percent, writable } => {
            heading(v, &mut y, "Brightness");
            let r = Rect::new(inner.x, y, inner.w, ROW);
            v.scene.icon(Rect::new(r.x, r.y, 28.0, ROW).centred(18.0, 18.0), "brightness", Some(d.panel_text));
            let slider = (*writable).then_some(Slider::Brightness);
            slider_row(v, cx, r, *percent as f32 / 100.0, slider, false);
            y += ROW;
            if !writable {
                line(v, &mut y, "The backlight is read-only here", dim);
            }
        }
    }
    if let Some(e) = &levels.error {
        y += 4.0;
        line(v, &mut y, e, d.danger.mix(d.panel_text, 0.2));
    }
    y
}

/// The sound part: output, input, their devices, the streams.
fn audio(
    v: &mut View<PanelAction>,
    s: &AudioState,
    cx: &ViewCx<'_, PanelAction>,
    inner: Rect,
    y: f32,
    dim: Rgba,
) -> f32 {
    let d = &cx.theme.desktop;
    let mut y = y;
    let max = s.max_volume;
    for (title, icon, target, devices, default) in [
        ("Sound output", "volume", Target::Output, &s.outputs, s.output()),
        ("Microphone", "mic", Target::Input, &s.inputs, s.input()),
    ] {
        v.scene.text(Rect::new(inner.x, y, inner.w, HEAD), title, 13.0, Weight::Bold, d.panel_text, Align::Start);
        y += HEAD;
        let r = Rect::new(inner.x, y, inner.w, ROW);
        match default {
            Some(dev) => {
                mute_button(v, cx, r, icon, target, dev.muted);
                slider_row(v, cx, r, dev.volume / max, Some(Slider::Volume(target)), dev.muted);
            }
            None => v.scene.text(r, "None", 12.0, Weight::Regular, dim, Align::Start),
        }
        y += ROW;
        if devices.len() > 1 {
            for dev in devices {
                y = choice(v, cx, inner, y, dev, default.is_some_and(|x| x.id == dev.id));
            }
        }
        y += 4.0;
    }
    if !s.streams.is_empty() {
        v.scene.text(Rect::new(inner.x, y, inner.w, HEAD), "Programs", 13.0, Weight::Bold, d.panel_text, Align::Start);
        y += HEAD;
    }
    for st in s.streams.iter().take(STREAMS) {
        // The VM as the audio VM could tell it, never as the program calls itself.
        let name = Rect::new(inner.x + 4.0, y, inner.w - 4.0, 18.0);
        v.scene.title(name, st.vm.as_deref(), &st.app, 12.0, Weight::Regular, d.panel_text);
        y += 18.0;
        let r = Rect::new(inner.x, y, inner.w, ROW);
        let icon = if st.direction == Direction::Capture { "mic" } else { "volume" };
        let target = Target::Stream(st.id);
        mute_button(v, cx, r, icon, target, st.muted);
        slider_row(v, cx, r, st.volume / max, Some(Slider::Volume(target)), st.muted);
        y += ROW;
    }
    if s.streams.len() > STREAMS {
        let more = format!("{} more", s.streams.len() - STREAMS);
        v.scene.text(Rect::new(inner.x, y, inner.w, 18.0), more, 11.0, Weight::Regular, dim, Align::Start);
        y += 18.0;
    }
    y
}

/// A round toggle at the row's start: the icon, struck through and in the danger colour when
/// muted.
fn mute_button(v: &mut View<PanelAction>, cx: &ViewCx<'_, PanelAction>, row: Rect, icon: &str, t: Target, muted: bool) {
    let d = &cx.theme.desktop;
    let r = Rect::new(row.x, row.y + 2.0, 28.0, ROW - 4.0);
    let action = PanelAction::Levels(LevelsAction::Mute(t, !muted));
    if muted {
        v.scene.fill(r, d.danger.mix(d.panel_background, 0.75), 6.0);
    } else if cx.is_hovered(&action) {
        v.scene.fill(r, d.button_hover, 6.0);
    }
    let (name, colour) = match (icon, muted) {
        ("mic", true) => ("mic-off", d.danger.mix(d.panel_text, 0.2)),
        (_, true) => ("volume-muted", d.danger.mix(d.panel_text, 0.2)),
        (i, false) => (i, d.panel_text),
    };
    v.scene.icon(r.centred(18.0, 18.0), name, Some(colour));
    v.hit(r, action);
}

/// A track from after the row's toggle to before its percent, filled to `f` (0 to 1), with a
/// knob when it can be moved; grey when muted.
fn slider_row(
    v: &mut View<PanelAction>,
    cx: &ViewCx<'_, PanelAction>,
    row: Rect,
    f: f32,
    slider: Option<Slider>,
    muted: bool,
) {
    let d = &cx.theme.desktop;
    let f = if f.is_finite() { f.clamp(0.0, 1.0) } else { 0.0 };
    let track = Rect::new(row.x + 40.0, row.y + ROW / 2.0 - 2.0, row.w - 40.0 - 50.0, 4.0);
    let empty = d.panel_text.mix(d.panel_background, 0.75);
    let full = if muted { d.panel_text.mix(d.panel_background, 0.5) } else { d.panel_accent };
    v.scene.fill(track, empty, 2.0);
    v.scene.fill(Rect::new(track.x, track.y, (track.w * f).max(0.0), track.h), full, 2.0);
    if let Some(s) = slider {
        let knob = Rect::new(track.x + track.w * f - 7.0, row.y + ROW / 2.0 - 7.0, 14.0, 14.0);
        v.scene.fill(knob, full, 7.0);
        // The whole row's height takes the pointer, beyond the track's ends too.
        let area = Rect::new(track.x - 8.0, row.y, track.w + 16.0, ROW);
        v.hit(area, PanelAction::Levels(LevelsAction::Slide(s, track.x, track.w)));
    }
    let pct = format!("{}%", (f * 100.0).round() as u32);
    let label = Rect::new(track.right() + 8.0, row.y, 42.0, ROW);
    v.scene.text(label, pct, 12.0, Weight::Regular, d.panel_text, Align::End);
}

/// One device to choose, a dot filled for the chosen one; returns the next row's y.
fn choice(v: &mut View<PanelAction>, cx: &ViewCx<'_, PanelAction>, inner: Rect, y: f32, dev: &Device, on: bool) -> f32 {
    let d = &cx.theme.desktop;
    let r = Rect::new(inner.x + 36.0, y, inner.w - 36.0, CHOICE);
    let action = PanelAction::Levels(LevelsAction::Default(dev.id));
    if !on && cx.is_hovered(&action) {
        v.scene.fill(r, d.button_hover, 5.0);
    }
    let dot = Rect::new(r.x + 6.0, r.y + (CHOICE - 12.0) / 2.0, 12.0, 12.0);
    v.scene.stroke(dot, d.panel_text.mix(d.panel_background, 0.3), 1.5, 6.0);
    if on {
        v.scene.fill(dot.centred(6.0, 6.0), d.panel_accent, 3.0);
    }
    let label = Rect::new(r.x + 26.0, r.y, r.w - 30.0, CHOICE);
    v.scene.text(label, dev.name.clone(), 12.0, Weight::Regular, d.panel_text, Align::Start);
    if !on {
        v.hit(r, action);
    }
    y + CHOICE
}
