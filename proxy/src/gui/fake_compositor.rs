//! A stand-in compositor for the unit tests and fuzz targets of the GUI side: it reads what the
//! proxy sends against the protocol tables (a message it cannot read fails the test) and
//! answers the few things a client and a restore wait for: globals, syncs, the configure of a
//! new window, a seat's capabilities, shm formats. Named a stand-in: the end-to-end tests use
//! the real compositor.

use std::collections::{HashMap, HashSet};

use super::restore::{event_opcode, interface};
use crate::pump::Outbox;
use crate::wayland::message::{self, Arg, Builder};
use crate::wayland::objects::{Dir, Objects};

/// One request the stand-in got: interface, request name, and its bytes.
#[derive(Debug, Clone)]
pub struct Got {
    pub interface: &'static str,
    pub name: &'static str,
    pub bytes: Vec<u8>,
    pub fds: usize,
}

impl Got {
    /// Argument `i` as read by the tables.
    pub fn arg(&self, i: usize) -> u32 {
        let iface = interface(self.interface).expect("known");
        let opcode = (u32::from_ne_bytes(self.bytes[4..8].try_into().unwrap()) & 0xffff) as u16;
        let desc = &iface.requests[opcode as usize];
        let m = message::parse(iface.name, desc, 0, opcode, &self.bytes).expect("read before");
        m.args[i].uint()
    }

    pub fn object(&self) -> u32 {
        u32::from_ne_bytes(self.bytes[0..4].try_into().unwrap())
    }

    pub fn string(&self, i: usize) -> String {
        let iface = interface(self.interface).expect("known");
        let opcode = (u32::from_ne_bytes(self.bytes[4..8].try_into().unwrap()) & 0xffff) as u16;
        let desc = &iface.requests[opcode as usize];
        let m = message::parse(iface.name, desc, 0, opcode, &self.bytes).expect("read before");
        match m.args[i] {
            Arg::Str(Some(s)) => String::from_utf8_lossy(s).into_owned(),
            _ => String::new(),
        }
    }
}

