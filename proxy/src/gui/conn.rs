//! The GUI side of one proxied client: everything the app VM sends is checked here before the
//! compositor sees it, and kept (`restore`) so that a new compositor can be given the client
//! again. Pure state plus in-memory fds (memfds, pipes), so the fuzz targets drive it directly.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::rc::{Rc, Weak};
use std::sync::Arc;

use canopy_protocols::wire::{self, Frame};

use super::checks;
use super::restore::ids::PROXY_ID_BASE;
pub use super::restore::model::{Backing, GuiObj, Kind};
use super::restore::model::{BufferRec, Made};
use super::restore::verify::Verifier;
use super::restore::Restore;
use crate::limits::{self, Limits, Usage, CAPPED};
use crate::pump::{Direct, End, Engine, Outbox, Pipe};
use crate::shm::diff;
use crate::shm::map::Memfd;
use crate::shm::region::Region;
use crate::wayland::message::{self, Arg, ProtocolError};
use crate::wayland::objects::{Dir, Objects};
use crate::wayland::tables::op;

/// Pool memory the GUI side made for a pool of the VM's client.
pub struct Mem {
    memfd: Memfd,
    usage: Arc<Usage>,
}

impl Mem {
    pub fn len(&self) -> usize {
        self.memfd.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.memfd.fd.as_fd()
    }
}

impl Drop for Mem {
    fn drop(&mut self) {
        self.usage.release(self.memfd.map.len() as u64);
    }
}

/// An fd frame waiting for the message that uses it.
enum Announced {
    Pool(Rc<RefCell<Mem>>),
    Region,
    Pipe(u32),
}

/// Largest keymap passed on.
const MAX_KEYMAP: usize = 4 << 20;
/// Most fd frames that may wait for their message.
const MAX_ANNOUNCED: usize = 28;

pub struct GuiConn {
    vm: Arc<str>,
    limits: Arc<Limits>,
    usage: Arc<Usage>,
    region: Option<Arc<Region>>,
    objects: Objects<GuiObj>,
    announced: VecDeque<Announced>,
    mems: HashMap<u32, Weak<RefCell<Mem>>>,
    hello: bool,
    next_pipe: u32,
    scratch: Vec<u8>,
    patched: Vec<u8>,
    /// Live objects of each capped interface (counted in `usage` for the VM too).
    held: [usize; CAPPED.len()],
    /// What a new compositor needs to show the client again, and the link's state.
    pub restore: Restore,
}

fn violation(e: impl std::fmt::Display) -> End {
    End::Violation(e.to_string())
}

impl GuiConn {
    pub fn new(vm: Arc<str>, limits: Arc<Limits>, usage: Arc<Usage>, region: Option<Arc<Region>>) -> Self {
        let max_objects = limits.max_objects;
        GuiConn {
            vm,
            limits,
            usage,
            region,
            objects: Objects::new(max_objects),
            announced: VecDeque::new(),
            mems: HashMap::new(),
            hello: false,
            next_pipe: 0,
            scratch: Vec::new(),
            patched: Vec::new(),
            held: [0; CAPPED.len()],
            restore: Restore::default(),
        }
    }

    /// Live objects of the capped interface `index` this client holds.
    pub fn held(&self, index: usize) -> usize {
        self.held[index]
    }

    /// Counts a new object against the caps of its interface, for this client and the VM.
    fn count_new(&mut self, iface: &'static str) -> Result<(), End> {
        let Some(i) = limits::capped(iface) else { return Ok(()) };
        let (client, vm) = self.limits.cap(i);
        if self.held[i] >= client {
            return Err(violation(format!("more than {client} {iface} objects in one client (--cap {iface}=N:M)")));
        }
        if !self.usage.take_object(i, vm) {
            return Err(violation(format!("more than {vm} {iface} objects in the VM (--cap {iface}=N:M)")));
        }
        self.held[i] += 1;
        Ok(())
    }

