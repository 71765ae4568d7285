//! The event loop of one proxied client connection, shared by both ends: it moves bytes between
//! the local Wayland socket (compositor or app), the stream to the other proxy end, and the
//! clipboard pipes, and hands every complete message and frame to the side's [`Engine`].
//!
//! Each side stops reading from one peer while too much waits to be written to the other
//! (back-pressure instead of unbounded buffers), so a slow compositor slows its VM's client
//! down and nothing else.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Instant;

use canopy_protocols::wire::{self, Frame};
use rustix::event::{poll, PollFd, PollFlags};
use tracing::debug;

use crate::sockio::{self, FrameOut, WaylandOut};
use crate::wayland::message;

/// Why a connection ended.
#[derive(Debug)]
pub enum End {
    /// The other proxy end closed the stream.
    StreamClosed,
    /// The local Wayland peer (compositor or app) closed its socket.
    WaylandClosed,
    /// The other proxy end broke a rule (only the GUI side treats this as hostile).
    Violation(String),
    /// The local Wayland peer sent something the proxy cannot handle.
    Local(String),
    Io(io::Error),
}

/// What an engine asks the loop to send or watch.
#[derive(Default)]
pub struct Outbox {
    pub stream: FrameOut,
    pub wayland: WaylandOut,
    pub new_pipes: Vec<Pipe>,
}

/// A clipboard pipe end the loop services.
///
/// Each end numbers the pipes it announces (`FdPipeWrite`) on its own, so a sink and a source
/// may share an id: a client pasting its own selection has both on one connection (the
/// compositor hands the pipe of its `receive` to the same client's `send`).
pub enum Pipe {
    /// Read this end and send what comes as `PipeData { id }` frames, then `PipeClose`; `id` is
    /// the other end's number.
    Source { id: u32, fd: OwnedFd },
    /// Write `PipeData { id }` frames from the stream into this end; `PipeClose` closes it.
    /// `id` is this end's own number, announced with `FdPipeWrite`.
    Sink { id: u32, fd: OwnedFd },
}

/// Which pipe: incoming `PipeData` and `PipeClose` name one of our sinks, outgoing ones one of
/// the other end's sinks, so the two kinds live in separate id spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum PipeKey {
    Sink(u32),
    Source(u32),
}

impl PipeKey {
    fn id(self) -> u32 {
        match self {
            PipeKey::Sink(id) | PipeKey::Source(id) => id,
        }
    }
}

/// Memory that the data of one large raw pool-data frame is read into straight from the stream.
pub struct Direct {
    /// Keeps the memory mapped while the frame is read.
    pub keep: Box<dyn std::any::Any>,
    pub ptr: *mut u8,
    pub len: usize,
}

/// What the engine wants done with the local Wayland link at its deadline.
pub enum Link {
    /// Nothing changes.
    Keep,
    /// Use this new socket (what it needs first is queued in `out.wayland`).
    Connect(OwnedFd),
    /// Drop the current socket, as if it had closed.
    Drop,
}

