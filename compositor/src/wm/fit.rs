//! Windows fit their output. A VM window is never shown larger than the usable area of the output
//! it belongs to (the one that shows most of it; the whole output when it is fullscreen): a
//! larger request is configured down, and a client that draws larger anyway is cut to that size
//! inside its frame (`WindowElement::client_geometry`). Where a window still crosses onto another
//! output, its content keeps a frame-wide band from that output's edge, drawn in its frame colour
//! (`decorations::layout::guard`).

use smithay::output::Output;
use smithay::utils::{Logical, Size};

use super::window::WindowElement;
use crate::state::Canopy;

impl Canopy {
    /// The largest client area `w` may show on `output`.
    pub fn client_bound(&self, w: &WindowElement, output: &Output) -> Size<i32, Logical> {
        let area = if w.data.state.borrow().mode.is_fullscreen() {
            self.space.output_geometry(output).map(|g| g.size).unwrap_or_default()
        } else {
            self.usable_area(output).size
        };
        w.insets(&self.config.theme).shrink(area)
    }

    /// Bound a VM window by `output` (by the output it belongs to when `None`), and ask it to
    /// shrink when it is larger.
    pub fn fit_to_output(&mut self, w: &WindowElement, output: Option<&Output>) {
        if !w.is_sandboxed() {
            return;
        }
        let Some(output) = output.cloned().or_else(|| self.output_of_window(w)).or_else(|| self.active_output()) else {
            return;
        };
        let bound = self.client_bound(w, &output);
        w.data.max_client.set(Some(bound));
        let requested = w.requested_geometry().size;
        let sized_by_state = {
            let st = w.data.state.borrow();
            st.mode.is_sized_by_output()
        };
        let Some(size) = super::layout::shrunk_to(requested, bound).filter(|_| !sized_by_state) else { return };
        let toplevel = w.toplevel();
        toplevel.with_pending_state(|s| s.size = Some(size));
        if toplevel.is_initial_configure_sent() && toplevel.send_pending_configure().is_some() {
            tracing::info!(
                id = w.id(),
                vm = ?w.vm(),
                width = size.w,
                height = size.h,
                output = output.name(),
                "window larger than its output: configured down"
            );
        }
    }
}
