//! A checked request from the client: what it changes in the restorable state, whether it goes
//! to the compositor (not while away, not on objects that exist for the client only, not with
//! a serial from before a crash), and how ids and serials are translated on the way.

use std::rc::Rc;

use wayland_client::backend::protocol::{AllowNull, ArgumentType};

use super::messages;
use super::model::{Attached, Callback, GuiObj, Kind, RegionOps, SurfaceRec, XdgRec};
use super::{Restore, MAX_MIME_TYPES, MAX_REGION_OPS};
use crate::pump::End;
use crate::wayland::message::{Arg, SERVER_ID_BASE};
use crate::wayland::objects::{Objects, Read};

/// What becomes of a request.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// Sent to the compositor (as `Restore::wire` when `translated`).
    pub forward: bool,
    pub translated: bool,
    /// The object it makes exists for the client only.
    pub ghost: bool,
}

fn violation(e: impl std::fmt::Display) -> End {
    End::Violation(e.to_string())
}

impl Restore {
    /// Whether a clipboard receive on this object has no compositor to go to (its pipe is
    /// closed at once: the client reads an empty paste).
    pub fn receive_goes_nowhere(&self, objects: &Objects<GuiObj>, read: &Read<'_>) -> bool {
        !self.is_live() || objects.get(read.msg.object).is_some_and(|o| o.data.ghost)
    }

    /// Updates the state for `read` (already checked) and decides what is forwarded. `kind`
    /// is what a new object will hold; `patched` are the request's bytes as the client's ids
    /// say (ghost arguments nulled).
    pub fn request(
        &mut self,
        objects: &mut Objects<GuiObj>,
        read: &Read<'_>,
        patched: &mut [u8],
        kind: &mut Kind,
    ) -> Result<Verdict, End> {
        let (iface, name) = (read.interface.name, read.desc.name);
        let target = read.msg.object;
        let new_id = read.msg.args.iter().find_map(|a| if let Arg::NewId(id) = a { Some(*id) } else { None });
        let mut v = Verdict { forward: self.is_live(), ..Verdict::default() };
        if self.is_restoring() {
            return Err(End::Local("a request reached the proxy while it held the stream".into()));
        }

        // Objects that exist for the client only take nothing to the compositor.
        if objects.get(target).is_some_and(|o| o.data.ghost) {
            v.forward = false;
            v.ghost = new_id.is_some();
        }
        let mut object_args = read.desc.signature.iter().zip(&read.msg.args).zip(&read.msg.offsets);
        for ((ty, arg), &at) in object_args.by_ref() {
            let (ArgumentType::Object(null), Arg::Object(id)) = (ty, arg) else { continue };
            if *id == 0 || !objects.get(*id).is_some_and(|o| o.data.ghost) {
                continue;
            }
            if new_id.is_some() {
                v.forward = false;
                v.ghost = true;
            } else if *null == AllowNull::Yes {
                patched[at..at + 4].copy_from_slice(&0u32.to_ne_bytes());
            } else {
                v.forward = false;
            }
        }

        self.update(objects, read, kind, &mut v)?;

        if let Some(slot) = messages::slot(iface, name) {
            if let Some(o) = objects.get_mut(target) {
                let bytes: Box<[u8]> = patched.into();
                let slots = &mut o.data.state_mut().slots;
                match slots.iter_mut().find(|(s, _)| *s == slot) {
                    Some(entry) => entry.1 = bytes,
                    None => slots.push((slot, bytes)),
                }
            }
        }
        if v.forward && self.serials.epoch() > 0 {
            self.translate(objects, read, patched, &mut v);
        }
        if !v.forward && read.desc.is_destructor && target < SERVER_ID_BASE {
            // No compositor will delete the id: the proxy does, so the client may use it again.
            self.delete_id(target);
        }
        if v.forward && read.desc.is_destructor && target >= SERVER_ID_BASE {
            self.server_ids.remove_client(target);
        }
        Ok(v)
    }

