//! What the chooser draws: over a dimmed output, a card framed in the asking VM's colour that
//! says which VM asks to open or send what (the link's real host large, any user name before an
//! `@` called out, the whole link; or the files' names, sizes and types), the VMs it may go to as
//! tiles in their trust colours, and Cancel.

use canopy_protocols::lifecycle::open::{Choice, Intent, Shown, UrlParts};
use canopy_protocols::text::{self, Limit};
use canopy_themes::Rgba;

use super::{ChooserAction, ChooserModel};
use crate::draw::{Align, Rect, Scene, Weight};
use crate::tiles::{tile, TileLook, TILE_H, TILE_W};
use crate::wl::{View, ViewCx};

const CARD_W: f32 = 720.0;
const PAD: f32 = 24.0;
const GAP: f32 = 20.0;
const BUTTON_W: f32 = 110.0;
const BUTTON_H: f32 = 36.0;
const URL_SIZE: f32 = 13.0;
const URL_LINE: f32 = 18.0;
/// Files listed by name; more are counted.
const MAX_FILES_SHOWN: usize = 6;
/// Everything hostd lets through: a whole URL.
const WHOLE: Limit = Limit { chars: 4096, bytes: 16 * 1024 };

/// Text from a VM, drawn as one plain line (hostd sanitised it already; this is the shell's own
/// guard).
fn clean(s: &str) -> String {
    text::sanitise(s, WHOLE)
}

/// A size for people: `1.2 MB`.
pub fn size_text(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return if bytes == 1 { "1 byte".into() } else { format!("{bytes} bytes") };
    }
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if v < 10.0 {
        format!("{v:.1} {}", UNITS[unit])
    } else {
        format!("{v:.0} {}", UNITS[unit])
    }
}

/// The site a link leads to, as it should catch the eye.
fn site(url: &str, parts: &UrlParts) -> String {
    match (&parts.host, &parts.port) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.clone(),
        // mailto:someone@example.org?subject=… shows the address.
        (None, _) => {
            let rest = url.split_once(':').map_or(url, |(_, r)| r);
            rest.split(['?', '#']).next().unwrap_or(rest).to_string()
        }
    }
}

/// The warnings about a link, for a person.
fn warnings(parts: &UrlParts) -> Vec<String> {
    let mut out = Vec::new();
    let host = parts.host.as_deref().unwrap_or("");
    if let Some(user) = &parts.userinfo {
        out.push(format!(
            "Careful: “{}” before the @ is a user name, not the site. This link leads to {host}.",
            clean(user)
        ));
    }
    if !host.is_ascii() {
        out.push("The site's name has letters beyond plain a–z, which can imitate another site's name.".into());
    }
    out
}

fn heading(c: &Choice) -> String {
    let what = match (&c.what, c.intent) {
        (Shown::Url { .. }, _) => "open a link".to_string(),
        (Shown::Files(f), Intent::Open) if f.len() == 1 => "open a file".into(),
        (Shown::Files(f), Intent::Send) if f.len() == 1 => "send a file".into(),
        (Shown::Files(f), Intent::Open) => format!("open {} files", f.len()),
        (Shown::Files(f), Intent::Send) => format!("send {} files", f.len()),
    };
    format!("{} asks to {what}", clean(&c.from))
}

