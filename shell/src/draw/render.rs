//! Keeps a surface's current image and repaints only what changed between scenes.

use tiny_skia::Pixmap;

use super::geometry::{merge_damage, IntRect};
use super::paint::Painter;
use super::scene::Scene;

/// More damage rectangles than this are sent as one bounding box.
const MAX_DAMAGE_RECTS: usize = 6;

/// The image of one surface at one scale, and the scene it shows.
#[derive(Default)]
pub struct Renderer {
    image: Option<Pixmap>,
    scale: f32,
    shown: Option<Scene>,
}

impl Renderer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Brings the image up to date with `scene` at `scale`; returns the device rectangles that
    /// changed (empty when nothing did).
    pub fn render(&mut self, painter: &Painter<'_>, scene: &Scene, scale: f32) -> Vec<IntRect> {
        let (w, h) = scene.device_size(scale);
        let reuse = self.scale == scale
            && self.image.as_ref().is_some_and(|p| p.width() == w && p.height() == h)
            && self.shown.is_some();
        let damage = if reuse {
            merge_damage(scene.damage_since(self.shown.as_ref().unwrap(), scale), MAX_DAMAGE_RECTS)
        } else {
            self.image = Some(Pixmap::new(w, h).expect("non-empty surface"));
            self.scale = scale;
            vec![IntRect::new(0, 0, w as i32, h as i32)]
        };
        let image = self.image.as_mut().unwrap();
        for region in &damage {
            painter.paint_region(scene, scale, *region, image);
        }
        self.shown = Some(scene.clone());
        damage
    }

    /// The current image (premultiplied RGBA); None before the first render.
    pub fn image(&self) -> Option<&Pixmap> {
        self.image.as_ref()
    }

    /// Forgets the shown scene so that the next render repaints everything.
    pub fn invalidate(&mut self) {
        self.shown = None;
    }
}

/// Renders a whole scene at `scale` into a new pixmap (offscreen: tests, golden images).
pub fn render_offscreen(painter: &Painter<'_>, scene: &Scene, scale: f32) -> Pixmap {
    let mut r = Renderer::new();
    r.render(painter, scene, scale);
    r.image.take().unwrap()
}