pub trait Engine {
    /// One frame from the other proxy end (pipe frames are handled by the loop).
    fn frame(&mut self, frame: Frame<'_>, out: &mut Outbox) -> Result<(), End>;
    /// For a large raw pool-data frame not yet received in full: the memory its `spans` go to,
    /// after checking them exactly as [`Engine::frame`] would. `None`: no direct reading.
    fn direct(&mut self, _mem: u32, _spans: &[(u32, u32)]) -> Result<Option<Direct>, End> {
        Ok(None)
    }
    /// One whole message from the local Wayland peer, with the fds received so far.
    fn wayland(&mut self, msg: &[u8], fds: &mut VecDeque<OwnedFd>, out: &mut Outbox) -> Result<(), End>;
    /// The local Wayland peer's socket closed (or was dropped). `Ok` keeps the stream going
    /// without one: the engine gets a new one from [`Engine::timer`]. What was queued for the
    /// old socket is gone by then.
    fn wayland_lost(&mut self, _out: &mut Outbox) -> Result<(), End> {
        Err(End::WaylandClosed)
    }
    /// When [`Engine::timer`] wants to be called.
    fn deadline(&self) -> Option<Instant> {
        None
    }
    /// At (or after) the deadline.
    fn timer(&mut self, _out: &mut Outbox) -> Result<Link, End> {
        Ok(Link::Keep)
    }
    /// True while the stream from the other end must stay unread (back-pressure on purpose).
    fn hold_stream(&self) -> bool {
        false
    }
}

/// Loop settings.
pub struct Settings {
    pub max_frame: usize,
    /// Largest message from the local Wayland peer.
    pub max_message: usize,
    /// Stop reading a peer while this much waits for the other.
    pub high_water: usize,
    /// Close when this much waits anyway (one huge burst).
    pub max_pending: usize,
    pub max_pipe_bytes: u64,
    pub max_pipes: usize,
    /// Clipboard transfers are all or nothing: held until complete, dropped whole when over
    /// `max_pipe_bytes`, so a paste never gets a cut-off half (the GUI side).
    pub whole_transfers: bool,
}

/// A pool-data frame being read straight into its memory.
struct DirectRead {
    target: Direct,
    spans: Vec<(u32, u32)>,
    idx: usize,
    pos: usize,
}

impl DirectRead {
    /// The rest of the current span.
    fn dst(&mut self) -> &mut [u8] {
        let (off, len) = self.spans[self.idx];
        let (off, len) = (off as usize, len as usize);
        debug_assert!(off + len <= self.target.len);
        // SAFETY: the engine checked every span against the mapping's length, and `keep` holds
        // the mapping; nothing else writes it while the frame is read.
        unsafe { std::slice::from_raw_parts_mut(self.target.ptr.add(off + self.pos), len - self.pos) }
    }

