//! The shared drawing module: scenes of rectangles, text and icons, painted with tiny-skia
//! and fontdue into pixmaps that the Wayland side copies into wl_shm buffers.

pub mod geometry;
pub mod icons;
pub mod paint;
pub mod pixels;
pub mod render;
pub mod scene;
pub mod text;

pub use geometry::{IntRect, Rect};
pub use icons::Icons;
pub use paint::Painter;
pub use render::{render_offscreen, Renderer};
pub use scene::{Align, Paint, Scene};
pub use text::{Fonts, Weight};