    /// The restorable state's part of a request.
    fn update(
        &mut self,
        objects: &mut Objects<GuiObj>,
        read: &Read<'_>,
        kind: &mut Kind,
        v: &mut Verdict,
    ) -> Result<(), End> {
        let a = &read.msg.args;
        let target = read.msg.object;
        let new_id = a.iter().find_map(|a| if let Arg::NewId(id) = a { Some(*id) } else { None }).unwrap_or(0);
        match (read.interface.name, read.desc.name) {
            ("wl_display", "sync") => *kind = Kind::Callback(Callback::Sync),
            ("wl_compositor", "create_surface") => *kind = Kind::Surface(Box::default()),
            ("wl_compositor", "create_region") => {
                *kind = Kind::Region(Rc::new(RegionOps::new(self.region_ops.clone())))
            }
            ("wl_region", "add" | "subtract") => {
                if let Some(Kind::Region(r)) = objects.get_mut(target).map(|o| &mut o.data.kind) {
                    let op = (read.desc.name == "add", [a[0].int(), a[1].int(), a[2].int(), a[3].int()]);
                    Rc::make_mut(r).push(op);
                }
                if self.region_ops.get() > MAX_REGION_OPS {
                    return Err(violation(format!("more than {MAX_REGION_OPS} region rectangles held by one client")));
                }
            }
            ("wl_surface", "attach") => {
                let buffer = match objects.get(a[0].uint()).map(|o| &o.data.kind) {
                    Some(Kind::Buffer(rec)) => Some(Attached { id: a[0].uint(), rec: rec.clone() }),
                    _ => None,
                };
                if let Some(s) = surface(objects, target) {
                    s.pending.buffer = Some(buffer);
                }
            }
            ("wl_surface", "damage" | "damage_buffer") => {
                if let Some(s) = surface(objects, target) {
                    s.pending.damaged = true;
                }
            }
            ("wl_surface", "set_buffer_scale") => {
                if let Some(s) = surface(objects, target) {
                    s.pending.scale = Some(a[0].int());
                }
            }
            ("wl_surface", "set_buffer_transform") => {
                if let Some(s) = surface(objects, target) {
                    s.pending.transform = Some(a[0].int());
                }
            }
            ("wl_surface", "set_input_region" | "set_opaque_region") => {
                let region = match objects.get(a[0].uint()).map(|o| &o.data.kind) {
                    Some(Kind::Region(r)) => Some(r.clone()),
                    _ => None,
                };
                let input = read.desc.name == "set_input_region";
                if let Some(s) = surface(objects, target) {
                    if input {
                        s.pending.input = Some(region);
                    } else {
                        s.pending.opaque = Some(region);
                    }
                }
            }
            ("wl_surface", "frame") => {
                *kind = Kind::Callback(Callback::Frame { surface: target, committed: false });
                if let Some(s) = surface(objects, target) {
                    s.frames.push(new_id);
                }
            }
            ("wl_surface", "commit") => self.commit(objects, target),
            ("wp_presentation", "feedback") => {
                let s = a[0].uint();
                *kind = Kind::Feedback { surface: s, committed: false };
                if let Some(s) = surface(objects, s) {
                    s.feedbacks.push(new_id);
                }
            }
            ("wl_subcompositor", "get_subsurface") => {
                let (child, parent) = (a[1].uint(), a[2].uint());
                *kind = Kind::Subsurface { surface: child, parent };
                if let Some(p) = surface(objects, parent) {
                    p.above.push(new_id);
                }
            }
            ("wl_subsurface", "place_above" | "place_below") => {
                let above = read.desc.name == "place_above";
                if let Some(&Kind::Subsurface { parent, surface: own }) = objects.get(target).map(|o| &o.data.kind) {
                    let sibling = a[0].uint();
                    // The sibling is a surface: the parent itself, or another child's surface.
                    let sibling_sub = if sibling == parent { None } else { subsurface_of(objects, sibling) };
                    if let Some(p) = surface(objects, parent) {
                        restack(p, target, sibling_sub, above);
                    }
                    let _ = own;
                }
            }
            ("wl_subsurface", "destroy") => {
                if let Some(&Kind::Subsurface { parent, .. }) = objects.get(target).map(|o| &o.data.kind) {
                    if let Some(p) = surface(objects, parent) {
                        p.below.retain(|&c| c != target);
                        p.above.retain(|&c| c != target);
                    }
                }
            }
            ("xdg_wm_base", "get_xdg_surface") => {
                let s = a[1].uint();
                *kind = Kind::XdgSurface(XdgRec { surface: s, ..XdgRec::default() });
                if let Some(s) = surface(objects, s) {
                    s.xdg = new_id;
                }
            }
            ("xdg_surface", "destroy") => {
                if let Some(Kind::XdgSurface(x)) = objects.get(target).map(|o| &o.data.kind) {
                    let s = x.surface;
                    if let Some(s) = surface(objects, s) {
                        s.xdg = 0;
                    }
                }
            }
            ("xdg_surface", "get_toplevel") => {
                *kind = Kind::Toplevel(Box::new(super::model::ToplevelRec { xdg: target, ..Default::default() }))
            }
            ("xdg_surface", "get_popup") => {
                *kind = Kind::Popup { xdg: target };
                if v.ghost || !self.is_live() {
                    // Made with no compositor to show it: dismissed at once, as by a click.
                    v.ghost = true;
                    v.forward = false;
                    if let Some(o) = objects.get_mut(target) {
                        o.data.ghost = true;
                    }
                    self.popup_done.push(new_id);
                }
            }
            ("wl_seat", "get_pointer" | "get_keyboard") => *kind = Kind::Focus { surface: 0 },
            ("wl_seat", "get_touch") => *kind = Kind::Touch { down: 0 },
            ("wl_registry", "bind") if matches!(a[1], Arg::Str(Some(b"wl_seat"))) => *kind = Kind::Seat { caps: None },
            ("wl_data_device_manager", "get_data_device")
            | ("zwp_primary_selection_device_manager_v1", "get_device") => {
                *kind = Kind::Device { selection: 0, drag: 0 }
            }
            ("wl_data_device_manager", "create_data_source")
            | ("zwp_primary_selection_device_manager_v1", "create_source") => *kind = Kind::Source { used: false },
            ("wl_data_source" | "zwp_primary_selection_source_v1", "offer") => {
                if let Some(o) = objects.get_mut(target) {
                    if o.data.log().len() >= MAX_MIME_TYPES {
                        return Err(violation(format!("more than {MAX_MIME_TYPES} MIME types on one data source")));
                    }
                    o.data.state_mut().log.push(read.msg.bytes.into());
                }
            }
            ("wl_data_device", "set_selection" | "start_drag")
            | ("zwp_primary_selection_device_v1", "set_selection") => {
                if let Some(Kind::Source { used }) = objects.get_mut(a[0].uint()).map(|o| &mut o.data.kind) {
                    *used = true;
                }
            }
            ("xdg_activation_v1", "get_activation_token") => *kind = Kind::Token { committed: false, done: false },
            ("xdg_activation_token_v1", "commit") => {
                if let Some(Kind::Token { committed, .. }) = objects.get_mut(target).map(|o| &mut o.data.kind) {
                    *committed = true;
                }
            }
            ("zwp_text_input_manager_v3", "get_text_input") => {
                *kind = Kind::TextInput { entered: 0, commits: 0, offset: 0 }
            }
            ("zwp_text_input_v3", "commit") => {
                if let Some(Kind::TextInput { commits, .. }) = objects.get_mut(target).map(|o| &mut o.data.kind) {
                    *commits = commits.wrapping_add(1);
                }
            }
            _ => {}
        }
        if !v.forward {
            // Not forwarded: a selection or drag that will not happen ends for its source.
            match (read.interface.name, read.desc.name) {
                ("wl_data_device", "set_selection" | "start_drag")
                | ("zwp_primary_selection_device_v1", "set_selection") => self.cancel_source(objects, a[0].uint()),
                _ => {}
            }
        }
        Ok(())
    }

