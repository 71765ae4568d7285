//! Popups and menus: placed by their positioner, kept on screen, and grabbed when asked.

use smithay::desktop::{
    find_popup_root_surface, get_popup_toplevel_coords, PopupKeyboardGrab, PopupKind, PopupPointerGrab,
    PopupUngrabStrategy,
};
use smithay::input::pointer::Focus;
use smithay::reexports::wayland_server::protocol::wl_seat::WlSeat;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::Serial;
use smithay::wayland::shell::xdg::PopupSurface;

use crate::state::{Canopy, State};

/// A popup's window geometry; per xdg-shell, the bounding box of its surfaces when the
/// client set none.
pub fn popup_geometry(popup: &PopupKind) -> smithay::utils::Rectangle<i32, smithay::utils::Logical> {
    let geo = popup.geometry();
    if geo.size.w > 0 && geo.size.h > 0 {
        return geo;
    }
    smithay::desktop::utils::bbox_from_surface_tree(popup.wl_surface(), (0, 0))
}

impl Canopy {
    /// Constrain a popup to the outputs its parent window (or layer surface) is on. A VM's
    /// popup, with its frame and the tab naming the VM, never reaches above its window's
    /// content, so it cannot cover or imitate the window's own title bar.
    pub fn unconstrain_popup(&self, popup: &PopupSurface) {
        let kind = PopupKind::Xdg(popup.clone());
        let Ok(root) = find_popup_root_surface(&kind) else { return };
        let to_root = get_popup_toplevel_coords(&kind);
        let lowest_top = match self.any_window_for_surface(&root) {
            Some(w) if w.is_sandboxed() => Some(crate::decorations::popup_margins(&self.config.theme).1 - to_root.y),
            _ => None,
        };
        let target = self.popup_target(&root).map(|mut target| {
            target.loc -= to_root;
            target
        });
        popup.with_pending_state(|state| {
            let mut geo = match target {
                Some(target) => state.positioner.get_unconstrained_geometry(target),
                None => state.positioner.get_geometry(),
            };
            if let Some(min_y) = lowest_top {
                geo.loc.y = geo.loc.y.max(min_y);
            }
            state.geometry = geo;
        });
    }

    /// The area a popup of `root` should stay in, relative to the root's window geometry: the
    /// output its window (or layer surface) is on.
    fn popup_target(&self, root: &WlSurface) -> Option<smithay::utils::Rectangle<i32, smithay::utils::Logical>> {
        // The positioner works relative to the parent's window geometry.
        let parent_origin = if let Some(w) = self.window_for_surface(root) {
            self.client_area(&w)?.loc
        } else {
            self.layer_location(root)?.1
        };
        let mut target = self.outputs.iter().filter_map(|o| self.space.output_geometry(o)).reduce(|a, b| a.merge(b))?;
        // Prefer the output the parent is on, so menus don't straddle two screens.
        if let Some(o) = self.space.output_under(parent_origin.to_f64()).next() {
            if let Some(g) = self.space.output_geometry(o) {
                target = g;
            }
        }
        target.loc -= parent_origin;
        Some(target)
    }

    pub fn popup_commit(&mut self, surface: &WlSurface) {
        if let Some(PopupKind::Xdg(popup)) = self.popups.find_popup(surface) {
            if !popup.is_initial_configure_sent() {
                if let Err(e) = popup.send_configure() {
                    tracing::warn!("popup configure: {e}");
                }
            }
        }
    }
}

impl State {
    pub fn popup_grab(&mut self, surface: PopupSurface, _seat: WlSeat, serial: Serial) {
        let kind = PopupKind::Xdg(surface);
        let Ok(root) = find_popup_root_surface(&kind) else { return };
        // The focus rules decide: only what has the keyboard may grab (a background VM cannot),
        // and nothing may while the session is locked.
        let allowed = match self.canopy.window_for_surface(&root) {
            Some(w) => self.canopy.focus.start_grab(w.id()),
            None => !self.canopy.focus.is_locked() && self.canopy.keyboard_target().as_ref() == Some(&root),
        };
        if !allowed {
            tracing::debug!("popup grab refused: its parent does not have the keyboard");
            if let PopupKind::Xdg(p) = &kind {
                p.send_popup_done();
            }
            return;
        }
        let seat = self.canopy.seat.clone();
        let ret = self.canopy.popups.grab_popup(root.clone(), kind, &seat, serial);
        let Ok(mut grab) = ret else {
            self.canopy.focus.grab_ended();
            return;
        };
        if let Some(keyboard) = seat.get_keyboard() {
            if keyboard.is_grabbed()
                && !(keyboard.has_grab(serial) || keyboard.has_grab(grab.previous_serial().unwrap_or(serial)))
            {
                grab.ungrab(PopupUngrabStrategy::All);
                self.canopy.focus.grab_ended();
                return;
            }
            keyboard.set_focus(self, grab.current_grab(), serial);
            keyboard.set_grab(self, PopupKeyboardGrab::new(&grab), serial);
            self.canopy.popup_grab = Some((root, grab.clone()));
        }
        if let Some(pointer) = seat.get_pointer() {
            if pointer.is_grabbed()
                && !(pointer.has_grab(serial)
                    || pointer.has_grab(grab.previous_serial().unwrap_or_else(|| grab.serial())))
            {
                grab.ungrab(PopupUngrabStrategy::All);
                return;
            }
            pointer.set_grab(self, PopupPointerGrab::new(&grab), serial, Focus::Keep);
        }
    }
}

impl Canopy {
    /// Where a popup of a shown window is on screen: its window geometry, global.
    pub fn popup_rect(
        &self,
        w: &crate::wm::window::WindowElement,
        popup: &PopupKind,
    ) -> Option<smithay::utils::Rectangle<i32, smithay::utils::Logical>> {
        let layout = w.layout(self.location(w)?, &self.config.theme);
        let client = w.client_geometry();
        smithay::desktop::PopupManager::popups_for_surface(w.wl_surface())
            .find(|(p, _)| p.wl_surface() == popup.wl_surface())
            .map(|(p, offset)| {
                smithay::utils::Rectangle::new(layout.surface_origin + client.loc + offset, popup_geometry(&p).size)
            })
    }
}
