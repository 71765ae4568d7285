//! ext-image-copy-capture-v1 for the GUI VM's own programs: a session copies an output or a
//! window (`image_capture_source`) into the client's shm buffers, frame after frame. A window is
//! taken as the user sees it, with its trust frame and title bar, cut from its output's render
//! (what Alt+Print saves). The first frame comes at once with full damage; each later one waits
//! until the source looks different from the last frame sent and reports the changed part
//! (`capture::waiting`). The pointer is painted in when the session asks (`paint_cursors`); a
//! separate cursor session is not offered (it stops at once). VMs never see the global.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use smithay::output::Output;
use smithay::reexports::wayland_protocols::ext::image_copy_capture::v1::server::{
    ext_image_copy_capture_cursor_session_v1::{self, ExtImageCopyCaptureCursorSessionV1},
    ext_image_copy_capture_frame_v1::{self, ExtImageCopyCaptureFrameV1, FailureReason},
    ext_image_copy_capture_manager_v1::{self, ExtImageCopyCaptureManagerV1, Options},
    ext_image_copy_capture_session_v1::{self, ExtImageCopyCaptureSessionV1},
};
use smithay::reexports::wayland_server::backend::{ClientId, GlobalId};
use smithay::reexports::wayland_server::protocol::wl_buffer::WlBuffer;
use smithay::reexports::wayland_server::{Client, DataInit, Dispatch, DisplayHandle, GlobalDispatch, New, Resource};
use smithay::utils::{Physical, Rectangle};

use super::image_capture_source::{Source, Target};
use crate::capture::shm::{copy_into, FORMATS};
use crate::capture::waiting::{news, sent, Seen};
use crate::client::may_see_global;
use crate::render::CursorMode;
use crate::state::{Canopy, State};

#[derive(Debug)]
pub struct ImageCopyCaptureState {
    _global: GlobalId,
}

impl ImageCopyCaptureState {
    pub fn new(dh: &DisplayHandle) -> Self {
        Self { _global: dh.create_global::<State, ExtImageCopyCaptureManagerV1, ()>(1, ()) }
    }
}

/// A capture session: its source, whether the pointer is painted, the buffer size last
/// announced, the image last sent (for damage), and whether a frame of it exists (one at a time).
#[derive(Debug)]
pub struct Session {
    source: Source,
    cursor: bool,
    size: Mutex<Option<(u32, u32)>>,
    seen: Seen,
    has_frame: Arc<AtomicBool>,
    stopped: AtomicBool,
}

impl Session {
    fn new(source: Source, cursor: bool) -> Self {
        Self {
            source,
            cursor,
            size: Mutex::new(None),
            seen: Mutex::new(None),
            has_frame: Arc::new(AtomicBool::new(false)),
            stopped: AtomicBool::new(false),
        }
    }
}

/// A frame: its session, the buffer attached, whether capture was asked, and the session's
/// one-frame slot it gives back when destroyed.
#[derive(Debug)]
pub struct Frame {
    session: ExtImageCopyCaptureSessionV1,
    buffer: Mutex<Option<WlBuffer>>,
    captured: AtomicBool,
    slot: Arc<AtomicBool>,
}

impl GlobalDispatch<ExtImageCopyCaptureManagerV1, ()> for State {
    fn bind(
        _: &mut Self,
        _: &DisplayHandle,
        _: &Client,
        resource: New<ExtImageCopyCaptureManagerV1>,
        _: &(),
        data_init: &mut DataInit<'_, Self>,
    ) {
        data_init.init(resource, ());
    }

    fn can_view(client: Client, _: &()) -> bool {
        may_see_global(&client, "ext_image_copy_capture_manager_v1")
    }
}

impl Dispatch<ExtImageCopyCaptureManagerV1, ()> for State {
    fn request(
        state: &mut Self,
        _: &Client,
        manager: &ExtImageCopyCaptureManagerV1,
        request: ext_image_copy_capture_manager_v1::Request,
        _: &(),
        _: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        use ext_image_copy_capture_manager_v1::Request;
        match request {
            Request::CreateSession { session, source, options } => {
                let Ok(options) = options.into_result() else {
                    manager.post_error(ext_image_copy_capture_manager_v1::Error::InvalidOption, "unknown options");
                    return;
                };
                let source = source.data::<Source>().cloned().unwrap_or(Source::Gone);
                let session = data_init.init(session, Session::new(source, options.contains(Options::PaintCursors)));
                announce_constraints(&state.canopy, &session);
            }
            Request::CreatePointerCursorSession { session, .. } => {
                data_init.init(session, AtomicBool::new(false));
            }
            _ => {}
        }
    }
}