    /// Takes `n` bytes as written; true when the frame is complete.
    fn advance(&mut self, mut n: usize) -> bool {
        while n > 0 && self.idx < self.spans.len() {
            let left = self.spans[self.idx].1 as usize - self.pos;
            let k = n.min(left);
            self.pos += k;
            n -= k;
            if self.pos == self.spans[self.idx].1 as usize {
                self.idx += 1;
                self.pos = 0;
            }
        }
        while self.idx < self.spans.len() && self.spans[self.idx].1 == 0 {
            self.idx += 1;
        }
        self.idx == self.spans.len()
    }
}

/// Frames with at least this much data still to come are read straight into place.
const DIRECT_MIN: usize = 64 * 1024;
/// Bytes read from the stream beyond the frame at hand: the next frame's header at least, and
/// not much of its data, which may be better read straight into place.
const READ_AHEAD: usize = 4096;

struct PipeState {
    fd: OwnedFd,
    source: bool,
    bytes: u64,
    pending: Vec<u8>,
    closing: bool,
}

/// Runs one connection until it ends. `wl` is the local Wayland socket; `None` starts without one
/// (the engine supplies it from [`Engine::timer`]).
pub fn run<E: Engine>(engine: &mut E, stream: OwnedFd, wl: Option<OwnedFd>, s: &Settings, out: &mut Outbox) -> End {
    match run_inner(engine, &stream, wl, s, out) {
        Ok(()) => End::StreamClosed,
        Err(End::WaylandClosed) => {
            // Deliver what the compositor said last (a protocol error, say) before closing.
            let _ = sockio::set_blocking_for_drain(stream.as_fd());
            let _ = out.stream.flush(stream.as_fd());
            End::WaylandClosed
        }
        Err(e) => e,
    }
}

fn run_inner<E: Engine>(
    engine: &mut E,
    stream: &OwnedFd,
    mut wl: Option<OwnedFd>,
    s: &Settings,
    out: &mut Outbox,
) -> Result<(), End> {
    let io = |e: io::Error| End::Io(e);
    sockio::set_nonblocking(stream.as_fd()).map_err(io)?;
    if let Some(wl) = &wl {
        sockio::set_nonblocking(wl.as_fd()).map_err(io)?;
    }
    let mut stream_in: Vec<u8> = Vec::with_capacity(1 << 16);
    let mut stream_at = 0usize;
    let mut wl_in: Vec<u8> = Vec::with_capacity(1 << 16);
    let mut wl_fds: VecDeque<OwnedFd> = VecDeque::new();
    let mut pipes: HashMap<PipeKey, PipeState> = HashMap::new();
    let mut pipe_buf = vec![0u8; 1 << 16];
    let mut direct: Option<DirectRead> = None;
    // The Wayland link closed: tell the engine and forget what was meant for it.
    fn lose<E: Engine>(
        engine: &mut E,
        wl: &mut Option<OwnedFd>,
        wl_in: &mut Vec<u8>,
        wl_fds: &mut VecDeque<OwnedFd>,
        out: &mut Outbox,
    ) -> Result<(), End> {
        *wl = None;
        wl_in.clear();
        wl_fds.clear();
        out.wayland = WaylandOut::default();
        engine.wayland_lost(out)
    }
    loop {
        for p in out.new_pipes.drain(..) {
            let (key, fd, source) = match p {
                Pipe::Source { id, fd } => (PipeKey::Source(id), fd, true),
                Pipe::Sink { id, fd } => (PipeKey::Sink(id), fd, false),
            };
            let id = key.id();
            if pipes.len() >= s.max_pipes || pipes.contains_key(&key) {
                debug!(id, "clipboard transfer refused: too many open or id in use");
                if source {
                    wire::encode::pipe_close(out.stream.frames(), id);
                }
                continue;
            }
            let _ = sockio::set_nonblocking(fd.as_fd());
            pipes.insert(key, PipeState { fd, source, bytes: 0, pending: Vec::new(), closing: false });
        }
        // Write what we can before waiting.
        out.stream.flush(stream.as_fd()).map_err(io)?;
        if let Some(fd) = &wl {
            match out.wayland.flush(fd.as_fd()) {
                Ok(()) => {}
                Err(e) if matches!(e.kind(), io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset) => {
                    lose(engine, &mut wl, &mut wl_in, &mut wl_fds, out)?;
                    continue;
                }
                Err(e) => return Err(End::Io(e)),
            }
        }
        pipes.retain(|_, p| flush_sink(p, s.whole_transfers));
        if out.stream.pending() > s.max_pending || out.wayland.pending() > s.max_pending {
            return Err(End::Violation(format!(
                "more than {} bytes wait for a peer that does not read",
                s.max_pending
            )));
        }

        let read_stream = out.wayland.pending() < s.high_water && !engine.hold_stream();
        let read_wl = out.stream.pending() < s.high_water;
        let mut fds = Vec::with_capacity(2 + pipes.len());
        let flags = |read: bool, write: bool| {
            let mut f = PollFlags::empty();
            if read {
                f |= PollFlags::IN;
            }
            if write {
                f |= PollFlags::OUT;
            }
            f
        };
        fds.push(PollFd::new(stream, flags(read_stream, !out.stream.is_empty())));
        if let Some(wl) = &wl {
            fds.push(PollFd::new(wl, flags(read_wl, !out.wayland.is_empty())));
        }
        let first_pipe = fds.len();
        let ids: Vec<PipeKey> = pipes.keys().copied().collect();
        for id in &ids {
            let p = &pipes[id];
            let write = !p.source && !p.pending.is_empty() && (p.closing || !s.whole_transfers);
            fds.push(PollFd::new(&p.fd, flags(p.source && read_wl, write)));
        }
        let deadline = engine.deadline();
        let timeout = deadline.map(|d| {
            let left = d.saturating_duration_since(Instant::now());
            rustix::time::Timespec { tv_sec: left.as_secs() as i64, tv_nsec: i64::from(left.subsec_nanos()) }
        });
        match poll(&mut fds, timeout.as_ref()) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(io(e.into())),
        }
        let mut ready: Vec<PollFlags> = fds.iter().map(|f| f.revents()).collect();
        drop(fds);
        if wl.is_none() {
            ready.insert(1, PollFlags::empty());
        }
        let hup = PollFlags::HUP | PollFlags::ERR;
        if deadline.is_some_and(|d| Instant::now() >= d) {
            match engine.timer(out)? {
                Link::Keep => {}
                Link::Connect(fd) => {
                    sockio::set_nonblocking(fd.as_fd()).map_err(io)?;
                    wl = Some(fd);
                    wl_in.clear();
                    wl_fds.clear();
                    // Poll again: the old socket's readiness says nothing of the new one.
                    ready[1] = PollFlags::empty();
                }
                Link::Drop => {
                    lose(engine, &mut wl, &mut wl_in, &mut wl_fds, out)?;
                    ready[1] = PollFlags::empty();
                }
            }
        }

        let held = engine.hold_stream();
        if held && ready[0].intersects(hup) {
            // The VM's client went away while its requests were held: nothing more to do.
            return Ok(());
        }
        if held {
        } else if ready[0].intersects(PollFlags::IN | hup) && direct.is_some() {
            let d = direct.as_mut().expect("checked");
            match rustix::io::read(stream, d.dst()) {
                Ok(0) => return Err(End::Violation("stream ended inside a frame".into())),
                Ok(n) => {
                    if d.advance(n) {
                        direct = None;
                    }
                }
                Err(rustix::io::Errno::AGAIN) | Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(io(e.into())),
            }
        } else if ready[0].intersects(PollFlags::IN | hup) {
            if stream_at > 0 && stream_at * 2 >= stream_in.len() {
                stream_in.drain(..stream_at);
                stream_at = 0;
            }
            // Read the head of a pool-data frame alone, so that its data goes straight into
            // place rather than through this buffer; other frames whole, plus a little more.
            let have = &stream_in[stream_at..];
            let want = match (wire::frame_len(have), wire::pool_data_prefix_len(have)) {
                (Some(n), _) if n > s.max_frame + wire::HEADER_LEN => READ_AHEAD,
                (Some(n), Some(p)) if p.min(n) > have.len() => p.min(n) - have.len(),
                (Some(n), _) => n.saturating_sub(have.len()) + READ_AHEAD,
                (None, _) => READ_AHEAD,
            };
            let open = match sockio::read_some(stream.as_fd(), &mut stream_in, want) {
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => false,
                r => r.map_err(io)?,
            };
            loop {
                // A large pool-data frame still arriving goes straight into its memory.
                let head = wire::peek_pool_data(&stream_in[stream_at..], s.max_frame)
                    .map_err(|e| End::Violation(format!("bad frame: {e}")))?;
                if let Some(head) = head.filter(|h| {
                    h.encoding == wire::Encoding::Raw && h.frame_len > stream_in.len() - stream_at + DIRECT_MIN
                }) {
                    if let Some(target) = engine.direct(head.mem, &head.spans)? {
                        let mut d = DirectRead { target, spans: head.spans, idx: 0, pos: 0 };
                        let mut here = &stream_in[stream_at + head.data_at..];
                        let mut done = d.advance(0);
                        while !here.is_empty() && !done {
                            let dst = d.dst();
                            let k = dst.len().min(here.len());
                            dst[..k].copy_from_slice(&here[..k]);
                            here = &here[k..];
                            done = d.advance(k);
                        }
                        stream_at = stream_in.len();
                        if !done {
                            direct = Some(d);
                        }
                        break;
                    }
                }
                let frame = match wire::decode(&stream_in[stream_at..], s.max_frame) {
                    Ok(Some(f)) => f,
                    Ok(None) => break,
                    Err(e) => return Err(End::Violation(format!("bad frame: {e}"))),
                };
                let (frame, len) = frame;
                match frame {
                    Frame::PipeData { pipe, data } => pipe_data(&mut pipes, pipe, data, s.max_pipe_bytes),
                    Frame::PipeClose { pipe } => {
                        if let Some(p) = pipes.get_mut(&PipeKey::Sink(pipe)) {
                            p.closing = true;
                        }
                    }
                    f => engine.frame(f, out)?,
                }
                stream_at += len;
            }
            if !open {
                if stream_at < stream_in.len() {
                    return Err(End::Violation("stream ended inside a frame".into()));
                }
                return Ok(());
            }
        }

        if let (Some(fd), true) = (&wl, ready[1].intersects(PollFlags::IN | hup)) {
            let open = match sockio::recv_with_fds(fd.as_fd(), &mut wl_in, &mut wl_fds) {
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => false,
                r => r.map_err(io)?,
            };
            let mut at = 0;
            loop {
                match message::peek(&wl_in[at..], s.max_message) {
                    Ok(Some((_, _, size))) => {
                        engine.wayland(&wl_in[at..at + size], &mut wl_fds, out)?;
                        at += size;
                    }
                    Ok(None) => break,
                    Err(e) => return Err(End::Local(e.to_string())),
                }
            }
            wl_in.drain(..at);
            if !open {
                lose(engine, &mut wl, &mut wl_in, &mut wl_fds, out)?;
            }
        }

        for (i, key) in ids.iter().enumerate() {
            let r = ready[first_pipe.max(2) + i];
            let id = key.id();
            let Some(p) = pipes.get_mut(key) else { continue };
            if p.source && r.intersects(PollFlags::IN | hup) {
                let n = rustix::io::read(&p.fd, &mut pipe_buf).unwrap_or(0);
                if n == 0 {
                    for chunk in p.pending.chunks(1 << 16) {
                        wire::encode::pipe_data(out.stream.frames(), id, chunk);
                    }
                    wire::encode::pipe_close(out.stream.frames(), id);
                    pipes.remove(key);
                    continue;
                }
                p.bytes += n as u64;
                if p.bytes > s.max_pipe_bytes {
                    tracing::warn!(id, limit = s.max_pipe_bytes, "clipboard transfer over the size limit: dropped");
                    wire::encode::pipe_close(out.stream.frames(), id);
                    pipes.remove(key);
                    continue;
                }
                if s.whole_transfers {
                    p.pending.extend_from_slice(&pipe_buf[..n]);
                } else {
                    wire::encode::pipe_data(out.stream.frames(), id, &pipe_buf[..n]);
                }
            } else if !p.source && r.intersects(hup) && p.pending.is_empty() {
                pipes.remove(key);
            }
        }
    }
}

