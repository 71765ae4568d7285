//! wl_output and xdg-output.

use smithay::delegate_output;
use smithay::output::Output;
use smithay::reexports::wayland_server::protocol::wl_output::WlOutput;
use smithay::wayland::output::OutputHandler;

use crate::state::State;

impl OutputHandler for State {
    /// A panel that binds an output after windows went there learns which windows are on it.
    fn output_bound(&mut self, output: Output, _wl_output: WlOutput) {
        for w in self.canopy.all_windows() {
            if self.canopy.output_of_window(&w).as_ref() == Some(&output) {
                // Unchanged for canopy, but new to this client's wl_output: say it again.
                w.data.announced.replace(None);
                self.canopy.window_changed(&w);
            }
        }
    }
}

delegate_output!(State);