    /// wl_surface.commit: pending state becomes current; what the commit hands over changes hands.
    fn commit(&mut self, objects: &mut Objects<GuiObj>, id: u32) {
        let Some(s) = objects.get_mut(id).and_then(|o| o.data.kind.surface_mut()) else { return };
        let pending = std::mem::take(&mut s.pending);
        let previous = s.current.buffer().cloned();
        let frames = std::mem::take(&mut s.frames);
        let feedbacks = std::mem::take(&mut s.feedbacks);
        let attached = pending.buffer.clone();
        s.current.apply(pending);
        s.committed = true;
        let xdg = s.xdg;
        if let Some(Kind::XdgSurface(x)) = objects.get_mut(xdg).map(|o| &mut o.data.kind) {
            x.committed = true;
        }
        for cb in frames {
            if let Some(Kind::Callback(Callback::Frame { committed, .. })) =
                objects.get_mut(cb).map(|o| &mut o.data.kind)
            {
                *committed = true;
            }
        }
        let away = !self.is_live();
        for fb in feedbacks {
            if let Some(o) = objects.get_mut(fb) {
                if let Kind::Feedback { committed, .. } = &mut o.data.kind {
                    *committed = true;
                }
                if away {
                    // Nothing will present it.
                    self.send(objects, fb, "discarded", |b| b);
                }
            }
        }
        if let Some(Some(new)) = &attached {
            new.rec.busy.set(true);
            if away {
                if let Some(old) = previous.filter(|old| !Rc::ptr_eq(&old.rec, &new.rec)) {
                    // No compositor holds the buffer it replaced.
                    self.release(objects, &old);
                }
            }
        }
    }

