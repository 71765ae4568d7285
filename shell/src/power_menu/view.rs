//! The power menu: a row of five buttons on a card, or a confirmation, over a dimmed output.

use canopy_themes::Rgba;

use super::{Item, MenuAction, MenuModel, Stage};
use crate::draw::{Align, Rect, Scene, Weight};
use crate::wl::{View, ViewCx};

const BUTTON_W: f32 = 96.0;
const BUTTON_H: f32 = 100.0;
const GAP: f32 = 12.0;
const RADIUS: f32 = 12.0;

pub fn view(model: &MenuModel, cx: &ViewCx<'_, MenuAction>) -> View<MenuAction> {
    let d = &cx.theme.desktop;
    let mut v = View::new(Scene::new(cx.width, cx.height, Rgba { r: 0, g: 0, b: 0, a: 0x99 }));
    v.hit(Rect::new(0.0, 0.0, cx.width, cx.height), MenuAction::Outside);
    match &model.stage {
        Stage::Choose => {
            let n = Item::ALL.len() as f32;
            let card = centred(cx, n * BUTTON_W + (n + 1.0) * GAP, BUTTON_H + 2.0 * GAP);
            card_bg(&mut v, cx, card);
            for (i, item) in Item::ALL.iter().enumerate() {
                let r = Rect::new(card.x + GAP + i as f32 * (BUTTON_W + GAP), card.y + GAP, BUTTON_W, BUTTON_H);
                let action = MenuAction::Item(*item);
                if cx.is_hovered(&action) {
                    v.scene.fill(r, d.button_hover, 8.0);
                }
                if model.focus == i {
                    v.scene.stroke(r, d.panel_accent, 2.0, 8.0);
                }
                let colour =
                    if matches!(item, Item::PowerOff) { d.danger.mix(d.panel_text, 0.25) } else { d.panel_text };
                v.scene.icon(
                    Rect::new(r.x + (BUTTON_W - 36.0) / 2.0, r.y + 18.0, 36.0, 36.0),
                    item.icon(),
                    Some(colour),
                );
                v.scene.text(
                    Rect::new(r.x, r.y + 64.0, r.w, 22.0),
                    item.label(),
                    13.0,
                    Weight::Regular,
                    d.panel_text,
                    Align::Centre,
                );
                v.hit(r, action);
            }
        }
        Stage::Confirm(item) => {
            let (question, detail) = match item {
                Item::Reboot => ("Reboot the laptop?", "Every VM is shut down and started again."),
                _ => ("Power off the laptop?", "Every VM is shut down."),
            };
            let card = centred(cx, 420.0, 156.0);
            card_bg(&mut v, cx, card);
            let row = |y: f32, h: f32| Rect::new(card.x + 20.0, card.y + y, card.w - 40.0, h);
            v.scene.text(row(18.0, 26.0), question, 17.0, Weight::Bold, d.panel_text, Align::Start);
            let dim = d.panel_text.mix(d.panel_background, 0.3);
            v.scene.text(row(48.0, 22.0), detail, 13.0, Weight::Regular, dim, Align::Start);
            let bw = 120.0;
            let confirm = Rect::new(card.right() - 20.0 - bw, card.bottom() - 20.0 - 36.0, bw, 36.0);
            let cancel = Rect::new(confirm.x - 12.0 - bw, confirm.y, bw, 36.0);
            let cancel_bg =
                if cx.is_hovered(&MenuAction::Cancel) { d.button_hover.mix(d.panel_text, 0.1) } else { d.button_hover };
            v.scene.fill(cancel, cancel_bg, 6.0);
            v.scene.text(cancel, "Cancel", 13.0, Weight::Regular, d.panel_text, Align::Centre);
            let danger = if cx.is_hovered(&MenuAction::Confirm) { d.danger.mix(d.panel_text, 0.15) } else { d.danger };
            v.scene.fill(confirm, danger, 6.0);
            v.scene.text(confirm, item.label(), 13.0, Weight::Bold, Rgba::rgb(255, 255, 255), Align::Centre);
            let focused = if model.focus == 1 { confirm } else { cancel };
            v.scene.stroke(focused.inset(-3.0), d.panel_accent, 2.0, 8.0);
            v.hit(card, MenuAction::Item(*item)); // clicks on the card itself do nothing
            v.hit(cancel, MenuAction::Cancel);
            v.hit(confirm, MenuAction::Confirm);
        }
        Stage::Working(item) => {
            let card = centred(cx, 360.0, 80.0);
            card_bg(&mut v, cx, card);
            let text = match item {
                Item::Reboot => "Rebooting…",
                _ => "Powering off…",
            };
            v.scene.text(card, text, 16.0, Weight::Bold, d.panel_text, Align::Centre);
            v.hits.clear();
        }
        Stage::Failed { what, why } => {
            let lines = cx.wrap(why, 13.0, Weight::Regular, 400.0);
            let lines = &lines[..lines.len().min(4)];
            let card = centred(cx, 460.0, 120.0 + 20.0 * lines.len() as f32);
            card_bg(&mut v, cx, card);
            let x = card.x + 20.0;
            v.scene.icon(Rect::new(x, card.y + 23.0, 20.0, 20.0), "warning", Some(d.danger));
            v.scene.text(
                Rect::new(x + 28.0, card.y + 20.0, card.w - 68.0, 26.0),
                what.clone(),
                15.0,
                Weight::Bold,
                d.danger,
                Align::Start,
            );
            for (i, line) in lines.iter().enumerate() {
                let r = Rect::new(x, card.y + 54.0 + 20.0 * i as f32, card.w - 40.0, 20.0);
                v.scene.text(r, line.clone(), 13.0, Weight::Regular, d.panel_text, Align::Start);
            }
            let close = Rect::new(card.right() - 20.0 - 120.0, card.bottom() - 20.0 - 36.0, 120.0, 36.0);
            let bg =
                if cx.is_hovered(&MenuAction::Cancel) { d.button_hover.mix(d.panel_text, 0.1) } else { d.button_hover };
            v.scene.fill(close, bg, 6.0);
            v.scene.stroke(close.inset(-3.0), d.panel_accent, 2.0, 8.0);
            v.scene.text(close, "Close", 13.0, Weight::Regular, d.panel_text, Align::Centre);
            v.hit(close, MenuAction::Cancel);
        }
    }
    v
}

fn centred(cx: &ViewCx<'_, MenuAction>, w: f32, h: f32) -> Rect {
    Rect::new(((cx.width - w) / 2.0).round(), ((cx.height - h) / 2.0).round(), w, h)
}

fn card_bg(v: &mut View<MenuAction>, cx: &ViewCx<'_, MenuAction>, card: Rect) {
    let d = &cx.theme.desktop;
    v.scene.fill(card, d.panel_background, RADIUS);
    v.scene.stroke(card, d.button_hover, 1.0, RADIUS);
}
