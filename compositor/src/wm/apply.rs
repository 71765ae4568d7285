//! The compositor's side of window management: it describes its outputs and windows to a
//! [`Layout`] as plain data, asks it, and carries out the actions it returns (configures,
//! moves, bounds, notices, announcements).

use smithay::desktop::space::SpaceElement;
use smithay::reexports::wayland_protocols::xdg::shell::server::xdg_toplevel;
use smithay::reexports::wayland_server::Resource;
use smithay::utils::{Logical, Point};

use super::layout::{Action, Layout, Mode, Rect, Screen, Shown, Slot, States};
use super::window::WindowElement;
use crate::config::FullscreenPolicy;
use crate::state::Canopy;

impl Canopy {
    /// The outputs as window management sees them: where they are and what of them is usable.
    pub fn screens(&self) -> Vec<Screen> {
        let screen = |o: &smithay::output::Output| {
            let geometry = self.space.output_geometry(o)?;
            Some(Screen { name: o.name(), geometry, usable: self.usable_area(o) })
        };
        self.outputs.iter().filter_map(screen).collect()
    }

    /// A mapped or minimised window as window management sees it.
    fn slot_of(&self, w: &WindowElement) -> Option<Slot> {
        let st = w.data.state.borrow();
        let (shown, loc) = if w.is_mapped() {
            (Shown::Mapped, w.data.loc.get())
        } else if w.is_minimized() {
            (Shown::Minimised { at: st.minimized_at }, st.minimized_at.unwrap_or_default())
        } else {
            return None;
        };
        let frame = Rect::new(loc, w.data.frame_size.get());
        let wanted = w.insets(&self.config.theme).grow(w.requested_geometry().size);
        Some(Slot { id: w.id(), frame, wanted, shown, mode: st.mode.clone(), vm: w.is_sandboxed() })
    }

    /// The outputs and `windows` (bottom of the stack first), for a decision about them.
    pub fn layout_of<'a>(&self, windows: impl IntoIterator<Item = &'a WindowElement>) -> Layout {
        let mut layout = Layout::new(self.screens());
        layout.pointer_on = self.active_output().map(|o| o.name());
        layout.vm_fullscreen_maximises = self.config.fullscreen == FullscreenPolicy::Maximize;
        let d = &self.config.theme.decoration;
        layout.title_height = (d.border_width + d.title_height) as i32;
        for slot in windows.into_iter().filter_map(|w| self.slot_of(w)) {
            layout.insert(slot);
        }
        layout
    }

    /// Every mapped and minimised window, for a decision about all of them.
    pub fn layout_of_all(&self) -> Layout {
        let windows: Vec<WindowElement> = self.windows.stacked().chain(self.windows.minimised()).cloned().collect();
        self.layout_of(&windows)
    }

    /// Carry out what `layout` decided: its windows' modes first (frames and insets follow
    /// from them), then its actions in order.
    pub fn apply(&mut self, layout: &Layout, actions: Vec<Action>) {
        for slot in layout.slots() {
            let Some(w) = self.window_by_id(slot.id) else { continue };
            let mut st = w.data.state.borrow_mut();
            if let Mode::Fullscreen { output, .. } = &slot.mode {
                // Its frame is the output it covers, whatever the client commits.
                st.fullscreen_size = layout.screen(output).map(|s| s.geometry.size).or(st.fullscreen_size);
            }
            st.mode = slot.mode.clone();
            st.minimized_at = match slot.shown {
                Shown::Minimised { at } => at,
                Shown::Mapped => None,
            };
        }
        for action in actions {
            match action {
                Action::Configure { id, frame, states } => {
                    let Some(w) = self.window_by_id(id) else { continue };
                    self.configure_window(&w, frame, &states);
                }
                Action::Move { id, to } => {
                    let Some(w) = self.window_by_id(id) else { continue };
                    if w.is_minimized() {
                        // Unmapped until placed again, as before it was first shown.
                        self.windows.unmap(&w);
                    }
                    self.place(&w, to);
                }
                Action::Hide { id } => {
                    let Some(w) = self.window_by_id(id) else { continue };
                    self.unplace(&w);
                    self.windows.minimise(&w);
                    self.focus(super::focus::FocusChange::WindowGone(&w, false));
                }
                Action::Fit { id, output } => {
                    let Some(w) = self.window_by_id(id) else { continue };
                    let output = self.output_by_name(&output).cloned();
                    self.fit_to_output(&w, output.as_ref());
                }
                Action::FullscreenNotice { id, output } => {
                    let Some(vm) = self.window_by_id(id).and_then(|w| w.data.vm.clone()) else { continue };
                    // The strip shows the colour; this says which VM now owns the screen.
                    let accent = crate::trust::colours(&self.config, Some(&vm)).focused;
                    let text = format!("[{vm}] is fullscreen: Super+F or Alt+Tab leaves");
                    let output = self.output_by_name(&output).cloned();
                    self.show_notice_on(output, text, Some(accent));
                }
                Action::Changed { id } => {
                    let Some(w) = self.window_by_id(id) else { continue };
                    self.window_changed(&w);
                }
            }
        }
    }

    /// Tell a window's client its size (`frame` less its decorations) and states.
    fn configure_window(&mut self, w: &WindowElement, frame: Option<super::layout::Extent>, states: &States) {
        let toplevel = w.toplevel().clone();
        let insets = w.insets(&self.config.theme);
        let fullscreen_on = match states {
            States::Fullscreen { output } => self.output_by_name(output).cloned(),
            _ => None,
        };
        toplevel.with_pending_state(|s| {
            let (max, full) = match states {
                States::Floating => (false, false),
                States::Maximised => (true, false),
                States::Fullscreen { .. } => (false, true),
            };
            for (state, on) in [(xdg_toplevel::State::Maximized, max), (xdg_toplevel::State::Fullscreen, full)] {
                if on {
                    s.states.set(state);
                } else {
                    s.states.unset(state);
                }
            }
            s.size = frame.map(|f| insets.shrink(f));
            if let Some(o) = &fullscreen_on {
                s.fullscreen_output = toplevel.wl_surface().client().and_then(|c| o.client_outputs(&c).next());
            }
        });
        if toplevel.is_initial_configure_sent() {
            toplevel.send_pending_configure();
        }
    }

    /// Where a new window opens: see [`super::layout::place`]. The taken spots are counted as
    /// windows move, so this costs the same with any number of windows.
    pub fn initial_position(&self, w: &WindowElement) -> Point<i32, Logical> {
        let Some(output) = self.active_output() else {
            return Point::from((0, 0));
        };
        let usable = self.usable_area(&output);
        super::layout::place::place(usable, w.geometry().size, |p| self.taken.contains(p))
    }
}
