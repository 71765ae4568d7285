//! What each IPC command does.

use canopy_ipc::{Cursor, CursorImage, Mode, Output, Rect, Screenshot, Version, Window};
use smithay::backend::input::{ButtonState, KeyState};

use super::{Reply, Request, Response};
use crate::input::inject::{parse_button, parse_chord};
use crate::render::CursorMode;
use crate::state::State;

impl State {
    pub fn handle_ipc(&mut self, request: Request) -> Reply {
        let result = self.ipc_command(request);
        // Focus changes made by a command reach clients before the reply does.
        self.enforce_focus();
        self.refresh_scene();
        result
    }

    fn headless_only(&self) -> Result<(), String> {
        if self.backend.is_headless() {
            Ok(())
        } else {
            Err("input injection and virtual outputs exist only on the headless backend".into())
        }
    }

    fn ipc_command(&mut self, request: Request) -> Reply {
        match request {
            Request::Windows => Ok(Response::Windows(self.canopy.windows_reply())),
            Request::Outputs => Ok(Response::Outputs(self.canopy.outputs_reply())),
            Request::Cursor => {
                use smithay::input::pointer::{CursorIcon, CursorImageStatus};
                use smithay::reexports::wayland_server::Resource;
                let p = self.canopy.pointer_location();
                let shape = |icon: CursorIcon| Some(icon.name().to_string());
                let (image, owner, shape) = match (&self.canopy.cursor_status, self.canopy.frame_cursor) {
                    (_, Some(icon)) => (CursorImage::Default, None, shape(icon)),
                    (CursorImageStatus::Hidden, _) => (CursorImage::Hidden, None, None),
                    (CursorImageStatus::Named(_), _) => (CursorImage::Default, None, shape(CursorIcon::Default)),
                    (CursorImageStatus::Surface(s), _) => {
                        let owner = self
                            .canopy
                            .display_handle
                            .get_client(s.id())
                            .ok()
                            .map(|c| crate::clipboard::Domain::of_client(&c));
                        (CursorImage::Client, owner.map(|d| d.name().to_string()), None)
                    }
                };
                Ok(Response::Cursor(Cursor { x: p.x, y: p.y, image, set_by: owner, shape }))
            }
            Request::Version => Ok(Response::Version(Version {
                version: env!("CARGO_PKG_VERSION").into(),
                backend: self.backend.name().into(),
            })),
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
                Ok(Response::Screenshot(Screenshot {
                    file,
                    output: output.name(),
                    width: image.width,
                    height: image.height,
                }))
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
                Ok(Response::Focused { focused: id })
            }
            Request::Close { id } => {
                let w = self
                    .canopy
                    .all_windows()
                    .into_iter()
                    .find(|w| w.id() == id)
                    .ok_or_else(|| format!("no window {id}"))?;
                w.toplevel().send_close();
                Ok(Response::Closing { closing: id })
            }
            Request::Move { id, x, y } => {
                let w = self.canopy.mapped_window_by_id(id).ok_or_else(|| format!("no visible window {id}"))?;
                let offset = w.insets(&self.canopy.config.theme).offset();
                self.canopy.place(&w, (x - offset.x, y - offset.y).into());
                self.canopy.window_changed(&w);
                Ok(Response::Moved { moved: id })
            }
            Request::Resize { id, width, height } => {
                let w = self.canopy.mapped_window_by_id(id).ok_or_else(|| format!("no visible window {id}"))?;
                if !(1..=16384).contains(&width) || !(1..=16384).contains(&height) {
                    return Err("a size is 1 to 16384 pixels".into());
                }
                w.toplevel().with_pending_state(|s| s.size = Some((width, height).into()));
                w.toplevel().send_pending_configure();
                Ok(Response::Resizing { resizing: id })
            }
            Request::Power { cmd } => self.power_ipc(cmd).map(|s| Response::Power(Box::new(s))),
            Request::ReloadConfig => self.reload_config().map(|path| Response::Reloaded { reloaded: path }),
            Request::Quit => {
                self.canopy.running = false;
                self.canopy.loop_signal.stop();
                Ok(Response::Quitting { quitting: true })
            }
            Request::PointerMove { x, y } => {
                self.headless_only()?;
                self.inject_pointer_move(x, y);
                let p = self.canopy.pointer_location();
                Ok(Response::Pointer { x: p.x, y: p.y })
            }
            Request::Click { button } => {
                self.headless_only()?;
                let b = parse_button(button.as_deref())?;
                self.inject_button(b, ButtonState::Pressed);
                self.inject_button(b, ButtonState::Released);
                Ok(Response::Clicked { clicked: b })
            }
            Request::ButtonDown { button } => {
                self.headless_only()?;
                let b = parse_button(button.as_deref())?;
                self.inject_button(b, ButtonState::Pressed);
                Ok(Response::Pressed { pressed: b })
            }
            Request::ButtonUp { button } => {
                self.headless_only()?;
                let b = parse_button(button.as_deref())?;
                self.inject_button(b, ButtonState::Released);
                Ok(Response::Released { released: b })
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
                Ok(Response::Scrolled { scrolled: steps, horizontal })
            }
            Request::Key { chords } => {
                self.headless_only()?;
                for c in &chords {
                    parse_chord(c)?;
                }
                for c in &chords {
                    self.inject_chord(c)?;
                }
                Ok(Response::Keys { keys: chords })
            }
            Request::KeyDown { key } => {
                self.headless_only()?;
                for s in parse_chord(&key)? {
                    self.inject_key(s, KeyState::Pressed)?;
                }
                Ok(Response::Down { down: key })
            }
            Request::KeyUp { key } => {
                self.headless_only()?;
                for s in parse_chord(&key)?.into_iter().rev() {
                    self.inject_key(s, KeyState::Released)?;
                }
                Ok(Response::Up { up: key })
            }
            Request::Type { text } => {
                self.headless_only()?;
                self.inject_text(&text)?;
                Ok(Response::Typed { typed: text.chars().count() })
            }
            Request::OutputAdd { name, mode } => {
                self.headless_only()?;
                let (w, h, scale) = super::parse_output_mode(&mode)?;
                if self.canopy.output_by_name(&name).is_some() {
                    return Err(format!("an output named {name} exists already"));
                }
                self.add_headless_output(&name, (w, h), scale);
                Ok(Response::Outputs(self.canopy.outputs_reply()))
            }
            Request::OutputRemove { name } => {
                self.headless_only()?;
                let output =
                    self.canopy.output_by_name(&name).cloned().ok_or_else(|| format!("no output named {name}"))?;
                let lid_closes = self.clamshell_output_going(Some(&output));
                if self.canopy.outputs.len() == 1 {
                    return Err("the last output cannot be removed".into());
                }
                self.canopy.remove_output(&output);
                self.backend.output_removed(&output);
                if lid_closes {
                    self.power_event(crate::power::machine::Event::LidClosed);
                }
                Ok(Response::Outputs(self.canopy.outputs_reply()))
            }
        }
    }
}