    /// wl_buffer.release for a buffer nobody holds any more, if the client still has it.
    pub fn release(&mut self, objects: &Objects<GuiObj>, att: &Attached) {
        if !att.rec.busy.replace(false) {
            return;
        }
        let same =
            matches!(objects.get(att.id).map(|o| &o.data.kind), Some(Kind::Buffer(r)) if Rc::ptr_eq(r, &att.rec));
        if same && objects.get(att.id).is_some_and(|o| o.alive) {
            self.send(objects, att.id, "release", |b| b);
        }
    }

    /// A data source is not the selection or being dragged (any more).
    pub fn cancel_source(&mut self, objects: &mut Objects<GuiObj>, source: u32) {
        if let Some(Kind::Source { used }) = objects.get_mut(source).map(|o| &mut o.data.kind) {
            *used = false;
            self.send(objects, source, "cancelled", |b| b);
        }
    }

    /// Maps the client's ids and serials to the compositor's in `self.wire`. A serial from
    /// before the current compositor is never passed on: the request is dropped, and what the
    /// client waits for is ended as the protocol allows.
    fn translate(&mut self, objects: &mut Objects<GuiObj>, read: &Read<'_>, patched: &[u8], v: &mut Verdict) {
        let (iface, name) = (read.interface.name, read.desc.name);
        self.wire.clear();
        self.wire.extend_from_slice(patched);
        let put = |wire: &mut Vec<u8>, at: usize, val: u32| wire[at..at + 4].copy_from_slice(&val.to_ne_bytes());
        let target = read.msg.object;
        let creates = read.msg.args.iter().any(|a| matches!(a, Arg::NewId(_)));
        match self.compositor_id(target) {
            Some(t) => put(&mut self.wire, 0, t),
            None => {
                // Not on this compositor (it could not be made again): neither is what it makes.
                v.forward = false;
                v.ghost = creates;
                return;
            }
        }
        for ((ty, arg), &at) in read.desc.signature.iter().zip(&read.msg.args).zip(&read.msg.offsets) {
            let (ArgumentType::Object(null), Arg::Object(id)) = (ty, arg) else { continue };
            if *id == 0 {
                continue;
            }
            match self.compositor_id(*id) {
                Some(c) => put(&mut self.wire, at, c),
                None if *null == AllowNull::Yes && !creates => put(&mut self.wire, at, 0),
                None => {
                    v.forward = false;
                    v.ghost = creates;
                    return;
                }
            }
        }
        if let Some(i) = messages::serial_arg(iface, name, true) {
            let at = read.msg.offsets[i];
            match self.serials.to_compositor(read.msg.args[i].uint()) {
                Some(s) => {
                    put(&mut self.wire, at, s);
                    if (iface, name) == ("xdg_surface", "ack_configure") {
                        // The proxy acked this configure (or a later one) for the client.
                        if let Some(Kind::XdgSurface(x)) = objects.get(target).map(|o| &o.data.kind) {
                            if x.acked.is_some_and(|acked| s.wrapping_sub(acked) as i32 <= 0) {
                                v.forward = false;
                            }
                        }
                    }
                }
                None => {
                    v.forward = false;
                    match (iface, name) {
                        ("wl_data_device", "set_selection" | "start_drag")
                        | ("zwp_primary_selection_device_v1", "set_selection") => {
                            self.cancel_source(objects, read.msg.args[0].uint())
                        }
                        ("xdg_popup", "grab") => self.send(objects, target, "popup_done", |b| b),
                        _ => {}
                    }
                    return;
                }
            }
        }
        if (iface, name) == ("wl_registry", "bind") {
            let version = read.msg.args[2].uint();
            match self.names.to_compositor(read.msg.args[0].uint()) {
                Some(n) if self.globals.get(&n).is_some_and(|&(_, max)| version <= max) => put(&mut self.wire, 8, n),
                // A global of the old compositor that did not come back (its global_remove
                // is on its way to the client): the object exists for the client only.
                _ => {
                    v.forward = false;
                    v.ghost = true;
                    return;
                }
            }
        }
        for (arg, &at) in read.msg.args.iter().zip(&read.msg.offsets) {
            if let Arg::NewId(id) = *arg {
                let k = self.client_ids.add(id);
                put(&mut self.wire, at, k);
            }
        }
        v.translated = true;
    }

