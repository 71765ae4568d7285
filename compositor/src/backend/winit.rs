//! The nested backend: canopy in a window of an existing Wayland or X11 session, rendered with
//! GLES (Mesa's software rasteriser works too).

use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::gles::{GlesRenderer, GlesTexture};
use smithay::backend::winit::{self, WinitEvent, WinitGraphicsBackend};
use smithay::output::{Mode, Output, Scale};
use smithay::reexports::calloop::LoopHandle;
use smithay::utils::Transform;

use crate::render::screenshot::{capture, RgbaImage};
use crate::render::{output_elements, CursorMode};
use crate::state::{Canopy, State};
use crate::wm::outputs::make_output;

pub struct Winit {
    backend: WinitGraphicsBackend<GlesRenderer>,
    output: Output,
    damage: OutputDamageTracker,
}

impl Winit {
    /// Open the window and hook its events into the loop. Returns the backend and its output.
    pub fn new(handle: &LoopHandle<'static, State>, scale: f64) -> anyhow::Result<(Winit, Output)> {
        let (backend, event_loop) =
            winit::init::<GlesRenderer>().map_err(|e| anyhow::anyhow!("opening a nested window: {e}"))?;
        backend.window().set_title("canopy");
        backend.window().set_cursor_visible(false);
        let size = backend.window_size();
        let output = make_output("winit", "canopy", "nested", (size.w, size.h), 60_000, scale);
        let damage = flipped_tracker(&output);
        handle
            .insert_source(event_loop, |event, _, state| state.on_winit_event(event))
            .map_err(|e| anyhow::anyhow!("winit event source: {e}"))?;
        Ok((Winit { backend, output: output.clone(), damage }, output))
    }

    pub fn render(&mut self, canopy: &mut Canopy, output: &Output) -> anyhow::Result<bool> {
        if output != &self.output {
            return Ok(false);
        }
        let age = self.backend.buffer_age().unwrap_or(0);
        let bg = canopy.config.theme.desktop.background.premultiplied_f32();
        let damage = {
            let (renderer, mut fb) = self.backend.bind().map_err(|e| anyhow::anyhow!("bind: {e}"))?;
            let elements = output_elements(renderer, canopy, output, CursorMode::Draw);
            let res = self
                .damage
                .render_output(renderer, &mut fb, age, &elements, bg)
                .map_err(|e| anyhow::anyhow!("render: {e:?}"))?;
            res.damage.cloned()
        };
        self.backend.submit(damage.as_deref()).map_err(|e| anyhow::anyhow!("submit: {e}"))?;
        Ok(true)
    }

    pub fn screenshot(
        &mut self,
        canopy: &Canopy,
        output: &Output,
        cursor: crate::render::CursorMode,
    ) -> anyhow::Result<RgbaImage> {
        capture::<_, GlesTexture>(self.backend.renderer(), canopy, output, cursor)
    }
}

/// GL's origin is the bottom-left corner: the window is drawn flipped so it shows upright,
/// while clients keep seeing a normal output.
fn flipped_tracker(output: &Output) -> OutputDamageTracker {
    let mode = output.current_mode().expect("winit output has a mode");
    OutputDamageTracker::new(mode.size, output.current_scale().fractional_scale(), Transform::Flipped180)
}

impl State {
    fn on_winit_event(&mut self, event: WinitEvent) {
        match event {
            WinitEvent::Resized { size, .. } => {
                let crate::backend::Backend::Winit(w) = &mut self.backend else { return };
                let mode = Mode { size, refresh: 60_000 };
                w.output.change_current_state(
                    Some(mode),
                    Some(Transform::Normal),
                    Some(Scale::Fractional(w.output.current_scale().fractional_scale())),
                    None,
                );
                w.output.set_preferred(mode);
                w.damage = flipped_tracker(&w.output);
                let output = w.output.clone();
                self.canopy.usable_area_changed(&output);
                self.canopy.queue_redraw_all();
            }
            WinitEvent::Input(event) => self.process_input_event(event),
            WinitEvent::Redraw => self.canopy.queue_redraw_all(),
            WinitEvent::CloseRequested => {
                self.canopy.running = false;
                self.canopy.loop_signal.stop();
            }
            WinitEvent::Focus(_) => {}
        }
    }
}
