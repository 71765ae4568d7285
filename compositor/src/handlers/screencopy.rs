//! wlr-screencopy (`zwlr_screencopy_manager_v1`, v3) for the GUI VM's own programs (grim,
//! wf-recorder): a frame is the output rendered afresh, exactly as `canopy msg screenshot`
//! renders it, copied into the client's shm buffer, whole or a region, with or without the
//! pointer. `copy_with_damage` waits until the output looks different from the client's last
//! frame of it and reports the changed part (`capture::waiting`). VMs never see the global (`may_see_global`; it is not on the proxy's allowlist).
//! Each copy is recorded for the capture indicator (`capture`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

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

use crate::capture::shm::copy_into;
use crate::capture::waiting::{news, sent, Seen};
use crate::client::may_see_global;
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
/// the pointer is drawn, whether it was copied already (a frame is copied once), and what the
/// client last got of the same output, region and pointer (for damage).
#[derive(Debug)]
pub struct Frame {
    output: Option<Output>,
    region: Rectangle<i32, Physical>,
    cursor: bool,
    used: AtomicBool,
    seen: Arc<Seen>,
}

/// How many (output, region, pointer) images one manager keeps for damage.
const MAX_SEEN: usize = 8;

/// Output name, region (x, y, w, h) and whether the pointer is drawn.
type SeenKey = (String, [i32; 4], bool);

/// Per manager (one client's recorder or grim): the last image sent for each output, region and
/// pointer choice, so `copy_with_damage` can wait for a change and report it.
#[derive(Debug, Default)]
pub struct ManagerData {
    seen: Mutex<HashMap<SeenKey, Arc<Seen>>>,
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
        data_init.init(resource, ManagerData::default());
    }

    fn can_view(client: Client, _: &()) -> bool {
        may_see_global(&client, "zwlr_screencopy_manager_v1")
    }
}

impl Dispatch<ZwlrScreencopyManagerV1, ManagerData> for State {
    fn request(
        _: &mut Self,
        _: &Client,
        _: &ZwlrScreencopyManagerV1,
        request: zwlr_screencopy_manager_v1::Request,
        manager: &ManagerData,
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
        let cursor = cursor != 0;
        let key = (
            output.as_ref().map(|o| o.name()).unwrap_or_default(),
            [region.loc.x, region.loc.y, region.size.w, region.size.h],
            cursor,
        );
        let mut all = manager.seen.lock().unwrap_or_else(|e| e.into_inner());
        if all.len() >= MAX_SEEN && !all.contains_key(&key) {
            // A client capturing ever new regions keeps only the latest few images; a region
            // it comes back to counts as new (full damage).
            all.clear();
        }
        let seen = all.entry(key).or_default().clone();
        drop(all);
        let frame = data_init.init(
            frame,
            Frame { output: output.filter(|_| usable), region, cursor, used: AtomicBool::new(false), seen },
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
        _: &Client,
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
        if try_copy(state, resource, &buffer, with_damage) {
            return;
        }
        // Nothing changed since this client's last frame of this output: answer once it does.
        let resource = resource.clone();
        state.wait_for_damage(Box::new(move |state, rendered| {
            !resource.is_alive() || (*rendered == output && try_copy(state, &resource, &buffer, true))
        }));
    }
}

/// Copies the frame into `buffer` and says it is ready; with damage, only if the output changed
/// since the client's last frame of it. True when the frame is answered (ready or failed).
fn try_copy(state: &mut State, resource: &ZwlrScreencopyFrameV1, buffer: &WlBuffer, with_damage: bool) -> bool {
    let Some(frame) = resource.data::<Frame>() else { return true };
    let Some(output) = frame.output.as_ref() else { return true };
    if !buffer.is_alive() {
        resource.failed();
        return true;
    }
    let cursor = if frame.cursor { CursorMode::Draw } else { CursorMode::Hide };
    let image = match state.capture_image(output, cursor, Some(frame.region)) {
        Ok(image) => image,
        Err(e) => {
            tracing::warn!("screencopy: {e:#}");
            resource.failed();
            return true;
        }
    };
    let damage = news(&frame.seen, &image);
    let damage = match (damage, with_damage) {
        (None, true) => return false,
        // A plain copy reports no damage; it is answered at once all the same.
        (d, _) => d,
    };
    if let Err(bad) = copy_into(buffer, &image) {
        resource.post_error(zwlr_screencopy_frame_v1::Error::InvalidBuffer, bad.why());
        return true;
    }
    sent(&frame.seen, image);
    if let Some(client) = resource.client() {
        state.canopy.capture_seen(&client, output);
    }
    resource.flags(Flags::empty());
    if let (Some(d), true) = (damage, with_damage) {
        resource.damage(d.loc.x as u32, d.loc.y as u32, d.size.w as u32, d.size.h as u32);
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = now.as_secs();
    resource.ready((secs >> 32) as u32, secs as u32, now.subsec_nanos());
    true
}
