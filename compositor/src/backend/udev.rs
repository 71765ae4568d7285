//! The laptop backend: a libseat session, DRM/KMS on every connected connector (preferred
//! mode, hotplug through udev), GBM buffers rendered with GLES, or dumb buffers rendered with
//! pixman (when EGL is not available, or with CANOPY_RENDERER=pixman), the pointer on the
//! cursor plane where there is one, libinput devices, and VT switching.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Context;
use smithay::backend::allocator::dumb::DumbAllocator;
use smithay::backend::allocator::gbm::{GbmAllocator, GbmBufferFlags, GbmDevice};
use smithay::backend::allocator::Fourcc;
use smithay::backend::drm::compositor::{DrmCompositor, FrameFlags};
use smithay::backend::drm::exporter::gbm::GbmFramebufferExporter;
use smithay::backend::drm::{DrmDevice, DrmDeviceFd, DrmEvent, DrmNode};
use smithay::backend::egl::{EGLContext, EGLDisplay};
use smithay::backend::libinput::{LibinputInputBackend, LibinputSessionInterface};
use smithay::backend::renderer::gles::{GlesRenderer, GlesTexture};
use smithay::backend::renderer::pixman::PixmanRenderer;
use smithay::backend::renderer::Bind;
use smithay::backend::session::libseat::LibSeatSession;
use smithay::backend::session::{Event as SessionEvent, Session};
use smithay::backend::udev::{UdevBackend, UdevEvent};
use smithay::output::{Mode as OutputMode, Output, PhysicalProperties, Scale, Subpixel};
use smithay::reexports::calloop::{LoopHandle, RegistrationToken};
use smithay::reexports::drm::control::{connector, crtc, Device as ControlDevice, ModeTypeFlags};
use smithay::reexports::input::Libinput;
use smithay::reexports::pixman;
use smithay::reexports::rustix::fs::OFlags;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{DeviceFd, Transform};

use crate::render::screenshot::{capture, RgbaImage};
use crate::render::{output_elements, CursorMode};
use crate::state::{output_redraw, Canopy, State};

type GbmDrmCompositor = DrmCompositor<GbmAllocator<DrmDeviceFd>, GbmFramebufferExporter<DrmDeviceFd>, (), DrmDeviceFd>;
/// Pixman draws with the CPU into dumb buffers: linear and mappable, which GBM buffers of
/// drivers without modifiers (virtio-gpu, simpledrm) are not known to be.
type DumbDrmCompositor = DrmCompositor<DumbAllocator, DrmDeviceFd, (), DrmDeviceFd>;

enum DeviceRenderer {
    Gles(Box<GlesRenderer>),
    Pixman(PixmanRenderer),
}

/// A head's scanout buffers, matching its device's renderer.
enum HeadCompositor {
    Gbm(Box<GbmDrmCompositor>),
    Dumb(Box<DumbDrmCompositor>),
}

/// Runs `$body` with `$c` bound to the head's compositor, whichever buffers it uses.
macro_rules! with_compositor {
    ($compositor:expr, |$c:ident| $body:expr) => {
        match $compositor {
            HeadCompositor::Gbm($c) => $body,
            HeadCompositor::Dumb($c) => $body,
        }
    };
}

struct Head {
    output: Output,
    connector: connector::Handle,
    compositor: HeadCompositor,
}

struct Device {
    drm: DrmDevice,
    fd: DrmDeviceFd,
    /// GLES's buffers, and the cursor plane's buffers for either renderer; None when GBM
    /// cannot be used on this device.
    gbm: Option<GbmDevice<DrmDeviceFd>>,
    renderer: DeviceRenderer,
    heads: HashMap<crtc::Handle, Head>,
    token: RegistrationToken,
}

pub struct Udev {
    session: LibSeatSession,
    libinput: Libinput,
    devices: HashMap<libc::dev_t, Device>,
    handle: LoopHandle<'static, State>,
    /// GPUs found at start, opened once the desktop state exists.
    initial: Vec<(libc::dev_t, PathBuf)>,
}

