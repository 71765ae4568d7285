//! The frame loop of the shell runtime: after the events of a loop iteration, every dirty and
//! configured surface is built from the app's view and committed when its pixels changed.
//!
//! There is no animation, so no frame callbacks: a surface is redrawn after the events that
//! changed it, and an idle program sleeps in the event loop.

use wayland_client::protocol::wl_output;

use super::api::Shell;
use super::app::{App, View, ViewCx};
use crate::draw::Painter;

impl<A: App> Shell<A> {
    /// Builds and, when its scene changed, commits every dirty and configured surface.
    pub(super) fn flush(&mut self) {
        let core = &mut self.core;
        let painter = Painter { fonts: &core.fonts, icons: &core.icons };
        let outputs: Vec<wl_output::WlOutput> = core.outputs.outputs().collect();
        for s in core.surfaces.iter_mut().filter(|s| s.dirty) {
            let Some((w, h)) = s.size else { continue };
            s.dirty = false;
            let scale = s.scale();
            let output_name = s.output.as_ref().and_then(|o| core.outputs.info(o)).and_then(|i| i.name);
            // The hovered action depends on the new hit areas; two passes settle it.
            let mut view: View<A::Action>;
            let mut passes = 0;
            loop {
                let cx = ViewCx {
                    width: w as f32,
                    height: h as f32,
                    scale,
                    output: output_name.as_deref(),
                    wl_output: s.output.as_ref(),
                    outputs: &outputs,
                    hovered: s.hovered.as_ref(),
                    theme: &core.theme,
                    fonts: &core.fonts,
                    windows: &core.windows,
                };
                view = if s.menu { self.app.menu_view(&cx) } else { self.app.view(&cx) };
                let hovered = s.pointer.and_then(|(x, y)| view.action_at(x, y).cloned());
                passes += 1;
                if hovered == s.hovered || passes == 2 {
                    break;
                }
                s.hovered = hovered;
            }
            s.hits = view.hits;
            let damage = s.renderer.render(&painter, &view.scene, scale);
            if damage.is_empty() {
                continue;
            }
            let wl = s.role.wl_surface();
            match (&s.viewport, s.fractional) {
                (Some(vp), Some(_)) => {
                    wl.set_buffer_scale(1);
                    vp.set_destination(w as i32, h as i32);
                }
                _ => wl.set_buffer_scale(s.int_scale),
            }
            let image = s.renderer.image().expect("rendered");
            if let Err(e) = s.buffers.present(image, &damage, wl) {
                tracing::error!("cannot present a frame: {e:#}");
                s.renderer.invalidate();
                continue;
            }
            wl.commit();
        }
        let _ = core.conn.flush();
    }
}
