//! Non-blocking buffered I/O on the three kinds of fds a connection has: the Wayland socket
//! (bytes plus fds), the stream to the other proxy end (frames), and clipboard pipes.

use std::collections::VecDeque;
use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use canopy_protocols::wire;
use rustix::io::Errno;
use rustix::net::{
    recvmsg, sendmsg, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer, SendAncillaryMessage,
    SendFlags,
};

/// libwayland reads at most this many fds per recvmsg; send no more at once.
const MAX_FDS_OUT: usize = 28;

/// Reads up to `want` bytes of what is there into `buf` (growing it); `Ok(false)` on end of
/// stream.
pub fn read_some(fd: BorrowedFd<'_>, buf: &mut Vec<u8>, want: usize) -> io::Result<bool> {
    let len = buf.len();
    buf.reserve(want);
    let spare = &mut buf.spare_capacity_mut()[..want];
    match rustix::io::read(fd, spare) {
        Ok((filled, _)) => {
            let n = filled.len();
            // SAFETY: read initialised n bytes of the spare capacity.
            unsafe { buf.set_len(len + n) };
            Ok(n > 0)
        }
        Err(Errno::AGAIN) | Err(Errno::INTR) => Ok(true),
        Err(e) => Err(e.into()),
    }
}

/// Reads bytes and fds from a Wayland socket; `Ok(false)` on end of stream.
pub fn recv_with_fds(fd: BorrowedFd<'_>, buf: &mut Vec<u8>, fds: &mut VecDeque<OwnedFd>) -> io::Result<bool> {
    let len = buf.len();
    buf.resize(len + 65536, 0);
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS_OUT))];
    let mut cmsg = RecvAncillaryBuffer::new(&mut space);
    let mut iov = [IoSliceMut::new(&mut buf[len..])];
    let r = recvmsg(fd, &mut iov, &mut cmsg, RecvFlags::CMSG_CLOEXEC | RecvFlags::DONTWAIT);
    let n = match r {
        Ok(m) => m.bytes,
        Err(Errno::AGAIN) | Err(Errno::INTR) => {
            buf.truncate(len);
            return Ok(true);
        }
        Err(e) => {
            buf.truncate(len);
            return Err(e.into());
        }
    };
    buf.truncate(len + n);
    for msg in cmsg.drain() {
        if let RecvAncillaryMessage::ScmRights(r) = msg {
            fds.extend(r);
        }
    }
    Ok(n > 0)
}

/// Bytes for a Wayland socket, each run carrying the fds of the messages in it.
#[derive(Default)]
pub struct WaylandOut {
    chunks: VecDeque<(Vec<u8>, usize, Vec<OwnedFd>)>,
    bytes: usize,
}

impl WaylandOut {
    pub fn push(&mut self, msg: &[u8], fds: Vec<OwnedFd>) {
        self.bytes += msg.len();
        match self.chunks.back_mut() {
            // fds travel with the first byte of their chunk; libwayland accepts them early.
            Some((b, sent, f)) if fds.is_empty() || (*sent == 0 && f.len() + fds.len() <= MAX_FDS_OUT) => {
                b.extend_from_slice(msg);
                f.extend(fds);
            }
            _ => self.chunks.push_back((msg.to_vec(), 0, fds)),
        }
    }

    pub fn pending(&self) -> usize {
        self.bytes
    }