impl Udev {
    pub fn new(handle: &LoopHandle<'static, State>) -> anyhow::Result<Self> {
        let (session, notifier) =
            LibSeatSession::new().context("opening a libseat session (is seatd or logind running?)")?;
        handle
            .insert_source(notifier, |event, _, state| state.on_session_event(event))
            .map_err(|e| anyhow::anyhow!("session source: {e}"))?;

        let udev = UdevBackend::new(session.seat()).context("udev")?;
        let initial: Vec<(libc::dev_t, PathBuf)> =
            udev.device_list().map(|(id, path)| (id, path.to_path_buf())).collect();
        handle
            .insert_source(udev, |event, _, state| match event {
                UdevEvent::Added { device_id, path } => {
                    if let Err(e) = state.udev_device_added(device_id, &path) {
                        tracing::warn!(path = %path.display(), "GPU not used: {e:#}");
                    }
                }
                UdevEvent::Changed { device_id } => state.udev_scan_connectors(device_id),
                UdevEvent::Removed { device_id } => state.udev_device_removed(device_id),
            })
            .map_err(|e| anyhow::anyhow!("udev source: {e}"))?;

        let mut libinput = Libinput::new_with_udev::<LibinputSessionInterface<LibSeatSession>>(session.clone().into());
        libinput
            .udev_assign_seat(&session.seat())
            .map_err(|()| anyhow::anyhow!("libinput: cannot assign seat {}", session.seat()))?;
        handle
            .insert_source(LibinputInputBackend::new(libinput.clone()), |event, _, state| {
                state.process_input_event(event)
            })
            .map_err(|e| anyhow::anyhow!("libinput source: {e}"))?;

        Ok(Udev { session, libinput, devices: HashMap::new(), handle: handle.clone(), initial })
    }

    pub fn early_import(&mut self, _surface: &WlSurface) {}

    pub fn switch_vt(&mut self, vt: i32) {
        if let Err(e) = self.session.change_vt(vt) {
            tracing::warn!(vt, "VT switch failed: {e}");
        }
    }

    fn head_mut(&mut self, output: &Output) -> Option<(&mut DeviceRenderer, &mut Head)> {
        self.devices.values_mut().find_map(|d| {
            let renderer = &mut d.renderer;
            d.heads.values_mut().find(|h| &h.output == output).map(|h| (renderer, h))
        })
    }

    pub fn render(&mut self, canopy: &mut Canopy, output: &Output) -> anyhow::Result<bool> {
        if !self.session.is_active() {
            return Ok(false);
        }
        let Some((renderer, head)) = self.head_mut(output) else { return Ok(false) };
        let bg = canopy.config.theme.desktop.background.premultiplied_f32();
        // Each renderer draws into the buffers it can bind (see `scanout_for`).
        let result = match (renderer, &mut head.compositor) {
            (DeviceRenderer::Gles(r), HeadCompositor::Gbm(c)) => {
                let elements = output_elements(r.as_mut(), canopy, &head.output, CursorMode::Draw);
                c.render_frame(r.as_mut(), &elements, bg, FrameFlags::DEFAULT)
                    .map(|f| f.is_empty)
                    .map_err(|e| anyhow::anyhow!("render: {e:?}"))
            }
            (DeviceRenderer::Pixman(r), HeadCompositor::Dumb(c)) => {
                let elements = output_elements(r, canopy, &head.output, CursorMode::Draw);
                c.render_frame(r, &elements, bg, FrameFlags::DEFAULT)
                    .map(|f| f.is_empty)
                    .map_err(|e| anyhow::anyhow!("render: {e:?}"))
            }
            _ => anyhow::bail!("the head's buffers do not fit the device's renderer"),
        };
        if result? {
            return Ok(false);
        }
        with_compositor!(&mut head.compositor, |c| c.queue_frame(()).map_err(|e| anyhow::anyhow!("{e:?}")))
            .context("queueing the frame")?;
        Ok(true)
    }

    /// Off clears the head (DPMS off, planes disabled). On makes its next frame a full one (not
    /// skipped as unchanged), and queueing that frame turns the head on.
    pub fn set_output_power(&mut self, output: &Output, on: bool) {
        let Some((_, head)) = self.head_mut(output) else { return };
        let result = with_compositor!(&mut head.compositor, |c| if on { c.reset_state() } else { c.clear() });
        if let Err(e) = result {
            tracing::warn!(output = output.name(), on, "setting the output's power: {e:?}");
        }
    }

