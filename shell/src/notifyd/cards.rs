//! The popups: one card per notification on screen (and one "N more" card per VM over its rate),
//! stacked in the corner, newest nearest the corner's edge. A VM's card is framed in the colours
//! of that VM's windows (the compositor's), titled `[vm] summary`; the title bar is drawn from
//! the listener's VM name, so nothing a VM writes can change whose card it is. The GUI VM's own
//! (the trusted system's: compositor, hostd's news, the lock) are titled with the shield instead.

use std::sync::Arc;

use canopy_common::image::RgbaImage;
use canopy_notify::store::{Card as StoreCard, Key, Source, Store};
use canopy_themes::{Rgba, Theme};

use crate::draw::{Align, Fonts, Rect, Scene, Weight};
use crate::wl::{View, WindowList};

const BORDER: f32 = 3.0;
const TITLE: f32 = 26.0;
const PAD: f32 = 10.0;
const TEXT: f32 = 12.0;
const LINE: f32 = 17.0;
/// Body lines a popup shows (the centre shows all).
const SHOWN_LINES: usize = 4;
const IMAGE: f32 = 48.0;
const BUTTON: f32 = 26.0;
/// Buttons a popup shows.
const SHOWN_ACTIONS: usize = 3;
const GAP: f32 = 8.0;

