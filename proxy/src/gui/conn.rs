//! The GUI side of one proxied client: everything the app VM sends is checked here before the
//! compositor sees it. Pure state plus in-memory fds (memfds, pipes), so the fuzz target drives
//! it directly.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::os::fd::{AsFd, OwnedFd};
use std::rc::{Rc, Weak};
use std::sync::Arc;

use canopy_protocols::wire::{self, Frame};
use wayland_client::backend::protocol::Interface;

use crate::limits::{self, Limits, Usage, CAPPED};
use crate::pump::{Direct, End, Engine, Outbox, Pipe};
use crate::shm::diff;
use crate::shm::map::{Mapping, Memfd};
use crate::shm::region::Region;
use crate::wayland::message::{self, Arg, ProtocolError};
use crate::wayland::objects::{Dir, Objects, Read};
use crate::wayland::tables::{self, op};

/// Pool memory the GUI side made for a pool of the VM's client.
pub struct Mem {
    memfd: Memfd,
    usage: Arc<Usage>,
}

impl Drop for Mem {
    fn drop(&mut self) {
        self.usage.release(self.memfd.map.len() as u64);
    }
}

#[derive(Default)]
pub enum GuiObj {
    #[default]
    None,
    /// Globals advertised on this registry: name → (interface, version).
    Registry(HashMap<u32, (&'static Interface, u32)>),
    Pool(Backing),
    Buffer(Option<Rc<RefCell<Mem>>>),
    /// A wl_region and how many rectangles were added to or subtracted from it.
    Region(u32),
}

#[derive(Clone)]
pub enum Backing {
    Mem(Rc<RefCell<Mem>>),
    Region,
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

    /// A size in surface coordinates (viewport destination, window geometry, popup size): no
    /// larger than the largest buffer, so the compositor never lays out or draws a giant.
    fn check_surface_size(&self, what: &str, w: i32, h: i32) -> Result<(), End> {
        let max = self.limits.max_buffer_side;
        if w > max || h > max {
            return Err(violation(format!("{what} of {w}x{h} (limit {max}, as for buffers)")));
        }
        Ok(())
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

    /// A request from the VM's client: checks it, then queues it (maybe patched) for the compositor.
    fn request(&mut self, bytes: &[u8], out: &mut Outbox) -> Result<(), End> {
        let read = self.objects.read(bytes, Dir::Request).map_err(violation)?;
        let needed = read.msg.fd_count();
        if needed == 0 && !self.announced.is_empty() {
            return Err(violation(ProtocolError::UnusedFds(self.announced.len())));
        }
        if needed > self.announced.len() {
            return Err(violation(ProtocolError::MissingFd { needed, available: self.announced.len() }));
        }
        self.patched.clear();
        self.patched.extend_from_slice(bytes);
        let mut fds: Vec<OwnedFd> = Vec::new();
        let mut new_data = GuiObj::None;
        let mut forward = true;
        let iface = read.interface.name;
        let opcode = read.msg.opcode;
        let args = &read.msg.args;
        match (iface, opcode) {
            ("wl_display", op::DISPLAY_GET_REGISTRY) => new_data = GuiObj::Registry(HashMap::new()),
            ("wl_registry", op::REGISTRY_BIND) => self.check_bind(&read)?,
            ("wl_shm", op::SHM_CREATE_POOL) => {
                let size = args[2].int();
                match self.announced.pop_front().expect("counted") {
                    Announced::Pool(mem) => {
                        let have = mem.borrow().memfd.map.len();
                        if size <= 0 || size as usize != have {
                            return Err(violation(format!(
                                "create_pool of {size} bytes for a pool announced with {have}"
                            )));
                        }
                        fds.push(mem.borrow().memfd.fd.try_clone().map_err(End::Io)?);
                        new_data = GuiObj::Pool(Backing::Mem(mem));
                    }
                    Announced::Region => {
                        let region = self.region.as_ref().ok_or_else(|| violation("region pool without a region"))?;
                        fds.push(region.fd.try_clone().map_err(End::Io)?);
                        // The compositor maps the whole region; buffer offsets are region offsets.
                        let at = read.msg.offsets[2];
                        self.patched[at..at + 4].copy_from_slice(&(region.len as i32).to_ne_bytes());
                        new_data = GuiObj::Pool(Backing::Region);
                    }
                    Announced::Pipe(_) => return Err(violation("a pipe announced for create_pool")),
                }
            }
            ("wl_shm_pool", op::SHM_POOL_CREATE_BUFFER) => {
                new_data = self.check_buffer(&read)?;
            }
            ("wl_compositor", op::COMPOSITOR_CREATE_REGION) => new_data = GuiObj::Region(0),
            ("wl_region", op::REGION_ADD | op::REGION_SUBTRACT) => {
                let max = self.limits.max_region_rects;
                if let Some(GuiObj::Region(n)) = self.objects.get_mut(read.msg.object).map(|o| &mut o.data) {
                    if *n >= max {
                        return Err(violation(format!("more than {max} rectangles in one wl_region")));
                    }
                    *n += 1;
                }
            }
            ("wp_viewport", op::VIEWPORT_SET_DESTINATION) => {
                let (w, h) = (args[0].int(), args[1].int());
                self.check_surface_size("viewport destination", w, h)?;
            }
            ("xdg_surface", op::XDG_SURFACE_SET_WINDOW_GEOMETRY) => {
                self.check_surface_size("window geometry", args[2].int(), args[3].int())?;
            }
            ("xdg_positioner", op::XDG_POSITIONER_SET_SIZE) => {
                self.check_surface_size("popup size", args[0].int(), args[1].int())?;
            }
            ("wl_shm_pool", op::SHM_POOL_RESIZE) => {
                let size = args[0].int();
                let obj = self.objects.get(read.msg.object).expect("read checked it");
                match &obj.data {
                    GuiObj::Pool(Backing::Mem(mem)) => {
                        let mut m = mem.borrow_mut();
                        let have = m.memfd.map.len() as u64;
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
                    GuiObj::Pool(Backing::Region) => {
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
                let (r, w) =
                    rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).map_err(|e| End::Io(e.into()))?;
                fds.push(w);
                out.new_pipes.push(Pipe::Source { id, fd: r });
            }
            _ => {}
        }
        let destructor = read.desc.is_destructor;
        if let Some((id, created)) = self.objects.apply(&read, Dir::Request).map_err(violation)? {
            if let Some(o) = self.objects.get_mut(id) {
                o.data = new_data;
            }
            self.count_new(created.name)?;
        }
        if destructor {
            // A request on a destroyed object is refused, so each object is counted out once.
            self.count_gone(iface);
        }
        if forward {
            out.wayland.push(&self.patched, fds);
        }
        Ok(())
    }

    fn check_bind(&self, read: &Read<'_>) -> Result<(), End> {
        let GuiObj::Registry(globals) = &self.objects.get(read.msg.object).expect("read checked it").data else {
            return Err(violation("bind on a registry the proxy does not know"));
        };
        let name = read.msg.args[0].uint();
        let Arg::Str(Some(iface)) = read.msg.args[1] else { unreachable!("bind signature") };
        let version = read.msg.args[2].uint();
        let Some(&(advertised, max)) = globals.get(&name) else {
            return Err(violation(ProtocolError::UnadvertisedGlobal { name }));
        };
        if iface != advertised.name.as_bytes() || version == 0 || version > max {
            return Err(violation(ProtocolError::BadBind {
                name,
                interface: String::from_utf8_lossy(iface).into_owned(),
                version,
                advertised: advertised.name,
                max,
            }));
        }
        Ok(())
    }

    fn check_buffer(&self, read: &Read<'_>) -> Result<GuiObj, End> {
        let a = &read.msg.args;
        let (offset, width, height, stride, format) = (a[1].int(), a[2].int(), a[3].int(), a[4].int(), a[5].uint());
        let obj = self.objects.get(read.msg.object).expect("read checked it");
        let (pool_len, mem) = match &obj.data {
            GuiObj::Pool(Backing::Mem(m)) => (m.borrow().memfd.map.len() as i64, Some(m.clone())),
            GuiObj::Pool(Backing::Region) => (self.region.as_ref().map_or(0, |r| r.len as i64), None),
            _ => return Err(violation("create_buffer on an unknown pool")),
        };
        let max = self.limits.max_buffer_side;
        if width <= 0 || height <= 0 || width > max || height > max {
            return Err(violation(format!("buffer of {width}x{height} (limit {max})")));
        }
        let min_stride = i64::from(width) * i64::from(bytes_per_pixel(format).unwrap_or(1));
        if offset < 0 || i64::from(stride) < min_stride {
            return Err(violation(format!("buffer offset {offset} stride {stride} for width {width}")));
        }
        let end = i64::from(offset) + i64::from(stride) * i64::from(height);
        if end > pool_len {
            return Err(violation(format!("buffer ends at {end}, beyond its pool of {pool_len} bytes")));
        }
        Ok(GuiObj::Buffer(mem))
    }

    /// An event from the compositor, passed to the VM (registry filtered, fds turned into frames).
    fn event(&mut self, bytes: &[u8], fds: &mut VecDeque<OwnedFd>, out: &mut Outbox) -> Result<(), End> {
        let local = |e: ProtocolError| End::Local(format!("compositor event: {e}"));
        let read = match self.objects.read(bytes, Dir::Event) {
            Ok(r) => r,
            Err(ProtocolError::UnknownObject(id)) => {
                tracing::debug!(id, "event for an object already gone: dropped");
                return Ok(());
            }
            Err(e) => return Err(local(e)),
        };
        let needed = read.msg.fd_count();
        if needed > fds.len() {
            return Err(End::Local(format!(
                "compositor event {}.{} without its fd",
                read.interface.name, read.desc.name
            )));
        }
        self.patched.clear();
        self.patched.extend_from_slice(bytes);
        let mut forward = true;
        match (read.interface.name, read.msg.opcode) {
            ("wl_registry", op::REGISTRY_EV_GLOBAL) => {
                let name = read.msg.args[0].uint();
                let Arg::Str(Some(iface)) = read.msg.args[1] else { unreachable!("global signature") };
                let version = read.msg.args[2].uint();
                match tables::allowed_global(&String::from_utf8_lossy(iface)) {
                    Some(allowed) => {
                        let version = version.min(allowed.version);
                        let at = read.msg.offsets[2];
                        self.patched[at..at + 4].copy_from_slice(&version.to_ne_bytes());
                        if let Some(GuiObj::Registry(g)) = self.objects.get_mut(read.msg.object).map(|o| &mut o.data) {
                            g.insert(name, (allowed, version));
                        }
                    }
                    None => forward = false,
                }
            }
            ("wl_registry", op::REGISTRY_EV_GLOBAL_REMOVE) => {
                let name = read.msg.args[0].uint();
                forward = match self.objects.get_mut(read.msg.object).map(|o| &mut o.data) {
                    Some(GuiObj::Registry(g)) => g.remove(&name).is_some(),
                    _ => false,
                };
            }
            ("wl_keyboard", op::KEYBOARD_EV_KEYMAP) => {
                let fd = fds.pop_front().expect("counted");
                let size = read.msg.args[2].uint() as usize;
                if size > MAX_KEYMAP {
                    return Err(End::Local(format!("keymap of {size} bytes")));
                }
                let map = Mapping::new(fd.as_fd(), size, false).map_err(End::Io)?;
                wire::encode::fd_keymap(out.stream.frames(), map.bytes());
            }
            (iface, _) if needed > 0 => {
                let is_send =
                    read.desc.name == "send" && matches!(iface, "wl_data_source" | "zwp_primary_selection_source_v1");
                if !is_send {
                    return Err(End::Local(format!("compositor event {iface}.{} carries an fd", read.desc.name)));
                }
                let fd = fds.pop_front().expect("counted");
                self.next_pipe = self.next_pipe.wrapping_add(1);
                out.new_pipes.push(Pipe::Sink { id: self.next_pipe, fd });
                wire::encode::fd_pipe_write(out.stream.frames(), self.next_pipe);
            }
            _ => {}
        }
        self.objects.apply(&read, Dir::Event).map_err(local)?;
        if forward {
            out.stream.wayland(&self.patched);
        }
        Ok(())
    }
}

/// Bytes per pixel of the common wl_shm formats (others are checked as one byte per pixel).
pub fn bytes_per_pixel(format: u32) -> Option<u32> {
    use wayland_client::protocol::wl_shm::Format as F;
    Some(match F::try_from(format).ok()? {
        F::Argb8888
        | F::Xrgb8888
        | F::Abgr8888
        | F::Xbgr8888
        | F::Rgba8888
        | F::Rgbx8888
        | F::Bgra8888
        | F::Bgrx8888
        | F::Argb2101010
        | F::Xrgb2101010
        | F::Abgr2101010
        | F::Xbgr2101010 => 4,
        F::Rgb565 | F::Bgr565 | F::Argb4444 | F::Xrgb4444 | F::Argb1555 | F::Xrgb1555 => 2,
        F::Rgb888 | F::Bgr888 => 3,
        F::Abgr16161616f | F::Xbgr16161616f | F::Abgr16161616 | F::Xbgr16161616 => 8,
        F::R8 => 1,
        _ => return None,
    })
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
                let max_raw = m.memfd.map.len().max(self.limits.max_frame);
                diff::apply(&pd, m.memfd.map.bytes_mut(), &mut self.scratch, max_raw).map_err(violation)
            }
            Frame::PipeData { .. } | Frame::PipeClose { .. } => Ok(()),
        }
    }

    fn wayland(&mut self, msg: &[u8], fds: &mut VecDeque<OwnedFd>, out: &mut Outbox) -> Result<(), End> {
        self.event(msg, fds, out)
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
        let len = m.borrow().memfd.map.len();
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

#[cfg(test)]
mod tests;
