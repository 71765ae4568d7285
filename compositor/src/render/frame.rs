//! Driving frames: render outputs that have something new, then tell clients their frame was
//! shown (frame callbacks, presentation feedback). Headless and nested outputs are paced by a
//! timer at the output's refresh rate; real outputs by vblank.

use std::time::Duration;

use smithay::desktop::layer_map_for_output;
use smithay::desktop::utils::OutputPresentationFeedback;
use smithay::output::Output;
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::wayland_protocols::wp::presentation_time::server::wp_presentation_feedback;
use smithay::wayland::fractional_scale::with_fractional_scale;

use crate::state::{output_redraw, Canopy, State};

impl State {
    /// Render every output with queued changes and no frame in flight.
    pub fn redraw_queued(&mut self) {
        if self.canopy.manual_frames {
            return;
        }
        let ready = |o: &Output| {
            let r = output_redraw(o).borrow();
            r.queued && !r.pending
        };
        if self.canopy.outputs.iter().any(ready) {
            // Window changes reach the panel and the title bars once per frame.
            self.canopy.announce_round();
        }
        self.idle_wake_for_lock();
        for output in self.canopy.outputs.clone() {
            // An output turned off draws nothing until it is on again (still queued).
            if self.canopy.idle.is_off(&output) {
                continue;
            }
            {
                let mut r = output_redraw(&output).borrow_mut();
                if !r.queued || r.pending {
                    continue;
                }
                r.queued = false;
                r.pending = true;
                r.frames += 1;
            }
            self.refresh_scene();
            let submitted = match self.backend.render(&mut self.canopy, &output) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(output = output.name(), "render failed: {e:#}");
                    false
                }
            };
            self.canopy.frame_shown(&output);
            // Recorders waiting for this output to change look at it now.
            self.retry_captures(&output);
            if submitted {
                self.power_frame_shown(&output);
                self.idle_frame_shown(&output);
            }
            // A real output paces itself by vblank once a frame is queued; everything else
            // (headless, nested, or nothing new to show) by a timer at the refresh rate.
            if !(submitted && matches!(self.backend, crate::backend::Backend::Udev(_))) {
                self.pace_with_timer(&output);
            }
        }
    }

    fn pace_with_timer(&mut self, output: &Output) {
        let interval = self.canopy.frame_interval(output);
        let output = output.clone();
        let _ = self.canopy.loop_handle.insert_source(Timer::from_duration(interval), move |_, _, state| {
            output_redraw(&output).borrow_mut().pending = false;
            state.redraw_queued();
            TimeoutAction::Drop
        });
    }
}

impl Canopy {
    /// Frame callbacks and presentation feedback for everything shown on `output`.
    pub fn frame_shown(&mut self, output: &Output) {
        let time = self.clock.now();
        let throttle = Some(Duration::from_secs(1));
        let mut feedback = OutputPresentationFeedback::new(output);
        // Only windows that committed since their last frame can have callbacks waiting, so
        // a frame costs the same with 2 windows or 2000.
        let Some(output_geo) = self.space.output_geometry(output) else { return };
        let mut sent = Vec::new();
        for id in self.wants_frame.iter() {
            let Some(w) = self.windows.get(*id) else {
                sent.push(*id);
                continue;
            };
            match self.bbox_of(w) {
                Some(bbox) if !bbox.overlaps(output_geo) => continue,
                _ => {}
            }
            sent.push(*id);
            w.window.send_frame(output, time, throttle, |_, _| Some(output.clone()));
            w.window.take_presentation_feedback(
                &mut feedback,
                |_, _| Some(output.clone()),
                |_, _| wp_presentation_feedback::Kind::empty(),
            );
        }
        for id in sent {
            self.wants_frame.remove(&id);
        }
        let map = layer_map_for_output(output);
        for layer in map.layers() {
            layer.send_frame(output, time, throttle, |_, _| Some(output.clone()));
            layer.take_presentation_feedback(
                &mut feedback,
                |_, _| Some(output.clone()),
                |_, _| wp_presentation_feedback::Kind::empty(),
            );
        }
        drop(map);
        if let Some(lock) = self.lock.surface_for(output) {
            smithay::desktop::utils::send_frames_surface_tree(lock.wl_surface(), output, time, throttle, |_, _| {
                Some(output.clone())
            });
        }
        if let smithay::input::pointer::CursorImageStatus::Surface(s) = &self.cursor_status {
            smithay::desktop::utils::send_frames_surface_tree(s, output, time, throttle, |_, _| Some(output.clone()));
        }
        let refresh = self.frame_interval(output);
        feedback.presented::<_, smithay::utils::Monotonic>(
            time,
            smithay::wayland::presentation::Refresh::fixed(refresh),
            0,
            wp_presentation_feedback::Kind::empty(),
        );
        self.update_primary_outputs(output);
    }

    /// Windows mostly on `output` are told its scale (preferred buffer and fractional scale),
    /// after windows or outputs moved.
    fn update_primary_outputs(&mut self, output: &Output) {
        if !std::mem::take(&mut self.primary_outputs_dirty) {
            return;
        }
        for output in self.outputs.clone() {
            self.update_primary_output(&output);
        }
        self.send_scale_to_shell_surfaces();
        let _ = output;
    }

    fn update_primary_output(&self, output: &Output) {
        let scale = output.current_scale();
        for w in self.windows.stacked() {
            if self.output_of_window(w).as_ref() != Some(output) {
                continue;
            }
            w.window.with_surfaces(|surface, states| {
                with_fractional_scale(states, |fs| fs.set_preferred_scale(scale.fractional_scale()));
                smithay::wayland::compositor::send_surface_state(
                    surface,
                    states,
                    scale.integer_scale(),
                    output.current_transform(),
                );
            });
        }
    }
}
