//! The stacking window manager: windows in a `Space`, mapped on first commit, decorated by
//! the compositor, focused by click or Alt+Tab, moved and resized by their frames.

pub mod announce;
pub mod apply;
pub mod fit;
pub mod focus;
pub mod grabs;
pub mod layers;
pub mod layout;
pub mod outputs;
pub mod popups;
pub mod stack;
pub mod states;
pub mod window;
pub mod windows;

use smithay::desktop::space::SpaceElement;
use smithay::reexports::wayland_protocols::xdg::shell::server::xdg_toplevel;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Point, Rectangle};
use smithay::wayland::compositor::with_states;
use smithay::wayland::shell::xdg::XdgToplevelSurfaceData;

use smithay::reexports::wayland_server::Resource;

use crate::handlers::canopy_shell::ToplevelInfo;
use crate::state::Canopy;
use focus::FocusChange;
use window::{ResizeState, WindowElement};

impl Canopy {
    /// A mapped (shown) window whose toplevel surface is `surface`.
    pub fn window_for_surface(&self, surface: &WlSurface) -> Option<WindowElement> {
        self.any_window_for_surface(surface).filter(|w| w.is_mapped())
    }

    /// A window in any state: mapped, minimised, or not yet mapped.
    pub fn any_window_for_surface(&self, surface: &WlSurface) -> Option<WindowElement> {
        self.windows.by_key(&surface.id()).cloned()
    }

    /// The window a surface tree root (its toplevel, or one of its popups) belongs to.
    pub fn window_of_tree(&self, root: &WlSurface) -> Option<WindowElement> {
        if let Some(w) = self.any_window_for_surface(root) {
            return Some(w);
        }
        let popup = self.popups.find_popup(root)?;
        let top = smithay::desktop::find_popup_root_surface(&popup).ok()?;
        self.any_window_for_surface(&top)
    }

    /// A window in any state, by id.
    pub fn window_by_id(&self, id: u64) -> Option<WindowElement> {
        self.windows.get(id).cloned()
    }

    /// A mapped (shown) window, by id.
    pub fn mapped_window_by_id(&self, id: u64) -> Option<WindowElement> {
        self.window_by_id(id).filter(|w| w.is_mapped())
    }

    /// A new toplevel, mapped on its first commit with a buffer.
    pub fn add_window(&mut self, w: WindowElement) {
        self.windows.insert(w);
    }

    /// Windows that are mapped or minimised, bottom of the stack first, minimised last.
    pub fn all_windows(&self) -> Vec<WindowElement> {
        self.windows.stacked().chain(self.windows.minimised()).cloned().collect()
    }

    /// The client area of a mapped window in global coordinates (what `windows` reports).
    pub fn client_area(&self, w: &WindowElement) -> Option<Rectangle<i32, smithay::utils::Logical>> {
        Some(w.layout(self.location(w)?, &self.config.theme).content)
    }

    /// The client area where the window is shown, or for a minimised window where it was
    /// (and will be again when restored).
    pub fn last_client_area(&self, w: &WindowElement) -> Option<Rectangle<i32, smithay::utils::Logical>> {
        let minimized_at = w.data.state.borrow().minimized_at.filter(|_| w.is_minimized());
        let loc = self.location(w).or(minimized_at)?;
        Some(w.layout(loc, &self.config.theme).content)
    }

    pub fn handle_commit(&mut self, surface: &WlSurface) {
        if let Some(w) = self.any_window_for_surface(surface) {
            if w.is_mapped() {
                if !has_buffer(surface) {
                    self.unmap_window(&w);
                    return;
                }
                self.finish_resize_commit(&w);
                self.window_changed(&w);
            } else if !w.is_minimized() {
                let toplevel = w.toplevel().clone();
                if !toplevel.is_initial_configure_sent() {
                    self.initial_configure(&w);
                    // A client that commits a buffer before its first configure (as wlcs's test
                    // clients and some older toolkits do) is shown now rather than never.
                    if !has_buffer(surface) {
                        return;
                    }
                }
                w.window.on_commit();
                if has_buffer(surface) {
                    self.map_new_window(w);
                }
            }
            return;
        }
        if self.popups.find_popup(surface).is_some() {
            self.popup_commit(surface);
            return;
        }
        self.layer_commit(surface);
    }

