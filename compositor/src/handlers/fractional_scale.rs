//! wp_fractional_scale: tell clients the scale of the output they are on.

use smithay::delegate_fractional_scale;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::wayland::fractional_scale::FractionalScaleHandler;

use crate::state::State;

impl FractionalScaleHandler for State {
    fn new_fractional_scale(&mut self, surface: WlSurface) {
        self.canopy.send_scale_to_surface(&surface);
    }
}

delegate_fractional_scale!(State);