pub struct FakeCompositor {
    objects: Objects<()>,
    /// (name, interface, version) it advertises.
    pub globals: Vec<(u32, &'static str, u32)>,
    serial: u32,
    /// xdg_surface of each surface, and those with a toplevel role.
    xdg_of: HashMap<u32, u32>,
    /// xdg_surface → its toplevel.
    toplevels: HashMap<u32, u32>,
    configured: HashSet<u32>,
    /// Everything it got, in order.
    pub got: Vec<Got>,
    /// What it read wrong (it stops reading then).
    pub error: Option<String>,
    /// One past the highest client id so far: libwayland takes a new id only up to there.
    count: u32,
}

impl FakeCompositor {
    /// Advertises `globals`; its serials start at `first_serial`.
    pub fn new(globals: &[(u32, &'static str, u32)], first_serial: u32) -> Self {
        FakeCompositor {
            objects: Objects::new(1 << 20),
            globals: globals.to_vec(),
            serial: first_serial,
            xdg_of: HashMap::new(),
            toplevels: HashMap::new(),
            configured: HashSet::new(),
            got: Vec::new(),
            error: None,
            count: 2,
        }
    }

    /// A new serial.
    pub fn serial(&mut self) -> u32 {
        self.serial += 1;
        self.serial
    }

    /// An event `name` on object `id` (whose interface it knows), built by `args`; an object
    /// it makes exists from then on.
    pub fn event(&mut self, id: u32, name: &str, args: impl FnOnce(Builder) -> Builder) -> Vec<u8> {
        let iface = self.objects.get(id).map(|o| o.interface).unwrap_or_else(|| panic!("no object {id}"));
        let opcode = event_opcode(iface, name).unwrap_or_else(|| panic!("{}.{name}", iface.name));
        let msg = args(Builder::new(id, opcode)).build();
        {
            let read = self.objects.read(&msg, Dir::Event).expect("an event it can read");
            self.objects.apply(&read, Dir::Event).expect("an event it can apply");
        }
        msg
    }

    /// Reads everything queued for the compositor in `out`, and returns its answers.
    pub fn take(&mut self, out: &mut Outbox) -> Vec<Vec<u8>> {
        let (bytes, fds) = std::mem::take(&mut out.wayland).queued();
        self.read(&bytes, fds)
    }

    /// Reads whole messages `bytes` that came with `fds` fds, and returns its answers.
    pub fn read(&mut self, bytes: &[u8], fds: usize) -> Vec<Vec<u8>> {
        let mut fds_left = fds;
        let mut replies = Vec::new();
        let mut at = 0;
        while at < bytes.len() && self.error.is_none() {
            let size = match message::peek(&bytes[at..], 1 << 16) {
                Ok(Some((_, _, size))) => size,
                r => {
                    self.error = Some(format!("bad message: {r:?}"));
                    break;
                }
            };
            let msg = &bytes[at..at + size];
            at += size;
            if let Err(e) = self.request(msg, &mut fds_left, &mut replies) {
                self.error = Some(e);
            }
        }
        replies
    }

    fn request(&mut self, msg: &[u8], fds_left: &mut usize, replies: &mut Vec<Vec<u8>>) -> Result<(), String> {
        let read = self.objects.read(msg, Dir::Request).map_err(|e| e.to_string())?;
        let (iface, name) = (read.interface.name, read.desc.name);
        let fds = read.msg.fd_count();
        *fds_left = fds_left.checked_sub(fds).ok_or("a message without its fd")?;
        let a = read.msg.args.clone();
        for arg in &a {
            if let Arg::NewId(id) = *arg {
                // As libwayland's wl_map_reserve_new: a free id, at most one past the highest.
                if id > self.count || self.objects.contains(id) {
                    return Err(format!("invalid new_id {id} (next is {})", self.count));
                }
                self.count = self.count.max(id + 1);
            }
        }
        self.got.push(Got { interface: iface, name, bytes: msg.to_vec(), fds });
        let destructor = read.desc.is_destructor;
        let object = read.msg.object;
        self.objects.apply(&read, Dir::Request).map_err(|e| e.to_string())?;
        let new_id = a.iter().find_map(|x| if let Arg::NewId(id) = x { Some(*id) } else { None });
        match (iface, name) {
            ("wl_display", "get_registry") => {
                let id = new_id.expect("new id");
                for (n, i, v) in self.globals.clone() {
                    replies.push(self.event(id, "global", |b| b.uint(n).string(i).uint(v)));
                }
            }
            ("wl_display", "sync") => {
                let id = new_id.expect("new id");
                replies.push(Builder::new(id, 0).uint(0).build());
                replies.push(self.delete(id));
            }
            ("wl_registry", "bind") => {
                let id = new_id.expect("new id");
                match self.objects.get(id).map(|o| o.interface.name) {
                    Some("wl_seat") => {
                        replies.push(self.event(id, "capabilities", |b| b.uint(3)));
                        if self.objects.get(id).is_some_and(|o| o.version >= 2) {
                            replies.push(self.event(id, "name", |b| b.string("seat0")));
                        }
                    }
                    Some("wl_shm") => {
                        replies.push(self.event(id, "format", |b| b.uint(0)));
                        replies.push(self.event(id, "format", |b| b.uint(1)));
                    }
                    _ => {}
                }
            }
            ("xdg_wm_base", "get_xdg_surface") => {
                self.xdg_of.insert(a[1].uint(), new_id.expect("new id"));
            }
            ("xdg_surface", "get_toplevel") => {
                self.toplevels.insert(object, new_id.expect("new id"));
            }
            ("wl_surface", "commit") => {
                if let Some(&xdg) = self.xdg_of.get(&object) {
                    if let (Some(&top), true) = (self.toplevels.get(&xdg), !self.configured.contains(&xdg)) {
                        self.configured.insert(xdg);
                        replies.push(self.event(top, "configure", |b| b.int(0).int(0).array(&[])));
                        let s = self.serial();
                        replies.push(self.event(xdg, "configure", |b| b.uint(s)));
                    }
                }
            }
            _ => {}
        }
        if destructor && object < message::SERVER_ID_BASE {
            replies.push(self.delete(object));
        }
        Ok(())
    }

    /// delete_id for `id`, which it forgets.
    fn delete(&mut self, id: u32) -> Vec<u8> {
        let msg = Builder::new(1, 1).uint(id).build();
        if let Some(o) = self.objects.get_mut(id) {
            o.alive = false;
        }
        {
            let read = self.objects.read(&msg, Dir::Event).expect("delete_id reads");
            self.objects.apply(&read, Dir::Event).expect("delete_id applies");
        }
        msg
    }

    /// The requests named `iface.name` it got.
    pub fn named(&self, iface: &str, name: &str) -> Vec<&Got> {
        self.got.iter().filter(|g| g.interface == iface && g.name == name).collect()
    }

    /// Whether object `id` exists, alive, with interface `iface`.
    pub fn has(&self, id: u32, iface: &str) -> bool {
        self.objects.typed(id, iface).is_some()
    }
}
