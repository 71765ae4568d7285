//! Which idle inhibitors hold the idle chain. A VM's inhibitor counts only when its `[vms.NAME]`
//! says `idle_inhibit = true` (a video in the media VM keeps the screen on; a web page cannot),
//! and any inhibitor only while its window is shown: mapped, not minimised, not wholly behind
//! opaque windows on every output, and the screen not locked. It only holds the idle chain: the
//! lid, the user's lock and every suspend go on as ever.

use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::Resource;
use smithay::wayland::compositor::get_parent;

use crate::client::client_state;
use crate::state::State;

impl State {
    /// Who holds the chain now (`local` or a VM's name), and the inhibitors not honoured, each
    /// with why.
    pub fn inhibitor_verdicts(&mut self) -> (Vec<String>, Vec<String>) {
        self.canopy.idle.inhibitors.retain(|s| s.is_alive());
        let mut by = Vec::new();
        let mut ignored = Vec::new();
        for surface in self.canopy.idle.inhibitors.clone() {
            let vm = surface.client().and_then(|c| client_state(&c).and_then(|s| s.vm()));
            let who = vm.clone().unwrap_or_else(|| "local".into());
            match self.inhibitor_holds(&surface, vm.as_deref()) {
                Ok(()) => by.push(who),
                Err(why) => ignored.push(format!("{who}: {why}")),
            }
        }
        by.dedup();
        (by, ignored)
    }

    fn inhibitor_holds(&self, surface: &WlSurface, vm: Option<&str>) -> Result<(), &'static str> {
        if let Some(vm) = vm {
            if !self.canopy.config.vms.get(vm).is_some_and(|v| v.idle_inhibit) {
                return Err("not allowed");
            }
        }
        if self.canopy.lock.is_locked() {
            return Err("locked");
        }
        let mut root = surface.clone();
        while let Some(parent) = get_parent(&root) {
            root = parent;
        }
        let Some(window) = self.canopy.window_of_tree(&root) else { return Err("not a window") };
        if window.is_minimized() {
            return Err("minimised");
        }
        if !window.is_mapped() {
            return Err("not shown");
        }
        let shown = self
            .canopy
            .outputs
            .iter()
            .filter_map(|o| self.canopy.space.output_geometry(o))
            .any(|geo| self.canopy.visible_windows(geo).iter().any(|w| w.id() == window.id()));
        if !shown {
            return Err("covered");
        }
        Ok(())
    }
}
