//! Outputs coming and going: a panel per output, a lock surface per output, and the surfaces of
//! an output that went away dropped with it.

use smithay_client_toolkit::output::{OutputHandler, OutputState};
use wayland_client::protocol::wl_output;
use wayland_client::{Connection, QueueHandle};

use crate::wl::api::Shell;
use crate::wl::app::{App, Placement};

impl<A: App> OutputHandler for Shell<A> {
    fn output_state(&mut self) -> &mut OutputState {
        &mut self.core.outputs
    }

    fn new_output(&mut self, _: &Connection, _: &QueueHandle<Self>, output: wl_output::WlOutput) {
        tracing::info!("output added: {}", self.core.output_name(&output).unwrap_or_default());
        match self.core.placement {
            Placement::PanelPerOutput { .. } => self.core.create_layer(Some(output)),
            Placement::Lock => self.core.create_lock_surface(output),
            Placement::Overlay { .. } | Placement::Corner { .. } => {}
        }
    }

    fn update_output(&mut self, _: &Connection, _: &QueueHandle<Self>, output: wl_output::WlOutput) {
        let scale = self.core.outputs.info(&output).map_or(1, |i| i.scale_factor.max(1));
        for s in self.core.surfaces.iter_mut().filter(|s| s.output.as_ref() == Some(&output)) {
            s.int_scale = scale;
            s.dirty = true;
        }
    }

    fn output_destroyed(&mut self, _: &Connection, _: &QueueHandle<Self>, output: wl_output::WlOutput) {
        tracing::info!("output removed: {}", self.core.output_name(&output).unwrap_or_default());
        if self.core.remove_output(&output) {
            self.app.menu_closed(&mut self.core);
        }
    }
}
