//! The guest side of one proxied client (in the app VM): forwards the app's messages, turns the
//! fds they carry into frames, and sends the damaged pixels of each committed wl_shm buffer —
//! diffed and maybe compressed on the stream, or copied into the shared region.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::os::fd::{AsFd, OwnedFd};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use canopy_protocols::wire::{self, Frame};

use crate::gui::checks::bytes_per_pixel;
use crate::pump::{End, Engine, Outbox, Pipe};
use crate::shm::damage::{Geometry, History, Rect, Region};
use crate::shm::diff::Encoder;
use crate::shm::map::{Mapping, Memfd};
use crate::shm::region::{Allocator, Placement};
use crate::shm::send::{Adapt, PoolJob, PoolMem};
use crate::shm::sigbus;
use crate::wayland::message::{self, ProtocolError};
use crate::wayland::objects::{Dir, Objects};
use crate::wayland::tables::op;

/// The shared region as the guest side sees it: a mapping and the placement of pools in it.
pub struct SharedRegion {
    pub map: Mutex<Mapping>,
    pub alloc: Arc<Allocator>,
}

struct ClientPool {
    fd: OwnedFd,
    /// The client's memory (and, for stream pools, the mirror of what the GUI side holds).
    mem: Rc<RefCell<PoolMem>>,
    /// Where the pool lives in the shared region (region pools).
    placement: Option<Rc<RefCell<Placement>>>,
}

struct BufferInfo {
    pool: Rc<RefCell<ClientPool>>,
    offset: usize,
    width: i32,
    height: i32,
    stride: usize,
    bpp: Option<usize>,
    /// Region offset of the pool when the buffer was made (region pools).
    placement: Option<Rc<RefCell<Placement>>>,
    /// (surface, commit) that last sent this buffer.
    last_sent: Cell<Option<(u32, u64)>>,
    /// Whether its frames are compared or sent as they are (stream pools).
    adapt: Rc<Cell<Adapt>>,
}

#[derive(Default)]
struct SurfaceState {
    pending_buffer: Option<u32>,
    buffer: u32,
    damage: Vec<Rect>,
    buffer_damage: Vec<Rect>,
    pending_scale: Option<i32>,
    scale: i32,
    pending_transform: Option<u32>,
    transform: u32,
    pending_src: Option<Option<[f64; 4]>>,
    src: Option<[f64; 4]>,
    pending_dst: Option<Option<(i32, i32)>>,
    dst: Option<(i32, i32)>,
    history: History,
}

#[derive(Default)]
enum GuestObj {
    #[default]
    None,
    Pool(Rc<RefCell<ClientPool>>),
    Buffer(Rc<BufferInfo>),
    Surface(Box<SurfaceState>),
    Viewport(u32),
}

enum FromGui {
    Keymap(Vec<u8>),
    Pipe(u32),
}

pub struct GuestConn {
    objects: Objects<GuestObj>,
    encoder: Encoder,
    region: Option<Arc<SharedRegion>>,
    next_mem: u32,
    next_pipe: u32,
    announced: VecDeque<FromGui>,
    patched: Vec<u8>,
}

fn local(e: impl std::fmt::Display) -> End {
    End::Local(e.to_string())
}

impl GuestConn {
    /// A connection; `out` receives the hello frame.
    pub fn new(encoder: Encoder, region: Option<Arc<SharedRegion>>, out: &mut Outbox) -> Self {
        wire::encode::hello(out.stream.frames(), wire::VERSION, region.is_some());
        GuestConn {
            objects: Objects::new(1 << 20),
            encoder,
            region,
            next_mem: 0,
            next_pipe: 0,
            announced: VecDeque::new(),
            patched: Vec::new(),
        }
    }

    fn surface(&mut self, id: u32) -> Option<&mut SurfaceState> {
        match self.objects.get_mut(id).map(|o| &mut o.data) {
            Some(GuestObj::Surface(s)) => Some(s),
            _ => None,
        }
    }