fn pipe_data(pipes: &mut HashMap<PipeKey, PipeState>, id: u32, data: &[u8], max: u64) {
    // Data for a pipe we do not have (closed, over its limit) is dropped.
    let Some(p) = pipes.get_mut(&PipeKey::Sink(id)) else { return };
    if p.closing {
        return;
    }
    p.bytes += data.len() as u64;
    if p.bytes > max {
        tracing::warn!(id, limit = max, "clipboard transfer over the size limit: dropped");
        pipes.remove(&PipeKey::Sink(id));
        return;
    }
    p.pending.extend_from_slice(data);
}

/// Writes pending sink data; false when the pipe is finished or broken.
fn flush_sink(p: &mut PipeState, whole: bool) -> bool {
    if p.source || (whole && !p.closing) {
        return true;
    }
    while !p.pending.is_empty() {
        match rustix::io::write(&p.fd, &p.pending) {
            Ok(n) => {
                p.pending.drain(..n);
            }
            Err(rustix::io::Errno::AGAIN) => return true,
            Err(_) => return false,
        }
    }
    !p.closing
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;

    struct Quiet;
    impl Engine for Quiet {
        fn frame(&mut self, _: Frame<'_>, _: &mut Outbox) -> Result<(), End> {
            Ok(())
        }
        fn wayland(&mut self, _: &[u8], _: &mut VecDeque<OwnedFd>, _: &mut Outbox) -> Result<(), End> {
            Ok(())
        }
    }

    /// A client pasting its own selection: its receive pipe (our number 1) and the send pipe
    /// the compositor passes back to it (the other end's number 1) are open at once.
    #[test]
    fn a_sink_and_a_source_may_share_an_id() {
        let (stream, mut peer) = UnixStream::pair().unwrap();
        let (wl, _wl_peer) = UnixStream::pair().unwrap();
        let (sink_r, sink_w) = rustix::pipe::pipe().unwrap();
        let (src_r, src_w) = rustix::pipe::pipe().unwrap();
        let settings = Settings {
            max_frame: 1 << 20,
            max_message: 4096,
            high_water: 1 << 20,
            max_pending: 1 << 20,
            max_pipe_bytes: 1 << 20,
            max_pipes: 4,
            whole_transfers: true,
        };
        let pump = std::thread::spawn(move || {
            let mut out = Outbox::default();
            out.new_pipes.push(Pipe::Sink { id: 1, fd: sink_w });
            out.new_pipes.push(Pipe::Source { id: 1, fd: src_r });
            run(&mut Quiet, stream.into(), Some(wl.into()), &settings, &mut out)
        });

        let mut f = Vec::new();
        wire::encode::pipe_data(&mut f, 1, b"into our sink");
        wire::encode::pipe_close(&mut f, 1);
        peer.write_all(&f).unwrap();
        let mut sink = std::fs::File::from(sink_r);
        let mut got = String::new();
        sink.read_to_string(&mut got).unwrap();
        assert_eq!(got, "into our sink");

        std::fs::File::from(src_w).write_all(b"out of our source").unwrap();
        let mut want = Vec::new();
        wire::encode::pipe_data(&mut want, 1, b"out of our source");
        wire::encode::pipe_close(&mut want, 1);
        let mut back = vec![0; want.len()];
        peer.read_exact(&mut back).unwrap();
        assert_eq!(back, want);
        drop(peer);
        assert!(matches!(pump.join().unwrap(), End::StreamClosed));
    }
}
