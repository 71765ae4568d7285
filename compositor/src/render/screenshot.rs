//! Screenshots: a full render of an output into an offscreen buffer, read back as RGBA. The
//! same path serves every backend, so a headless golden image and a screen agree.

use anyhow::Context;
use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::{Bind, ExportMem, Offscreen};
use smithay::output::Output;
use smithay::utils::{Buffer, Rectangle, Size};

use super::CanopyRenderer;
use crate::render::{output_elements, CursorMode};
use crate::state::Canopy;

/// What a screenshot is, and how it is written to a PNG file.
pub use canopy_common::image::RgbaImage;

/// Render `output` afresh with `renderer` and read it back.
pub fn capture<R, T>(
    renderer: &mut R,
    canopy: &Canopy,
    output: &Output,
    cursor: CursorMode,
) -> anyhow::Result<RgbaImage>
where
    R: CanopyRenderer + Offscreen<T> + Bind<T> + ExportMem,
    R::Error: Send + Sync + 'static,
{
    let mode = output.current_mode().context("output has no mode")?;
    let size: Size<i32, Buffer> = (mode.size.w, mode.size.h).into();
    let elements = output_elements(renderer, canopy, output, cursor);
    let mut target: T = renderer.create_buffer(Fourcc::Abgr8888, size).context("offscreen buffer")?;
    let mut tracker = OutputDamageTracker::from_output(output);
    let bg = canopy.config.theme.desktop.background.premultiplied_f32();
    let mapping = {
        let mut fb = renderer.bind(&mut target).context("binding the offscreen buffer")?;
        tracker.render_output(renderer, &mut fb, 0, &elements, bg).map_err(|e| anyhow::anyhow!("rendering: {e:?}"))?;
        renderer.copy_framebuffer(&fb, Rectangle::from_size(size), Fourcc::Abgr8888).context("reading back")?
    };
    let bytes = renderer.map_texture(&mapping).context("mapping the pixels")?;
    let (w, h) = (size.w as usize, size.h as usize);
    let stride = bytes.len() / h.max(1);
    let mut data = Vec::with_capacity(w * h * 4);
    for row in 0..h {
        data.extend_from_slice(&bytes[row * stride..row * stride + w * 4]);
    }
    // Abgr8888 is R,G,B,A in memory; the output is opaque but make sure of it.
    for px in data.chunks_exact_mut(4) {
        px[3] = 255;
    }
    Ok(RgbaImage { width: w as u32, height: h as u32, data })
}
