//! The headless backend: pixman renders each virtual output into memory. No GPU, no display;
//! output is byte-identical run after run, which is what golden screenshots need.

use anyhow::Context;
use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::damage::OutputDamageTracker;
use smithay::backend::renderer::pixman::PixmanRenderer;
use smithay::backend::renderer::{Bind, Offscreen};
use smithay::output::{Mode, Output};
use smithay::reexports::pixman;

use crate::render::screenshot::{capture, RgbaImage};
use crate::render::{output_elements, CursorMode};
use crate::state::{Canopy, State};
use crate::wm::outputs::make_output;

/// The sizes every headless output offers besides the one it was made with.
const MODES: [(i32, i32); 4] = [(1920, 1080), (1280, 800), (1024, 768), (800, 600)];

struct HeadlessOutput {
    output: Output,
    buffer: pixman::Image<'static, 'static>,
    damage: OutputDamageTracker,
}

pub struct Headless {
    renderer: PixmanRenderer,
    outputs: Vec<HeadlessOutput>,
}

impl Headless {
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self { renderer: PixmanRenderer::new().map_err(|e| anyhow::anyhow!("pixman: {e}"))?, outputs: Vec::new() })
    }

    pub fn render(&mut self, canopy: &mut Canopy, output: &Output) -> anyhow::Result<bool> {
        // The same buffer is drawn every frame, so it always holds the previous one (age 1).
        self.render_with_age(canopy, output, 1)
    }

    /// Render with a given buffer age; 0 redraws everything (what the benchmark measures).
    pub fn render_with_age(&mut self, canopy: &Canopy, output: &Output, age: usize) -> anyhow::Result<bool> {
        let Some(idx) = self.outputs.iter().position(|o| &o.output == output) else { return Ok(false) };
        let elements = output_elements(&mut self.renderer, canopy, output, CursorMode::Hide);
        let bg = canopy.config.theme.desktop.background.premultiplied_f32();
        let ho = &mut self.outputs[idx];
        let mut fb = self.renderer.bind(&mut ho.buffer).map_err(|e| anyhow::anyhow!("bind: {e}"))?;
        ho.damage
            .render_output(&mut self.renderer, &mut fb, age, &elements, bg)
            .map_err(|e| anyhow::anyhow!("render: {e:?}"))?;
        Ok(true)
    }

    pub fn screenshot(&mut self, canopy: &Canopy, output: &Output, cursor: CursorMode) -> anyhow::Result<RgbaImage> {
        capture::<_, pixman::Image<'static, 'static>>(&mut self.renderer, canopy, output, cursor)
    }

    /// A new mode: the output's buffer is made again at the new size.
    pub fn set_mode(&mut self, output: &Output, mode: Mode) -> anyhow::Result<()> {
        let ho = self.outputs.iter_mut().find(|o| &o.output == output).context("not a headless output")?;
        let size = (mode.size.w, mode.size.h);
        ho.buffer = self.renderer.create_buffer(Fourcc::Abgr8888, size.into()).map_err(|e| anyhow::anyhow!("{e}"))?;
        crate::wm::outputs::switch_mode(output, mode);
        ho.damage = OutputDamageTracker::from_output(output);
        Ok(())
    }

    pub fn output_removed(&mut self, output: &Output) {
        self.outputs.retain(|o| &o.output != output);
    }
}

impl State {
    /// Add a virtual output to the headless backend and the desktop.
    pub fn add_headless_output(&mut self, name: &str, size: (i32, i32), scale: f64) {
        let crate::backend::Backend::Headless(h) = &mut self.backend else { return };
        let output = make_output(name, "canopy", "headless", size, 60_000, scale);
        // A virtual display offers a few common sizes besides its own, for output management.
        crate::wm::outputs::offer_modes(&output, MODES.map(|m| Mode { size: m.into(), refresh: 60_000 }));
        let buffer = match h.renderer.create_buffer(Fourcc::Abgr8888, size.into()) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!("headless output {name}: {e}");
                return;
            }
        };
        h.outputs.push(HeadlessOutput {
            output: output.clone(),
            buffer,
            damage: OutputDamageTracker::from_output(&output),
        });
        self.canopy.add_output(output);
    }
}
