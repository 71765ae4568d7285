//! The menu a right click on a window button opens: the window's title in its VM's colour,
//! then Focus, Minimise and Close. It is drawn on a transparent overlay of the output, under
//! the panel where the click was; a click beside it or Escape closes it.

use canopy_themes::Rgba;

use super::PanelAction;
use crate::draw::{Align, Rect, Scene, Weight};
use crate::wl::{View, ViewCx, Window};

const WIDTH: f32 = 220.0;
const ROW: f32 = 30.0;
const PAD: f32 = 6.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuItem {
    Focus,
    Minimise,
    Close,
}

impl MenuItem {
    pub const ALL: [MenuItem; 3] = [MenuItem::Focus, MenuItem::Minimise, MenuItem::Close];

    fn label(self) -> &'static str {
        match self {
            MenuItem::Focus => "Focus",
            MenuItem::Minimise => "Minimise",
            MenuItem::Close => "Close",
        }
    }

    /// Minimising a window that is minimised already does nothing, so it is not offered.
    pub fn offered(self, w: &Window) -> bool {
        self != MenuItem::Minimise || !w.minimized
    }
}

/// The open menu: for which window, where, and the item the keyboard is on.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowMenu {
    pub window: u32,
    /// Left edge asked for (the click's x), in the output's logical pixels.
    pub x: f32,
    /// None until an arrow key is pressed.
    pub focus: Option<usize>,
}

impl WindowMenu {
    pub fn new(window: u32, x: f32) -> Self {
        WindowMenu { window, x, focus: None }
    }

    /// Up / Down: the next offered item, wrapping around; the first (or last) at first.
    pub fn move_focus(&mut self, w: &Window, down: bool) {
        let n = MenuItem::ALL.len();
        // Before the first item (or after the last) when nothing has the focus yet.
        let from = self.focus.map_or(if down { n - 1 } else { 0 }, |f| f);
        for step in 1..=n {
            let i = if down { (from + step) % n } else { (from + n - step) % n };
            if MenuItem::ALL[i].offered(w) {
                self.focus = Some(i);
                return;
            }
        }
    }

    pub fn focused_item(&self) -> Option<MenuItem> {
        self.focus.map(|i| MenuItem::ALL[i])
    }
}

/// The overlay with the menu under the panel (`top` is the panel's height).
pub fn view(menu: &WindowMenu, window: &Window, top: f32, cx: &ViewCx<'_, PanelAction>) -> View<PanelAction> {
    let d = &cx.theme.desktop;
    let mut v = View::new(Scene::new(cx.width, cx.height, Rgba { r: 0, g: 0, b: 0, a: 0 }));
    v.hit(Rect::new(0.0, 0.0, cx.width, cx.height), PanelAction::MenuOutside);
    let h = PAD + ROW + 1.0 + PAD + ROW * MenuItem::ALL.len() as f32 + PAD;
    let x = menu.x.min(cx.width - WIDTH - 4.0).max(4.0).round();
    let card = Rect::new(x, top + 4.0, WIDTH, h);
    v.scene.fill(card, d.panel_background, 8.0);
    // The frame is the window's VM colour, as the window's own border is.
    v.scene.stroke(card, window.colour, 2.0, 8.0);
    v.hit(card, PanelAction::MenuCard);

    let head = Rect::new(card.x + PAD, card.y + PAD, WIDTH - 2.0 * PAD, ROW);
    v.scene.fill(Rect::new(head.x + 6.0, head.y + (ROW - 10.0) / 2.0, 10.0, 10.0), window.colour, 2.0);
    let dim = d.panel_text.mix(d.panel_background, 0.35);
    let title = Rect::new(head.x + 22.0, head.y, head.w - 26.0, ROW);
    v.scene.title(title, window.vm(), window.app_title(), 12.0, Weight::Bold, dim);
    let rule = Rect::new(card.x + PAD, head.bottom(), WIDTH - 2.0 * PAD, 1.0);
    v.scene.fill(rule, d.panel_text.mix(d.panel_background, 0.8), 0.0);

    let mut y = rule.bottom() + PAD;
    for (i, item) in MenuItem::ALL.into_iter().enumerate() {
        let r = Rect::new(card.x + PAD, y, WIDTH - 2.0 * PAD, ROW);
        let action = PanelAction::Menu(item, window.id);
        let offered = item.offered(window);
        if offered && (cx.is_hovered(&action) || menu.focus == Some(i)) {
            v.scene.fill(r, d.button_hover, 5.0);
        }
        let colour = match item {
            _ if !offered => d.panel_text.mix(d.panel_background, 0.6),
            MenuItem::Close => d.danger.mix(d.panel_text, 0.25),
            _ => d.panel_text,
        };
        let label = Rect::new(r.x + 12.0, r.y, r.w - 24.0, r.h);
        v.scene.text(label, item.label(), 13.0, Weight::Regular, colour, Align::Start);
        if offered {
            v.hit(r, action);
        }
        y += ROW;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keyboard_skips_what_is_not_offered() {
        let mut w = Window { id: 3, ..Default::default() };
        let mut m = WindowMenu::new(3, 100.0);
        assert_eq!(m.focused_item(), None);
        m.move_focus(&w, true);
        assert_eq!(m.focused_item(), Some(MenuItem::Focus));
        m.move_focus(&w, true);
        assert_eq!(m.focused_item(), Some(MenuItem::Minimise));
        m.move_focus(&w, true);
        m.move_focus(&w, true);
        assert_eq!(m.focused_item(), Some(MenuItem::Focus), "wraps around");
        w.minimized = true;
        m.move_focus(&w, true);
        assert_eq!(m.focused_item(), Some(MenuItem::Close));
        m.move_focus(&w, false);
        assert_eq!(m.focused_item(), Some(MenuItem::Focus));
        let mut m = WindowMenu::new(3, 100.0);
        m.move_focus(&w, false);
        assert_eq!(m.focused_item(), Some(MenuItem::Close), "Up starts at the end");
    }
}
