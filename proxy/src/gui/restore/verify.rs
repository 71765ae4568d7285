//! Every message a restore sends, checked as the live path checks a VM's requests: read
//! against the protocol tables and the compositor's view of the connection (objects exist,
//! have the right interface and version, ids are fresh), binds only to globals a VM may see at
//! versions the new compositor offers, pools within their limit, buffers inside their pool,
//! regions and surface sizes bounded, fds only where a pool needs one, and no more objects of
//! a capped interface than a client may hold. A restore that fails a check ends the client.

use std::collections::HashMap;

use wayland_client::backend::protocol::Interface;

use super::ids::{is_proxy_id, ClientIds};
use crate::gui::checks;
use crate::limits::{self, Limits, CAPPED};
use crate::wayland::message::{self, Arg, ProtocolError};
use crate::wayland::objects::{Dir, Objects};

#[derive(Default)]
struct VObj {
    /// A pool's size, or a region's rectangle count.
    size: i64,
}

pub struct Verifier {
    objects: Objects<VObj>,
    limits: Limits,
    region_len: usize,
    /// The compositor's globals a VM may see: name → (interface, version).
    globals: HashMap<u32, (&'static Interface, u32)>,
    held: [usize; CAPPED.len()],
}

impl Verifier {
    pub fn new(limits: &Limits, region_len: usize) -> Self {
        Verifier {
            // The proxy's own objects come on top of the client's, and ids of what a restore
            // destroyed stay taken until the compositor deletes them.
            objects: Objects::new(limits.max_objects.saturating_mul(3)),
            limits: limits.clone(),
            region_len,
            globals: HashMap::new(),
            held: [0; CAPPED.len()],
        }
    }

    pub fn set_globals(&mut self, globals: &HashMap<u32, (&'static Interface, u32)>) {
        self.globals = globals.clone();
    }

    /// The compositor deleted one of the proxy's ids.
    pub fn deleted(&mut self, id: u32) {
        let msg = message::Builder::new(1, crate::wayland::tables::op::DISPLAY_EV_DELETE_ID).uint(id).build();
        let read = self.objects.read(&msg, Dir::Event);
        if let Ok(read) = read {
            let _ = self.objects.apply(&read, Dir::Event);
        }
    }

    /// Checks one request (in the client's ids) with `fds` fds, records what it makes, and
    /// returns it in the compositor's ids (new objects numbered in `ids`).
    pub fn check(&mut self, bytes: &[u8], fds: usize, ids: &mut ClientIds) -> Result<Vec<u8>, String> {
        let (_, _, size) = message::peek(bytes, self.limits.max_message.max(4096))
            .map_err(|e| e.to_string())?
            .ok_or("a truncated message")?;
        if size != bytes.len() {
            return Err(format!("a message of {size} bytes in {}", bytes.len()));
        }
        let read = self.objects.read(bytes, Dir::Request).map_err(|e| e.to_string())?;
        let (iface, name) = (read.interface.name, read.desc.name);
        if read.msg.fd_count() != fds || (fds > 0 && (iface, name) != ("wl_shm", "create_pool")) {
            return Err(ProtocolError::UnsupportedFd { interface: iface, message: read.desc.name }.to_string());
        }
        let a = &read.msg.args;
        let mut made_size = 0;
        match (iface, name) {
            ("wl_registry", "bind") => checks::bind(&self.globals, &read)?,
            ("wl_shm", "create_pool") => {
                let size = a[2].int();
                let max = self.limits.max_pool.max(self.region_len as u64);
                if size <= 0 || size as u64 > max {
                    return Err(format!("pool of {size} bytes (limit {max})"));
                }
                made_size = i64::from(size);
            }
            ("wl_shm_pool", "create_buffer") => {
                let pool = self.objects.get(read.msg.object).map_or(0, |o| o.data.size);
                checks::buffer(&read, pool, self.limits.max_buffer_side)?;
            }
            ("wl_shm_pool", "resize") => return Err("a restore never resizes a pool".into()),
            ("wl_region", "add" | "subtract") => {
                let max = i64::from(self.limits.max_region_rects);
                let o = self.objects.get_mut(read.msg.object).expect("read checked it");
                if o.data.size >= max {
                    return Err(format!("more than {max} rectangles in one wl_region"));
                }
                o.data.size += 1;
            }
            _ => {}
        }
        if let Some((what, w, h)) = checks::sized(iface, read.msg.opcode, a) {
            checks::surface_size(what, w, h, self.limits.max_buffer_side)?;
        }
        let mut wire = bytes.to_vec();
        let put = |w: &mut Vec<u8>, at: usize, v: u32| w[at..at + 4].copy_from_slice(&v.to_ne_bytes());
        let gone = |id: u32| format!("object {id} is not on the compositor's connection");
        put(&mut wire, 0, ids.to_compositor(read.msg.object).ok_or_else(|| gone(read.msg.object))?);
        for (arg, &at) in read.msg.args.iter().zip(&read.msg.offsets) {
            match *arg {
                Arg::Object(id) if id != 0 => put(&mut wire, at, ids.to_compositor(id).ok_or_else(|| gone(id))?),
                Arg::NewId(id) => put(&mut wire, at, ids.add(id)),
                _ => {}
            }
        }
        let destructor = read.desc.is_destructor;
        if let Some((id, created)) = self.objects.apply(&read, Dir::Request).map_err(|e| e.to_string())? {
            if let Some(o) = self.objects.get_mut(id) {
                o.data.size = made_size;
            }
            if let Some(i) = limits::capped(created.name).filter(|_| !is_proxy_id(id)) {
                let (client, _) = self.limits.cap(i);
                if self.held[i] >= client {
                    return Err(format!("more than {client} {} objects", created.name));
                }
                self.held[i] += 1;
            }
        }
        if destructor && !is_proxy_id(read.msg.object) {
            if let Some(i) = limits::capped(iface) {
                self.held[i] = self.held[i].saturating_sub(1);
            }
        }
        Ok(wire)
    }
}