    pub fn screenshot(
        &mut self,
        canopy: &Canopy,
        output: &Output,
        cursor: crate::render::CursorMode,
    ) -> anyhow::Result<RgbaImage> {
        let device = self
            .devices
            .values_mut()
            .find(|d| d.heads.values().any(|h| &h.output == output))
            .context("no such output")?;
        match &mut device.renderer {
            DeviceRenderer::Gles(r) => capture::<_, GlesTexture>(r.as_mut(), canopy, output, cursor),
            DeviceRenderer::Pixman(r) => capture::<_, pixman::Image<'static, 'static>>(r, canopy, output, cursor),
        }
    }
}

/// `eDP-1`, `HDMI-A-2`: the names people know from other compositors.
fn connector_name(info: &connector::Info) -> String {
    format!("{}-{}", info.interface().as_str(), info.interface_id())
}

impl State {
    fn udev(&mut self) -> Option<&mut Udev> {
        match &mut self.backend {
            crate::backend::Backend::Udev(u) => Some(u),
            _ => None,
        }
    }

    /// Open the GPUs found at start; called once the desktop state exists.
    pub fn udev_start(&mut self) -> anyhow::Result<()> {
        let initial = self.udev().map(|u| std::mem::take(&mut u.initial)).unwrap_or_default();
        for (id, path) in initial {
            if let Err(e) = self.udev_device_added(id, &path) {
                tracing::warn!(path = %path.display(), "GPU not used: {e:#}");
            }
        }
        if self.canopy.outputs.is_empty() {
            anyhow::bail!("no connected display found on any GPU");
        }
        Ok(())
    }

    fn udev_device_added(&mut self, id: libc::dev_t, path: &std::path::Path) -> anyhow::Result<()> {
        let Some(udev) = self.udev() else { return Ok(()) };
        let fd = udev
            .session
            .open(path, OFlags::RDWR | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK)
            .with_context(|| format!("opening {}", path.display()))?;
        let fd = DrmDeviceFd::new(DeviceFd::from(fd));
        let (drm, notifier) = DrmDevice::new(fd.clone(), true).context("DRM device")?;
        let gbm =
            GbmDevice::new(fd.clone()).inspect_err(|e| tracing::warn!(path = %path.display(), "no GBM: {e}")).ok();
        let renderer = make_renderer(gbm.as_ref());
        let token = udev
            .handle
            .insert_source(notifier, move |event, _, state| match event {
                DrmEvent::VBlank(crtc) => state.udev_vblank(id, crtc),
                DrmEvent::Error(e) => tracing::warn!("DRM error: {e}"),
            })
            .map_err(|e| anyhow::anyhow!("DRM event source: {e}"))?;
        let node = DrmNode::from_dev_id(id).map(|n| n.to_string()).unwrap_or_default();
        tracing::info!(path = %path.display(), node, renderer = match renderer { DeviceRenderer::Gles(_) => "gles", DeviceRenderer::Pixman(_) => "pixman" }, "GPU opened");
        udev.devices.insert(id, Device { drm, fd, gbm, renderer, heads: HashMap::new(), token });
        self.udev_scan_connectors(id);
        Ok(())
    }

    fn udev_device_removed(&mut self, id: libc::dev_t) {
        let Some(udev) = self.udev() else { return };
        let Some(device) = udev.devices.remove(&id) else { return };
        udev.handle.remove(device.token);
        for head in device.heads.into_values() {
            self.canopy.remove_output(&head.output);
        }
    }

