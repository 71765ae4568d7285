//! The frame around a VM's popups and menus: a ring in the VM's colour as wide as a window
//! border, and a tab above its top-left corner naming the VM, so a popup showing a picture of
//! another VM's window still reads as this VM's. With the rule that a popup never reaches above
//! its window's content (`wm::popups`), it cannot cover or imitate its own title bar.

use canopy_text::{Clip, Weight};
use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::element::memory::MemoryRenderBuffer;
use smithay::utils::Transform;
use tiny_skia::{Color, Pixmap};

use super::Fonts;

/// Height of the name tab above a VM popup, in logical pixels.
pub const LABEL_HEIGHT: i32 = 16;
const LABEL_FONT: f32 = 11.0;
const LABEL_PAD: i32 = 5;

/// The widths of a VM popup's frame: the ring around it, and the ring plus the tab on top.
pub fn popup_margins(theme: &canopy_themes::Theme) -> (i32, i32) {
    let ring = theme.decoration.popup_frame.max(theme.decoration.border_width) as i32;
    (ring, ring + LABEL_HEIGHT)
}

/// Render resources of one popup's frame, kept while the popup lives.
#[derive(Debug, Default)]
pub struct PopupFrame {
    /// The ring and the black behind the popup's content.
    pub frame: super::solid_frame::SolidFrame,
    /// The tab's image, the inputs it was drawn from, and its logical width.
    pub label: Option<(LabelKey, MemoryRenderBuffer, i32)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LabelKey {
    /// The VM's name (from the config, never from the VM), drawn as `[vm]`.
    pub vm: String,
    pub scale: i32,
    pub bg: canopy_themes::Rgba,
    pub fg: canopy_themes::Rgba,
}

impl PopupFrame {
    /// The tab's image for `key` (drawn again only when it changed) and its logical width.
    pub fn label(&mut self, fonts: &Fonts, key: LabelKey) -> (MemoryRenderBuffer, i32) {
        if let Some((k, buffer, w)) = &self.label {
            if *k == key {
                return (buffer.clone(), *w);
            }
        }
        let (buffer, w) = draw_label(fonts, &key);
        self.label = Some((key, buffer.clone(), w));
        (buffer, w)
    }
}

/// Widest tab image, in device pixels.
const MAX_LABEL_PIXELS: i32 = 2048;

/// The tab: `[vm]` laid out as the title bars lay out their prefix (canopy-text's title line
/// with no title).
fn draw_label(fonts: &Fonts, key: &LabelKey) -> (MemoryRenderBuffer, i32) {
    let s = key.scale.max(1);
    let (px, pad) = (LABEL_FONT * s as f32, LABEL_PAD * s);
    let line = fonts.title(Some(&key.vm), "", Weight::Bold, px, (MAX_LABEL_PIXELS - 2 * pad) as f32);
    // A whole number of logical pixels wide, so the tab's logical width is exact.
    let text_w = (line.width().ceil() as i32 + s - 1) / s * s;
    let (pw, ph) = ((text_w + 2 * pad).clamp(s, MAX_LABEL_PIXELS), LABEL_HEIGHT * s);
    let mut pixmap = Pixmap::new(pw as u32, ph as u32).expect("label size");
    pixmap.fill(Color::from_rgba8(key.bg.r, key.bg.g, key.bg.b, 255));
    let (ascent, descent) = fonts.metrics(Weight::Bold, px);
    let baseline = ((ph as f32 - (ascent + descent)) / 2.0 + ascent).round();
    fonts.draw_title(&mut pixmap.as_mut(), &line, pad as f32, baseline, key.fg, Clip::new(0, 0, pw - pad, ph));
    let buffer = MemoryRenderBuffer::from_slice(pixmap.data(), Fourcc::Abgr8888, (pw, ph), s, Transform::Normal, None);
    (buffer, pw / s)
}
