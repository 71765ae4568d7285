//! Events from the compositor: those for the proxy's own objects (the steps of a restore),
//! the mapping of a new compositor's ids and serials to the client's, what events tell the
//! restorable state, and which events a re-made object must not pass on a second time.

use std::borrow::Cow;

use wayland_client::backend::protocol::Interface;

use super::ids::is_proxy_id;
use super::messages;
use super::model::{Callback, GuiObj, Kind};
use super::{interface, Mode, Phase, Restore, Temp};
use crate::pump::End;
use crate::wayland::message::{self, Arg, Builder, SERVER_ID_BASE};
use crate::wayland::objects::{Dir, Objects, Read};
use crate::wayland::tables::{self, op};

/// Where an event of the compositor goes.
pub enum Incoming<'a> {
    /// To the client, in its terms.
    Client(Cow<'a, [u8]>),
    /// It was for the proxy's own objects.
    Own(Own),
    /// Nothing the client has.
    Drop,
}

/// What an event for the proxy's own objects asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Own {
    Done,
    /// The compositor's globals are known: rebuild the client.
    Rebuild,
    /// The rebuilt windows were configured: show their content.
    Map,
}

fn local(e: impl std::fmt::Display) -> End {
    End::Local(format!("compositor event: {e}"))
}

fn word(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl Restore {
    /// An event of the compositor: for the client (in its ids and serials), for one of the
    /// proxy's own objects, or for nothing the client has. What the proxy answers goes to
    /// `answers` (already in the compositor's ids).
    pub fn incoming<'a>(
        &mut self,
        objects: &Objects<GuiObj>,
        bytes: &'a [u8],
        answers: &mut Vec<Vec<u8>>,
    ) -> Result<Incoming<'a>, End> {
        if self.serials.epoch() == 0 {
            return Ok(Incoming::Client(Cow::Borrowed(bytes)));
        }
        let k = word(bytes, 0);
        let opcode = (word(bytes, 4) & 0xffff) as u16;
        if k == 1 && opcode == op::DISPLAY_EV_DELETE_ID && bytes.len() == 12 {
            let Some(c) = self.client_ids.deleted(word(bytes, 8)) else { return Ok(Incoming::Drop) };
            if is_proxy_id(c) {
                if self.temps.remove(&c).is_some() {
                    self.proxy_ids.give_back(c);
                }
                if let Mode::Restoring(v, _) = &mut self.mode {
                    v.deleted(c);
                }
                return Ok(Incoming::Own(Own::Done));
            }
            let mut out = bytes.to_vec();
            out[8..12].copy_from_slice(&c.to_ne_bytes());
            return Ok(Incoming::Client(Cow::Owned(out)));
        }
        let header = if k >= SERVER_ID_BASE { self.server_ids.to_client(k) } else { self.client_ids.to_client(k) };
        let Some(c) = header else { return Ok(Incoming::Drop) };
        if is_proxy_id(c) {
            return Ok(Incoming::Own(self.own_event(c, k, bytes, answers)?));
        }
        Ok(match self.translate_event(objects, c, bytes)? {
            Some(b) => Incoming::Client(Cow::Owned(b)),
            None => Incoming::Drop,
        })
    }

    /// An event for the proxy's object `p` (the compositor's `k`).
    fn own_event(&mut self, p: u32, k: u32, bytes: &[u8], answers: &mut Vec<Vec<u8>>) -> Result<Own, End> {
        let opcode = (word(bytes, 4) & 0xffff) as u16;
        let Some(&temp) = self.temps.get(&p) else { return Ok(Own::Done) };
        let iface: &'static Interface = match temp {
            Temp::Registry => interface("wl_registry").expect("known"),
            Temp::Callback => interface("wl_callback").expect("known"),
            Temp::Buffer => interface("wl_buffer").expect("known"),
            Temp::Other => return Ok(Own::Done),
        };
        let desc = iface.events.get(opcode as usize).ok_or_else(|| local(format!("bad opcode {opcode}")))?;
        let msg = message::parse(iface.name, desc, k, opcode, bytes).map_err(local)?;
        match (temp, desc.name) {
            (Temp::Registry, "global") => {
                let Arg::Str(Some(name)) = msg.args[1] else { return Ok(Own::Done) };
                if let Some(allowed) = tables::allowed_global(&String::from_utf8_lossy(name)) {
                    let n = msg.args[0].uint();
                    self.globals.insert(n, (allowed, msg.args[2].uint().min(allowed.version)));
                    self.announced.push(n);
                }
            }
            (Temp::Registry, "global_remove") => {
                self.globals.remove(&msg.args[0].uint());
            }
            (Temp::Callback, "done") => {
                // Its id is given back with the delete_id that follows.
                self.temps.insert(p, Temp::Other);
                return Ok(match self.mode {
                    Mode::Restoring(_, Phase::Hello { sync }) if sync == p => Own::Rebuild,
                    Mode::Restoring(_, Phase::Rebuild { sync }) if sync == p => Own::Map,
                    _ => Own::Done,
                });
            }
            (Temp::Buffer, "release") => {
                let destroy = super::request_opcode(iface, "destroy").expect("wl_buffer.destroy");
                answers.push(Builder::new(k, destroy).build());
                self.temps.insert(p, Temp::Other);
            }
            _ => {}
        }
        Ok(Own::Done)
    }

    /// A new compositor's event on the client's object `object`, in the client's terms
    /// (`None`: it names something the client does not have).
    fn translate_event(
        &mut self,
        objects: &Objects<GuiObj>,
        object: u32,
        bytes: &[u8],
    ) -> Result<Option<Vec<u8>>, End> {
        let mut out = bytes.to_vec();
        let put = |b: &mut Vec<u8>, at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_ne_bytes());
        put(&mut out, 0, object);
        let read = match objects.read(&out, Dir::Event) {
            Ok(r) => r,
            Err(crate::wayland::message::ProtocolError::UnknownObject(_)) => return Ok(None),
            Err(e) => return Err(local(e)),
        };
        let (iface, name) = (read.interface.name, read.desc.name);
        let mut patches: Vec<(usize, u32)> = Vec::new();
        for (arg, &at) in read.msg.args.iter().zip(&read.msg.offsets) {
            match *arg {
                Arg::Object(id) if id >= SERVER_ID_BASE => match self.server_ids.to_client(id) {
                    Some(c) => patches.push((at, c)),
                    None => return Ok(None),
                },
                Arg::Object(id) if id != 0 => match self.client_ids.to_client(id) {
                    Some(c) => patches.push((at, c)),
                    None => return Ok(None),
                },
                Arg::NewId(id) if id >= SERVER_ID_BASE => {
                    let c = self.server_ids.add(id, |c| objects.contains(c));
                    patches.push((at, c));
                }
                _ => {}
            }
        }
        if let Some(i) = messages::serial_arg(iface, name, false) {
            patches.push((read.msg.offsets[i], self.serials.to_client(read.msg.args[i].uint())));
        }
        match (iface, name) {
            ("wl_registry", "global") => patches.push((8, self.names.to_client(read.msg.args[0].uint()))),
            ("wl_registry", "global_remove") => {
                let comp = read.msg.args[0].uint();
                let Some(c) = self.names.known(comp) else { return Ok(None) };
                self.names.forget(comp);
                patches.push((8, c));
            }
            ("zwp_text_input_v3", "done") => {
                if let Some(&Kind::TextInput { offset, .. }) = objects.get(object).map(|o| &o.data.kind) {
                    patches.push((8, read.msg.args[0].uint().wrapping_add(offset)));
                }
            }
            _ => {}
        }
        drop(read);
        for (at, v) in patches {
            put(&mut out, at, v);
        }
        Ok(Some(out))
    }

    /// What an event (in the client's terms, read against its map) tells the restorable state;
    /// false for an event the client must not see (a re-made object's first events, seen
    /// already).
    pub fn event(&mut self, objects: &mut Objects<GuiObj>, read: &Read<'_>, patched: &mut [u8]) -> bool {
        let a = &read.msg.args;
        let id = read.msg.object;
        if self.serials.epoch() == 0 {
            if let Some(i) = messages::serial_arg(read.interface.name, read.desc.name, false) {
                self.serials.to_client(a[i].uint());
            }
        }
        let Some(o) = objects.get_mut(id) else { return true };
        // Made on an earlier connection: the client saw these events already.
        let old = o.data.made.as_ref().is_some_and(|m| m.seq < self.epoch_seq);
        if old && messages::sent_once(read.interface.name, read.desc.name) {
            return false;
        }
        let kind = &mut o.data.kind;
        match (read.interface.name, read.desc.name, kind) {
            ("wl_pointer" | "wl_keyboard", "enter", Kind::Focus { surface }) => *surface = a[1].uint(),
            ("wl_pointer" | "wl_keyboard", "leave", Kind::Focus { surface }) => *surface = 0,
            ("wl_touch", "down", Kind::Touch { down }) => *down += 1,
            ("wl_touch", "up", Kind::Touch { down }) => *down = down.saturating_sub(1),
            ("wl_touch", "cancel", Kind::Touch { down }) => *down = 0,
            ("wl_data_device", "enter", Kind::Device { drag, .. }) => *drag = a[4].uint().max(1),
            ("wl_data_device", "leave" | "drop", Kind::Device { drag, .. }) => *drag = 0,
            ("wl_data_device" | "zwp_primary_selection_device_v1", "selection", Kind::Device { selection, .. }) => {
                *selection = a[0].uint()
            }
            ("wl_data_source" | "zwp_primary_selection_source_v1", "cancelled", Kind::Source { used }) => *used = false,
            ("wl_seat", "capabilities", Kind::Seat { caps }) => {
                let new = a[0].uint();
                if *caps == Some(new) {
                    return false;
                }
                *caps = Some(new);
            }
            ("wl_surface", "enter" | "leave", Kind::Surface(s)) => {
                let output = a[0].uint();
                let had = s.outputs.contains(&output);
                if read.desc.name == "enter" {
                    if had {
                        return false;
                    }
                    s.outputs.push(output);
                } else {
                    s.outputs.retain(|o| *o != output);
                }
            }
            ("xdg_surface", "configure", Kind::XdgSurface(x)) => {
                // The compositor's own serial, for the proxy's ack while restoring.
                x.configure = self.serials.to_compositor(a[0].uint());
            }
            ("xdg_toplevel", "configure", Kind::Toplevel(t)) => {
                let mut size = (a[0].int(), a[1].int());
                if std::mem::take(&mut t.keep_size) && size == (0, 0) && t.size != (0, 0) {
                    // The new compositor leaves the size to the client: it keeps the one it had.
                    size = t.size;
                    patched[8..12].copy_from_slice(&size.0.to_ne_bytes());
                    patched[12..16].copy_from_slice(&size.1.to_ne_bytes());
                }
                t.size = size;
                let states: Vec<u32> = match a[2] {
                    Arg::Array(b) => b.chunks_exact(4).map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]])).collect(),
                    _ => Vec::new(),
                };
                t.maximized = states.contains(&1);
                t.fullscreen = states.contains(&2);
            }
            ("wl_buffer", "release", Kind::Buffer(b)) => b.busy.set(false),
            ("xdg_activation_token_v1", "done", Kind::Token { done, .. }) => *done = true,
            ("zwp_text_input_v3", "enter", Kind::TextInput { entered, .. }) => *entered = a[0].uint(),
            ("zwp_text_input_v3", "leave", Kind::TextInput { entered, .. }) => *entered = 0,
            ("wl_display", "error", _) => self.fatal = true,
            _ => {}
        }
        let _ = Callback::Sync;
        true
    }
}