    fn count_gone(&mut self, iface: &'static str) {
        if let Some(i) = limits::capped(iface) {
            self.held[i] -= 1;
            self.usage.drop_objects(i, 1);
        }
    }

    pub fn vm(&self) -> &str {
        &self.vm
    }

    pub fn object_count(&self) -> usize {
        self.objects.len()
    }

    /// Feeds raw stream bytes from the VM as the event loop would, without sockets (tests and
    /// the fuzz target). Pipe frames are ignored here.
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut Outbox) -> Result<(), End> {
        loop {
            match wire::decode(bytes, self.limits.max_frame) {
                Ok(Some((f, n))) => {
                    self.frame(f, out)?;
                    bytes = &bytes[n..];
                }
                Ok(None) => return Ok(()),
                Err(e) => return Err(violation(format!("bad frame: {e}"))),
            }
        }
    }

    fn new_mem(&mut self, mem: u32, size: u32) -> Result<Rc<RefCell<Mem>>, End> {
        if size == 0 || u64::from(size) > self.limits.max_pool {
            return Err(violation(format!("pool of {size} bytes (limit {})", self.limits.max_pool)));
        }
        if self.mems.get(&mem).is_some_and(|w| w.strong_count() > 0) {
            return Err(violation(format!("pool memory id {mem} is already in use")));
        }
        if !self.usage.reserve(u64::from(size), self.limits.max_vm_pools) {
            return Err(violation(format!(
                "pools of the VM would exceed {} bytes ({} in use)",
                self.limits.max_vm_pools,
                self.usage.in_use()
            )));
        }
        let memfd = match Memfd::new("canopy-proxy-pool", size as usize) {
            Ok(m) => m,
            Err(e) => {
                self.usage.release(u64::from(size));
                return Err(End::Io(e));
            }
        };
        let m = Rc::new(RefCell::new(Mem { memfd, usage: self.usage.clone() }));
        self.mems.retain(|_, w| w.strong_count() > 0);
        self.mems.insert(mem, Rc::downgrade(&m));
        Ok(m)
    }

    /// A request from the VM's client: checks it, keeps what it does, then queues it (maybe
    /// patched) for the compositor.
    fn request(&mut self, bytes: &[u8], out: &mut Outbox) -> Result<(), End> {
        // The VM's request rate is bounded: beyond it, this client waits (and so does the VM).
        let wait = self.usage.take_request(self.limits.max_requests_per_second, std::time::Instant::now());
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
        let read = self.objects.read(bytes, Dir::Request).map_err(violation)?;
        let needed = read.msg.fd_count();
        if needed == 0 && !self.announced.is_empty() {
            return Err(violation(ProtocolError::UnusedFds(self.announced.len())));
        }
        if needed > self.announced.len() {
            return Err(violation(ProtocolError::MissingFd { needed, available: self.announced.len() }));
        }
        if let Some(id) = read.msg.args.iter().find_map(|a| match a {
            Arg::NewId(id) if *id >= PROXY_ID_BASE => Some(*id),
            _ => None,
        }) {
            return Err(violation(format!("new object id {id:#x} is in the proxy's own range")));
        }
        self.patched.clear();
        self.patched.extend_from_slice(bytes);
        let mut fds: Vec<OwnedFd> = Vec::new();
        let mut kind = Kind::None;
        let mut forward = true;
        let iface = read.interface.name;
        let opcode = read.msg.opcode;
        let args = &read.msg.args;
        match (iface, opcode) {
            ("wl_display", op::DISPLAY_GET_REGISTRY) => kind = Kind::Registry(Box::default()),
            ("wl_registry", op::REGISTRY_BIND) => {
                let Kind::Registry(globals) = &self.objects.get(read.msg.object).expect("read checked it").data.kind
                else {
                    return Err(violation("bind on a registry the proxy does not know"));
                };
                checks::bind(globals, &read).map_err(violation)?;
            }
            ("wl_shm", op::SHM_CREATE_POOL) => {
                let size = args[2].int();
                match self.announced.pop_front().expect("counted") {
                    Announced::Pool(mem) => {
                        let have = mem.borrow().len();
                        if size <= 0 || size as usize != have {
                            return Err(violation(format!(
                                "create_pool of {size} bytes for a pool announced with {have}"
                            )));
                        }
                        fds.push(mem.borrow().memfd.fd.try_clone().map_err(End::Io)?);
                        kind = Kind::Pool(Backing::Mem(mem));
                    }
                    Announced::Region => {
                        let region = self.region.as_ref().ok_or_else(|| violation("region pool without a region"))?;
                        fds.push(region.fd.try_clone().map_err(End::Io)?);
                        // The compositor maps the whole region; buffer offsets are region offsets.
                        let at = read.msg.offsets[2];
                        self.patched[at..at + 4].copy_from_slice(&(region.len as i32).to_ne_bytes());
                        kind = Kind::Pool(Backing::Region);
                    }
                    Announced::Pipe(_) => return Err(violation("a pipe announced for create_pool")),
                }
            }
            ("wl_shm_pool", op::SHM_POOL_CREATE_BUFFER) => {
                let obj = self.objects.get(read.msg.object).expect("read checked it");
                let (pool_len, backing) = match &obj.data.kind {
                    Kind::Pool(b @ Backing::Mem(m)) => (m.borrow().len() as i64, b.clone()),
                    Kind::Pool(Backing::Region) => (self.region.as_ref().map_or(0, |r| r.len as i64), Backing::Region),
                    _ => return Err(violation("create_buffer on an unknown pool")),
                };
                checks::buffer(&read, pool_len, self.limits.max_buffer_side).map_err(violation)?;
                kind = Kind::Buffer(Rc::new(BufferRec {
                    backing: Some(backing),
                    pool: read.msg.object,
                    request: bytes.into(),
                    busy: Default::default(),
                }));
            }
            ("wp_single_pixel_buffer_manager_v1", _) => {
                kind = Kind::Buffer(Rc::new(BufferRec {
                    backing: None,
                    pool: 0,
                    request: bytes.into(),
                    busy: Default::default(),
                }));
            }
            ("wl_region", op::REGION_ADD | op::REGION_SUBTRACT) => {
                let max = self.limits.max_region_rects;
                if let Some(Kind::Region(ops)) = self.objects.get(read.msg.object).map(|o| &o.data.kind) {
                    if ops.ops.len() >= max as usize {
                        return Err(violation(format!("more than {max} rectangles in one wl_region")));
                    }
                }
            }
            ("wl_shm_pool", op::SHM_POOL_RESIZE) => {
                let size = args[0].int();
                let obj = self.objects.get(read.msg.object).expect("read checked it");
                match &obj.data.kind {
                    Kind::Pool(Backing::Mem(mem)) => {
                        let mut m = mem.borrow_mut();
                        let have = m.len() as u64;
                        if size <= 0 || (size as u64) < have {
                            return Err(violation(format!("pool resize from {have} to {size} bytes")));
                        }
                        let size = size as u64;
                        if size > self.limits.max_pool {
                            return Err(violation(format!("pool of {size} bytes (limit {})", self.limits.max_pool)));
                        }
                        if !self.usage.reserve(size - have, self.limits.max_vm_pools) {
                            return Err(violation(format!(
                                "pools of the VM would exceed {} bytes",
                                self.limits.max_vm_pools
                            )));
                        }
                        if let Err(e) = m.memfd.grow(size as usize) {
                            self.usage.release(size - have);
                            return Err(End::Io(e));
                        }
                    }
                    Kind::Pool(Backing::Region) => {
                        let len = self.region.as_ref().map_or(0, |r| r.len);
                        if size <= 0 || size as usize > len {
                            return Err(violation(format!("region pool resize to {size} bytes")));
                        }
                        forward = false; // the compositor's pool already spans the region
                    }
                    _ => return Err(violation("resize of an unknown pool")),
                }
            }
            _ if needed > 0 => {
                let is_receive =
                    read.desc.name == "receive" && matches!(iface, "wl_data_offer" | "zwp_primary_selection_offer_v1");
                if !is_receive {
                    return Err(violation(ProtocolError::UnsupportedFd { interface: iface, message: read.desc.name }));
                }
                let Announced::Pipe(id) = self.announced.pop_front().expect("counted") else {
                    return Err(violation("a pool announced for a clipboard receive"));
                };
                if self.restore.receive_goes_nowhere(&self.objects, &read) {
                    // An offer of a compositor that is gone: an empty paste.
                    wire::encode::pipe_close(out.stream.frames(), id);
                } else {
                    let (r, w) =
                        rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).map_err(|e| End::Io(e.into()))?;
                    fds.push(w);
                    out.new_pipes.push(Pipe::Source { id, fd: r });
                }
            }
            _ => {}
        }
        if let Some((what, w, h)) = checks::sized(iface, opcode, args) {
            checks::surface_size(what, w, h, self.limits.max_buffer_side).map_err(violation)?;
        }
        let verdict = self.restore.request(&mut self.objects, &read, &mut self.patched, &mut kind)?;
        let destructor = read.desc.is_destructor;
        if let Some((id, created)) = self.objects.apply(&read, Dir::Request).map_err(violation)? {
            let seq = self.restore.next_seq();
            if let Some(o) = self.objects.get_mut(id) {
                o.data = GuiObj {
                    kind,
                    made: Some(Made { seq, bytes: self.patched.as_slice().into() }),
                    ghost: verdict.ghost,
                    ..GuiObj::default()
                };
            }
            self.count_new(created.name)?;
        }
        if destructor {
            // A request on a destroyed object is refused, so each object is counted out once.
            self.count_gone(iface);
        }
        self.restore.after_apply(&self.objects);
        if forward && verdict.forward {
            let msg = if verdict.translated { &self.restore.wire } else { &self.patched };
            out.wayland.push(msg, fds);
        }
        self.deliver_synthetic(out)
    }

    /// The compositor connection closed. A client the compositor ended (a protocol error) ends
    /// too; any other is kept, its windows to be restored.
    pub fn compositor_lost(&mut self, out: &mut Outbox) -> Result<(), End> {
        if self.restore.fatal {
            return Err(End::WaylandClosed);
        }
        self.restore.compositor_lost(&mut self.objects);
        self.deliver_synthetic(out)
    }

    /// No compositor yet: the client's state is kept until one comes.
    pub fn start_away(&mut self) {
        self.restore.mode = super::restore::Mode::Away;
    }

    /// A new compositor connection: the restore starts on `out.wayland`.
    pub fn reconnected(&mut self, out: &mut Outbox) {
        let region_len = self.region.as_ref().map_or(0, |r| r.len);
        self.restore.reconnected(Verifier::new(&self.limits, region_len), out);
    }

    /// Memory the GUI side holds to restore this client: what each object's record adds to
    /// the object map's entry (72 bytes for the live path alone), the records' heap, and the
    /// id maps of a restored connection. Pool memory is not counted: the proxy holds it for
    /// the live path anyway.
    pub fn restore_bytes(&self) -> usize {
        let per_entry = std::mem::size_of::<crate::wayland::objects::Object<GuiObj>>().saturating_sub(72);
        let records: usize = self.objects.iter().map(|(_, o)| super::restore::model::heap_bytes(&o.data)).sum();
        self.objects.len() * per_entry + records + self.restore.client_ids.heap_bytes()
    }
}

