//! wlr-screencopy (`zwlr_screencopy_manager_v1`, v3) for the GUI VM's own programs (grim,
//! wf-recorder): a frame is the output rendered afresh, exactly as `canopy msg screenshot`
//! renders it, copied into the client's shm buffer, whole or a region, with or without the
//! pointer. VMs never see the global (`may_see_global`; it is not on the proxy's allowlist).
//! Each copy is recorded for the capture indicator (`capture`).

use std::sync::atomic::{AtomicBool, Ordering};

use smithay::output::Output;
use smithay::reexports::wayland_protocols_wlr::screencopy::v1::server::zwlr_screencopy_frame_v1::{
    self, Flags, ZwlrScreencopyFrameV1,
};
use smithay::reexports::wayland_protocols_wlr::screencopy::v1::server::zwlr_screencopy_manager_v1::{
    self, ZwlrScreencopyManagerV1,
};
use smithay::reexports::wayland_server::backend::GlobalId;
use smithay::reexports::wayland_server::protocol::wl_buffer::WlBuffer;
use smithay::reexports::wayland_server::protocol::wl_shm;
use smithay::reexports::wayland_server::{Client, DataInit, Dispatch, DisplayHandle, GlobalDispatch, New, Resource};
use smithay::utils::{Physical, Rectangle};
use smithay::wayland::shm::with_buffer_contents_mut;

use crate::client::may_see_global;
use crate::render::screenshot::RgbaImage;
use crate::render::CursorMode;
use crate::state::State;

const VERSION: u32 = 3;

#[derive(Debug)]
pub struct ScreencopyState {
    _global: GlobalId,
}

impl ScreencopyState {
    pub fn new(dh: &DisplayHandle) -> Self {
        Self { _global: dh.create_global::<State, ZwlrScreencopyManagerV1, ()>(VERSION, ()) }
    }
}

/// One frame a client asked for: which output, which part of it (in buffer pixels), whether
/// the pointer is drawn, and whether it was copied already (a frame is copied once).
#[derive(Debug)]
pub struct Frame {
    output: Option<Output>,
    region: Rectangle<i32, Physical>,
    cursor: bool,
    used: AtomicBool,
}

impl GlobalDispatch<ZwlrScreencopyManagerV1, ()> for State {
    fn bind(
        _: &mut Self,
        _: &DisplayHandle,
        _: &Client,
        resource: New<ZwlrScreencopyManagerV1>,
        _: &(),
        data_init: &mut DataInit<'_, Self>,
    ) {
        data_init.init(resource, ());
    }

    fn can_view(client: Client, _: &()) -> bool {
        may_see_global(&client, "zwlr_screencopy_manager_v1")
    }
}

impl Dispatch<ZwlrScreencopyManagerV1, ()> for State {
    fn request(
        _: &mut Self,
        _: &Client,
        _: &ZwlrScreencopyManagerV1,
        request: zwlr_screencopy_manager_v1::Request,
        _: &(),
        _: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        use zwlr_screencopy_manager_v1::Request;
        let (frame, cursor, output, logical) = match request {
            Request::CaptureOutput { frame, overlay_cursor, output } => (frame, overlay_cursor, output, None),
            Request::CaptureOutputRegion { frame, overlay_cursor, output, x, y, width, height } => {
                (frame, overlay_cursor, output, Some(Rectangle::new((x, y).into(), (width, height).into())))
            }
            _ => return,
        };
        let output = Output::from_resource(&output);
        let region = output.as_ref().and_then(|o| buffer_region(o, logical)).unwrap_or_default();
        let usable = output.is_some() && !region.is_empty();
        let frame = data_init.init(
            frame,
            Frame { output: output.filter(|_| usable), region, cursor: cursor != 0, used: AtomicBool::new(false) },
        );
        if !usable {
            frame.failed();
            return;
        }
        let (w, h) = (region.size.w as u32, region.size.h as u32);
        frame.buffer(wl_shm::Format::Xrgb8888, w, h, w * 4);
        if frame.version() >= 3 {
            frame.buffer_done();
        }
    }
}

/// The part of `output` to copy, in its buffer's pixels: all of it, or the logical `region`
/// scaled and clipped to it (none when nothing of it is on the output).
fn buffer_region(
    output: &Output,
    region: Option<Rectangle<i32, smithay::utils::Logical>>,
) -> Option<Rectangle<i32, Physical>> {
    let mode = output.current_mode()?;
    let whole = Rectangle::from_size(mode.size);
    let Some(region) = region else { return Some(whole) };
    let scale = output.current_scale().fractional_scale();
    region.to_f64().to_physical(scale).to_i32_round().intersection(whole)
}