    /// Match heads to connected connectors: new connectors get an output, gone ones lose it.
    pub fn udev_scan_connectors(&mut self, id: libc::dev_t) {
        let mut added = Vec::new();
        let mut removed = Vec::new();
        let lid_off = self.canopy.power.clamshell.clone();
        {
            let config = self.canopy.config.clone();
            let Some(udev) = self.udev() else { return };
            let Some(device) = udev.devices.get_mut(&id) else { return };
            let Ok(res) = device.drm.resource_handles() else { return };
            let connected: Vec<connector::Info> = res
                .connectors()
                .iter()
                .filter_map(|c| device.drm.get_connector(*c, true).ok())
                .filter(|c| c.state() == connector::State::Connected)
                .collect();
            device.heads.retain(|_, head| {
                let keep = connected.iter().any(|c| c.handle() == head.connector);
                if !keep {
                    removed.push(head.output.clone());
                }
                keep
            });
            for info in connected {
                if device.heads.values().any(|h| h.connector == info.handle()) {
                    continue;
                }
                let name = connector_name(&info);
                let out_cfg = config.output(&name).cloned();
                if out_cfg.as_ref().is_some_and(|c| !c.enabled) || lid_off.is_off(&name) {
                    continue;
                }
                let used: Vec<crtc::Handle> = device.heads.keys().copied().collect();
                let crtc = info
                    .encoders()
                    .iter()
                    .filter_map(|e| device.drm.get_encoder(*e).ok())
                    .flat_map(|e| res.filter_crtcs(e.possible_crtcs()))
                    .find(|c| !used.contains(c));
                let Some(crtc) = crtc else {
                    tracing::warn!(name, "no free CRTC for this connector");
                    continue;
                };
                let wanted =
                    out_cfg.as_ref().and_then(|c| c.mode.as_deref()).and_then(|m| crate::config::parse_mode(m).ok());
                let mode = info
                    .modes()
                    .iter()
                    .find(|m| {
                        wanted.is_some_and(|(w, h, hz)| {
                            let (mw, mh) = m.size();
                            mw as i32 == w
                                && mh as i32 == h
                                && hz.is_none_or(|hz| (m.vrefresh() as f64 - hz).abs() < 1.0)
                        })
                    })
                    .or_else(|| info.modes().iter().find(|m| m.mode_type().contains(ModeTypeFlags::PREFERRED)))
                    .or_else(|| info.modes().first())
                    .copied();
                let Some(mode) = mode else { continue };
                let surface = match device.drm.create_surface(crtc, mode, &[info.handle()]) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(name, "cannot drive connector: {e}");
                        continue;
                    }
                };
                let (mm_w, mm_h) = info.size().unwrap_or((0, 0));
                let output = Output::new(
                    name.clone(),
                    PhysicalProperties {
                        size: (mm_w as i32, mm_h as i32).into(),
                        subpixel: Subpixel::Unknown,
                        make: "unknown".into(),
                        model: name.clone(),
                    },
                );
                let omode = OutputMode::from(mode);
                let scale = out_cfg.as_ref().and_then(|c| c.scale).unwrap_or(1.0);
                output.change_current_state(Some(omode), Some(Transform::Normal), Some(Scale::Fractional(scale)), None);
                output.set_preferred(omode);
                match scanout_for(device, &output, surface) {
                    Ok(compositor) => {
                        tracing::info!(name, mode = ?omode, "head enabled");
                        device
                            .heads
                            .insert(crtc, Head { output: output.clone(), connector: info.handle(), compositor });
                        added.push(output);
                    }
                    Err(e) => tracing::warn!(name, "cannot set up scanout: {e:#}"),
                }
            }
        }
        for o in removed {
            self.canopy.remove_output(&o);
        }
        for o in added {
            self.canopy.add_output(o);
        }
        self.clamshell_outputs_changed();
    }

    /// Every GPU's connectors probed again (after a resume, or to bring back a panel the lid
    /// turned off), and every head's state reset and redrawn: after a sleep the kernel's modes
    /// may not be what smithay last set.
    pub fn udev_rescan(&mut self) {
        let ids: Vec<libc::dev_t> = self.udev().map(|u| u.devices.keys().copied().collect()).unwrap_or_default();
        for id in ids {
            self.udev_scan_connectors(id);
        }
        if let Some(udev) = self.udev() {
            for head in udev.devices.values_mut().flat_map(|d| d.heads.values_mut()) {
                let _ = with_compositor!(&mut head.compositor, |c| c.reset_state());
                output_redraw(&head.output).borrow_mut().pending = false;
            }
        }
        self.canopy.queue_redraw_all();
    }

    /// Turn a head off (the lid closed on it in clamshell): its CRTC disabled, its output gone.
    pub fn udev_head_off(&mut self, output: &Output) {
        if let Some(udev) = self.udev() {
            for d in udev.devices.values_mut() {
                let Some(crtc) = d.heads.iter().find(|(_, h)| &h.output == output).map(|(c, _)| *c) else { continue };
                if let Some(head) = d.heads.remove(&crtc) {
                    if let Err(e) = with_compositor!(&head.compositor, |c| c.surface().clear()) {
                        tracing::warn!(output = output.name(), "cannot turn the head off: {e}");
                    }
                }
            }
        }
        self.canopy.remove_output(output);
    }

    fn udev_vblank(&mut self, id: libc::dev_t, crtc: crtc::Handle) {
        let Some(udev) = self.udev() else { return };
        let Some(head) = udev.devices.get_mut(&id).and_then(|d| d.heads.get_mut(&crtc)) else { return };
        if let Err(e) =
            with_compositor!(&mut head.compositor, |c| c.frame_submitted().map(|_| ()).map_err(|e| format!("{e:?}")))
        {
            tracing::warn!("frame submission: {e}");
        }
        let output = head.output.clone();
        output_redraw(&output).borrow_mut().pending = false;
        self.redraw_queued();
    }

    fn on_session_event(&mut self, event: SessionEvent) {
        let Some(udev) = self.udev() else { return };
        match event {
            SessionEvent::PauseSession => {
                tracing::info!("session paused (VT switch)");
                udev.libinput.suspend();
                for d in udev.devices.values_mut() {
                    d.drm.pause();
                }
            }
            SessionEvent::ActivateSession => {
                tracing::info!("session active");
                if udev.libinput.resume().is_err() {
                    tracing::warn!("libinput did not resume");
                }
                for d in udev.devices.values_mut() {
                    if let Err(e) = d.drm.activate(false) {
                        tracing::warn!("DRM device did not resume: {e}");
                    }
                    for head in d.heads.values_mut() {
                        let _ = with_compositor!(&mut head.compositor, |c| c.reset_state());
                        output_redraw(&head.output).borrow_mut().pending = false;
                    }
                }
                self.canopy.queue_redraw_all();
            }
        }
    }
}