impl Engine for GuiConn {
    fn frame(&mut self, frame: Frame<'_>, out: &mut Outbox) -> Result<(), End> {
        if !self.hello {
            return match frame {
                Frame::Hello { version, region } => {
                    if version != wire::VERSION {
                        return Err(violation(format!("wire version {version}, expected {}", wire::VERSION)));
                    }
                    if region && self.region.is_none() {
                        return Err(violation("the VM uses a shared region but this side has none"));
                    }
                    self.hello = true;
                    Ok(())
                }
                _ => Err(violation("first frame is not a hello")),
            };
        }
        match frame {
            Frame::Hello { .. } => Err(violation("second hello")),
            Frame::Wayland(mut bytes) => {
                while !bytes.is_empty() {
                    let size = match message::peek(bytes, self.limits.max_message).map_err(violation)? {
                        Some((_, _, size)) => size,
                        None if bytes.len() < message::HEADER_LEN => {
                            return Err(violation(ProtocolError::TruncatedHeader(bytes.len())))
                        }
                        None => return Err(violation(ProtocolError::Truncated { size: bytes.len() })),
                    };
                    self.request(&bytes[..size], out)?;
                    bytes = &bytes[size..];
                }
                Ok(())
            }
            Frame::FdShmPool { mem, size } => {
                self.announce_check()?;
                let m = self.new_mem(mem, size)?;
                self.announced.push_back(Announced::Pool(m));
                Ok(())
            }
            Frame::FdShmRegion => {
                self.announce_check()?;
                if self.region.is_none() {
                    return Err(violation("region pool without a region"));
                }
                self.announced.push_back(Announced::Region);
                Ok(())
            }
            Frame::FdPipeWrite { pipe } => {
                self.announce_check()?;
                self.announced.push_back(Announced::Pipe(pipe));
                Ok(())
            }
            Frame::FdKeymap(_) => Err(violation("keymap from the VM")),
            Frame::PoolData(pd) => {
                let mem = self
                    .mems
                    .get(&pd.mem)
                    .and_then(Weak::upgrade)
                    .ok_or_else(|| violation(format!("pool data for unknown memory {}", pd.mem)))?;
                let mut m = mem.borrow_mut();
                let max_raw = m.len().max(self.limits.max_frame);
                diff::apply(&pd, m.memfd.map.bytes_mut(), &mut self.scratch, max_raw).map_err(violation)
            }
            Frame::PipeData { .. } | Frame::PipeClose { .. } => Ok(()),
        }
    }

