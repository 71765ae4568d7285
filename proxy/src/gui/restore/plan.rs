//! Rebuilding a client on a new compositor from its restorable state, in two steps.
//!
//! `rebuild`: match the client's globals to the new compositor's (by interface, in order; one
//! that is gone gets `global_remove`), decide what cannot be made again (objects of a vanished
//! global and what depends on them exist for the client only), then send, in the order the
//! client made them: every object (pools with the memory the proxy holds; buffers whose pool
//! is gone from a pool of the proxy's own), region rectangles and state requests, then each
//! surface's committed state with a commit, children before parents. A window's surface gets
//! only its initial commit here, because content needs the configure first.
//!
//! `map`: ack each window's configure, attach its last buffer, damage it whole, commit. Then
//! what the client had set but not committed is set again.

use std::os::fd::OwnedFd;

use wayland_client::backend::protocol::{AllowNull, ArgumentType};

use super::ids::ClientIds;
use super::model::{Callback, GuiObj, Kind};
use super::stand_ins::{pool_memory, region_ops, Scratch};
use super::surfaces::{surface_order, toplevel_of, Parts, ALL};
use super::verify::Verifier;
use super::{interface, request_opcode, Mode, Phase, Restore, Temp};
use crate::pump::{End, Outbox};
use crate::shm::region::Region;
use crate::wayland::message::{self, Arg, Builder, SERVER_ID_BASE};
use crate::wayland::objects::Objects;
use crate::wayland::tables::op;

/// Where messages of a restore go: checked, then queued for the compositor.
pub(super) struct Emit<'a> {
    v: &'a mut Verifier,
    ids: &'a mut ClientIds,
    out: &'a mut Outbox,
    count: usize,
}

impl Emit<'_> {
    /// Checks a message in the client's ids and queues it in the compositor's.
    pub(super) fn push(&mut self, msg: &[u8], fds: Vec<OwnedFd>) -> Result<(), End> {
        let wire = self
            .v
            .check(msg, fds.len(), self.ids)
            .map_err(|e| End::Violation(format!("restoring the client would break a rule: {e}")))?;
        self.out.wayland.push(&wire, fds);
        self.count += 1;
        Ok(())
    }
}

/// A request `name` on object `id` of interface `iface`.
pub(super) fn req(iface: &str, id: u32, name: &str) -> Builder {
    let i = interface(iface).unwrap_or_else(|| panic!("{iface} is known"));
    Builder::new(id, request_opcode(i, name).unwrap_or_else(|| panic!("{iface}.{name}")))
}

pub(super) fn word(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

pub(super) fn set_word(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_ne_bytes());
}

pub struct Ctx<'a> {
    pub region: Option<&'a Region>,
}

