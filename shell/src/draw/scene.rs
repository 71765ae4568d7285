//! A retained scene: the flat list of painted items that a surface shows, in paint order.
//!
//! Apps build a new scene whenever their state changes; the renderer compares it with the
//! previous one and repaints (and reports to the compositor) only what differs.

use std::sync::Arc;

use canopy_common::image::RgbaImage;
use canopy_themes::Rgba;

use canopy_text::Weight;

use super::geometry::{IntRect, Rect};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Start,
    Centre,
    End,
}

/// One line of text, vertically centred in its item's rectangle and clipped to it. Text
/// wider than the rectangle is shortened with an ellipsis.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub text: String,
    /// Size in logical pixels.
    pub size: f32,
    pub weight: Weight,
    pub colour: Rgba,
    pub align: Align,
}

/// A window's title as the trusted UI shows it: `[vm]` at the left edge as its own run, then
/// the title isolated from it (see `canopy_text::title`), shortened at the title's own end.
#[derive(Debug, Clone, PartialEq)]
pub struct Title {
    /// The VM the window comes from; None for the GUI VM's own windows.
    pub vm: Option<String>,
    pub title: String,
    pub size: f32,
    pub weight: Weight,
    pub colour: Rgba,
}

/// A one-line text field's text and caret (a byte offset), drawn aligned as the text reads
/// and scrolled to keep the caret in view.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub text: String,
    /// Where the caret stands; None hides it.
    pub caret: Option<usize>,
    pub size: f32,
    pub weight: Weight,
    pub colour: Rgba,
    pub caret_colour: Rgba,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Paint {
    /// A filled (optionally rounded) rectangle.
    Fill {
        colour: Rgba,
        radius: f32,
    },
    /// An outline drawn inside the rectangle.
    Stroke {
        colour: Rgba,
        width: f32,
        radius: f32,
    },
    Text(Text),
    Title(Title),
    Field(Field),
    /// An icon (see [`super::icons`]) fitted into the rectangle, optionally tinted.
    Icon {
        name: String,
        tint: Option<Rgba>,
    },
    /// A picture (straight RGBA) scaled to fit the rectangle, keeping its shape, centred.
    Image(Arc<RgbaImage>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub rect: Rect,
    pub paint: Paint,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    /// Logical size of the surface.
    pub width: f32,
    pub height: f32,
    pub background: Rgba,
    pub items: Vec<Item>,
}

impl Scene {
    pub fn new(width: f32, height: f32, background: Rgba) -> Self {
        Self { width, height, background, items: Vec::new() }
    }

    pub fn fill(&mut self, rect: Rect, colour: Rgba, radius: f32) {
        self.items.push(Item { rect, paint: Paint::Fill { colour, radius } });
    }

    pub fn stroke(&mut self, rect: Rect, colour: Rgba, width: f32, radius: f32) {
        self.items.push(Item { rect, paint: Paint::Stroke { colour, width, radius } });
    }

    pub fn text(&mut self, rect: Rect, text: impl Into<String>, size: f32, weight: Weight, colour: Rgba, align: Align) {
        let text = Text { text: text.into(), size, weight, colour, align };
        self.items.push(Item { rect, paint: Paint::Text(text) });
    }

    pub fn title(&mut self, rect: Rect, vm: Option<&str>, title: &str, size: f32, weight: Weight, colour: Rgba) {
        let t = Title { vm: vm.map(str::to_string), title: title.to_string(), size, weight, colour };
        self.items.push(Item { rect, paint: Paint::Title(t) });
    }

    pub fn field(&mut self, rect: Rect, field: Field) {
        self.items.push(Item { rect, paint: Paint::Field(field) });
    }

    pub fn icon(&mut self, rect: Rect, name: impl Into<String>, tint: Option<Rgba>) {
        self.items.push(Item { rect, paint: Paint::Icon { name: name.into(), tint } });
    }

    pub fn image(&mut self, rect: Rect, image: Arc<RgbaImage>) {
        self.items.push(Item { rect, paint: Paint::Image(image) });
    }

    /// Device size of the surface's buffer at `scale`.
    pub fn device_size(&self, scale: f32) -> (u32, u32) {
        (((self.width * scale).round() as u32).max(1), ((self.height * scale).round() as u32).max(1))
    }

    /// Device rectangles that differ between `old` and this scene: the places of items that
    /// vanished or changed, and of items that are new. Everything when the size or
    /// background changed.
    pub fn damage_since(&self, old: &Scene, scale: f32) -> Vec<IntRect> {
        let (w, h) = self.device_size(scale);
        let full = IntRect::new(0, 0, w as i32, h as i32);
        if old.width != self.width || old.height != self.height || old.background != self.background {
            return vec![full];
        }
        let gone = old.items.iter().filter(|i| !self.items.contains(i));
        let new = self.items.iter().filter(|i| !old.items.contains(i));
        gone.chain(new).map(|i| i.rect.to_device(scale).intersect(&full)).filter(|r| !r.is_empty()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scene() -> Scene {
        let mut s = Scene::new(100.0, 20.0, Rgba::rgb(0, 0, 0));
        s.fill(Rect::new(0.0, 0.0, 10.0, 20.0), Rgba::rgb(1, 2, 3), 0.0);
        s.text(
            Rect::new(20.0, 0.0, 30.0, 20.0),
            "12:00",
            13.0,
            Weight::Regular,
            Rgba::rgb(255, 255, 255),
            Align::Centre,
        );
        s
    }

    #[test]
    fn unchanged_scene_has_no_damage() {
        assert!(scene().damage_since(&scene(), 1.0).is_empty());
    }

    #[test]
    fn changed_item_damages_its_rect_only() {
        let old = scene();
        let mut new = scene();
        if let Paint::Text(t) = &mut new.items[1].paint {
            t.text = "12:01".into();
        }
        let d = new.damage_since(&old, 2.0);
        assert_eq!(d, vec![IntRect::new(40, 0, 60, 40), IntRect::new(40, 0, 60, 40)]);
    }

    #[test]
    fn moved_item_damages_old_and_new_place() {
        let old = scene();
        let mut new = scene();
        new.items[0].rect.x = 50.0;
        let d = new.damage_since(&old, 1.0);
        assert!(d.contains(&IntRect::new(0, 0, 10, 20)) && d.contains(&IntRect::new(50, 0, 10, 20)), "{d:?}");
    }

    #[test]
    fn resize_damages_everything() {
        let old = scene();
        let mut new = scene();
        new.width = 120.0;
        assert_eq!(new.damage_since(&old, 1.0), vec![IntRect::new(0, 0, 120, 20)]);
    }
}
