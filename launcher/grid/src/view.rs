//! The launcher: a search field, a grid of app tiles in their VM's trust colour with the VM's
//! state, and a status line, over a dimmed output.

use canopy_shell::draw::{Align, Field, Rect, Scene, Weight};
use canopy_shell::tiles::{tile as draw_tile, TileLook, TILE_H, TILE_W};
use canopy_shell::wl::{View, ViewCx};

use crate::model::{LauncherModel, Status};
use crate::prompt_view::prompt_view;

/// What the pointer can act on.
#[derive(Debug, Clone, PartialEq)]
pub enum LauncherAction {
    /// Start the n-th visible tile.
    Tile(usize),
    /// A click beside the tiles closes the launcher.
    Outside,
    /// The disk image question's buttons.
    PromptSubmit,
    PromptCancel,
}

const FIELD_W: f32 = 520.0;
const FIELD_H: f32 = 44.0;
const GAP: f32 = 20.0;
const TOP: f32 = 56.0;
const GRID_TOP: f32 = TOP + FIELD_H + 52.0;
/// Room under the grid for the status line.
const BOTTOM: f32 = 90.0;

pub fn view(model: &LauncherModel, cx: &ViewCx<'_, LauncherAction>) -> View<LauncherAction> {
    let d = &cx.theme.desktop;
    let (w, h) = (cx.width, cx.height);
    let mut v = View::new(Scene::new(w, h, d.launcher_background));
    v.hit(Rect::new(0.0, 0.0, w, h), LauncherAction::Outside);
    let dim = d.launcher_text.mix(d.launcher_background, 0.45);
    if let Some(prompt) = &model.prompt {
        prompt_view(&mut v, prompt, cx);
        return v;
    }

    // The search field.
    let field = Rect::new(((w - FIELD_W) / 2.0).round(), TOP, FIELD_W.min(w - 20.0), FIELD_H);
    v.scene.fill(field, d.notice_background, 10.0);
    v.scene.stroke(field, d.panel_accent, 1.5, 10.0);
    v.scene.icon(Rect::new(field.x + 14.0, field.y + 12.0, 20.0, 20.0), "search", Some(dim));
    let text = Rect::new(field.x + 44.0, field.y, field.w - 58.0, field.h);
    if model.filter.is_empty() {
        v.scene.text(text, "Type to search apps", 15.0, Weight::Regular, dim, Align::Start);
        v.scene.fill(Rect::new(text.x - 1.0, field.y + 12.0, 2.0, 20.0), d.launcher_text, 0.0);
    } else {
        let f = Field {
            text: model.filter.text().to_string(),
            caret: Some(model.filter.caret()),
            size: 15.0,
            weight: Weight::Regular,
            colour: d.launcher_text,
            caret_colour: d.launcher_text,
        };
        v.scene.field(text, f);
    }
    if let Some(notice) = &model.notice {
        let r = Rect::new(0.0, field.bottom() + 12.0, w, 20.0);
        v.scene.text(r, notice.clone(), 12.0, Weight::Regular, dim, Align::Centre);
    }

    // The grid: as many columns as fit, centred; as many rows as fit, scrolled to the model's
    // first row.
    let tiles = model.visible();
    let cols = (((w - 80.0 + GAP) / (TILE_W + GAP)).floor() as usize).max(1);
    model.columns.set(cols);
    let rows = (((h - BOTTOM - GRID_TOP + GAP) / (TILE_H + GAP)).floor() as usize).max(1);
    model.rows.set(rows);
    let first = model.first_row();
    let used = cols.min(tiles.len().max(1)) as f32;
    let left = ((w - (used * TILE_W + (used - 1.0) * GAP)) / 2.0).round();
    let shown = (first * cols)..((first + rows) * cols).min(tiles.len());
    for (i, tile) in tiles.iter().enumerate().take(shown.end).skip(shown.start) {
        let (col, row) = (i % cols, i / cols - first);
        let r = Rect::new(left + col as f32 * (TILE_W + GAP), GRID_TOP + row as f32 * (TILE_H + GAP), TILE_W, TILE_H);
        let look = TileLook {
            icon: &tile.icon,
            name: &tile.display_name,
            vm: &tile.vm,
            trust: &tile.trust,
            state: tile.state.as_ref(),
        };
        draw_tile(&mut v, cx, r, &look, LauncherAction::Tile(i), i == model.selected);
    }
    let total_rows = tiles.len().div_ceil(cols);
    if total_rows > rows {
        let track_x = left + used * TILE_W + (used - 1.0) * GAP + 16.0;
        let shown_h = rows as f32 * (TILE_H + GAP) - GAP;
        scrollbar(&mut v, cx, Rect::new(track_x, GRID_TOP, 6.0, shown_h), first, rows, total_rows);
    }
    if tiles.is_empty() && model.status != Status::Loading {
        let msg = if model.filter.is_empty() {
            "No apps are configured".to_string()
        } else {
            format!("No app matches “{}”", model.filter.text())
        };
        v.scene.text(Rect::new(0.0, GRID_TOP, w, 30.0), msg, 15.0, Weight::Regular, dim, Align::Centre);
    }

    status_line(&mut v, model, cx);
    v
}