    fn initial_configure(&mut self, w: &WindowElement) {
        let toplevel = w.toplevel();
        if let Some(output) = self.active_output() {
            let usable = self.usable_area(&output);
            let bounds = w.insets(&self.config.theme).shrink(usable.size);
            toplevel.with_pending_state(|s| s.bounds = Some(bounds));
            // A client that asked to start maximised or fullscreen learns that size now (see
            // `Layout::opening_size`). Mapping then puts the window in place.
            let (max, full) = toplevel.with_pending_state(|s| {
                (s.states.contains(xdg_toplevel::State::Maximized), s.states.contains(xdg_toplevel::State::Fullscreen))
            });
            let size = match self.layout_of([]).opening_size(w.is_sandboxed(), max, full) {
                Some((layout::States::Fullscreen { .. }, output_size)) => {
                    let kind = if w.is_sandboxed() { window::FrameKind::Strip } else { window::FrameKind::None };
                    Some(crate::decorations::Insets::for_frame(kind, &self.config.theme).shrink(output_size))
                }
                Some((_, _)) => Some(bounds),
                None => None,
            };
            if size.is_some() {
                toplevel.with_pending_state(|s| s.size = size);
            }
        }
        if w.is_sandboxed() {
            toplevel.with_pending_state(|s| {
                s.decoration_mode = Some(smithay::reexports::wayland_protocols::xdg::decoration::zv1::server::zxdg_toplevel_decoration_v1::Mode::ServerSide)
            });
        }
        toplevel.send_configure();
    }

    fn map_new_window(&mut self, w: WindowElement) {
        let wants_max = w.toplevel().with_pending_state(|s| s.states.contains(xdg_toplevel::State::Maximized));
        let wants_full = w.toplevel().with_pending_state(|s| s.states.contains(xdg_toplevel::State::Fullscreen));
        let unmapped_at = w.data.state.borrow_mut().unmapped_at.take();
        // Bounded by the output it opens on before it is placed there.
        if let Some(output) = self.active_output() {
            self.fit_to_output(&w, Some(&output));
        }
        let loc = unmapped_at.unwrap_or_else(|| self.initial_position(&w));
        w.data.state.borrow_mut().placed = true;
        self.place(&w, loc);
        // A window mapping takes the keyboard only as the focus rules allow (a VM's only in
        // answer to the user); otherwise it opens below the focused window, never over it.
        let cause = self.map_cause(&w);
        if !self.focus(FocusChange::Window(&w, cause)) {
            if let Some(f) = self.focused_window() {
                self.raise(&f);
            }
        }
        if wants_full {
            self.set_fullscreen(&w, true, None);
        } else if wants_max {
            self.set_maximized(&w, true);
        }
        tracing::info!(id = w.id(), vm = ?w.vm(), "window mapped");
        self.window_changed(&w);
    }

    /// Keep the far edges of a window still while it is resized from its top or left.
    fn finish_resize_commit(&mut self, w: &WindowElement) {
        let resize = w.data.state.borrow().resize;
        let (edges, initial) = match resize {
            ResizeState::Resizing { edges, initial_frame } => (edges, initial_frame),
            ResizeState::WaitingLastCommit { edges, initial_frame, serial } => {
                let acked = with_states(w.wl_surface(), |states| {
                    states.data_map.get::<XdgToplevelSurfaceData>().and_then(|d| d.lock().unwrap().current_serial)
                });
                if acked.is_some_and(|a| a >= serial) {
                    w.data.state.borrow_mut().resize = ResizeState::Idle;
                }
                (edges, initial_frame)
            }
            ResizeState::Idle => return,
        };
        let Some(mut loc) = self.location(w) else { return };
        let frame = w.geometry().size;
        use xdg_toplevel::ResizeEdge as E;
        if matches!(edges, E::Left | E::TopLeft | E::BottomLeft) {
            loc.x = initial.loc.x + initial.size.w - frame.w;
        }
        if matches!(edges, E::Top | E::TopLeft | E::TopRight) {
            loc.y = initial.loc.y + initial.size.h - frame.h;
        }
        if Some(loc) != self.location(w) {
            self.place(w, loc);
        }
    }