/// Where a source is now: its output and the part of it to copy (none: all of it). None while
/// a window is not on any output (minimised).
fn locate(canopy: &Canopy, target: &Target) -> Option<(Output, Option<Rectangle<i32, Physical>>)> {
    match target {
        Target::Output(o) => Some((o.clone(), None)),
        Target::Window(w) => {
            let output = canopy.output_of_window(w)?;
            let mode = output.current_mode()?;
            let rect = canopy.window_on_output(w, &output)?.intersection(Rectangle::from_size(mode.size))?;
            Some((output, Some(rect)))
        }
    }
}

/// The buffer size `locate` gives.
fn size_of(output: &Output, rect: Option<Rectangle<i32, Physical>>) -> Option<(u32, u32)> {
    let size = rect.map(|r| r.size).or_else(|| output.current_mode().map(|m| m.size))?;
    Some((size.w as u32, size.h as u32))
}

/// Sends the session its buffer constraints (shm formats, size), or `stopped` when its source
/// is gone.
fn announce_constraints(canopy: &Canopy, session: &ExtImageCopyCaptureSessionV1) {
    let Some(data) = session.data::<Session>() else { return };
    let located = data.source.target(canopy).and_then(|t| locate(canopy, &t));
    let Some((w, h)) = located.and_then(|(o, r)| size_of(&o, r)) else {
        // A window not on screen has no size yet: it is announced when it is shown.
        if data.source.target(canopy).is_none() {
            stop(session);
        }
        return;
    };
    *data.size.lock().unwrap_or_else(|e| e.into_inner()) = Some((w, h));
    for format in FORMATS {
        session.shm_format(format);
    }
    session.buffer_size(w, h);
    session.done();
}

fn stop(session: &ExtImageCopyCaptureSessionV1) {
    if let Some(data) = session.data::<Session>() {
        if !data.stopped.swap(true, Ordering::Relaxed) {
            session.stopped();
        }
    }
}

impl Dispatch<ExtImageCopyCaptureSessionV1, Session> for State {
    fn request(
        _: &mut Self,
        _: &Client,
        session: &ExtImageCopyCaptureSessionV1,
        request: ext_image_copy_capture_session_v1::Request,
        data: &Session,
        _: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        if let ext_image_copy_capture_session_v1::Request::CreateFrame { frame } = request {
            if data.has_frame.swap(true, Ordering::Relaxed) {
                session.post_error(ext_image_copy_capture_session_v1::Error::DuplicateFrame, "a frame exists already");
                return;
            }
            data_init.init(
                frame,
                Frame {
                    session: session.clone(),
                    buffer: Mutex::new(None),
                    captured: AtomicBool::new(false),
                    slot: data.has_frame.clone(),
                },
            );
        }
    }
}

impl Dispatch<ExtImageCopyCaptureFrameV1, Frame> for State {
    fn request(
        state: &mut Self,
        _: &Client,
        resource: &ExtImageCopyCaptureFrameV1,
        request: ext_image_copy_capture_frame_v1::Request,
        frame: &Frame,
        _: &DisplayHandle,
        _: &mut DataInit<'_, Self>,
    ) {
        use ext_image_copy_capture_frame_v1::{Error, Request};
        let captured = frame.captured.load(Ordering::Relaxed);
        if captured && !matches!(request, Request::Destroy) {
            resource.post_error(Error::AlreadyCaptured, "the frame was captured already");
            return;
        }
        match request {
            Request::AttachBuffer { buffer } => *frame.buffer.lock().unwrap_or_else(|e| e.into_inner()) = Some(buffer),
            // The whole image is copied every time, so the client's damage only needs checking.
            Request::DamageBuffer { x, y, width, height } if x < 0 || y < 0 || width <= 0 || height <= 0 => {
                resource.post_error(Error::InvalidBufferDamage, "invalid buffer damage");
            }
            Request::Capture => {
                if frame.buffer.lock().unwrap_or_else(|e| e.into_inner()).is_none() {
                    resource.post_error(Error::NoBuffer, "capture without a buffer");
                    return;
                }
                frame.captured.store(true, Ordering::Relaxed);
                if try_capture(state, resource) {
                    return;
                }
                let resource = resource.clone();
                state.wait_for_damage(Box::new(move |state, _| !resource.is_alive() || try_capture(state, &resource)));
            }
            _ => {}
        }
    }