pub fn view(m: &ChooserModel, cx: &ViewCx<'_, ChooserAction>) -> View<ChooserAction> {
    let d = &cx.theme.desktop;
    let (w, h) = (cx.width, cx.height);
    let c = &m.choice;
    let mut v = View::new(Scene::new(w, h, d.launcher_background));
    v.hit(Rect::new(0.0, 0.0, w, h), ChooserAction::Outside);
    let dim = d.launcher_text.mix(d.notice_background, 0.35);
    let card_w = CARD_W.min(w - 40.0);
    let inner = card_w - 2.0 * PAD;
    let from_colour = cx.theme.colours(&c.from_trust).focused;

    // Lay the parts out first (their heights), then place the card in the middle.
    let mut body: Vec<(Rect, Line)> = Vec::new();
    let mut y = 0.0;
    let mut push = |y: &mut f32, height: f32, line: Line| {
        body.push((Rect::new(0.0, *y, inner, height), line));
        *y += height;
    };
    match &c.what {
        Shown::Url { url, parts } => {
            push(&mut y, 30.0, Line::Text(clean(&site(url, parts)), 20.0, Weight::Bold, d.launcher_text));
            y += 4.0;
            for warning in warnings(parts) {
                for (i, l) in cx.wrap(&warning, 13.0, Weight::Bold, inner - 24.0).into_iter().take(2).enumerate() {
                    push(&mut y, 19.0, Line::Warning(l, i == 0));
                }
                y += 4.0;
            }
            y += 4.0;
            // The whole link, wrapped wherever it must be; as many lines as the output holds.
            let lines = cx.wrap(&clean(url), URL_SIZE, Weight::Regular, inner);
            let fixed = 40.0 + PAD * 2.0 + 40.0 + y + 36.0 + TILE_H + 24.0 + BUTTON_H;
            let room = (((h - fixed) / URL_LINE).floor() as usize).max(3);
            let shown = if lines.len() > room { room - 1 } else { lines.len() };
            for l in &lines[..shown] {
                push(&mut y, URL_LINE, Line::Text(l.clone(), URL_SIZE, Weight::Regular, dim));
            }
            if shown < lines.len() {
                let rest: usize = lines[shown..].iter().map(|l| l.chars().count()).sum();
                let more = format!("… and {rest} more characters of the link");
                push(&mut y, URL_LINE, Line::Text(more, URL_SIZE, Weight::Bold, dim));
            }
        }
        Shown::Files(files) => {
            for f in files.iter().take(MAX_FILES_SHOWN) {
                push(&mut y, 24.0, Line::Text(clean(&f.name), 16.0, Weight::Bold, d.launcher_text));
                let meta = format!("{}, {}", size_text(f.size), clean(&f.mime));
                push(&mut y, 20.0, Line::Text(meta, 12.0, Weight::Regular, dim));
                y += 4.0;
            }
            if files.len() > MAX_FILES_SHOWN {
                let more = format!("and {} more", files.len() - MAX_FILES_SHOWN);
                push(&mut y, 20.0, Line::Text(more, 13.0, Weight::Regular, dim));
            }
        }
    }
    let body_h = y;
    let per_row = (((inner + GAP) / (TILE_W + GAP)).floor() as usize).max(1);
    let rows = c.targets.len().div_ceil(per_row).max(1);
    let tiles_h = rows as f32 * (TILE_H + GAP) - GAP;
    let card_h = PAD + 28.0 + 16.0 + body_h + 16.0 + 24.0 + tiles_h + 24.0 + BUTTON_H + PAD;
    let card = Rect::new(((w - card_w) / 2.0).round(), ((h - card_h) / 2.0).max(8.0).round(), card_w, card_h);
    v.scene.fill(card, d.notice_background, 14.0);
    // Framed in the asking VM's colour: who asks is what the user must weigh.
    v.scene.stroke(card, from_colour, 2.0, 14.0);
    v.hit(card, ChooserAction::Card);

    let x = card.x + PAD;
    let mut y = card.y + PAD;
    v.scene.fill(Rect::new(x, y + 7.0, 14.0, 14.0), from_colour, 3.0);
    v.scene.text(
        Rect::new(x + 24.0, y, inner - 24.0, 28.0),
        heading(c),
        17.0,
        Weight::Bold,
        d.launcher_text,
        Align::Start,
    );
    y += 28.0 + 16.0;
    for (r, line) in body {
        let r = Rect::new(x, y + r.y, r.w, r.h);
        match line {
            Line::Text(t, size, weight, colour) => v.scene.text(r, t, size, weight, colour, Align::Start),
            Line::Warning(t, first) => {
                if first {
                    v.scene.icon(Rect::new(r.x, r.y + 1.5, 16.0, 16.0), "warning", Some(d.danger));
                }
                v.scene.text(
                    Rect::new(r.x + 24.0, r.y, r.w - 24.0, r.h),
                    t,
                    13.0,
                    Weight::Bold,
                    d.danger,
                    Align::Start,
                );
            }
        }
    }
    y += body_h + 16.0;
    let many = matches!(&c.what, Shown::Files(f) if f.len() > 1);
    let label = match (c.intent, many) {
        (Intent::Send, false) => "Send it to",
        (Intent::Send, true) => "Send them to",
        (Intent::Open, false) => "Open it in",
        (Intent::Open, true) => "Open them in",
    };
    v.scene.text(Rect::new(x, y, inner, 24.0), label, 13.0, Weight::Regular, dim, Align::Start);
    y += 24.0;

    // The targets, centred, in rows.
    for (row, chunk) in c.targets.chunks(per_row).enumerate() {
        let n = chunk.len() as f32;
        let left = (card.x + (card_w - (n * TILE_W + (n - 1.0) * GAP)) / 2.0).round();
        for (col, t) in chunk.iter().enumerate() {
            let i = row * per_row + col;
            let r = Rect::new(left + col as f32 * (TILE_W + GAP), y + row as f32 * (TILE_H + GAP), TILE_W, TILE_H);
            let name = t.app.clone().unwrap_or_else(|| "Incoming folder".into());
            let look = TileLook {
                icon: t.icon.as_deref().unwrap_or("app"),
                name: &clean(&name),
                vm: &clean(&t.vm),
                trust: &t.trust,
                state: Some(&t.state),
            };
            tile(&mut v, cx, r, &look, ChooserAction::Target(i), m.armed && i == m.selected);
        }
    }
    y += tiles_h + 24.0;

    // How to answer, and Cancel.
    let secs = (c.timeout_ms as f64 / 1000.0).round();
    let hint = format!("Enter picks the outlined VM, Escape cancels. No choice in {secs} s denies it.");
    let hint_r = Rect::new(x, y, inner - BUTTON_W - 16.0, BUTTON_H);
    v.scene.text(hint_r, hint, 12.0, Weight::Regular, dim, Align::Start);
    let cancel = Rect::new(card.right() - PAD - BUTTON_W, y, BUTTON_W, BUTTON_H);
    let bg =
        if cx.is_hovered(&ChooserAction::Cancel) { d.button_hover.mix(d.launcher_text, 0.1) } else { d.button_hover };
    v.scene.fill(cancel, bg, 6.0);
    v.scene.text(cancel, "Cancel", 13.0, Weight::Regular, d.launcher_text, Align::Centre);
    v.hit(cancel, ChooserAction::Cancel);
    v
}

/// One line of the card's body.
enum Line {
    Text(String, f32, Weight, Rgba),
    /// A warning line; the first of a warning gets the icon.
    Warning(String, bool),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_sites_read_well() {
        assert_eq!(size_text(1), "1 byte");
        assert_eq!(size_text(999), "999 bytes");
        assert_eq!(size_text(1_234_567), "1.2 MB");
        assert_eq!(size_text(53_687_091_200), "54 GB");
        let p = canopy_protocols::lifecycle::open::parse_url("mailto:boss@example.org?subject=hi").unwrap();
        assert_eq!(site("mailto:boss@example.org?subject=hi", &p), "boss@example.org");
        let p = canopy_protocols::lifecycle::open::parse_url("https://u@evil.example:8443/").unwrap();
        assert_eq!(site("", &p), "evil.example:8443");
        assert!(warnings(&p)[0].contains("“u” before the @ is a user name"));
    }
}
