//! Outputs coming and going at runtime. Windows keep their place relative to their output when
//! outputs move; when an output goes away, its windows move to the primary output and every
//! window ends up wholly on an output that stays. Its layer surfaces (a panel) are closed so
//! their clients can make new ones.

use std::time::Duration;

use smithay::desktop::layer_map_for_output;
use smithay::output::{Mode, Output, PhysicalProperties, Scale, Subpixel};
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::wayland_server::backend::GlobalId;
use smithay::utils::{Logical, Point, Transform};

use crate::state::{Canopy, State};

/// The wl_output global of an output, kept so it can be withdrawn when the output goes.
struct OutputGlobal(std::cell::Cell<Option<GlobalId>>);

/// A new output with one mode.
pub fn make_output(name: &str, make: &str, model: &str, size: (i32, i32), refresh_mhz: i32, scale: f64) -> Output {
    let output = Output::new(
        name.to_string(),
        PhysicalProperties { size: (0, 0).into(), subpixel: Subpixel::Unknown, make: make.into(), model: model.into() },
    );
    let mode = Mode { size: size.into(), refresh: refresh_mhz };
    output.change_current_state(Some(mode), Some(Transform::Normal), Some(Scale::Fractional(scale)), None);
    output.set_preferred(mode);
    output
}

/// Modes output management offers for an output besides the ones `wl_output` lists. `wl_output`
/// names only the preferred and the current mode, as wlroots does (its mode list is deprecated,
/// and clients such as wlcs's take the last mode sent for the output's size).
struct OtherModes(Vec<Mode>);

/// Offer `modes` through output management too (the headless backend's common sizes).
pub fn offer_modes(output: &Output, modes: impl IntoIterator<Item = Mode>) {
    output.user_data().insert_if_missing(|| OtherModes(modes.into_iter().collect()));
}

/// Every mode output management lists for `output` and may switch it to.
pub fn offered_modes(output: &Output) -> Vec<Mode> {
    let mut modes = output.modes();
    for m in output.user_data().get::<OtherModes>().map(|o| o.0.as_slice()).unwrap_or_default() {
        if !modes.contains(m) {
            modes.push(*m);
        }
    }
    modes
}

/// Make `mode` current, keeping `wl_output`'s list to the preferred and the current mode.
pub fn switch_mode(output: &Output, mode: Mode) {
    let old = output.current_mode();
    output.change_current_state(Some(mode), None, None, None);
    if let Some(old) = old.filter(|o| *o != mode && Some(*o) != output.preferred_mode()) {
        output.delete_mode(old);
    }
}

impl Canopy {
    /// Put `output` in the space (at its configured position, else right of the others) and
    /// advertise it.
    pub fn add_output(&mut self, output: Output) {
        let global = output.create_global::<State>(&self.display_handle);
        output.user_data().insert_if_missing(|| OutputGlobal(std::cell::Cell::new(None)));
        output.user_data().get::<OutputGlobal>().expect("inserted").0.set(Some(global));
        let before = self.layout_of_all();
        self.outputs.push(output.clone());
        self.arrange_outputs(before, false);
        tracing::info!(name = output.name(), "output added");
        self.queue_redraw(&output);
    }

    /// Outputs with a configured position keep it; the others are placed left to right. Then
    /// windows go back to their place on their output, as `before` (the layout before the
    /// change) decides (see [`super::layout::Layout::set_screens`]).
    fn arrange_outputs(&mut self, mut before: super::layout::Layout, removed: bool) {
        let mut x = 0;
        for output in self.outputs.clone() {
            let configured = self.config.output(&output.name()).and_then(|c| c.position);
            let loc: Point<i32, Logical> = match configured {
                Some([px, py]) => (px, py).into(),
                None => (x, 0).into(),
            };
            self.space.map_output(&output, loc);
            let width = self.space.output_geometry(&output).map(|g| g.size.w).unwrap_or(0);
            x = x.max(loc.x + width);
        }
        for o in self.outputs.clone() {
            layer_map_for_output(&o).arrange();
        }
        let actions = before.set_screens(self.screens(), removed);
        self.apply(&before, actions);
        self.outputs_changed();
        crate::handlers::output_management::announce(self);
    }

    /// Lay outputs out again after their position, scale or transform changed; windows keep
    /// their place on their output and end up wholly on it.
    pub fn rearrange_outputs(&mut self) {
        let before = self.layout_of_all();
        self.arrange_outputs(before, true);
    }

    /// Put output `name` at `position` from now on (as its config's `position` does).
    pub fn set_output_position(&mut self, name: &str, position: [i32; 2]) {
        match self.config.outputs.iter_mut().find(|o| o.name == name) {
            Some(o) => o.position = Some(position),
            None => self.config.outputs.push(crate::config::OutputConfig {
                name: name.into(),
                mode: None,
                scale: None,
                position: Some(position),
                enabled: true,
            }),
        }
    }

    pub fn remove_output(&mut self, output: &Output) {
        if !self.outputs.contains(output) {
            // One turned off through output management is unplugged: its head goes too.
            crate::handlers::output_management::forget(self, output);
            return;
        }
        tracing::info!(name = output.name(), "output removed");
        let before = self.layout_of_all();
        // Layer surfaces on it are closed: their clients make new ones where they belong.
        {
            let mut map = layer_map_for_output(output);
            for layer in map.layers().cloned().collect::<Vec<_>>() {
                layer.layer_surface().send_close();
                map.unmap_layer(&layer);
            }
        }
        self.lock.output_removed(output);
        crate::handlers::output_power::output_gone(self, output);
        self.space.unmap_output(output);
        self.outputs.retain(|o| o != output);
        if let Some(global) = output.user_data().get::<OutputGlobal>().and_then(|g| g.0.take()) {
            // Clients may still bind the global for a moment; remove it a little later.
            self.display_handle.disable_global::<State>(global.clone());
            let dh = self.display_handle.clone();
            let _ = self.loop_handle.insert_source(Timer::from_duration(Duration::from_secs(5)), move |_, _, _| {
                dh.remove_global::<State>(global.clone());
                TimeoutAction::Drop
            });
        }
        self.arrange_outputs(before, true);
        self.queue_redraw_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(w: i32, h: i32) -> Mode {
        Mode { size: (w, h).into(), refresh: 60_000 }
    }

    /// wl_output lists the preferred and the current mode only; output management lists all.
    #[test]
    fn wl_output_lists_the_preferred_and_current_mode_and_output_management_all() {
        let output = make_output("HEADLESS-1", "canopy", "headless", (1280, 800), 60_000, 1.0);
        offer_modes(&output, [mode(1920, 1080), mode(1280, 800), mode(1024, 768)]);
        assert_eq!(output.modes(), [mode(1280, 800)]);
        assert_eq!(offered_modes(&output), [mode(1280, 800), mode(1920, 1080), mode(1024, 768)]);
        switch_mode(&output, mode(1024, 768));
        assert_eq!(output.modes(), [mode(1280, 800), mode(1024, 768)]);
        switch_mode(&output, mode(1920, 1080));
        assert_eq!(output.modes(), [mode(1280, 800), mode(1920, 1080)]);
        assert_eq!(output.current_mode(), Some(mode(1920, 1080)));
        switch_mode(&output, mode(1280, 800));
        assert_eq!(output.modes(), [mode(1280, 800)]);
        assert_eq!(offered_modes(&output).len(), 3);
    }
}
