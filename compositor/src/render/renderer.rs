//! One name for what every canopy render function asks of a renderer, so the bounds are written
//! once: pixman (headless, screenshots) and GLES (udev, winit) both satisfy it.

use smithay::backend::renderer::{ImportAll, ImportMem, Renderer, Texture};

/// A renderer canopy can draw an output with: it imports client buffers and canopy's own pixel
/// buffers (title bars, notices), and its textures can be kept across frames.
pub trait CanopyRenderer: Renderer<TextureId: Clone + Texture + Send + 'static> + ImportAll + ImportMem {}

impl<R> CanopyRenderer for R where R: Renderer<TextureId: Clone + Texture + Send + 'static> + ImportAll + ImportMem {}