impl Dispatch<ZwlrScreencopyFrameV1, Frame> for State {
    fn request(
        state: &mut Self,
        client: &Client,
        resource: &ZwlrScreencopyFrameV1,
        request: zwlr_screencopy_frame_v1::Request,
        frame: &Frame,
        _: &DisplayHandle,
        _: &mut DataInit<'_, Self>,
    ) {
        use zwlr_screencopy_frame_v1::Request;
        let (buffer, with_damage) = match request {
            Request::Copy { buffer } => (buffer, false),
            Request::CopyWithDamage { buffer } => (buffer, true),
            _ => return,
        };
        if frame.used.swap(true, Ordering::Relaxed) {
            resource.post_error(zwlr_screencopy_frame_v1::Error::AlreadyUsed, "the frame was copied already");
            return;
        }
        let Some(output) = frame.output.clone() else { return };
        let cursor = if frame.cursor { CursorMode::Draw } else { CursorMode::Hide };
        // What a frame drawn now would show, as for `canopy msg screenshot`.
        state.canopy.announce_round();
        let image = match state.backend.screenshot(&state.canopy, &output, cursor) {
            Ok(image) => image,
            Err(e) => {
                tracing::warn!("screencopy: {e:#}");
                resource.failed();
                return;
            }
        };
        match copy_into(&buffer, &image, frame.region) {
            Ok(()) => {}
            Err(CopyError::Invalid(why)) => {
                resource.post_error(zwlr_screencopy_frame_v1::Error::InvalidBuffer, why);
                return;
            }
            Err(CopyError::Failed) => {
                resource.failed();
                return;
            }
        }
        state.canopy.capture_seen(client, &output);
        resource.flags(Flags::empty());
        if with_damage {
            // Every copy is rendered afresh, so all of it is new to the client.
            let size = frame.region.size;
            resource.damage(0, 0, size.w as u32, size.h as u32);
        }
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let secs = now.as_secs();
        resource.ready((secs >> 32) as u32, secs as u32, now.subsec_nanos());
    }
}

enum CopyError {
    Invalid(&'static str),
    Failed,
}

/// Writes `region` of `image` (RGBA) into the client's shm `buffer` (XRGB/ARGB8888, which is
/// B, G, R, A in memory), checking that the buffer is what the frame announced.
fn copy_into(buffer: &WlBuffer, image: &RgbaImage, region: Rectangle<i32, Physical>) -> Result<(), CopyError> {
    let (w, h) = (region.size.w as usize, region.size.h as usize);
    let (x0, y0) = (region.loc.x as usize, region.loc.y as usize);
    if x0 + w > image.width as usize || y0 + h > image.height as usize {
        return Err(CopyError::Failed);
    }
    let result = with_buffer_contents_mut(buffer, |ptr, len, data| {
        let format_ok = matches!(data.format, wl_shm::Format::Xrgb8888 | wl_shm::Format::Argb8888);
        let stride = data.stride as usize;
        if !format_ok || data.width as usize != w || data.height as usize != h || stride < w * 4 {
            return Err(CopyError::Invalid("the buffer is not the size and format the frame announced"));
        }
        let offset = data.offset as usize;
        // smithay checked that the buffer lies within its pool when it was created.
        if offset + stride * (h - 1) + w * 4 > len {
            return Err(CopyError::Invalid("the buffer lies beyond its pool"));
        }
        // SAFETY: `ptr` maps `len` bytes of the pool for this call, and the rows written lie
        // within it (checked above).
        let pool = unsafe { std::slice::from_raw_parts_mut(ptr, len) };
        let src_stride = image.width as usize * 4;
        for row in 0..h {
            let src = &image.data[(y0 + row) * src_stride + x0 * 4..][..w * 4];
            let dst = &mut pool[offset + row * stride..][..w * 4];
            for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
                d.copy_from_slice(&[s[2], s[1], s[0], 255]);
            }
        }
        Ok(())
    });
    match result {
        Ok(r) => r,
        Err(_) => Err(CopyError::Invalid("the buffer is not a shared-memory buffer")),
    }
}
