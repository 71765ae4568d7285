//! The laptop backend (DRM/KMS, GBM, libinput, libseat). Being written; see the next commit.

use smithay::output::Output;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;

use crate::screenshot::RgbaImage;
use crate::state::Canopy;

pub struct Udev;

impl Udev {
    pub fn early_import(&mut self, _surface: &WlSurface) {}
    pub fn switch_vt(&mut self, _vt: i32) {}
    pub fn render(&mut self, _canopy: &mut Canopy, _output: &Output) -> anyhow::Result<bool> {
        anyhow::bail!("the udev backend is not built yet")
    }
    pub fn screenshot(&mut self, _canopy: &Canopy, _output: &Output) -> anyhow::Result<RgbaImage> {
        anyhow::bail!("the udev backend is not built yet")
    }
}

impl Udev {
    pub fn new(
        _handle: &smithay::reexports::calloop::LoopHandle<'static, crate::state::State>,
    ) -> anyhow::Result<Self> {
        anyhow::bail!("the udev backend is not built yet")
    }
}

impl crate::state::State {
    pub fn udev_start(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
}
