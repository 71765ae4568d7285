//! What a surface needs on a new compositor: its committed state (scale, transform, regions,
//! buffer damaged whole), its frame callbacks, the stacking of its subsurfaces, and the order
//! in which surfaces are committed (children before their parents).

use std::collections::HashMap;

use super::model::{Callback, GuiObj, Kind, SurfaceState};
use super::plan::{req, word, Ctx, Emit};
use super::stand_ins::Scratch;
use super::Restore;
use crate::pump::End;
use crate::wayland::objects::Objects;

/// Which parts of a surface's state to send.
#[derive(Clone, Copy)]
pub struct Parts {
    pub state: bool,
    pub buffer: bool,
}

pub const ALL: Parts = Parts { state: true, buffer: true };

impl Restore {
    /// Surface state as requests: `parts` says whether the state without the buffer, and the
    /// buffer (attached and damaged whole).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn surface_state(
        &mut self,
        objects: &Objects<GuiObj>,
        s: u32,
        state: &SurfaceState,
        parts: Parts,
        ctx: &Ctx<'_>,
        scratch: &mut Scratch,
        e: &mut Emit<'_>,
    ) -> Result<(), End> {
        let version = objects.get(s).map_or(1, |o| o.version);
        if parts.state {
            self.plain_state(objects, s, state, scratch, e)?;
        }
        if !parts.buffer {
            return Ok(());
        }
        match &state.buffer {
            Some(Some(att)) => {
                let b = self.buffer_id(objects, att, ctx, scratch, e)?;
                e.push(&req("wl_surface", s, "attach").uint(b).int(0).int(0).build(), Vec::new())?;
            }
            Some(None) => e.push(&req("wl_surface", s, "attach").uint(0).int(0).int(0).build(), Vec::new())?,
            None => {}
        }
        if state.buffer().is_some() || state.damaged {
            let damage = if version >= 4 { "damage_buffer" } else { "damage" };
            e.push(&req("wl_surface", s, damage).int(0).int(0).int(i32::MAX).int(i32::MAX).build(), Vec::new())?;
        }
        Ok(())
    }

    /// Scale, transform, input and opaque region.
    pub(super) fn plain_state(
        &mut self,
        objects: &Objects<GuiObj>,
        s: u32,
        state: &SurfaceState,
        scratch: &mut Scratch,
        e: &mut Emit<'_>,
    ) -> Result<(), End> {
        if let Some(scale) = state.scale {
            e.push(&req("wl_surface", s, "set_buffer_scale").int(scale).build(), Vec::new())?;
        }
        if let Some(t) = state.transform {
            e.push(&req("wl_surface", s, "set_buffer_transform").int(t).build(), Vec::new())?;
        }
        for (which, region) in [("set_input_region", &state.input), ("set_opaque_region", &state.opaque)] {
            match region {
                Some(Some(ops)) => {
                    let r = self.temp_region(objects, ops, scratch, e)?;
                    e.push(&req("wl_surface", s, which).uint(r).build(), Vec::new())?;
                    e.push(&req("wl_region", r, "destroy").build(), Vec::new())?;
                }
                Some(None) => e.push(&req("wl_surface", s, which).uint(0).build(), Vec::new())?,
                None => {}
            }
        }
        Ok(())
    }

    /// Frame callbacks of surface `s`: those its last commit asked for (`committed`), or
    /// those asked for since.
    pub(super) fn frames(
        &mut self,
        objects: &Objects<GuiObj>,
        s: u32,
        committed: bool,
        e: &mut Emit<'_>,
    ) -> Result<(), End> {
        let mut cbs: Vec<(u64, u32, bool)> = objects
            .iter()
            .filter(|(_, o)| o.alive && !o.data.ghost)
            .filter_map(|(id, o)| {
                let seq = o.data.made.as_ref()?.seq;
                match o.data.kind {
                    Kind::Callback(Callback::Frame { surface, committed: c }) if surface == s && c == committed => {
                        Some((seq, id, false))
                    }
                    Kind::Feedback { surface, committed: false } if surface == s && !committed => Some((seq, id, true)),
                    _ => None,
                }
            })
            .collect();
        cbs.sort_unstable();
        for (_, id, feedback) in cbs {
            if feedback {
                let bytes = &objects.get(id).expect("listed").data.made.as_ref().expect("listed").bytes;
                if objects.get(word(bytes, 0)).is_some_and(|p| p.alive && !p.data.ghost) {
                    e.push(bytes, Vec::new())?;
                }
            } else {
                e.push(&req("wl_surface", s, "frame").uint(id).build(), Vec::new())?;
            }
        }
        Ok(())
    }

    /// What the client set on surface `s` and has not committed yet.
    pub(super) fn pending(
        &mut self,
        objects: &Objects<GuiObj>,
        s: u32,
        ctx: &Ctx<'_>,
        scratch: &mut Scratch,
        e: &mut Emit<'_>,
    ) -> Result<(), End> {
        let state = objects.get(s).and_then(|o| o.data.kind.surface()).expect("a surface").pending.clone();
        if !state.is_empty() {
            self.surface_state(objects, s, &state, ALL, ctx, scratch, e)?;
        }
        self.frames(objects, s, false, e)
    }

    /// Restacks the subsurfaces of `parent`: each placed next to one already in place.
    pub(super) fn stack(&mut self, objects: &Objects<GuiObj>, parent: u32, e: &mut Emit<'_>) -> Result<(), End> {
        let Some(rec) = objects.get(parent).and_then(|o| o.data.kind.surface()) else { return Ok(()) };
        let live = |sub: &u32| objects.get(*sub).is_some_and(|o| o.alive && !o.data.ghost);
        let surface_of = |sub: u32| match objects.get(sub).map(|o| &o.data.kind) {
            Some(&Kind::Subsurface { surface, .. }) => surface,
            _ => 0,
        };
        let mut anchor = parent;
        for &sub in rec.above.iter().filter(|s| live(s)) {
            e.push(&req("wl_subsurface", sub, "place_above").uint(anchor).build(), Vec::new())?;
            anchor = surface_of(sub);
        }
        let mut anchor = parent;
        for &sub in rec.below.iter().rev().filter(|s| live(s)) {
            e.push(&req("wl_subsurface", sub, "place_below").uint(anchor).build(), Vec::new())?;
            anchor = surface_of(sub);
        }
        Ok(())
    }
}

