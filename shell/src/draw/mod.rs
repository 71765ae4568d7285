//! The shared drawing module: scenes of rectangles, text and icons, painted with tiny-skia
//! and canopy-text into pixmaps that the Wayland side copies into wl_shm buffers.

pub mod geometry;
pub mod icons;
pub mod offscreen;
pub mod paint;
pub mod pixels;
pub mod render;
pub mod scene;
pub mod text;

pub use canopy_text::{Fonts, TextField, Weight};
pub use geometry::{IntRect, Rect};
pub use icons::Icons;
pub use paint::Painter;
pub use render::{render_offscreen, Renderer};
pub use scene::{Align, Field, Paint, Scene, Title};
