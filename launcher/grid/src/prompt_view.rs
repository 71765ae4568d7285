//! The disk image question, drawn instead of the grid: what is needed and why, a path field,
//! what went wrong with the last answer, and Cancel / Start.

use canopy_shell::draw::{Align, Field, Rect, Weight};
use canopy_shell::wl::{View, ViewCx};

use crate::disk_prompt::DiskPrompt;
use crate::view::LauncherAction;

const CARD_W: f32 = 560.0;
const PAD: f32 = 24.0;
const FIELD_H: f32 = 40.0;
const BUTTON_W: f32 = 110.0;
const BUTTON_H: f32 = 36.0;

pub fn prompt_view(v: &mut View<LauncherAction>, p: &DiskPrompt, cx: &ViewCx<'_, LauncherAction>) {
    let d = &cx.theme.desktop;
    let dim = d.launcher_text.mix(d.notice_background, 0.4);
    let card_w = CARD_W.min(cx.width - 20.0);
    let inner = card_w - 2.0 * PAD;
    let body = format!(
        "The {} VM starts from a disk image, and the host does not know where it is ({}). \
         Type the full path of the image. It is remembered, so you are asked only once.",
        p.vm, p.reason
    );
    let lines = cx.wrap(&body, 13.0, Weight::Regular, inner);
    let lines = &lines[..lines.len().min(4)];
    // hostd's refusal can be long (it names the path): up to two lines.
    let error_lines = match (&p.error, p.sending) {
        (Some(e), false) => {
            let mut l = cx.wrap(e, 13.0, Weight::Bold, inner - 22.0);
            l.truncate(2);
            l
        }
        _ => Vec::new(),
    };
    let message_h = 20.0 * error_lines.len().max(1) as f32 + 2.0;
    let card_h =
        PAD + 40.0 + 12.0 + 19.0 * lines.len() as f32 + 16.0 + FIELD_H + 8.0 + message_h + 16.0 + BUTTON_H + PAD;
    let card = Rect::new(((cx.width - card_w) / 2.0).round(), ((cx.height - card_h) / 2.0).round(), card_w, card_h);
    v.scene.fill(card, d.notice_background, 14.0);
    // Framed in the trust colour of the VM the image is for.
    v.scene.stroke(card, cx.theme.colours(&p.tile.trust).focused, 2.0, 14.0);

    // The app's icon and the question.
    let mut y = card.y + PAD;
    v.scene.icon(Rect::new(card.x + PAD, y, 40.0, 40.0), p.tile.icon.clone(), None);
    let title = format!("Where is the disk image of {}?", p.tile.display_name);
    let title_r = Rect::new(card.x + PAD + 52.0, y, inner - 52.0, 40.0);
    v.scene.text(title_r, title, 17.0, Weight::Bold, d.launcher_text, Align::Start);
    y += 40.0 + 12.0;
    for line in lines {
        let r = Rect::new(card.x + PAD, y, inner, 19.0);
        v.scene.text(r, line.clone(), 13.0, Weight::Regular, d.launcher_text, Align::Start);
        y += 19.0;
    }
    y += 16.0;

    // The path field; a long path scrolls to keep the caret in view.
    let field = Rect::new(card.x + PAD, y, inner, FIELD_H);
    v.scene.fill(field, d.launcher_background, 8.0);
    let border = if p.error.is_some() { d.danger } else { d.panel_accent };
    v.scene.stroke(field, border, 1.5, 8.0);
    let text = Rect::new(field.x + 12.0, field.y, field.w - 24.0, field.h);
    if p.path.is_empty() {
        v.scene.text(text, "/path/to/disk.img", 14.0, Weight::Regular, dim, Align::Start);
        v.scene.fill(Rect::new(text.x - 1.0, field.y + 10.0, 2.0, 20.0), d.launcher_text, 0.0);
    } else {
        let f = Field {
            text: p.path.text().to_string(),
            caret: (!p.sending).then(|| p.path.caret()),
            size: 14.0,
            weight: Weight::Regular,
            colour: d.launcher_text,
            caret_colour: d.launcher_text,
        };
        v.scene.field(text, f);
    }
    y += FIELD_H + 8.0;

    // What happened to the last answer, or how to answer.
    let line = Rect::new(card.x + PAD, y, inner, 22.0);
    if p.sending {
        v.scene.text(line, "Checking the path…", 13.0, Weight::Regular, dim, Align::Start);
    } else if error_lines.is_empty() {
        let hint = "Enter starts the VM, Escape cancels";
        v.scene.text(line, hint, 13.0, Weight::Regular, dim, Align::Start);
    } else {
        v.scene.icon(Rect::new(line.x, line.y + 3.0, 16.0, 16.0), "warning", Some(d.danger));
        for (i, l) in error_lines.iter().enumerate() {
            let r = Rect::new(line.x + 22.0, line.y + 20.0 * i as f32, line.w - 22.0, line.h);
            v.scene.text(r, l.clone(), 13.0, Weight::Bold, d.danger, Align::Start);
        }
    }
    y += message_h + 16.0;

    let start = Rect::new(card.right() - PAD - BUTTON_W, y, BUTTON_W, BUTTON_H);
    let cancel = Rect::new(start.x - 12.0 - BUTTON_W, y, BUTTON_W, BUTTON_H);
    let hover = |a: &LauncherAction| cx.is_hovered(a);
    let cancel_bg =
        if hover(&LauncherAction::PromptCancel) { d.button_hover.mix(d.launcher_text, 0.1) } else { d.button_hover };
    v.scene.fill(cancel, cancel_bg, 6.0);
    v.scene.text(cancel, "Cancel", 13.0, Weight::Regular, d.launcher_text, Align::Centre);
    let accent =
        if hover(&LauncherAction::PromptSubmit) { d.panel_accent.mix(d.launcher_text, 0.15) } else { d.panel_accent };
    v.scene.fill(start, accent, 6.0);
    v.scene.text(start, "Start", 13.0, Weight::Bold, d.launcher_text, Align::Centre);
    v.hit(cancel, LauncherAction::PromptCancel);
    v.hit(start, LauncherAction::PromptSubmit);
}
