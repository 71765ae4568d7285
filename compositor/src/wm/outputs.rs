//! Outputs coming and going at runtime. Windows keep their place relative to their output when
//! outputs move; when an output goes away, its windows move to the primary output and every
//! window ends up wholly on an output that stays. Its layer surfaces (a panel) are closed so
//! their clients can make new ones.

use std::time::Duration;

use smithay::desktop::layer_map_for_output;
use smithay::desktop::space::SpaceElement;
use smithay::output::{Mode, Output, PhysicalProperties, Scale, Subpixel};
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::wayland_server::backend::GlobalId;
use smithay::utils::{Logical, Point, Rectangle, Size, Transform};

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
        let anchors = self.window_anchors();
        self.outputs.push(output.clone());
        self.arrange_outputs(anchors, false);
        tracing::info!(name = output.name(), "output added");
        self.queue_redraw(&output);
    }

    /// Outputs with a configured position keep it; the others are placed left to right. Then
    /// windows go back to their place on their output (see [`Self::restore_anchors`]).
    fn arrange_outputs(&mut self, anchors: Vec<Anchor>, removed: bool) {
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
        self.restore_anchors(anchors, removed);
        for o in self.outputs.clone() {
            self.refit_windows(&o);
        }
        self.outputs_changed();
        crate::handlers::output_management::announce(self);
    }

    /// Lay outputs out again after their position, scale or transform changed; windows keep
    /// their place on their output and end up wholly on it.
    pub fn rearrange_outputs(&mut self) {
        let anchors = self.window_anchors();
        self.arrange_outputs(anchors, true);
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
        let anchors = self.window_anchors();
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
        self.arrange_outputs(anchors, true);
        self.queue_redraw_all();
    }

    /// Where each window is relative to the output it belongs to.
    fn window_anchors(&self) -> Vec<Anchor> {
        let offset =
            |o: &Option<Output>, p: Point<i32, Logical>| match o.as_ref().and_then(|o| self.space.output_geometry(o)) {
                Some(g) => p - g.loc,
                None => p,
            };
        let mut anchors = Vec::new();
        for w in self.windows.stacked() {
            let Some(loc) = self.location(w) else { continue };
            let output = self.output_of_window(w);
            anchors.push(Anchor { window: w.clone(), at: offset(&output, loc), output, minimised: false });
        }
        for w in self.windows.minimised() {
            let Some(at) = w.data.state.borrow().minimized_at else { continue };
            let output = self.space.output_under(at.to_f64()).next().cloned();
            anchors.push(Anchor { window: w.clone(), at: offset(&output, at), output, minimised: true });
        }
        anchors
    }

    /// Put windows back at their place on their output. Those whose output went away go to the
    /// primary output, placed as new windows are. After a removal every window is moved (and a
    /// VM window bounded) to lie wholly in the usable area of its output.
    fn restore_anchors(&mut self, anchors: Vec<Anchor>, removed: bool) {
        let Some(primary) = self.outputs.first().cloned() else { return };
        for a in anchors {
            let w = a.window;
            let target = a.output.filter(|o| self.outputs.contains(o));
            let origin = target.as_ref().and_then(|o| self.space.output_geometry(o)).map(|g| g.loc);
            if a.minimised {
                w.data.state.borrow_mut().minimized_at = origin.map(|o| o + a.at);
                continue;
            }
            let Some(old) = self.location(&w) else { continue };
            let (output, loc) = match origin {
                Some(origin) => (target.expect("has an origin"), origin + a.at),
                None => (primary.clone(), self.place_on(&w, &primary)),
            };
            let loc = if removed { self.wholly_on(&w, &output, loc) } else { loc };
            self.place(&w, loc);
            // Where it returns to from maximised or fullscreen moves with it.
            let mut st = w.data.state.borrow_mut();
            if let Some(r) = st.restore.as_mut() {
                r.loc += loc - old;
                if removed {
                    let usable = self.usable_area(&output);
                    r.loc = clamp_into(r.loc, r.size, usable);
                }
            }
            drop(st);
            self.window_changed(&w);
        }
    }

    /// Where `w` opens on `output` as a new window would.
    fn place_on(&self, w: &WindowElement, output: &Output) -> Point<i32, Logical> {
        if self.is_maximised_or_fullscreen(w) {
            return self.usable_area(output).loc;
        }
        let taken: Vec<Point<i32, Logical>> =
            self.windows.stacked().filter(|e| *e != w).filter_map(|e| self.location(e)).collect();
        super::placement::place(self.usable_area(output), w.geometry().size, |p| taken.contains(p))
    }

    /// `loc` moved so that `w` lies wholly in the usable area of `output` (a VM window is first
    /// bounded by it; maximised and fullscreen windows are fitted by `refit_windows`).
    fn wholly_on(&mut self, w: &WindowElement, output: &Output, loc: Point<i32, Logical>) -> Point<i32, Logical> {
        if self.is_maximised_or_fullscreen(w) {
            return loc;
        }
        self.fit_to_output(w, Some(output));
        clamp_into(loc, w.geometry().size, self.usable_area(output))
    }

    fn is_maximised_or_fullscreen(&self, w: &WindowElement) -> bool {
        let st = w.data.state.borrow();
        st.maximized || st.fullscreen
    }
}

/// A window's place before outputs changed: its output and where it was on it.
struct Anchor {
    window: WindowElement,
    output: Option<Output>,
    /// Relative to the output's origin (global when it had none).
    at: Point<i32, Logical>,
    minimised: bool,
}

/// `loc` moved so that a frame of `size` there lies inside `area` (at its top-left when it is
/// larger).
fn clamp_into(
    loc: Point<i32, Logical>,
    size: Size<i32, Logical>,
    area: Rectangle<i32, Logical>,
) -> Point<i32, Logical> {
    let x = loc.x.min(area.loc.x + area.size.w - size.w).max(area.loc.x);
    let y = loc.y.min(area.loc.y + area.size.h - size.h).max(area.loc.y);
    Point::from((x, y))
}