impl Restore {
    /// The first restore step, once the compositor's globals are known.
    pub fn rebuild(&mut self, objects: &mut Objects<GuiObj>, ctx: &Ctx<'_>, out: &mut Outbox) -> Result<(), End> {
        let Mode::Restoring(mut v, _) = std::mem::replace(&mut self.mode, Mode::Away) else {
            return Ok(());
        };
        v.set_globals(&self.globals);
        for (_, o) in objects.iter_mut() {
            // A new compositor counts a text input's commits from zero.
            if let Kind::TextInput { commits, offset, .. } = &mut o.data.kind {
                *offset = *commits;
            }
        }
        self.match_globals(objects);
        let order = self.decide_ghosts(objects);
        let mut ids = std::mem::take(&mut self.client_ids);
        let mut e = Emit { v: &mut v, ids: &mut ids, out, count: 0 };
        let mut scratch = Scratch::default();

        for &id in &order {
            self.make(objects, id, ctx, &mut scratch, &mut e)?;
        }
        for &id in &order {
            self.set_state(objects, id, &mut e)?;
        }
        let mut windows = Vec::new();
        for s in surface_order(objects) {
            let toplevel = toplevel_of(objects, s);
            let committed = objects.get(s).and_then(|o| o.data.kind.surface()).is_some_and(|r| r.committed);
            match toplevel {
                Some(xdg) => {
                    // Everything but the buffer, and the initial commit if the client made it.
                    let initial =
                        matches!(objects.get(xdg).map(|o| &o.data.kind), Some(Kind::XdgSurface(x)) if x.committed);
                    let rec = objects.get(s).and_then(|o| o.data.kind.surface()).expect("a surface");
                    let mut state = rec.current.clone();
                    let has_buffer = state.buffer().is_some();
                    state.buffer = None;
                    self.surface_state(
                        objects,
                        s,
                        &state,
                        Parts { state: true, buffer: false },
                        ctx,
                        &mut scratch,
                        &mut e,
                    )?;
                    self.stack(objects, s, &mut e)?;
                    let window = has_buffer && initial;
                    if !window {
                        self.frames(objects, s, true, &mut e)?;
                    }
                    if initial {
                        e.push(&req("wl_surface", s, "commit").build(), Vec::new())?;
                    }
                    if window {
                        windows.push(s);
                    } else {
                        self.pending(objects, s, ctx, &mut scratch, &mut e)?;
                    }
                }
                None => {
                    let state = objects.get(s).and_then(|o| o.data.kind.surface()).expect("a surface").current.clone();
                    self.surface_state(objects, s, &state, ALL, ctx, &mut scratch, &mut e)?;
                    self.frames(objects, s, true, &mut e)?;
                    self.stack(objects, s, &mut e)?;
                    if committed {
                        e.push(&req("wl_surface", s, "commit").build(), Vec::new())?;
                    }
                    self.pending(objects, s, ctx, &mut scratch, &mut e)?;
                }
            }
        }
        self.drop_scratch(scratch, &mut e)?;
        let sync = self.proxy_ids.take();
        self.temps.insert(sync, Temp::Callback);
        e.push(&Builder::new(1, op::DISPLAY_SYNC).uint(sync).build(), Vec::new())?;
        tracing::debug!(messages = e.count, windows = windows.len(), "client rebuilt on the new compositor");
        self.client_ids = ids;
        self.windows = windows;
        self.mode = Mode::Restoring(v, Phase::Rebuild { sync });
        Ok(())
    }

    /// The second step: the windows' configures acked, their content shown.
    pub fn map(&mut self, objects: &mut Objects<GuiObj>, ctx: &Ctx<'_>, out: &mut Outbox) -> Result<(), End> {
        let Mode::Restoring(mut v, _) = std::mem::replace(&mut self.mode, Mode::Away) else {
            return Ok(());
        };
        let mut ids = std::mem::take(&mut self.client_ids);
        let mut e = Emit { v: &mut v, ids: &mut ids, out, count: 0 };
        let mut scratch = Scratch::default();
        for s in std::mem::take(&mut self.windows) {
            let Some(xdg) = toplevel_of(objects, s) else { continue };
            let Some(Kind::XdgSurface(x)) = objects.get_mut(xdg).map(|o| &mut o.data.kind) else { continue };
            let Some(serial) = x.configure else {
                // No configure: the client acks the one that comes and draws then.
                continue;
            };
            x.acked = Some(serial);
            e.push(&req("xdg_surface", xdg, "ack_configure").uint(serial).build(), Vec::new())?;
            let state = objects.get(s).and_then(|o| o.data.kind.surface()).expect("a surface").current.clone();
            self.surface_state(objects, s, &state, Parts { state: false, buffer: true }, ctx, &mut scratch, &mut e)?;
            self.frames(objects, s, true, &mut e)?;
            e.push(&req("wl_surface", s, "commit").build(), Vec::new())?;
            self.pending(objects, s, ctx, &mut scratch, &mut e)?;
        }
        self.drop_scratch(scratch, &mut e)?;
        tracing::debug!(messages = e.count, "windows of the client shown again");
        self.client_ids = ids;
        self.mode = Mode::Live;
        Ok(())
    }

