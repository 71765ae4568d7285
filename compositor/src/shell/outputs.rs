//! Outputs coming and going at runtime. Windows on an output that goes away move to one that
//! stays; its layer surfaces (a panel) are closed so their clients can make new ones.

use std::time::Duration;

use smithay::desktop::layer_map_for_output;
use smithay::desktop::space::SpaceElement;
use smithay::output::{Mode, Output, PhysicalProperties, Scale, Subpixel};
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::wayland_server::backend::GlobalId;
use smithay::utils::{Logical, Point, Transform};

use super::window::WindowElement;
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

impl Canopy {
    /// Put `output` in the space (at its configured position, else right of the others) and
    /// advertise it.
    pub fn add_output(&mut self, output: Output) {
        let global = output.create_global::<State>(&self.display_handle);
        output.user_data().insert_if_missing(|| OutputGlobal(std::cell::Cell::new(None)));
        output.user_data().get::<OutputGlobal>().expect("inserted").0.set(Some(global));
        self.outputs.push(output.clone());
        self.arrange_outputs();
        tracing::info!(name = output.name(), "output added");
        self.queue_redraw(&output);
    }

    /// Outputs with a configured position keep it; the others are placed left to right.
    fn arrange_outputs(&mut self) {
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
            self.refit_windows(&o);
        }
    }

    pub fn remove_output(&mut self, output: &Output) {
        if !self.outputs.contains(output) {
            return;
        }
        tracing::info!(name = output.name(), "output removed");
        // Layer surfaces on it are closed: their clients make new ones where they belong.
        {
            let mut map = layer_map_for_output(output);
            for layer in map.layers().cloned().collect::<Vec<_>>() {
                layer.layer_surface().send_close();
                map.unmap_layer(&layer);
            }
        }
        self.lock.output_removed(output);
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
        self.arrange_outputs();
        self.rehome_windows();
        self.queue_redraw_all();
    }

    /// Windows no longer on any output move to the primary output, keeping their state.
    pub fn rehome_windows(&mut self) {
        let Some(primary) = self.outputs.first().cloned() else { return };
        let windows: Vec<WindowElement> = self.space.elements().cloned().collect();
        for w in windows {
            let Some(frame) = self.space.element_geometry(&w) else { continue };
            let visible = self.outputs.iter().filter_map(|o| self.space.output_geometry(o)).any(|g| g.overlaps(frame));
            if visible {
                continue;
            }
            let (max, full) = {
                let st = w.data.state.borrow();
                (st.maximized, st.fullscreen)
            };
            if max || full {
                let usable = self.usable_area(&primary);
                self.space.map_element(w.clone(), usable.loc, false);
                self.refit_windows(&primary);
            } else {
                let usable = self.usable_area(&primary);
                let taken: Vec<Point<i32, Logical>> =
                    self.space.elements().filter(|e| *e != &w).filter_map(|e| self.space.element_location(e)).collect();
                let loc = super::placement::place(usable, w.geometry().size, &taken);
                self.space.map_element(w.clone(), loc, false);
            }
            self.window_changed(&w);
        }
        for w in self.minimized.clone() {
            let on_screen = w
                .data
                .state
                .borrow()
                .minimized_at
                .is_some_and(|p| self.space.output_under(p.to_f64()).next().is_some());
            if !on_screen {
                w.data.state.borrow_mut().minimized_at = None;
            }
        }
    }
}