    fn request(&mut self, bytes: &[u8], fds: &mut VecDeque<OwnedFd>, out: &mut Outbox) -> Result<(), End> {
        let read = self.objects.read(bytes, Dir::Request).map_err(local)?;
        let needed = read.msg.fd_count();
        if needed > fds.len() {
            return Err(local(ProtocolError::MissingFd { needed, available: fds.len() }));
        }
        self.patched.clear();
        self.patched.extend_from_slice(bytes);
        let mut forward = true;
        let mut new_data = GuestObj::None;
        let args = read.msg.args.clone();
        let object = read.msg.object;
        match (read.interface.name, read.msg.opcode) {
            ("wl_compositor", 0) => new_data = GuestObj::Surface(Box::default()),
            ("wl_shm", op::SHM_CREATE_POOL) => {
                let fd = fds.pop_front().expect("counted");
                let size = args[2].int();
                if size <= 0 {
                    return Err(local(format!("create_pool of {size} bytes")));
                }
                let map = Mapping::new(fd.as_fd(), size as usize, false).map_err(End::Io)?;
                self.next_mem = self.next_mem.wrapping_add(1);
                let placement = self.region.as_ref().and_then(|r| r.alloc.place(size as usize));
                let frames = out.stream.frames();
                let mem = match &placement {
                    Some(_) => {
                        wire::encode::fd_shm_region(frames);
                        PoolMem::without_mirror(map)
                    }
                    None => {
                        wire::encode::fd_shm_pool(frames, self.next_mem, size as u32);
                        PoolMem::new(map, self.next_mem)
                    }
                };
                new_data = GuestObj::Pool(Rc::new(RefCell::new(ClientPool {
                    fd,
                    mem: Rc::new(RefCell::new(mem)),
                    placement: placement.map(|p| Rc::new(RefCell::new(p))),
                })));
            }
            ("wl_shm_pool", op::SHM_POOL_RESIZE) => {
                let size = args[0].int();
                let Some(GuestObj::Pool(pool)) = self.objects.get(object).map(|o| &o.data) else {
                    return Err(local("resize of an unknown pool"));
                };
                let mut p = pool.borrow_mut();
                if size <= 0 || (size as usize) < p.mem.borrow().map.len() {
                    return Err(local(format!("pool resize to {size} bytes")));
                }
                // Pixels still on their way may be read from the old mapping and mirror.
                out.stream.own_borrowed();
                let map = Mapping::new(p.fd.as_fd(), size as usize, false).map_err(End::Io)?;
                p.mem.borrow_mut().map = map;
                if let Some(pl) = p.placement.clone() {
                    forward = false;
                    if !pl.borrow_mut().grow(size as usize) {
                        // Buffers made before keep the old place; new ones go to the new place.
                        let region = self.region.as_ref().expect("region pool");
                        let newp = region
                            .alloc
                            .place(size as usize)
                            .ok_or_else(|| local("shared region full: pool cannot grow"))?;
                        p.placement = Some(Rc::new(RefCell::new(newp)));
                    }
                } else {
                    p.mem.borrow_mut().mirror.resize(size as usize, 0);
                }
            }
            ("wl_shm_pool", op::SHM_POOL_CREATE_BUFFER) => {
                let Some(GuestObj::Pool(pool)) = self.objects.get(object).map(|o| &o.data) else {
                    return Err(local("create_buffer on an unknown pool"));
                };
                let (offset, width, height, stride, format) =
                    (args[1].int(), args[2].int(), args[3].int(), args[4].int(), args[5].uint());
                let bpp = bytes_per_pixel(format).map(|b| b as usize);
                let pool_len = pool.borrow().mem.borrow().map.len() as i64;
                let end = i64::from(offset) + i64::from(stride) * i64::from(height);
                let min_stride = i64::from(width) * bpp.unwrap_or(1) as i64;
                if offset < 0 || width <= 0 || height <= 0 || i64::from(stride) < min_stride || end > pool_len {
                    return Err(local(format!(
                        "buffer {width}x{height} stride {stride} offset {offset} does not fit its pool of {pool_len} bytes"
                    )));
                }
                let placement = pool.borrow().placement.clone();
                if let Some(pl) = &placement {
                    let at = read.msg.offsets[1];
                    let region_offset = pl.borrow().start as i64 + i64::from(offset);
                    let region_offset = i32::try_from(region_offset).map_err(|_| local("region offset overflows"))?;
                    self.patched[at..at + 4].copy_from_slice(&region_offset.to_ne_bytes());
                }
                new_data = GuestObj::Buffer(Rc::new(BufferInfo {
                    pool: pool.clone(),
                    offset: offset as usize,
                    width,
                    height,
                    stride: stride as usize,
                    bpp,
                    placement,
                    last_sent: Cell::new(None),
                    adapt: Rc::default(),
                }));
            }
            ("wl_surface", op::SURFACE_ATTACH) => {
                let b = args[0].uint();
                if let Some(s) = self.surface(object) {
                    s.pending_buffer = Some(b);
                }
            }
            ("wl_surface", op::SURFACE_DAMAGE) | ("wl_surface", op::SURFACE_DAMAGE_BUFFER) => {
                let r = Rect::new(args[0].int(), args[1].int(), args[2].int(), args[3].int());
                let buffer = read.msg.opcode == op::SURFACE_DAMAGE_BUFFER;
                if let Some(s) = self.surface(object) {
                    let list = if buffer { &mut s.buffer_damage } else { &mut s.damage };
                    if list.len() < 256 {
                        list.push(r);
                    } else {
                        list[255] = Rect::new(i32::MIN / 2, i32::MIN / 2, i32::MAX, i32::MAX);
                    }
                }
            }
            ("wl_surface", op::SURFACE_SET_BUFFER_SCALE) => {
                let v = args[0].int();
                if let Some(s) = self.surface(object) {
                    s.pending_scale = Some(v);
                }
            }
            ("wl_surface", op::SURFACE_SET_BUFFER_TRANSFORM) => {
                let v = args[0].uint();
                if let Some(s) = self.surface(object) {
                    s.pending_transform = Some(v);
                }
            }
            ("wl_surface", op::SURFACE_COMMIT) => self.commit(object, out)?,
            ("wp_viewporter", op::VIEWPORTER_GET_VIEWPORT) => new_data = GuestObj::Viewport(args[1].uint()),
            ("wp_viewport", op::VIEWPORT_SET_SOURCE) | ("wp_viewport", op::VIEWPORT_SET_DESTINATION) => {
                let Some(GuestObj::Viewport(sid)) = self.objects.get(object).map(|o| &o.data) else {
                    return Ok(());
                };
                let sid = *sid;
                let src = read.msg.opcode == op::VIEWPORT_SET_SOURCE;
                if let Some(s) = self.surface(sid) {
                    let f = |a: &message::Arg| f64::from(a.int()) / 256.0;
                    if src {
                        let v = [f(&args[0]), f(&args[1]), f(&args[2]), f(&args[3])];
                        s.pending_src = Some((v[0] != -1.0).then_some(v));
                    } else {
                        let (w, h) = (args[0].int(), args[1].int());
                        s.pending_dst = Some((w != -1).then_some((w, h)));
                    }
                }
            }
            (iface, _) if needed > 0 => {
                let is_receive =
                    read.desc.name == "receive" && matches!(iface, "wl_data_offer" | "zwp_primary_selection_offer_v1");
                if !is_receive {
                    return Err(local(ProtocolError::UnsupportedFd { interface: iface, message: read.desc.name }));
                }
                let fd = fds.pop_front().expect("counted");
                self.next_pipe = self.next_pipe.wrapping_add(1);
                out.new_pipes.push(Pipe::Sink { id: self.next_pipe, fd });
                wire::encode::fd_pipe_write(out.stream.frames(), self.next_pipe);
            }
            _ => {}
        }
        if let Some((id, _)) = self.objects.apply(&read, Dir::Request).map_err(local)? {
            if let Some(o) = self.objects.get_mut(id) {
                o.data = new_data;
            }
        }
        if forward {
            out.stream.wayland(&self.patched);
        }
        Ok(())
    }