    /// Everything queued (bytes, fd count), for tests and the fuzz target.
    pub fn queued(&self) -> (Vec<u8>, usize) {
        let mut b = Vec::new();
        let mut n = 0;
        for (c, sent, f) in &self.chunks {
            b.extend_from_slice(&c[*sent..]);
            n += f.len();
        }
        (b, n)
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Writes what the socket takes now.
    pub fn flush(&mut self, fd: BorrowedFd<'_>) -> io::Result<()> {
        while let Some((buf, sent, fds)) = self.chunks.front_mut() {
            let borrowed: Vec<BorrowedFd<'_>> = fds.iter().map(|f| f.as_fd()).collect();
            let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS_OUT))];
            let mut cmsg = SendAncillaryBuffer::new(&mut space);
            if *sent == 0 && !borrowed.is_empty() {
                cmsg.push(SendAncillaryMessage::ScmRights(&borrowed));
            }
            let iov = [IoSlice::new(&buf[*sent..])];
            match sendmsg(fd, &iov, &mut cmsg, SendFlags::DONTWAIT | SendFlags::NOSIGNAL) {
                Ok(n) => {
                    drop(borrowed);
                    fds.clear(); // sent with the first bytes; our copies close here
                    *sent += n;
                    self.bytes -= n;
                    if *sent == buf.len() {
                        self.chunks.pop_front();
                    }
                }
                Err(Errno::AGAIN) | Err(Errno::INTR) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

/// Memory a [`Chunk`] refers to instead of copying it.
#[derive(Debug, Clone, Copy)]
pub struct Borrowed {
    pub ptr: *const u8,
    pub len: usize,
}

/// One frame made by a [`Chunker`]: its own bytes (header, span table, maybe data), then data
/// it borrows from pool memory, written with one `writev` and no copy in user space.
#[derive(Debug, Default)]
pub struct Chunk {
    pub head: Vec<u8>,
    pub data: Vec<Borrowed>,
}

impl Chunk {
    pub fn clear(&mut self) {
        self.head.clear();
        self.data.clear();
    }

    pub fn len(&self) -> usize {
        self.head.len() + self.data.iter().map(|d| d.len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Frames made only when the stream can take them, one [`Chunk`] at a time (pool contents:
/// what is encoded late is read from memory while it is still in the cache, and a frame of
/// pixels streams out while the next part is still being compared).
///
/// # Safety
/// The memory a chunk borrows stays mapped and unchanged until the next call of
/// [`Chunker::next`] or until the chunker is dropped, except that its owner may change it
/// after calling [`FrameOut::own_borrowed`].
pub unsafe trait Chunker {
    /// About how many bytes are still to come (for back-pressure).
    fn remaining(&self) -> usize;
    /// Fills `chunk` (empty) with the next frame; `Ok(false)` once there is none left.
    fn next(&mut self, chunk: &mut Chunk) -> io::Result<bool>;
}

enum Item {
    Bytes { buf: Vec<u8>, sent: usize },
    Job(Box<dyn Chunker>),
}

/// Frames for the stream to the other proxy end. Consecutive Wayland messages share a frame.
#[derive(Default)]
pub struct FrameOut {
    items: VecDeque<Item>,
    /// Start of the open Wayland frame in the last item's bytes.
    open_wayland: Option<usize>,
    /// The chunk being written, and how much of it is written.
    chunk: Chunk,
    chunk_sent: usize,
    in_chunk: bool,
    spare: Vec<u8>,
}

/// A Wayland frame is closed once it holds this much, so the peer can start on it.
const WAYLAND_FRAME_MAX: usize = 32 * 1024;

impl FrameOut {
    /// Appends a whole Wayland message.
    pub fn wayland(&mut self, msg: &[u8]) {
        let open = self.open_wayland;
        let start = match open {
            Some(s) if self.back_bytes().len() - s + msg.len() <= WAYLAND_FRAME_MAX => s,
            _ => {
                let s = wire::encode::begin_wayland(self.frames());
                self.open_wayland = Some(s);
                s
            }
        };
        let buf = self.back_bytes();
        buf.extend_from_slice(msg);
        wire::encode::finish_wayland(buf, start);
    }

    fn back_bytes(&mut self) -> &mut Vec<u8> {
        if !matches!(self.items.back(), Some(Item::Bytes { .. })) {
            let buf = std::mem::take(&mut self.spare);
            self.items.push_back(Item::Bytes { buf, sent: 0 });
        }
        match self.items.back_mut() {
            Some(Item::Bytes { buf, .. }) => buf,
            _ => unreachable!("pushed above"),
        }
    }

    /// The buffer to append other frames to (closing any open Wayland frame first).
    pub fn frames(&mut self) -> &mut Vec<u8> {
        self.open_wayland = None;
        self.back_bytes()
    }

    /// Queues frames that `job` makes when the stream can take them, after everything queued.
    pub fn job(&mut self, job: Box<dyn Chunker>) {
        self.open_wayland = None;
        self.items.push_back(Item::Job(job));
    }

    /// Copies what the chunk being written borrows, so its owner may change that memory.
    pub fn own_borrowed(&mut self) {
        if !self.in_chunk || self.chunk.data.is_empty() {
            return;
        }
        let mut head = Vec::with_capacity(self.chunk.len() - self.chunk_sent);
        let mut skip = self.chunk_sent;
        let parts = std::iter::once(&self.chunk.head[..]).chain(self.chunk.data.iter().map(|d| {
            // SAFETY: the chunker keeps this memory valid until its next call (see Chunker).
            unsafe { std::slice::from_raw_parts(d.ptr, d.len) }
        }));
        for part in parts {
            let k = skip.min(part.len());
            skip -= k;
            head.extend_from_slice(&part[k..]);
        }
        self.chunk.head = head;
        self.chunk.data.clear();
        self.chunk_sent = 0;
    }

    pub fn pending(&self) -> usize {
        let chunk = if self.in_chunk { self.chunk.len() - self.chunk_sent } else { 0 };
        chunk
            + self
                .items
                .iter()
                .map(|i| match i {
                    Item::Bytes { buf, sent } => buf.len() - sent,
                    Item::Job(j) => j.remaining(),
                })
                .sum::<usize>()
    }

    /// The frames not yet written (jobs not yet run are left out), for tests.
    pub fn queued(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for i in &self.items {
            if let Item::Bytes { buf, sent } = i {
                out.extend_from_slice(&buf[*sent..]);
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        !self.in_chunk && self.items.iter().all(|i| matches!(i, Item::Bytes { buf, sent } if buf.len() == *sent))
    }

    /// Writes what the stream takes now, making chunks of queued jobs as it goes.
    pub fn flush(&mut self, fd: BorrowedFd<'_>) -> io::Result<()> {
        loop {
            if self.in_chunk {
                if !self.write_chunk(fd)? {
                    return Ok(());
                }
                self.in_chunk = false;
            }
            let last = self.items.len() == 1;
            match self.items.front_mut() {
                None => return Ok(()),
                Some(Item::Bytes { buf, sent }) => {
                    while *sent < buf.len() {
                        match rustix::io::write(fd, &buf[*sent..]) {
                            Ok(n) => *sent += n,
                            Err(Errno::AGAIN) | Err(Errno::INTR) => {
                                if *sent > (1 << 20) && *sent * 2 > buf.len() {
                                    buf.drain(..*sent);
                                    if last {
                                        if let Some(s) = self.open_wayland.as_mut() {
                                            *s -= *sent;
                                        }
                                    }
                                    *sent = 0;
                                }
                                return Ok(());
                            }
                            Err(e) => return Err(e.into()),
                        }
                    }
                    if last {
                        self.open_wayland = None;
                    }
                    if let Some(Item::Bytes { mut buf, .. }) = self.items.pop_front() {
                        if buf.capacity() <= 16 << 20 {
                            buf.clear();
                            self.spare = buf;
                        }
                    }
                }
                Some(Item::Job(job)) => {
                    self.chunk.clear();
                    self.chunk_sent = 0;
                    if job.next(&mut self.chunk)? {
                        self.in_chunk = true;
                    } else {
                        self.items.pop_front();
                    }
                }
            }
        }
    }

    /// Writes the rest of the current chunk; false if the stream took only part of it.
    fn write_chunk(&mut self, fd: BorrowedFd<'_>) -> io::Result<bool> {
        let total = self.chunk.len();
        let mut iov: Vec<IoSlice<'_>> = Vec::with_capacity(1 + self.chunk.data.len());
        while self.chunk_sent < total {
            iov.clear();
            let mut skip = self.chunk_sent;
            let head = &self.chunk.head[..];
            let parts = std::iter::once(head).chain(self.chunk.data.iter().map(|d| {
                // SAFETY: the chunker keeps this memory valid until its next call (see Chunker).
                unsafe { std::slice::from_raw_parts(d.ptr, d.len) }
            }));
            for part in parts {
                let k = skip.min(part.len());
                skip -= k;
                if k < part.len() && iov.len() < MAX_IOV {
                    iov.push(IoSlice::new(&part[k..]));
                }
            }
            match rustix::io::writev(fd, &iov) {
                Ok(n) => self.chunk_sent += n,
                Err(Errno::AGAIN) | Err(Errno::INTR) => return Ok(false),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(true)
    }
}

/// Most buffers one writev takes (Linux's IOV_MAX is 1024).
const MAX_IOV: usize = 1024;

pub fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    use rustix::fs::{fcntl_getfl, fcntl_setfl, OFlags};
    let fl = fcntl_getfl(fd)?;
    fcntl_setfl(fd, fl | OFlags::NONBLOCK)?;
    Ok(())
}

/// Makes a socket blocking with a short send timeout, to drain last words before closing.
pub fn set_blocking_for_drain(fd: BorrowedFd<'_>) -> io::Result<()> {
    use rustix::fs::{fcntl_getfl, fcntl_setfl, OFlags};
    let fl = fcntl_getfl(fd)?;
    fcntl_setfl(fd, fl - OFlags::NONBLOCK)?;
    rustix::net::sockopt::set_socket_timeout(
        fd,
        rustix::net::sockopt::Timeout::Send,
        Some(std::time::Duration::from_millis(500)),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixStream;

    #[test]
    fn wayland_bytes_and_fds_cross_a_socket() {
        let (a, b) = UnixStream::pair().unwrap();
        set_nonblocking(a.as_fd()).unwrap();
        set_nonblocking(b.as_fd()).unwrap();
        let mut out = WaylandOut::default();
        let (r, _w) = rustix::pipe::pipe().unwrap();
        out.push(b"12345678", vec![]);
        out.push(b"abcdefgh", vec![r]);
        out.push(b"ABCDEFGH", vec![]);
        out.flush(a.as_fd()).unwrap();
        assert!(out.is_empty());
        let mut buf = Vec::new();
        let mut fds = VecDeque::new();
        while buf.len() < 24 {
            assert!(recv_with_fds(b.as_fd(), &mut buf, &mut fds).unwrap());
        }
        assert_eq!(&buf, b"12345678abcdefghABCDEFGH");
        assert_eq!(fds.len(), 1);
        drop(a);
        buf.clear();
        assert!(!recv_with_fds(b.as_fd(), &mut buf, &mut fds).unwrap());
    }

    #[test]
    fn wayland_messages_share_frames() {
        let mut out = FrameOut::default();
        out.wayland(&[1; 8]);
        out.wayland(&[2; 8]);
        wire::encode::pipe_close(out.frames(), 4);
        out.wayland(&[3; 8]);
        let b = out.queued();
        let (f1, n1) = wire::decode(&b, 1 << 20).unwrap().unwrap();
        assert_eq!(f1, wire::Frame::Wayland(&[1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]));
        let (f2, n2) = wire::decode(&b[n1..], 1 << 20).unwrap().unwrap();
        assert_eq!(f2, wire::Frame::PipeClose { pipe: 4 });
        let (f3, _) = wire::decode(&b[n1 + n2..], 1 << 20).unwrap().unwrap();
        assert_eq!(f3, wire::Frame::Wayland(&[3; 8]));
    }
}
