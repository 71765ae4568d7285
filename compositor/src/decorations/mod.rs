//! Server-side decorations: the frame every VM window gets in its trust colour.

mod draw;
pub mod layout;
pub mod popup;
pub mod solid_frame;
mod title;

pub use canopy_text::Fonts;
pub use draw::{draw_title_bar, TitleBarStyle};
pub use popup::{popup_margins, PopupFrame};
pub use title::{decorated_title, sanitise_title, MAX_TITLE_CHARS};

use smithay::input::pointer::CursorIcon;
use smithay::reexports::wayland_protocols::xdg::shell::server::xdg_toplevel::ResizeEdge;
use smithay::utils::{Logical, Point, Rectangle, Size};

use crate::wm::window::FrameKind;

/// Space the frame takes on each side of the client area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Insets {
    pub left: i32,
    pub top: i32,
    pub right: i32,
    pub bottom: i32,
    /// Height of the title bar inside `top` (0 when there is none).
    pub title: i32,
}

impl Insets {
    pub fn for_frame(kind: FrameKind, theme: &canopy_themes::Theme) -> Insets {
        let d = &theme.decoration;
        match kind {
            FrameKind::None => Insets::default(),
            FrameKind::Full => {
                let b = d.border_width as i32;
                let t = d.title_height as i32;
                Insets { left: b, top: b + t, right: b, bottom: b, title: t }
            }
            FrameKind::Strip => {
                let s = d.fullscreen_strip as i32;
                Insets { left: s, top: s, right: s, bottom: s, title: 0 }
            }
        }
    }

    pub fn grow(&self, s: Size<i32, Logical>) -> Size<i32, Logical> {
        Size::from((s.w.saturating_add(self.left + self.right), s.h.saturating_add(self.top + self.bottom)))
    }

    pub fn shrink(&self, s: Size<i32, Logical>) -> Size<i32, Logical> {
        Size::from(((s.w - self.left - self.right).max(1), (s.h - self.top - self.bottom).max(1)))
    }

    pub fn grow_rect(&self, r: Rectangle<i32, Logical>) -> Rectangle<i32, Logical> {
        Rectangle::new(r.loc - Point::from((self.left, self.top)), self.grow(r.size))
    }