impl crate::state::Canopy {
    pub fn windows_reply(&self) -> Vec<Window> {
        self.all_windows()
            .into_iter()
            .map(|w| {
                let (raw_title, app_id) = w.title_and_app_id();
                let geo = self.last_client_area(&w);
                let st = w.data.state.borrow();
                Window {
                    id: w.id(),
                    title: crate::decorations::decorated_title(w.vm(), &raw_title),
                    raw_title: crate::decorations::sanitise_title(&raw_title),
                    vm: w.vm().map(str::to_string),
                    trust: self.config.trust_level(w.vm()).to_string(),
                    app_id: crate::decorations::sanitise_title(&app_id),
                    output: self.output_of_window(&w).map(|o| o.name()),
                    geometry: geo.map(|g| Rect { x: g.loc.x, y: g.loc.y, width: g.size.w, height: g.size.h }),
                    focused: self.is_focused(&w),
                    minimized: w.is_minimized(),
                    maximized: st.mode.is_maximised(),
                    fullscreen: st.mode.is_fullscreen(),
                    decorated: w.frame_kind() != crate::wm::window::FrameKind::None,
                }
            })
            .collect()
    }

    pub fn outputs_reply(&self) -> Vec<Output> {
        let rect = |r: smithay::utils::Rectangle<i32, smithay::utils::Logical>| Rect {
            x: r.loc.x,
            y: r.loc.y,
            width: r.size.w,
            height: r.size.h,
        };
        let on = self.outputs.iter().map(|o| (o, true));
        // Outputs turned off through output management come last, as wlr-randr lists them.
        let off = self.output_management.disabled.iter().map(|o| (o, false));
        on.chain(off)
            .map(|(o, enabled)| {
                let geo = if enabled { self.space.output_geometry(o).unwrap_or_default() } else { Default::default() };
                let mode = o.current_mode();
                Output {
                    name: o.name(),
                    make: o.physical_properties().make,
                    model: o.physical_properties().model,
                    mode: mode.map(|m| Mode { width: m.size.w, height: m.size.h, refresh_mhz: m.refresh }),
                    scale: o.current_scale().fractional_scale(),
                    logical: rect(geo),
                    usable: if enabled { rect(self.usable_area(o)) } else { rect(geo) },
                    frames: crate::state::output_redraw(o).borrow().frames,
                    power: if !enabled || self.idle.is_off(o) { "off" } else { "on" }.into(),
                    enabled,
                }
            })
            .collect()
    }
}