    /// Pairs the globals the client knows with the new compositor's, by interface and order.
    fn match_globals(&mut self, objects: &Objects<GuiObj>) {
        let mut known: Vec<(u32, &'static str)> = Vec::new();
        for (_, o) in objects.iter() {
            if let (Kind::Registry(g), false) = (&o.data.kind, o.data.ghost) {
                for (&name, (iface, _)) in g.iter() {
                    if !known.iter().any(|k| k.0 == name) {
                        known.push((name, iface.name));
                    }
                }
            }
        }
        known.sort_unstable();
        let mut pairs = Vec::new();
        let mut used = Vec::new();
        for &(client, iface) in &known {
            let comp = self
                .announced
                .iter()
                .copied()
                .find(|n| !used.contains(n) && self.globals.get(n).is_some_and(|(i, _)| i.name == iface));
            if let Some(comp) = comp {
                used.push(comp);
                pairs.push((client, comp));
            }
        }
        let highest = known.iter().map(|k| k.0).max().unwrap_or(0);
        self.names.remap(pairs, highest);
        // What did not come back is removed from every registry that showed it.
        for (id, o) in objects.iter() {
            if let (Kind::Registry(g), false) = (&o.data.kind, o.data.ghost) {
                let mut gone: Vec<u32> = g.keys().copied().filter(|&n| self.names.to_compositor(n).is_none()).collect();
                gone.sort_unstable();
                for name in gone {
                    self.send(objects, id, "global_remove", |b| b.uint(name));
                }
            }
        }
    }

    /// Marks what cannot be made again, and returns what can, in the order it was made.
    fn decide_ghosts(&mut self, objects: &mut Objects<GuiObj>) -> Vec<u32> {
        let mut order: Vec<(u64, u32)> = objects
            .iter()
            .filter(|(id, o)| *id < SERVER_ID_BASE && o.alive && !o.data.ghost && o.data.made.is_some())
            .map(|(id, o)| (o.data.made.as_ref().expect("filtered").seq, id))
            .collect();
        order.sort_unstable();
        let mut keep = Vec::with_capacity(order.len());
        for (_, id) in order {
            let o = objects.get(id).expect("listed");
            let bytes = &o.data.made.as_ref().expect("filtered").bytes;
            let maker = word(bytes, 0);
            let usable = |x: u32| x == 1 || objects.get(x).is_some_and(|o| o.alive && !o.data.ghost);
            // A buffer outlives its pool: it is made from a pool of the proxy's then.
            let pool_buffer = matches!(&o.data.kind, Kind::Buffer(b) if b.backing.is_some());
            let mut ok = pool_buffer || usable(maker);
            if let Some(m) = objects.get(maker) {
                let opcode = (word(bytes, 4) & 0xffff) as u16;
                if let Some(desc) = m.interface.requests.get(opcode as usize) {
                    if let Ok(msg) = message::parse(m.interface.name, desc, maker, opcode, bytes) {
                        for (ty, arg) in desc.signature.iter().zip(&msg.args) {
                            if let (ArgumentType::Object(_), Arg::Object(x)) = (ty, arg) {
                                ok &= *x == 0 || usable(*x);
                            }
                        }
                        if (m.interface.name, desc.name) == ("wl_registry", "bind") {
                            let version = msg.args[2].uint();
                            ok &= self
                                .names
                                .to_compositor(msg.args[0].uint())
                                .and_then(|n| self.globals.get(&n))
                                .is_some_and(|&(_, max)| version <= max);
                        }
                    }
                }
            }
            if ok {
                keep.push(id);
            } else if let Some(o) = objects.get_mut(id) {
                tracing::info!(id, interface = o.interface.name, "not restored: what it depends on is gone");
                o.data.ghost = true;
            }
        }
        keep
    }

    /// Makes object `id` again.
    fn make(
        &mut self,
        objects: &Objects<GuiObj>,
        id: u32,
        ctx: &Ctx<'_>,
        scratch: &mut Scratch,
        e: &mut Emit<'_>,
    ) -> Result<(), End> {
        let o = objects.get(id).expect("listed");
        let mut bytes = o.data.made.as_ref().expect("listed").bytes.to_vec();
        let maker = word(&bytes, 0);
        let maker_iface = if maker == 1 { "wl_display" } else { objects.get(maker).map_or("", |m| m.interface.name) };
        match &o.data.kind {
            // Frame callbacks and presentation feedback go with their surface's commits.
            Kind::Callback(Callback::Frame { .. }) | Kind::Feedback { .. } => return Ok(()),
            Kind::Pool(backing) => {
                let (size, fd) = pool_memory(backing, ctx)?;
                set_word(&mut bytes, 12, size);
                return e.push(&bytes, vec![fd]);
            }
            Kind::Buffer(rec) if rec.backing.is_some() => {
                let pool = self.pool_for(objects, rec, ctx, scratch, e)?;
                set_word(&mut bytes, 0, pool);
                return e.push(&bytes, Vec::new());
            }
            Kind::Region(ops) => {
                e.push(&bytes, Vec::new())?;
                return region_ops(id, ops, e);
            }
            _ => {}
        }
        if maker_iface == "wl_registry" {
            let name = self.names.to_compositor(word(&bytes, 8)).expect("decided");
            set_word(&mut bytes, 8, name);
        }
        e.push(&bytes, Vec::new())
    }

    /// State requests of object `id`: its slots (object arguments that are gone become null,
    /// or the request is left out), added-up requests, and what its kind needs.
    fn set_state(&mut self, objects: &Objects<GuiObj>, id: u32, e: &mut Emit<'_>) -> Result<(), End> {
        let o = objects.get(id).expect("listed");
        let mut slots: Vec<&(u8, Box<[u8]>)> = o.data.slots().iter().collect();
        slots.sort_by_key(|s| s.0);
        for (slot, bytes) in slots {
            if o.interface.name == "xdg_toplevel" && *slot == 5 {
                continue; // fullscreen: from the last configure below
            }
            if let Some(b) = sanitised(objects, o.interface, bytes) {
                e.push(&b, Vec::new())?;
            }
        }
        for bytes in o.data.log() {
            e.push(bytes, Vec::new())?;
        }
        match &o.data.kind {
            Kind::Toplevel(t) => {
                if t.maximized {
                    e.push(&req("xdg_toplevel", id, "set_maximized").build(), Vec::new())?;
                }
                if t.fullscreen {
                    let output = o
                        .data
                        .slots()
                        .iter()
                        .find(|s| s.0 == 5)
                        .and_then(|(_, b)| sanitised(objects, o.interface, b))
                        .filter(|b| b.len() == 12)
                        .map_or(0, |b| word(&b, 8));
                    e.push(&req("xdg_toplevel", id, "set_fullscreen").uint(output).build(), Vec::new())?;
                }
            }
            Kind::Token { committed: true, done: false } => {
                e.push(&req("xdg_activation_token_v1", id, "commit").build(), Vec::new())?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// A state request again, with object arguments that are gone nulled where the protocol
/// allows; `None` where it does not.
fn sanitised(
    objects: &Objects<GuiObj>,
    iface: &'static wayland_client::backend::protocol::Interface,
    bytes: &[u8],
) -> Option<Vec<u8>> {
    let opcode = (word(bytes, 4) & 0xffff) as u16;
    let desc = iface.requests.get(opcode as usize)?;
    let msg = message::parse(iface.name, desc, word(bytes, 0), opcode, bytes).ok()?;
    let mut out = bytes.to_vec();
    for ((ty, arg), &at) in desc.signature.iter().zip(&msg.args).zip(&msg.offsets) {
        let (ArgumentType::Object(null), Arg::Object(x)) = (ty, arg) else { continue };
        if *x == 0 || objects.get(*x).is_some_and(|o| o.alive && !o.data.ghost) {
            continue;
        }
        if *null == AllowNull::No {
            return None;
        }
        set_word(&mut out, at, 0);
    }
    Some(out)
}