/// The xdg_surface of surface `s`, if it has a toplevel role on this connection.
pub(super) fn toplevel_of(objects: &Objects<GuiObj>, s: u32) -> Option<u32> {
    let xdg = objects.get(s)?.data.kind.surface()?.xdg;
    let x = objects.get(xdg).filter(|o| o.alive && !o.data.ghost)?;
    matches!(x.data.kind, Kind::XdgSurface(_)).then_some(())?;
    objects
        .iter()
        .any(|(_, o)| o.alive && !o.data.ghost && matches!(&o.data.kind, Kind::Toplevel(t) if t.xdg == xdg))
        .then_some(xdg)
}

/// Surfaces to commit, children before their parents.
pub(super) fn surface_order(objects: &Objects<GuiObj>) -> Vec<u32> {
    let live = |o: &crate::wayland::objects::Object<GuiObj>| o.alive && !o.data.ghost;
    let mut parent_of: HashMap<u32, u32> = HashMap::new();
    for (_, o) in objects.iter() {
        if let (Kind::Subsurface { surface, parent }, true) = (&o.data.kind, live(o)) {
            parent_of.insert(*surface, *parent);
        }
    }
    let mut surfaces: Vec<(u32, u64)> = objects
        .iter()
        .filter(|(_, o)| live(o) && matches!(o.data.kind, Kind::Surface(_)))
        .map(|(id, o)| (id, o.data.made.as_ref().map_or(0, |m| m.seq)))
        .collect();
    // Depth first: deeper surfaces first, in the order they were made.
    let depth = |mut s: u32| {
        let mut d = 0u32;
        while let Some(&p) = parent_of.get(&s) {
            s = p;
            d += 1;
            if d > 1024 {
                break; // a cycle the compositor would refuse; stop counting
            }
        }
        d
    };
    surfaces.sort_by_key(|&(id, seq)| (std::cmp::Reverse(depth(id)), seq));
    surfaces.into_iter().map(|(id, _)| id).collect()
}