    /// Applies a surface's pending state and sends the pixels its buffer needs.
    fn commit(&mut self, sid: u32, out: &mut Outbox) -> Result<(), End> {
        let Some(s) = self.surface(sid) else { return Ok(()) };
        let attached = s.pending_buffer.take();
        if let Some(b) = attached {
            s.buffer = b;
        }
        if let Some(v) = s.pending_scale.take() {
            s.scale = v;
        }
        if let Some(v) = s.pending_transform.take() {
            s.transform = v;
        }
        if let Some(v) = s.pending_src.take() {
            s.src = v;
        }
        if let Some(v) = s.pending_dst.take() {
            s.dst = v;
        }
        let damage = std::mem::take(&mut s.damage);
        let buffer_damage = std::mem::take(&mut s.buffer_damage);
        let (bid, scale, transform, src, dst) = (s.buffer, s.scale, s.transform, s.src, s.dst);
        if bid == 0 {
            return Ok(());
        }
        let Some(GuestObj::Buffer(buf)) = self.objects.get(bid).map(|o| &o.data) else { return Ok(()) };
        let buf = buf.clone();
        let g = Geometry { buffer_width: buf.width, buffer_height: buf.height, scale, transform, src, dst };
        let mut region = Region::default();
        for r in damage {
            if let Some(r) = g.surface_to_buffer(r) {
                region.add(r);
            }
        }
        for r in buffer_damage {
            if let Some(r) = r.clip(buf.width, buf.height) {
                region.add(r);
            }
        }
        let size = (buf.width, buf.height);
        let s = self.surface(sid).expect("checked above");
        let seq = s.history.push(size, region.clone());
        let send = if attached.is_some() {
            match buf.last_sent.get() {
                Some((last_sid, last_seq)) if last_sid == sid => s.history.since(last_seq, size),
                _ => None,
            }
            .unwrap_or_else(|| {
                let mut full = Region::default();
                full.add(Rect::new(0, 0, buf.width, buf.height));
                full
            })
        } else {
            region
        };
        buf.last_sent.set(Some((sid, seq)));
        self.send_pixels(&buf, &send, out)
    }

