//! Backends: where frames go and input comes from. `headless` renders with pixman into memory
//! (tests, CI, screenshots); `winit` runs nested in a window; `udev` drives the laptop.

pub mod headless;
pub mod udev;
pub mod winit;

use smithay::output::Output;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;

use crate::render::screenshot::RgbaImage;
use crate::render::CursorMode;
use crate::state::Canopy;

pub enum Backend {
    Headless(headless::Headless),
    Winit(Box<winit::Winit>),
    Udev(udev::Udev),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Headless(_) => "headless",
            Backend::Winit(_) => "winit",
            Backend::Udev(_) => "udev",
        }
    }

    pub fn is_headless(&self) -> bool {
        matches!(self, Backend::Headless(_))
    }

    /// Whether the compositor draws the pointer itself (nothing sees a headless pointer).
    pub fn draws_cursor(&self) -> bool {
        !self.is_headless()
    }

    pub fn early_import(&mut self, surface: &WlSurface) {
        if let Backend::Udev(u) = self {
            u.early_import(surface);
        }
    }

    pub fn switch_vt(&mut self, vt: i32) {
        if let Backend::Udev(u) = self {
            u.switch_vt(vt);
        }
    }

    /// Render one frame of `output`. Returns whether a frame was submitted.
    pub fn render(&mut self, canopy: &mut Canopy, output: &Output) -> anyhow::Result<bool> {
        match self {
            Backend::Headless(h) => h.render(canopy, output),
            Backend::Winit(w) => w.render(canopy, output),
            Backend::Udev(u) => u.render(canopy, output),
        }
    }

    /// Render `output` afresh and read it back; with the pointer when `cursor` says so.
    pub fn screenshot(&mut self, canopy: &Canopy, output: &Output, cursor: CursorMode) -> anyhow::Result<RgbaImage> {
        match self {
            Backend::Headless(h) => h.screenshot(canopy, output, cursor),
            Backend::Winit(w) => w.screenshot(canopy, output, cursor),
            Backend::Udev(u) => u.screenshot(canopy, output, cursor),
        }
    }

    /// Whether outputs can switch to another of their modes (output management): the headless
    /// backend's virtual outputs can; a DRM modeset is not built yet, and a nested window has one.
    pub fn switches_modes(&self) -> bool {
        self.is_headless()
    }

    /// Switch `output` to `mode`, one of its own; see [`Backend::switches_modes`].
    pub fn set_mode(&mut self, output: &Output, mode: smithay::output::Mode) -> anyhow::Result<()> {
        match self {
            Backend::Headless(h) => h.set_mode(output, mode),
            _ => anyhow::bail!("switching modes is not supported on the {} backend", self.name()),
        }
    }

    /// Turn an output's display on or off (DPMS). Only DRM has one; headless and nested
    /// outputs are off by drawing nothing (the caller stops rendering them).
    pub fn set_output_power(&mut self, output: &Output, on: bool) {
        if let Backend::Udev(u) = self {
            u.set_output_power(output, on);
        }
    }

    pub fn output_removed(&mut self, output: &Output) {
        if let Backend::Headless(h) = self {
            h.output_removed(output);
        }
    }
}