    /// The compositor's id of an object the client names.
    fn compositor_id(&self, id: u32) -> Option<u32> {
        if id >= SERVER_ID_BASE {
            self.server_ids.to_compositor(id)
        } else {
            self.client_ids.to_compositor(id)
        }
    }
}

fn surface(objects: &mut Objects<GuiObj>, id: u32) -> Option<&mut SurfaceRec> {
    objects.get_mut(id).and_then(|o| o.data.kind.surface_mut())
}

/// The subsurface object whose surface is `surface`.
fn subsurface_of(objects: &Objects<GuiObj>, surface: u32) -> Option<u32> {
    objects.iter().find_map(|(id, o)| match o.data.kind {
        Kind::Subsurface { surface: s, .. } if s == surface && o.alive => Some(id),
        _ => None,
    })
}

/// Moves subsurface `child` just above or below `sibling` (a subsurface, or the parent for
/// `None`) in its parent's stacking lists.
fn restack(p: &mut SurfaceRec, child: u32, sibling: Option<u32>, above: bool) {
    p.below.retain(|&c| c != child);
    p.above.retain(|&c| c != child);
    match sibling {
        None if above => p.above.insert(0, child),
        None => p.below.push(child),
        Some(sib) => {
            for list in [&mut p.below, &mut p.above] {
                if let Some(i) = list.iter().position(|&c| c == sib) {
                    list.insert(if above { i + 1 } else { i }, child);
                    return;
                }
            }
            // An unknown sibling (the protocol makes that an error the compositor raises).
            p.above.push(child);
        }
    }
}

impl GuiObj {
    pub fn is_ghost(&self) -> bool {
        self.ghost
    }
}