    fn wayland(&mut self, msg: &[u8], fds: &mut VecDeque<OwnedFd>, out: &mut Outbox) -> Result<(), End> {
        self.event(msg, fds, out)
    }

    fn hold_stream(&self) -> bool {
        self.restore.is_restoring()
    }

    fn direct(&mut self, mem: u32, spans: &[(u32, u32)]) -> Result<Option<Direct>, End> {
        if !self.hello {
            return Err(violation("first frame is not a hello"));
        }
        let m = self
            .mems
            .get(&mem)
            .and_then(Weak::upgrade)
            .ok_or_else(|| violation(format!("pool data for unknown memory {mem}")))?;
        let len = m.borrow().len();
        for &(off, n) in spans {
            if u64::from(off) + u64::from(n) > len as u64 {
                return Err(violation(format!("pool data span {off}+{n} beyond the pool of {len} bytes")));
            }
        }
        let ptr = m.borrow_mut().memfd.map.bytes_mut().as_mut_ptr();
        Ok(Some(Direct { keep: Box::new(m), ptr, len }))
    }
}

impl Drop for GuiConn {
    fn drop(&mut self) {
        for (i, &n) in self.held.iter().enumerate() {
            self.usage.drop_objects(i, n);
        }
    }
}

impl GuiConn {
    fn announce_check(&self) -> Result<(), End> {
        if self.announced.len() >= MAX_ANNOUNCED {
            return Err(violation(format!("more than {MAX_ANNOUNCED} fds announced ahead of their message")));
        }
        Ok(())
    }
}

mod events;
#[cfg(test)]
mod tests;