    fn destroyed(_: &mut Self, _: ClientId, _: &ExtImageCopyCaptureFrameV1, frame: &Frame) {
        frame.slot.store(false, Ordering::Relaxed);
    }
}

/// Copies the session's source into the frame's buffer and says it is ready, or that it
/// failed; false when it should wait (nothing changed since the last frame, or a window that
/// was captured before is not on screen now).
fn try_capture(state: &mut State, resource: &ExtImageCopyCaptureFrameV1) -> bool {
    let Some(frame) = resource.data::<Frame>() else { return true };
    let Some(session) = frame.session.data::<Session>() else { return true };
    let Some(buffer) = frame.buffer.lock().unwrap_or_else(|e| e.into_inner()).clone() else { return true };
    let first = session.seen.lock().unwrap_or_else(|e| e.into_inner()).is_none();
    let target = session.source.target(&state.canopy);
    if target.is_none() || !frame.session.is_alive() {
        stop(&frame.session);
    }
    if session.stopped.load(Ordering::Relaxed) {
        resource.failed(FailureReason::Stopped);
        return true;
    }
    let Some((output, rect)) = target.and_then(|t| locate(&state.canopy, &t)) else {
        if first {
            resource.failed(FailureReason::Unknown);
        }
        return first;
    };
    let cursor = if session.cursor { CursorMode::Draw } else { CursorMode::Hide };
    let image = match state.capture_image(&output, cursor, rect) {
        Ok(image) => image,
        Err(e) => {
            tracing::warn!("image copy capture: {e:#}");
            resource.failed(FailureReason::Unknown);
            return true;
        }
    };
    if *session.size.lock().unwrap_or_else(|e| e.into_inner()) != Some((image.width, image.height)) {
        // The output's mode or the window's size changed: new buffers are needed.
        announce_constraints(&state.canopy, &frame.session);
        resource.failed(FailureReason::BufferConstraints);
        return true;
    }
    let Some(damage) = news(&session.seen, &image) else { return false };
    if let Err(bad) = copy_into(&buffer, &image) {
        tracing::debug!("image copy capture: {}", bad.why());
        resource.failed(FailureReason::BufferConstraints);
        return true;
    }
    sent(&session.seen, image);
    if let Some(client) = resource.client() {
        state.canopy.capture_seen(&client, &output);
    }
    resource.transform(output.current_transform().into());
    resource.damage(damage.loc.x, damage.loc.y, damage.size.w, damage.size.h);
    let now = Duration::from(state.canopy.clock.now());
    let secs = now.as_secs();
    resource.presentation_time((secs >> 32) as u32, secs as u32, now.subsec_nanos());
    resource.ready();
    true
}

impl Dispatch<ExtImageCopyCaptureCursorSessionV1, AtomicBool> for State {
    fn request(
        _: &mut Self,
        _: &Client,
        cursor_session: &ExtImageCopyCaptureCursorSessionV1,
        request: ext_image_copy_capture_cursor_session_v1::Request,
        got_session: &AtomicBool,
        _: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        if let ext_image_copy_capture_cursor_session_v1::Request::GetCaptureSession { session } = request {
            if got_session.swap(true, Ordering::Relaxed) {
                cursor_session.post_error(
                    ext_image_copy_capture_cursor_session_v1::Error::DuplicateSession,
                    "get_capture_session sent twice",
                );
                return;
            }
            // The pointer is only offered painted into frames (`paint_cursors`).
            let session = data_init.init(session, Session::new(Source::Gone, false));
            stop(&session);
        }
    }
}