    fn send_pixels(&mut self, buf: &BufferInfo, damage: &Region, out: &mut Outbox) -> Result<(), End> {
        let pool = buf.pool.borrow();
        let mem = pool.mem.borrow();
        let pool_len = mem.map.len();
        // A client that shrank its pool would make reading it fault (SIGBUS); one that does it
        // while the pixels are read is caught by the guard around the reads.
        let st = rustix::fs::fstat(&pool.fd).map_err(|e| End::Io(e.into()))?;
        if (st.st_size as u64) < pool_len as u64 {
            return Err(local(format!(
                "the client shrank its pool to {} bytes, below the {pool_len} it gave",
                st.st_size
            )));
        }
        let mut segments = Vec::new();
        for (y, x0, x1) in damage.rows() {
            let row = buf.offset + y as usize * buf.stride;
            let (start, len) = match buf.bpp {
                Some(bpp) => (row + x0 as usize * bpp, (x1 - x0) as usize * bpp),
                None => (row, buf.stride),
            };
            let len = len.min(pool_len.saturating_sub(start));
            if len == 0 {
                continue;
            }
            match segments.last_mut() {
                Some((s, l)) if *s + *l == start => *l += len,
                _ => segments.push((start, len)),
            }
        }
        match &buf.placement {
            Some(pl) => {
                let region = self.region.as_ref().expect("region pool");
                let base = pl.borrow().start;
                let mut map = region.map.lock().expect("region lock");
                let dst = map.bytes_mut();
                let src = mem.map.bytes();
                sigbus::guarded(src, || {
                    for &(off, len) in &segments {
                        if base + off + len <= dst.len() {
                            dst[base + off..base + off + len].copy_from_slice(&src[off..off + len]);
                        }
                    }
                })
                .map_err(local)?;
            }
            None => {
                drop(mem);
                let job = PoolJob::new(pool.mem.clone(), segments, self.encoder, buf.adapt.clone());
                out.stream.job(Box::new(job));
            }
        }
        Ok(())
    }

    fn event(&mut self, bytes: &[u8], out: &mut Outbox) -> Result<(), End> {
        let read = match self.objects.read(bytes, Dir::Event) {
            Ok(r) => r,
            Err(ProtocolError::UnknownObject(_)) => return Ok(()),
            Err(e) => return Err(End::Violation(e.to_string())),
        };
        let needed = read.msg.fd_count();
        if needed > self.announced.len() {
            return Err(End::Violation(
                ProtocolError::MissingFd { needed, available: self.announced.len() }.to_string(),
            ));
        }
        let mut fds = Vec::new();
        for _ in 0..needed {
            match self.announced.pop_front().expect("counted") {
                FromGui::Keymap(data) => fds.push(Memfd::sealed_with("canopy-keymap", &data).map_err(End::Io)?),
                FromGui::Pipe(id) => {
                    let (r, w) =
                        rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).map_err(|e| End::Io(e.into()))?;
                    fds.push(w);
                    out.new_pipes.push(Pipe::Source { id, fd: r });
                }
            }
        }
        self.objects.apply(&read, Dir::Event).map_err(|e| End::Violation(e.to_string()))?;
        out.wayland.push(bytes, fds);
        Ok(())
    }
}

impl Engine for GuestConn {
    fn frame(&mut self, frame: Frame<'_>, out: &mut Outbox) -> Result<(), End> {
        match frame {
            Frame::Wayland(mut bytes) => {
                while !bytes.is_empty() {
                    let Some((_, _, size)) =
                        message::peek(bytes, 1 << 16).map_err(|e| End::Violation(e.to_string()))?
                    else {
                        return Err(End::Violation("truncated message from the GUI side".into()));
                    };
                    self.event(&bytes[..size], out)?;
                    bytes = &bytes[size..];
                }
                Ok(())
            }
            Frame::FdKeymap(data) => {
                self.announced.push_back(FromGui::Keymap(data.to_vec()));
                Ok(())
            }
            Frame::FdPipeWrite { pipe } => {
                self.announced.push_back(FromGui::Pipe(pipe));
                Ok(())
            }
            Frame::PipeData { .. } | Frame::PipeClose { .. } => Ok(()),
            Frame::Hello { .. } | Frame::FdShmPool { .. } | Frame::FdShmRegion | Frame::PoolData(_) => {
                Err(End::Violation("the GUI side sent a frame only a guest sends".into()))
            }
        }
    }

    fn wayland(&mut self, msg: &[u8], fds: &mut VecDeque<OwnedFd>, out: &mut Outbox) -> Result<(), End> {
        self.request(msg, fds, out)
    }
}