    /// Where the client area sits inside the frame.
    pub fn offset(&self) -> Point<i32, Logical> {
        Point::from((self.left, self.top))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Button {
    Minimize,
    Maximize,
    Close,
}

impl Button {
    pub const ALL: [Button; 3] = [Button::Minimize, Button::Maximize, Button::Close];
}

/// What part of the frame a point is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecorationHit {
    Title,
    Button(Button),
    Edge(ResizeEdge),
}

/// The pointer shape over a frame edge or corner, and while resizing from it.
pub fn edge_cursor(edge: ResizeEdge) -> CursorIcon {
    match edge {
        ResizeEdge::Top => CursorIcon::NResize,
        ResizeEdge::Bottom => CursorIcon::SResize,
        ResizeEdge::Left => CursorIcon::WResize,
        ResizeEdge::Right => CursorIcon::EResize,
        ResizeEdge::TopLeft => CursorIcon::NwResize,
        ResizeEdge::TopRight => CursorIcon::NeResize,
        ResizeEdge::BottomLeft => CursorIcon::SwResize,
        ResizeEdge::BottomRight => CursorIcon::SeResize,
        _ => CursorIcon::Default,
    }
}

/// The rectangle of a title bar button, relative to the frame's top-left corner.
pub fn button_rect(button: Button, frame: Size<i32, Logical>, insets: &Insets) -> Rectangle<i32, Logical> {
    let size = insets.title;
    let index = match button {
        Button::Close => 1,
        Button::Maximize => 2,
        Button::Minimize => 3,
    };
    let x = frame.w - insets.right - index * size;
    Rectangle::new(Point::from((x, insets.top - insets.title)), Size::from((size, size)))
}

/// Classify a point given relative to the frame's top-left corner.
pub fn hit_test(
    point: Point<f64, Logical>,
    frame: Size<i32, Logical>,
    insets: &Insets,
    corner: i32,
) -> Option<DecorationHit> {
    let (x, y) = (point.x, point.y);
    let (w, h) = (frame.w as f64, frame.h as f64);
    if x < 0.0 || y < 0.0 || x >= w || y >= h {
        return None;
    }
    let left = x < insets.left as f64;
    let right = x >= w - insets.right as f64;
    let top = y < (insets.top - insets.title) as f64;
    let bottom = y >= h - insets.bottom as f64;
    let corner = corner as f64;
    if left || right || top || bottom {
        let near_left = x < corner;
        let near_right = x >= w - corner;
        let near_top = y < corner;
        let near_bottom = y >= h - corner;
        let edge = match (
            left || (near_left && (top || bottom)),
            right || (near_right && (top || bottom)),
            top || (near_top && (left || right)),
            bottom || (near_bottom && (left || right)),
        ) {
            (true, _, true, _) => ResizeEdge::TopLeft,
            (true, _, _, true) => ResizeEdge::BottomLeft,
            (_, true, true, _) => ResizeEdge::TopRight,
            (_, true, _, true) => ResizeEdge::BottomRight,
            (true, _, _, _) => ResizeEdge::Left,
            (_, true, _, _) => ResizeEdge::Right,
            (_, _, true, _) => ResizeEdge::Top,
            _ => ResizeEdge::Bottom,
        };
        return Some(DecorationHit::Edge(edge));
    }
    if insets.title > 0 && y < insets.top as f64 {
        for b in Button::ALL {
            if button_rect(b, frame, insets).to_f64().contains(point) {
                return Some(DecorationHit::Button(b));
            }
        }
        return Some(DecorationHit::Title);
    }
    None
}

/// The inputs a title bar image was drawn from; redraw when any differs.
#[derive(Debug, Clone, PartialEq)]
pub struct TitleKey {
    /// The VM whose `[name]` leads the bar; None for the GUI VM's own windows.
    pub vm: Option<String>,
    /// The window's title, sanitised.
    pub title: String,
    pub width: i32,
    pub height: i32,
    pub scale: i32,
    pub focused: bool,
    pub hover: Option<Button>,
    pub maximized: bool,
    pub bg: canopy_themes::Rgba,
    pub fg: canopy_themes::Rgba,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insets() -> Insets {
        Insets { left: 4, top: 30, right: 4, bottom: 4, title: 26 }
    }

    #[test]
    fn hits() {
        let frame = Size::from((208, 134));
        let i = insets();
        let hit = |x: f64, y: f64| hit_test(Point::from((x, y)), frame, &i, 16);
        assert_eq!(hit(100.0, 10.0), Some(DecorationHit::Title));
        assert_eq!(hit(100.0, 1.0), Some(DecorationHit::Edge(ResizeEdge::Top)));
        assert_eq!(hit(1.0, 1.0), Some(DecorationHit::Edge(ResizeEdge::TopLeft)));
        assert_eq!(hit(1.0, 60.0), Some(DecorationHit::Edge(ResizeEdge::Left)));
        assert_eq!(hit(1.0, 130.0), Some(DecorationHit::Edge(ResizeEdge::BottomLeft)));
        assert_eq!(hit(206.0, 60.0), Some(DecorationHit::Edge(ResizeEdge::Right)));
        assert_eq!(hit(100.0, 132.0), Some(DecorationHit::Edge(ResizeEdge::Bottom)));
        assert_eq!(hit(200.0, 132.0), Some(DecorationHit::Edge(ResizeEdge::BottomRight)));
        // Near a corner along the top edge counts as the corner.
        assert_eq!(hit(10.0, 1.0), Some(DecorationHit::Edge(ResizeEdge::TopLeft)));
        assert_eq!(hit(100.0, 60.0), None, "client area");
        assert_eq!(hit(-1.0, 60.0), None);
        // Buttons from the right: close, maximise, minimise.
        assert_eq!(hit(204.0 - 13.0, 17.0), Some(DecorationHit::Button(Button::Close)));
        assert_eq!(hit(204.0 - 39.0, 17.0), Some(DecorationHit::Button(Button::Maximize)));
        assert_eq!(hit(204.0 - 65.0, 17.0), Some(DecorationHit::Button(Button::Minimize)));
    }

    #[test]
    fn insets_grow_and_shrink() {
        let i = insets();
        let s = Size::from((200, 100));
        assert_eq!(i.grow(s), Size::from((208, 134)));
        assert_eq!(i.shrink(i.grow(s)), s);
    }
}