/// The scanout of one head: GBM buffers for GLES, dumb buffers for pixman; the pointer goes
/// on the cursor plane when the device has one and GBM works.
fn scanout_for(
    device: &mut Device,
    output: &Output,
    surface: smithay::backend::drm::DrmSurface,
) -> anyhow::Result<HeadCompositor> {
    let formats = [Fourcc::Xrgb8888, Fourcc::Argb8888];
    let cursor_size = device.drm.cursor_size();
    Ok(match &mut device.renderer {
        DeviceRenderer::Gles(r) => {
            let gbm = device.gbm.clone().context("GLES without GBM")?;
            let allocator = GbmAllocator::new(gbm.clone(), GbmBufferFlags::RENDERING | GbmBufferFlags::SCANOUT);
            let exporter = GbmFramebufferExporter::new(gbm.clone(), None);
            let render_formats = r.egl_context().dmabuf_render_formats().clone();
            let c = DrmCompositor::new(
                output,
                surface,
                None,
                allocator,
                exporter,
                formats,
                render_formats,
                cursor_size,
                Some(gbm),
            )
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            HeadCompositor::Gbm(Box::new(c))
        }
        DeviceRenderer::Pixman(r) => {
            let render_formats =
                Bind::<smithay::backend::allocator::dmabuf::Dmabuf>::supported_formats(r).unwrap_or_default();
            let c = DrmCompositor::new(
                output,
                surface,
                None,
                DumbAllocator::new(device.fd.clone()),
                device.fd.clone(),
                formats,
                render_formats,
                cursor_size,
                device.gbm.clone(),
            )
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            HeadCompositor::Dumb(Box::new(c))
        }
    })
}

/// GLES on the GPU when EGL works; pixman otherwise, or when asked with CANOPY_RENDERER=pixman.
fn make_renderer(gbm: Option<&GbmDevice<DrmDeviceFd>>) -> DeviceRenderer {
    if let (Some(gbm), false) = (gbm, std::env::var("CANOPY_RENDERER").as_deref() == Ok("pixman")) {
        // Safety: the display is created from a GBM device that lives as long as the renderer.
        let gles = unsafe { EGLDisplay::new(gbm.clone()) }
            .map_err(|e| e.to_string())
            .and_then(|d| EGLContext::new(&d).map_err(|e| e.to_string()))
            .and_then(|c| unsafe { GlesRenderer::new(c) }.map_err(|e| e.to_string()));
        match gles {
            Ok(r) => return DeviceRenderer::Gles(Box::new(r)),
            Err(e) => tracing::warn!("GLES unavailable ({e}); rendering with pixman"),
        }
    }
    DeviceRenderer::Pixman(PixmanRenderer::new().expect("pixman renderer"))
}
