//! The pointer to the app: hover follows the hit areas, a click is a press and a release on the
//! same action, motion with a button held over an action drags it (sliders), and wheel steps
//! scroll.

use smithay_client_toolkit::seat::pointer::{PointerEvent, PointerEventKind, PointerHandler};
use wayland_client::protocol::wl_pointer;
use wayland_client::{Connection, QueueHandle};

use crate::wl::api::Shell;
use crate::wl::app::App;

impl<A: App> Shell<A> {
    fn pointer_event(&mut self, event: &PointerEvent) {
        let core = &mut self.core;
        let Some(i) = core.surface_index(&event.surface) else { return };
        let (x, y) = event.position;
        let s = &mut core.surfaces[i];
        match event.kind {
            PointerEventKind::Enter { .. } | PointerEventKind::Motion { .. } => {
                s.pointer = Some((x, y));
                let hovered = s.action_at(x, y);
                let hover_changed = hovered != s.hovered;
                if hover_changed {
                    s.hovered = hovered.clone();
                    s.dirty = true;
                }
                let dragged = match &core.pressed {
                    Some((surface, _, action)) if *surface == event.surface => Some(action.clone()),
                    _ => None,
                };
                if hover_changed {
                    self.app.hover(&mut self.core, hovered.as_ref());
                }
                if let Some(action) = dragged {
                    self.app.drag(&mut self.core, action, x, y);
                }
            }
            PointerEventKind::Leave { .. } => {
                s.pointer = None;
                if s.hovered.take().is_some() {
                    s.dirty = true;
                }
            }
            PointerEventKind::Press { button, serial, .. } => {
                s.pointer = Some((x, y));
                core.last_press = Some((serial, event.surface.clone()));
                core.pressed = s.action_at(x, y).map(|a| (event.surface.clone(), button, a));
            }
            PointerEventKind::Release { button, .. } => {
                let under = s.action_at(x, y);
                if let Some((surface, b, action)) = core.pressed.take() {
                    if surface == event.surface && b == button && under.as_ref() == Some(&action) {
                        self.core.last_click = Some((s.output.clone(), x, y));
                        self.app.click(&mut self.core, action, button);
                        self.core.redraw();
                    }
                }
            }
            PointerEventKind::Axis { vertical, .. } => {
                let steps = s.scroll.push(&vertical);
                if steps != 0 {
                    self.app.scroll(&mut self.core, steps);
                    self.core.redraw();
                }
            }
        }
    }
}

impl<A: App> PointerHandler for Shell<A> {
    fn pointer_frame(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_pointer::WlPointer,
        events: &[PointerEvent],
    ) {
        for e in events {
            self.pointer_event(e);
        }
    }
}