/// What a click on a popup does.
#[derive(Debug, Clone, PartialEq)]
pub enum PopupAction {
    /// The close button: the notification is dismissed (or a VM's "N more" card goes).
    Close(Which),
    /// The card itself: its default action, or it leaves the screen.
    Body(Key),
    Button(Key, String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Which {
    Entry(Key),
    Collapsed(Source),
}

/// One card, ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub which: Which,
    /// The VM of the card's `[vm]` prefix: the listener's, never the message's.
    pub vm: Option<String>,
    pub title: String,
    pub frame: Rgba,
    pub title_colour: Rgba,
    pub lines: Vec<String>,
    pub image: Option<Arc<RgbaImage>>,
    pub actions: Vec<(String, String)>,
    pub critical: bool,
    pub height: f32,
}

/// The frame and title colours of a source: its VM's windows' (as the compositor says), the
/// GUI VM's own for None, and until the compositor has said, never a trusted colour.
pub fn source_colours(vm: Option<&str>, windows: &WindowList, theme: &Theme) -> (Rgba, Rgba) {
    let c = match vm {
        None => theme.colours("local"),
        Some(vm) => match windows.vm_colours(vm) {
            Some(c) => return (c.frame, c.text),
            None => theme.colours("unknown"),
        },
    };
    (c.focused, c.text_focused)
}

/// The cards of `store`, newest first, laid out `width` wide.
pub fn cards(store: &Store, windows: &WindowList, theme: &Theme, fonts: &Fonts, width: f32) -> Vec<Card> {
    let inner = width - 2.0 * BORDER - 2.0 * PAD;
    store
        .cards()
        .into_iter()
        .map(|c| {
            let (which, source) = match c {
                StoreCard::Entry(e) => (Which::Entry(e.key.clone()), &e.key.source),
                StoreCard::Collapsed { source, .. } => (Which::Collapsed(source.clone()), source),
            };
            let (frame, title_colour) = source_colours(source.vm(), windows, theme);
            let vm = source.vm().map(str::to_string);
            let mut card = match c {
                StoreCard::Entry(e) => {
                    let live = store.live(e);
                    Card {
                        which,
                        vm,
                        title: e.n.summary.clone(),
                        frame,
                        title_colour,
                        lines: Vec::new(),
                        image: e.n.image.clone(),
                        actions: if live {
                            e.n.actions.iter().take(SHOWN_ACTIONS).map(|a| (a.key.clone(), a.label.clone())).collect()
                        } else {
                            Vec::new()
                        },
                        critical: e.n.urgency == canopy_protocols::notify::Urgency::Critical,
                        height: 0.0,
                    }
                }
                StoreCard::Collapsed { count, .. } => Card {
                    which,
                    vm,
                    title: format!("{count} more"),
                    frame,
                    title_colour,
                    lines: vec![format!("{count} more from {source} are in the notification centre.")],
                    image: None,
                    actions: Vec::new(),
                    critical: false,
                    height: 0.0,
                },
            };
            if let StoreCard::Entry(e) = c {
                let mut text_w = if card.image.is_some() { inner - IMAGE - PAD } else { inner };
                if card.critical {
                    text_w -= 20.0;
                }
                card.lines = wrap_lines(fonts, &e.n.body, text_w);
            } else {
                card.lines = wrap_lines(fonts, &card.lines, inner);
            }
            card.height = height(&card);
            card
        })
        .collect()
}

/// Body lines wrapped to `width` logical pixels, at most [`SHOWN_LINES`], the last ending in
/// `…` when more were cut. Measured at scale 1, so the card's height does not depend on the
/// output's scale (a line is cut with an ellipsis where a scale measures it wider).
fn wrap_lines(fonts: &Fonts, body: &[String], width: f32) -> Vec<String> {
    let mut out = Vec::new();
    let mut more = false;
    for line in body {
        let wrapped =
            if line.is_empty() { vec![String::new()] } else { fonts.wrap(line, Weight::Regular, TEXT, width) };
        for l in wrapped {
            if out.len() == SHOWN_LINES {
                more = true;
                break;
            }
            out.push(l);
        }
    }
    if more {
        if let Some(last) = out.last_mut() {
            last.push('…');
        }
    }
    out
}

fn height(card: &Card) -> f32 {
    let text = card.lines.len() as f32 * LINE;
    let body = if card.image.is_some() { text.max(IMAGE) } else { text };
    let buttons = if card.actions.is_empty() { 0.0 } else { PAD + BUTTON };
    let body_pad = if body > 0.0 { PAD + body } else { 0.0 };
    BORDER + TITLE + body_pad + buttons + PAD + BORDER
}

/// Height of the stack.
pub fn stack_height(cards: &[Card]) -> f32 {
    cards.iter().map(|c| c.height).sum::<f32>() + GAP * cards.len().saturating_sub(1) as f32
}

/// The stack drawn on a `width` x `height` surface; the newest card nearest the top or bottom
/// edge, as the corner is.
pub fn view(cards: &[Card], top: bool, width: f32, height: f32, theme: &Theme) -> View<PopupAction> {
    let d = &theme.desktop;
    let mut v = View::new(Scene::new(width, height, Rgba { r: 0, g: 0, b: 0, a: 0 }));
    let mut y = if top { 0.0 } else { height };
    for card in cards {
        if !top {
            y -= card.height;
        }
        draw_card(&mut v, card, Rect::new(0.0, y, width, card.height), d.notice_background, d.notice_text, theme);
        if top {
            y += card.height + GAP;
        } else {
            y -= GAP;
        }
    }
    v
}

fn draw_card(v: &mut View<PopupAction>, card: &Card, r: Rect, bg: Rgba, text: Rgba, theme: &Theme) {
    let s = &mut v.scene;
    s.fill(r, card.frame, 0.0);
    let inner = Rect::new(r.x + BORDER, r.y + BORDER + TITLE, r.w - 2.0 * BORDER, r.h - 2.0 * BORDER - TITLE);
    s.fill(inner, bg, 0.0);
    if let Which::Entry(key) = &card.which {
        v.hit(r, PopupAction::Body(key.clone()));
    }
    let close = Rect::new(r.right() - BORDER - TITLE, r.y + BORDER, TITLE, TITLE);
    // Where a VM's card starts with its `[vm]` prefix, the trusted system's (the GUI VM's own
    // parts, on a bus no VM reaches) starts with the shield: nothing a VM writes comes first.
    let mut tx = r.x + BORDER + PAD;
    if card.vm.is_none() {
        v.scene.icon(Rect::new(tx, r.y + BORDER + (TITLE - 14.0) / 2.0, 14.0, 14.0), "shield", Some(card.title_colour));
        tx += 20.0;
    }
    // `[vm] summary` as a window's title is drawn: the prefix isolated from the VM's text.
    v.scene.title(
        Rect::new(tx, r.y + BORDER, close.x - tx, TITLE),
        card.vm.as_deref(),
        &card.title,
        TEXT,
        Weight::Bold,
        card.title_colour,
    );
    v.scene.icon(close.centred(14.0, 14.0), "close", Some(card.title_colour));
    v.hit(close, PopupAction::Close(card.which.clone()));
    let mut x = inner.x + PAD;
    let y = inner.y + PAD;
    if card.critical {
        // Critical: it stays until dismissed, and says so with the warning sign.
        v.scene.icon(Rect::new(x, y + 1.0, 14.0, 14.0), "warning", Some(theme.desktop.danger));
        x += 20.0;
    }
    if let Some(img) = &card.image {
        v.scene.image(Rect::new(x, y, IMAGE, IMAGE), img.clone());
        x += IMAGE + PAD;
    }
    for (i, line) in card.lines.iter().enumerate() {
        let lr = Rect::new(x, y + i as f32 * LINE, inner.right() - PAD - x, LINE);
        v.scene.text(lr, line.clone(), TEXT, Weight::Regular, text, Align::Start);
    }
    if let (Which::Entry(key), false) = (&card.which, card.actions.is_empty()) {
        let n = card.actions.len() as f32;
        let by = inner.bottom() - PAD - BUTTON;
        let bw = ((inner.w - PAD * (n + 1.0)) / n).min(140.0);
        let mut bx = inner.right() - PAD - bw * n - PAD * (n - 1.0);
        for (action, label) in &card.actions {
            let b = Rect::new(bx, by, bw, BUTTON);
            v.scene.fill(b, theme.desktop.button_hover, 4.0);
            v.scene.stroke(b, card.frame, 1.0, 4.0);
            v.scene.text(b, label.clone(), TEXT, Weight::Regular, text, Align::Centre);
            v.hit(b, PopupAction::Button(key.clone(), action.clone()));
            bx += bw + PAD;
        }
    }
}
