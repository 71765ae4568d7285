//! The lock screen: time, date, user, password dots and what happened to the last attempt.

use super::{LockModel, Message};
use crate::draw::{Align, Rect, Scene, Weight};
use crate::wl::{View, ViewCx};

const FIELD_W: f32 = 300.0;
const FIELD_H: f32 = 40.0;
const DOT: f32 = 8.0;

pub fn view(model: &LockModel, cx: &ViewCx<'_, ()>) -> View<()> {
    let d = &cx.theme.desktop;
    let (w, h) = (cx.width, cx.height);
    let mut s = Scene::new(w, h, d.background.mix(canopy_themes::Rgba::rgb(0, 0, 0), 0.35));
    let cxm = w / 2.0;
    let top = (h / 2.0 - 150.0).max(10.0);
    let line = |y: f32, hgt: f32| Rect::new(0.0, y, w, hgt);

    s.icon(Rect::new(cxm - 14.0, top, 28.0, 28.0), "lock", Some(d.panel_text));
    s.text(line(top + 36.0, 70.0), model.time.hm(), 56.0, Weight::Bold, d.panel_text, Align::Centre);
    s.text(line(top + 106.0, 26.0), model.time.long_date(), 17.0, Weight::Regular, d.panel_text, Align::Centre);
    let dim = d.panel_text.mix(d.background, 0.35);
    s.text(line(top + 160.0, 22.0), model.user.clone(), 14.0, Weight::Regular, dim, Align::Centre);

    let field = Rect::new(cxm - FIELD_W / 2.0, top + 188.0, FIELD_W, FIELD_H);
    s.fill(field, d.notice_background, 8.0);
    let border = match model.message {
        Some(Message::Wrong(_)) | Some(Message::Error(_)) => d.danger,
        _ => d.panel_accent,
    };
    s.stroke(field, border, 1.5, 8.0);
    if model.typed == 0 {
        let hint = if model.message == Some(Message::Checking) { "" } else { "Password" };
        s.text(field.inset(12.0), hint, 14.0, Weight::Regular, dim, Align::Centre);
    } else {
        // One dot per character typed, capped so the dots never overflow the field.
        let n = model.typed.min(24) as f32;
        let gap = 6.0;
        let total = n * DOT + (n - 1.0) * gap;
        let mut x = cxm - total / 2.0;
        for _ in 0..model.typed.min(24) {
            s.fill(Rect::new(x, field.y + (FIELD_H - DOT) / 2.0, DOT, DOT), d.notice_text, DOT / 2.0);
            x += DOT + gap;
        }
    }
    let msg = Rect::new(0.0, field.bottom() + 10.0, w, 24.0);
    match &model.message {
        Some(Message::Checking) => s.text(msg, "Checking…", 14.0, Weight::Regular, dim, Align::Centre),
        Some(Message::Wrong(text)) => s.text(msg, text.clone(), 14.0, Weight::Bold, d.danger, Align::Centre),
        Some(Message::Error(text)) => s.text(msg, text.clone(), 13.0, Weight::Regular, d.danger, Align::Centre),
        None => s.text(msg, "Type your password and press Enter", 13.0, Weight::Regular, dim, Align::Centre),
    }
    if let Some(n) = model.notifications.filter(|n| *n > 0) {
        let text = if n == 1 { "1 notification".to_string() } else { format!("{n} notifications") };
        let tw = cx.text_width(&text, 13.0, Weight::Regular);
        let x = (cxm - (tw + 22.0) / 2.0).round();
        let y = msg.bottom() + 24.0;
        s.icon(Rect::new(x, y + 4.0, 16.0, 16.0), "bell", Some(dim));
        s.text(Rect::new(x + 22.0, y, tw + 2.0, 24.0), text, 13.0, Weight::Regular, dim, Align::Start);
    }
    View::new(s)
}
