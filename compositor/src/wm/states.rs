//! Minimise, maximise and fullscreen. What happens is decided by `wm::layout` (VM windows
//! asking for fullscreen keep a trust strip, or are maximised instead, as the config says).

use smithay::output::Output;

use super::window::WindowElement;
use crate::state::Canopy;

impl Canopy {
    pub fn minimize(&mut self, w: &WindowElement) {
        if !w.data.state.borrow().placed {
            return;
        }
        let mut layout = self.layout_of([w]);
        let actions = layout.minimise(w.id());
        self.apply(&layout, actions);
    }

    /// Back where it was (placed among the others as a new window when its output went).
    pub fn unminimize(&mut self, w: &WindowElement) {
        if !w.is_minimized() {
            return;
        }
        let mut layout = self.layout_of_all();
        let actions = layout.unminimise(w.id());
        self.apply(&layout, actions);
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