    /// A mapped toplevel committed no buffer: per xdg-shell it is hidden until it maps again,
    /// starting over from a first configure.
    fn unmap_window(&mut self, w: &WindowElement) {
        let unmapped_at = self.location(w);
        self.forget_window(w);
        w.toplevel().reset_initial_configure_sent();
        *w.data.state.borrow_mut() = window::WindowState { unmapped_at, ..Default::default() };
        w.data.announced.replace(None);
        tracing::info!(id = w.id(), vm = ?w.vm(), "window unmapped");
    }

    pub fn remove_window(&mut self, surface: &WlSurface) {
        let Some(w) = self.windows.remove_by_key(&surface.id()) else { return };
        let shown = w.is_mapped() || w.is_minimized();
        self.forget_window(&w);
        if shown {
            tracing::info!(id = w.id(), vm = ?w.vm(), "window closed");
        }
    }

    /// Take a window off the screen, the panel and the focus order.
    fn forget_window(&mut self, w: &WindowElement) {
        // Off the stack or the minimised list alike: the window is left unmapped.
        self.unplace(w);
        if let Some(h) = w.data.foreign.borrow_mut().take() {
            self.foreign_toplevel_list_state.remove_toplevel(&h);
        }
        self.shell_window_closed(w.id());
        self.focus(FocusChange::WindowGone(w, true));
    }

    pub fn toplevel_info(&self, w: &WindowElement) -> ToplevelInfo {
        let (title, app_id) = w.title_and_app_id();
        let level = self.config.trust_level(w.vm()).to_string();
        let c = crate::trust::colours(&self.config, w.vm()).focused;
        let st = w.data.state.borrow();
        let mut state = 0;
        if self.is_focused(w) {
            state |= 1;
        }
        if w.is_minimized() {
            state |= 2;
        }
        if st.mode.is_maximised() {
            state |= 4;
        }
        if st.mode.is_fullscreen() {
            state |= 8;
        }
        drop(st);
        ToplevelInfo {
            id: w.id(),
            title: crate::decorations::decorated_title(w.vm(), &title),
            app_id: crate::decorations::sanitise_title(&app_id),
            vm: w.vm().unwrap_or("").to_string(),
            trust_level: level,
            colour: u32::from_be_bytes([c.r, c.g, c.b, c.a]),
            state,
            output: self.output_of_window(w),
        }
    }

    /// The output a window is mostly on; for a minimised window, the one it was on.
    pub fn output_of_window(&self, w: &WindowElement) -> Option<smithay::output::Output> {
        if let Some(at) = w.data.state.borrow().minimized_at {
            if w.is_minimized() {
                return self.space.output_under(at.to_f64()).next().cloned();
            }
        }
        let geo = self.frame_rect(w)?;
        self.outputs
            .iter()
            .filter_map(|o| {
                let og = self.space.output_geometry(o)?;
                let i = og.intersection(geo)?;
                Some((i.size.w as i64 * i.size.h as i64, o))
            })
            .max_by_key(|(area, _)| *area)
            .map(|(_, o)| o.clone())
            .or_else(|| {
                let loc: Point<f64, _> = geo.loc.to_f64();
                self.space.output_under(loc).next().cloned()
            })
    }
}

fn has_buffer(surface: &WlSurface) -> bool {
    smithay::backend::renderer::utils::with_renderer_surface_state(surface, |s| s.buffer().is_some()).unwrap_or(false)
}