/// A thin bar beside the grid: where the rows shown are among all rows.
fn scrollbar(
    v: &mut View<LauncherAction>,
    cx: &ViewCx<'_, LauncherAction>,
    track: Rect,
    first: usize,
    rows: usize,
    total: usize,
) {
    let d = &cx.theme.desktop;
    v.scene.fill(track, d.notice_background, 3.0);
    let thumb_h = (track.h * rows as f32 / total as f32).max(24.0);
    let y = track.y + (track.h - thumb_h) * first as f32 / (total - rows) as f32;
    v.scene.fill(
        Rect::new(track.x, y.round(), track.w, thumb_h.round()),
        d.launcher_text.mix(d.launcher_background, 0.4),
        3.0,
    );
}

fn status_line(v: &mut View<LauncherAction>, model: &LauncherModel, cx: &ViewCx<'_, LauncherAction>) {
    let d = &cx.theme.desktop;
    let (w, h) = (cx.width, cx.height);
    let (text, colour, icon) = match &model.status {
        Status::Ready => return,
        Status::Loading => ("Asking the host for apps…".to_string(), d.launcher_text, None),
        Status::Starting(what) => (format!("Starting {what}…"), d.launcher_text, None),
        Status::Failed(why) => (why.clone(), d.danger, Some("warning")),
    };
    let lines = shown_lines(cx.wrap(&text, 14.0, Weight::Bold, (w - 120.0).min(640.0)), h);
    // Text starts after the icon, if any; the box hugs the longest line.
    let pad = if icon.is_some() { 44.0 } else { 24.0 };
    let text_w = lines.iter().map(|l| cx.text_width(l, 14.0, Weight::Bold)).fold(0.0, f32::max) + 4.0;
    let box_w = pad + text_w + 24.0;
    let box_h = 20.0 * lines.len() as f32 + 20.0;
    let r = Rect::new(((w - box_w) / 2.0).round(), h - 40.0 - box_h, box_w, box_h);
    v.scene.fill(r, d.notice_background, 10.0);
    if let Some(icon) = icon {
        v.scene.icon(Rect::new(r.x + 18.0, r.y + (box_h - 18.0) / 2.0, 18.0, 18.0), icon, Some(colour));
    }
    for (i, line) in lines.iter().enumerate() {
        let lr = Rect::new(r.x + pad, r.y + 10.0 + 20.0 * i as f32, text_w, 20.0);
        v.scene.text(lr, line.clone(), 14.0, Weight::Bold, colour, Align::Start);
    }
}

/// The status lines that fit in the lower part of the output: all of them, or, for a very long
/// message, its first line and its last ones (where the reason is), with `…` between.
fn shown_lines(mut lines: Vec<String>, height: f32) -> Vec<String> {
    let max = ((height * 0.4 / 20.0).floor() as usize).clamp(3, 10);
    if lines.len() > max {
        let tail = lines.split_off(lines.len() - (max - 2));
        lines.truncate(1);
        lines.push("…".into());
        lines.extend(tail);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::shown_lines;

    #[test]
    fn a_long_status_keeps_its_first_and_last_lines() {
        let lines: Vec<String> = (0..20).map(|i| format!("line {i}")).collect();
        assert_eq!(shown_lines(lines[..4].to_vec(), 640.0), lines[..4]);
        let shown = shown_lines(lines.clone(), 400.0);
        assert_eq!(shown, ["line 0", "…", "line 14", "line 15", "line 16", "line 17", "line 18", "line 19"]);
    }
}
