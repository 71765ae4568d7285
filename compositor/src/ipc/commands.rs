//! What each IPC command does.

use serde_json::{json, Value};
use smithay::backend::input::{ButtonState, KeyState};

use super::{Reply, Request};
use crate::input::inject::{parse_button, parse_chord};
use crate::render::CursorMode;
use crate::state::State;

impl State {
    pub fn handle_ipc(&mut self, request: Request) -> Reply {
        let result = self.ipc_command(request);
        // Focus changes made by a command reach clients before the reply does.
        self.enforce_focus();
        self.refresh_scene();
        match result {
            Ok(v) => Reply { ok: Some(v), error: None },
            Err(e) => Reply { ok: None, error: Some(e) },
        }
    }

    fn headless_only(&self) -> Result<(), String> {
        if self.backend.is_headless() {
            Ok(())
        } else {
            Err("input injection and virtual outputs exist only on the headless backend".into())
        }
    }

    fn ipc_command(&mut self, request: Request) -> Result<Value, String> {
        match request {
            Request::Windows => Ok(self.canopy.windows_json()),
            Request::Outputs => Ok(self.canopy.outputs_json()),
            Request::Cursor => {
                use smithay::input::pointer::CursorImageStatus;
                use smithay::reexports::wayland_server::Resource;
                let p = self.canopy.pointer_location();
                let (image, owner) = match &self.canopy.cursor_status {
                    CursorImageStatus::Hidden => ("hidden", None),
                    CursorImageStatus::Named(_) => ("default", None),
                    CursorImageStatus::Surface(s) => {
                        let owner = self
                            .canopy
                            .display_handle
                            .get_client(s.id())
                            .ok()
                            .map(|c| crate::clipboard::Domain::of_client(&c));
                        ("client", owner.map(|d| d.name().to_string()))
                    }
                };
                Ok(json!({ "x": p.x, "y": p.y, "image": image, "set_by": owner }))
            }
            Request::Version => Ok(json!({ "version": env!("CARGO_PKG_VERSION"), "backend": self.backend.name() })),
            Request::Screenshot { output, pointer, file } => {
                let output = match &output {
                    Some(name) => {
                        self.canopy.output_by_name(name).cloned().ok_or_else(|| format!("no output named {name}"))?
                    }
                    None => self.canopy.outputs.first().cloned().ok_or("there are no outputs")?,
                };
                let cursor = if pointer { CursorMode::Draw } else { CursorMode::Hide };
                // What a frame drawn now would show.
                self.canopy.announce_round();
                let image =
                    self.backend.screenshot(&self.canopy, &output, cursor).map_err(|e| format!("screenshot: {e:#}"))?;
                image.save_png(&file).map_err(|e| format!("writing {e}"))?;
                Ok(json!({ "file": file, "output": output.name(), "width": image.width, "height": image.height }))
            }
            Request::Focus { id } => {
                let w = self
                    .canopy
                    .all_windows()
                    .into_iter()
                    .find(|w| w.id() == id)
                    .ok_or_else(|| format!("no window {id}"))?;
                if !self.canopy.focus_window(&w, crate::wm::focus::Cause::User) {
                    return Err(format!("window {id} cannot have the keyboard now (locked, or not shown)"));
                }
                Ok(json!({ "focused": id }))
            }
            Request::Close { id } => {
                let w = self
                    .canopy
                    .all_windows()
                    .into_iter()
                    .find(|w| w.id() == id)
                    .ok_or_else(|| format!("no window {id}"))?;
                w.toplevel().send_close();
                Ok(json!({ "closing": id }))
            }
            Request::Move { id, x, y } => {
                let w = self.canopy.mapped_window_by_id(id).ok_or_else(|| format!("no visible window {id}"))?;
                let offset = w.insets(&self.canopy.config.theme).offset();
                self.canopy.place(&w, (x - offset.x, y - offset.y).into());
                self.canopy.window_changed(&w);
                Ok(json!({ "moved": id }))
            }
            Request::Resize { id, width, height } => {
                let w = self.canopy.mapped_window_by_id(id).ok_or_else(|| format!("no visible window {id}"))?;
                if !(1..=16384).contains(&width) || !(1..=16384).contains(&height) {
                    return Err("a size is 1 to 16384 pixels".into());
                }
                w.toplevel().with_pending_state(|s| s.size = Some((width, height).into()));
                w.toplevel().send_pending_configure();
                Ok(json!({ "resizing": id }))
            }
            Request::ReloadConfig => self.reload_config().map(|path| json!({ "reloaded": path })),
            Request::Quit => {
                self.canopy.running = false;
                self.canopy.loop_signal.stop();
                Ok(json!({ "quitting": true }))
            }
            Request::PointerMove { x, y } => {
                self.headless_only()?;
                self.inject_pointer_move(x, y);
                let p = self.canopy.pointer_location();
                Ok(json!({ "x": p.x, "y": p.y }))
            }
            Request::Click { button } => {
                self.headless_only()?;
                let b = parse_button(button.as_deref())?;
                self.inject_button(b, ButtonState::Pressed);
                self.inject_button(b, ButtonState::Released);
                Ok(json!({ "clicked": b }))
            }
            Request::ButtonDown { button } => {
                self.headless_only()?;
                let b = parse_button(button.as_deref())?;
                self.inject_button(b, ButtonState::Pressed);
                Ok(json!({ "pressed": b }))
            }
            Request::ButtonUp { button } => {
                self.headless_only()?;
                let b = parse_button(button.as_deref())?;
                self.inject_button(b, ButtonState::Released);
                Ok(json!({ "released": b }))
            }
            Request::Scroll { steps, horizontal } => {
                self.headless_only()?;
                use smithay::backend::input::{Axis, AxisSource};
                let axis = if horizontal { Axis::Horizontal } else { Axis::Vertical };
                let frame = smithay::input::pointer::AxisFrame::new(self.canopy.now_ms())
                    .source(AxisSource::Wheel)
                    .value(axis, 15.0 * steps as f64)
                    .v120(axis, 120 * steps);
                self.on_pointer_axis(frame);
                Ok(json!({ "scrolled": steps, "horizontal": horizontal }))
            }
            Request::Key { chords } => {
                self.headless_only()?;
                for c in &chords {
                    parse_chord(c)?;
                }
                for c in &chords {
                    self.inject_chord(c)?;
                }
                Ok(json!({ "keys": chords }))
            }
            Request::KeyDown { key } => {
                self.headless_only()?;
                for s in parse_chord(&key)? {
                    self.inject_key(s, KeyState::Pressed)?;
                }
                Ok(json!({ "down": key }))
            }
            Request::KeyUp { key } => {
                self.headless_only()?;
                for s in parse_chord(&key)?.into_iter().rev() {
                    self.inject_key(s, KeyState::Released)?;
                }
                Ok(json!({ "up": key }))
            }
            Request::Type { text } => {
                self.headless_only()?;
                self.inject_text(&text)?;
                Ok(json!({ "typed": text.chars().count() }))
            }
            Request::OutputAdd { name, mode } => {
                self.headless_only()?;
                let (w, h, scale) = super::parse_output_mode(&mode)?;
                if self.canopy.output_by_name(&name).is_some() {
                    return Err(format!("an output named {name} exists already"));
                }
                self.add_headless_output(&name, (w, h), scale);
                Ok(self.canopy.outputs_json())
            }
            Request::OutputRemove { name } => {
                self.headless_only()?;
                let output =
                    self.canopy.output_by_name(&name).cloned().ok_or_else(|| format!("no output named {name}"))?;
                if self.canopy.outputs.len() == 1 {
                    return Err("the last output cannot be removed".into());
                }
                self.canopy.remove_output(&output);
                self.backend.output_removed(&output);
                Ok(self.canopy.outputs_json())
            }
        }
    }
}

