//! Objects of the proxy's own that a restore needs for a while: a pool for buffers whose pool
//! the client destroyed, a buffer for content whose buffer it destroyed, a region for a
//! surface's input or opaque region, and globals to make them from when the client has none.

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::rc::Rc;

use super::model::{Attached, Backing, BufferRec, GuiObj, Kind, RegionOps};
use super::plan::{req, set_word, Ctx, Emit};
use super::{Restore, Temp};
use crate::pump::End;
use crate::wayland::message::{Builder, SERVER_ID_BASE};
use crate::wayland::objects::Objects;
use crate::wayland::tables::op;

/// Proxy objects made for one restore step.
#[derive(Default)]
pub(super) struct Scratch {
    /// Bound globals of the proxy's own, by interface.
    pub(super) bound: HashMap<&'static str, u32>,
    /// Pools of the proxy's own by the memory they map (`None`: the shared region).
    pub(super) pools: Vec<(Backing, u32)>,
    /// Made and destroyed within this step.
    pub(super) destroy: Vec<(&'static str, u32)>,
}

impl Restore {
    /// The id to attach for a buffer a surface shows: the client's own if it still has it,
    /// else a buffer of the proxy's made the same way.
    pub(super) fn buffer_id(
        &mut self,
        objects: &Objects<GuiObj>,
        att: &Attached,
        ctx: &Ctx<'_>,
        scratch: &mut Scratch,
        e: &mut Emit<'_>,
    ) -> Result<u32, End> {
        let same = objects.get(att.id).is_some_and(|o| {
            o.alive && !o.data.ghost && matches!(&o.data.kind, Kind::Buffer(r) if Rc::ptr_eq(r, &att.rec))
        });
        if same {
            return Ok(att.id);
        }
        let id = self.proxy_ids.take();
        self.temps.insert(id, Temp::Buffer);
        let mut bytes = att.rec.request.to_vec();
        set_word(&mut bytes, 8, id);
        if att.rec.backing.is_some() {
            let pool = self.pool_for(objects, &att.rec, ctx, scratch, e)?;
            set_word(&mut bytes, 0, pool);
        } else {
            let manager = self.bound(objects, "wp_single_pixel_buffer_manager_v1", scratch, e)?;
            set_word(&mut bytes, 0, manager);
        }
        e.push(&bytes, Vec::new())?;
        Ok(id)
    }

    /// A pool mapping the memory of buffer `rec`: its own pool if the client still has it,
    /// else one of the proxy's (one per memory and restore step).
    pub(super) fn pool_for(
        &mut self,
        objects: &Objects<GuiObj>,
        rec: &BufferRec,
        ctx: &Ctx<'_>,
        scratch: &mut Scratch,
        e: &mut Emit<'_>,
    ) -> Result<u32, End> {
        let backing = rec.backing.as_ref().expect("a pool buffer");
        let own = objects
            .get(rec.pool)
            .is_some_and(|o| o.alive && !o.data.ghost && matches!(&o.data.kind, Kind::Pool(b) if b.same(backing)));
        if own {
            return Ok(rec.pool);
        }
        if let Some(&(_, id)) = scratch.pools.iter().find(|(b, _)| b.same(backing)) {
            return Ok(id);
        }
        let shm = self.bound(objects, "wl_shm", scratch, e)?;
        let id = self.proxy_ids.take();
        self.temps.insert(id, Temp::Other);
        let (size, fd) = pool_memory(backing, ctx)?;
        let msg = req("wl_shm", shm, "create_pool").uint(id).uint(size).build();
        e.push(&msg, vec![fd])?;
        scratch.pools.push((backing.clone(), id));
        scratch.destroy.push(("wl_shm_pool", id));
        Ok(id)
    }

    /// A region of the proxy's own with these rectangles (the caller destroys it).
    pub(super) fn temp_region(
        &mut self,
        objects: &Objects<GuiObj>,
        ops: &RegionOps,
        scratch: &mut Scratch,
        e: &mut Emit<'_>,
    ) -> Result<u32, End> {
        let compositor = self.bound(objects, "wl_compositor", scratch, e)?;
        let id = self.proxy_ids.take();
        self.temps.insert(id, Temp::Other);
        let msg = req("wl_compositor", compositor, "create_region").uint(id).build();
        e.push(&msg, Vec::new())?;
        region_ops(id, ops, e)?;
        Ok(id)
    }

    /// An object of global `iface` for the proxy's own requests: one the client bound, else
    /// one the proxy binds on its registry.
    pub(super) fn bound(
        &mut self,
        objects: &Objects<GuiObj>,
        iface: &'static str,
        scratch: &mut Scratch,
        e: &mut Emit<'_>,
    ) -> Result<u32, End> {
        let client = objects
            .iter()
            .filter(|(id, o)| *id < SERVER_ID_BASE && o.alive && !o.data.ghost && o.interface.name == iface)
            .map(|(id, _)| id)
            .min();
        if let Some(id) = client {
            return Ok(id);
        }
        if let Some(&id) = scratch.bound.get(iface) {
            return Ok(id);
        }
        let registry = self.temps.iter().find(|(_, t)| **t == Temp::Registry).map(|(&id, _)| id);
        let global = self.announced.iter().copied().find(|n| self.globals.get(n).is_some_and(|(i, _)| i.name == iface));
        let (Some(registry), Some(global)) = (registry, global) else {
            return Err(End::Local(format!("the new compositor has no {iface} to restore the client with")));
        };
        let id = self.proxy_ids.take();
        self.temps.insert(id, Temp::Other);
        let msg = Builder::new(registry, op::REGISTRY_BIND).uint(global).string(iface).uint(1).uint(id).build();
        e.push(&msg, Vec::new())?;
        scratch.bound.insert(iface, id);
        Ok(id)
    }

    /// Destroys the proxy's objects of one step (bound globals stay: not all can be released).
    pub(super) fn drop_scratch(&mut self, scratch: Scratch, e: &mut Emit<'_>) -> Result<(), End> {
        for (iface, id) in scratch.destroy {
            e.push(&req(iface, id, "destroy").build(), Vec::new())?;
        }
        Ok(())
    }
}

/// The size and an fd of a pool's memory.
pub(super) fn pool_memory(backing: &Backing, ctx: &Ctx<'_>) -> Result<(u32, OwnedFd), End> {
    match backing {
        Backing::Mem(m) => {
            let m = m.borrow();
            Ok((m.len() as u32, m.fd().try_clone_to_owned().map_err(End::Io)?))
        }
        Backing::Region => {
            let r = ctx.region.ok_or_else(|| End::Local("a region pool without a region".into()))?;
            Ok((r.len as u32, r.fd.try_clone().map_err(End::Io)?))
        }
    }
}

/// The rectangles of region `id` again.
pub(super) fn region_ops(id: u32, ops: &RegionOps, e: &mut Emit<'_>) -> Result<(), End> {
    for &(add, [x, y, w, h]) in &ops.ops {
        let msg = req("wl_region", id, if add { "add" } else { "subtract" }).int(x).int(y).int(w).int(h).build();
        e.push(&msg, Vec::new())?;
    }
    Ok(())
}
