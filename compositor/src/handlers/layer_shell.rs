//! wlr-layer-shell, for the GUI VM's own panel, launcher and menus (hidden from VMs).

use smithay::delegate_layer_shell;
use smithay::desktop::{layer_map_for_output, LayerSurface, PopupKind};
use smithay::output::Output;
use smithay::reexports::wayland_server::protocol::wl_output::WlOutput;
use smithay::wayland::shell::wlr_layer::{
    Layer, LayerSurface as WlrLayerSurface, WlrLayerShellHandler, WlrLayerShellState,
};
use smithay::wayland::shell::xdg::PopupSurface;

use crate::state::State;
use crate::wm::focus::FocusChange;

impl WlrLayerShellHandler for State {
    fn shell_state(&mut self) -> &mut WlrLayerShellState {
        &mut self.canopy.layer_shell_state
    }

    fn new_layer_surface(
        &mut self,
        surface: WlrLayerSurface,
        output: Option<WlOutput>,
        _layer: Layer,
        namespace: String,
    ) {
        // One that names no output (a notification popup, a notice) goes where the user works.
        let output = output.as_ref().and_then(Output::from_resource).or_else(|| self.canopy.focused_output());
        let Some(output) = output else {
            surface.send_close();
            return;
        };
        let wl_surface = surface.wl_surface().clone();
        let mut map = layer_map_for_output(&output);
        if let Err(e) = map.map_layer(&LayerSurface::new(surface, namespace)) {
            tracing::warn!("layer surface not mapped: {e}");
        }
        drop(map);
        // Its own output's scale, whatever output the pointer is on.
        crate::scale::send_scale(&wl_surface, &output);
    }

    fn new_popup(&mut self, _parent: WlrLayerSurface, popup: PopupSurface) {
        self.canopy.unconstrain_popup(&popup);
        if let Err(e) = self.canopy.popups.track_popup(PopupKind::Xdg(popup)) {
            tracing::warn!("layer popup not tracked: {e}");
        }
    }

    fn layer_destroyed(&mut self, surface: WlrLayerSurface) {
        let outputs = self.canopy.outputs.clone();
        for output in outputs {
            let mut map = layer_map_for_output(&output);
            let found = map.layers().find(|l| l.layer_surface() == &surface).cloned();
            if let Some(layer) = found {
                map.unmap_layer(&layer);
                drop(map);
                self.canopy.usable_area_changed(&output);
            }
        }
        self.canopy.focus(FocusChange::LayerGone(surface.wl_surface().clone()));
        let exclusive = self.canopy.exclusive_keyboard_layer();
        self.canopy.focus(FocusChange::Exclusive(exclusive));
        self.refresh_pointer_focus();
    }
}

delegate_layer_shell!(State);