impl crate::state::Canopy {
    pub fn windows_json(&self) -> Value {
        let windows: Vec<Value> = self
            .all_windows()
            .into_iter()
            .map(|w| {
                let (raw_title, app_id) = w.title_and_app_id();
                let geo = self.client_area(&w);
                let st = w.data.state.borrow();
                json!({
                    "id": w.id(),
                    "title": crate::decorations::decorated_title(w.vm(), &raw_title),
                    "raw_title": crate::decorations::sanitise_title(&raw_title),
                    "vm": w.vm(),
                    "trust": self.config.trust_level(w.vm()),
                    "app_id": crate::decorations::sanitise_title(&app_id),
                    "output": self.output_of_window(&w).map(|o| o.name()),
                    "geometry": geo.map(|g| json!({ "x": g.loc.x, "y": g.loc.y, "width": g.size.w, "height": g.size.h })),
                    "focused": self.is_focused(&w),
                    "minimized": w.is_minimized(),
                    "maximized": st.maximized,
                    "fullscreen": st.fullscreen,
                    "decorated": w.frame_kind() != crate::wm::window::FrameKind::None,
                })
            })
            .collect();
        Value::Array(windows)
    }

    pub fn outputs_json(&self) -> Value {
        let outputs: Vec<Value> = self
            .outputs
            .iter()
            .map(|o| {
                let geo = self.space.output_geometry(o).unwrap_or_default();
                let usable = self.usable_area(o);
                let mode = o.current_mode();
                json!({
                    "name": o.name(),
                    "make": o.physical_properties().make,
                    "model": o.physical_properties().model,
                    "mode": mode.map(|m| json!({ "width": m.size.w, "height": m.size.h, "refresh_mhz": m.refresh })),
                    "scale": o.current_scale().fractional_scale(),
                    "logical": { "x": geo.loc.x, "y": geo.loc.y, "width": geo.size.w, "height": geo.size.h },
                    "usable": { "x": usable.loc.x, "y": usable.loc.y, "width": usable.size.w, "height": usable.size.h },
                    "frames": crate::state::output_redraw(o).borrow().frames,
                })
            })
            .collect();
        Value::Array(outputs)
    }
}
