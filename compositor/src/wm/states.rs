//! Minimise, maximise and fullscreen. VM windows asking for fullscreen keep a trust strip, or
//! are maximised instead, as the config says.

use smithay::output::Output;
use smithay::reexports::wayland_protocols::xdg::shell::server::xdg_toplevel;
use smithay::reexports::wayland_server::Resource;
use smithay::utils::{Logical, Rectangle};

use super::window::WindowElement;
use crate::config::FullscreenPolicy;
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
        self.window_changed(w);
    }

    pub fn set_maximized(&mut self, w: &WindowElement, maximize: bool) {
        let Some(output) = self.output_of_window(w).or_else(|| self.active_output()) else { return };
        let toplevel = w.toplevel().clone();
        if maximize {
            if w.data.state.borrow().maximized {
                return;
            }
            let frame = self.frame_rect(w);
            {
                let mut st = w.data.state.borrow_mut();
                // Leaving fullscreen for maximised keeps the floating frame it had before both.
                if !st.fullscreen && st.restore.is_none() {
                    st.restore = frame;
                }
                st.maximized = true;
                st.fullscreen = false;
            }
            let usable = self.usable_area(&output);
            let client = w.insets(&self.config.theme).shrink(usable.size);
            toplevel.with_pending_state(|s| {
                s.states.set(xdg_toplevel::State::Maximized);
                s.states.unset(xdg_toplevel::State::Fullscreen);
                s.size = Some(client);
            });
            self.place(&w.clone(), usable.loc);
        } else {
            let restore = {
                let mut st = w.data.state.borrow_mut();
                if !st.maximized {
                    return;
                }
                st.maximized = false;
                st.restore.take()
            };
            self.restore_frame(w, restore);
        }
        if toplevel.is_initial_configure_sent() {
            toplevel.send_pending_configure();
        }
        self.window_changed(w);
    }

    fn restore_frame(&mut self, w: &WindowElement, restore: Option<Rectangle<i32, Logical>>) {
        let toplevel = w.toplevel();
        let insets = w.insets(&self.config.theme);
        toplevel.with_pending_state(|s| {
            s.states.unset(xdg_toplevel::State::Maximized);
            s.states.unset(xdg_toplevel::State::Fullscreen);
            s.size = restore.map(|r| insets.shrink(r.size));
        });
        if let Some(r) = restore {
            self.place(w, r.loc);
        }
    }

    pub fn set_fullscreen(&mut self, w: &WindowElement, fullscreen: bool, output: Option<Output>) {
        if fullscreen && w.is_sandboxed() && self.config.fullscreen == FullscreenPolicy::Maximize {
            return self.set_maximized(w, true);
        }
        let toplevel = w.toplevel().clone();
        if fullscreen {
            let Some(output) = output.or_else(|| self.output_of_window(w)).or_else(|| self.active_output()) else {
                return;
            };
            let Some(geo) = self.space.output_geometry(&output) else { return };
            let frame = self.frame_rect(w);
            {
                let mut st = w.data.state.borrow_mut();
                if !st.maximized && !st.fullscreen {
                    st.restore = frame;
                }
                if !st.fullscreen {
                    st.fullscreen_from_maximized = st.maximized;
                }
                st.fullscreen = true;
                st.fullscreen_size = Some(geo.size);
                st.maximized = false;
            }
            // The frame kind is now Strip (VM) or None (local): size the client to fit inside.
            let insets = w.insets(&self.config.theme);
            toplevel.with_pending_state(|s| {
                s.states.set(xdg_toplevel::State::Fullscreen);
                s.states.unset(xdg_toplevel::State::Maximized);
                s.size = Some(insets.shrink(geo.size));
                s.fullscreen_output = toplevel.wl_surface().client().and_then(|c| output.client_outputs(&c).next());
            });
            self.place(&w.clone(), geo.loc);
            if let Some(vm) = w.vm() {
                // The strip shows the colour; this says which VM now owns the screen.
                let accent = crate::trust::colours(&self.config, Some(vm)).focused;
                let text = format!("[{vm}] is fullscreen: Super+F or Alt+Tab leaves");
                self.show_notice_on(Some(output), text, Some(accent));
            }
        } else {
            let back_to_maximized = {
                let mut st = w.data.state.borrow_mut();
                if !st.fullscreen {
                    return;
                }
                st.fullscreen = false;
                std::mem::take(&mut st.fullscreen_from_maximized)
            };
            if back_to_maximized {
                // Back to what the user had: maximised, with the floating frame still kept.
                return self.set_maximized(w, true);
            }
            let restore = w.data.state.borrow_mut().restore.take();
            self.restore_frame(w, restore);
        }
        if toplevel.is_initial_configure_sent() {
            toplevel.send_pending_configure();
        }
        self.window_changed(w);
    }

    pub fn toggle_maximized(&mut self, w: &WindowElement) {
        let m = w.data.state.borrow().maximized;
        self.set_maximized(w, !m);
    }

    /// Re-fit maximised and fullscreen windows after the usable area of an output changed.
    pub fn refit_windows(&mut self, output: &Output) {
        let windows: Vec<WindowElement> = self.windows.stacked().cloned().collect();
        for w in windows {
            if self.output_of_window(&w).as_ref() != Some(output) {
                continue;
            }
            let (max, full) = {
                let st = w.data.state.borrow();
                (st.maximized, st.fullscreen)
            };
            let toplevel = w.toplevel().clone();
            if max {
                let usable = self.usable_area(output);
                let client = w.insets(&self.config.theme).shrink(usable.size);
                toplevel.with_pending_state(|s| s.size = Some(client));
                self.place(&w.clone(), usable.loc);
            } else if full {
                let Some(geo) = self.space.output_geometry(output) else { continue };
                w.data.state.borrow_mut().fullscreen_size = Some(geo.size);
                let client = w.insets(&self.config.theme).shrink(geo.size);
                toplevel.with_pending_state(|s| s.size = Some(client));
                self.place(&w.clone(), geo.loc);
            } else {
                self.fit_to_output(&w, Some(output));
                continue;
            }
            toplevel.send_pending_configure();
        }
    }
}
