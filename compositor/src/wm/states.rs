//! Minimise, maximise and fullscreen. What happens is decided by `wm::layout` (VM windows
//! asking for fullscreen keep a trust strip, or are maximised instead, as the config says).

use smithay::output::Output;

use super::window::WindowElement;
use crate::state::Canopy;

impl Canopy {
    pub fn minimize(&mut self, w: &WindowElement) {
        if w.is_minimized() || !w.data.state.borrow().placed {
            return;
        }
        let loc = self.location(w);
        w.data.state.borrow_mut().minimized_at = loc;
        self.unplace(w);
        self.windows.minimise(w);
        self.focus(super::focus::FocusChange::WindowGone(w, false));
        self.window_changed(w);
    }

    pub fn unminimize(&mut self, w: &WindowElement) {
        if !w.is_minimized() {
            return;
        }
        // Unmapped until placed again, as before it was first shown.
        self.windows.unmap(w);
        let loc = w.data.state.borrow_mut().minimized_at.take();
        let loc = loc.unwrap_or_else(|| self.initial_position(w));
        self.place(w, loc);
        // Maximised or fullscreen on an output that may have changed (or gone) meanwhile.
        if w.data.state.borrow().mode.is_sized_by_output() {
            let mut layout = self.layout_of([w]);
            let actions = layout.refit_window(w.id());
            self.apply(&layout, actions);
        }
        self.window_changed(w);
    }

    pub fn set_maximized(&mut self, w: &WindowElement, maximize: bool) {
        let mut layout = self.layout_of([w]);
        let actions = if maximize { layout.maximise(w.id()) } else { layout.unmaximise(w.id()) };
        self.apply(&layout, actions);
    }

    /// Fullscreen on `output` (else the window's own), or back to what it was before.
    pub fn set_fullscreen(&mut self, w: &WindowElement, fullscreen: bool, output: Option<Output>) {
        let mut layout = self.layout_of([w]);
        let actions = match fullscreen {
            true => layout.fullscreen(w.id(), output.map(|o| o.name()).as_deref()),
            false => layout.unfullscreen(w.id()),
        };
        self.apply(&layout, actions);
    }

    pub fn toggle_maximized(&mut self, w: &WindowElement) {
        let mut layout = self.layout_of([w]);
        let actions = layout.toggle_maximised(w.id());
        self.apply(&layout, actions);
    }

    /// Re-fit maximised and fullscreen windows after the usable area of an output changed, and
    /// bound VM windows by it.
    pub fn refit_windows(&mut self, output: &Output) {
        let mut layout = self.layout_of_all();
        let actions = layout.refit(&output.name());
        self.apply(&layout, actions);
    }
}
