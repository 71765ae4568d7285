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

/// Reads as much as is there into `buf` (growing it); `Ok(false)` on end of stream.
pub fn read_some(fd: BorrowedFd<'_>, buf: &mut Vec<u8>, want: usize) -> io::Result<bool> {
    let len = buf.len();
    buf.reserve(want);
    let spare = buf.spare_capacity_mut();
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

/// Frames for the stream to the other proxy end. Consecutive Wayland messages share a frame.
#[derive(Default)]
pub struct FrameOut {
    buf: Vec<u8>,
    sent: usize,
    open_wayland: Option<usize>,
}

/// A Wayland frame is closed once it holds this much, so the peer can start on it.
const WAYLAND_FRAME_MAX: usize = 32 * 1024;

impl FrameOut {
    /// Appends a whole Wayland message.
    pub fn wayland(&mut self, msg: &[u8]) {
        let start = match self.open_wayland {
            Some(s) if self.buf.len() - s + msg.len() <= WAYLAND_FRAME_MAX => s,
            _ => {
                self.close();
                let s = wire::encode::begin_wayland(&mut self.buf);
                self.open_wayland = Some(s);
                s
            }
        };
        self.buf.extend_from_slice(msg);
        wire::encode::finish_wayland(&mut self.buf, start);
    }

    fn close(&mut self) {
        self.open_wayland = None;
    }

    /// The buffer to append other frames to (closing any open Wayland frame first).
    pub fn frames(&mut self) -> &mut Vec<u8> {
        self.close();
        &mut self.buf
    }

    pub fn pending(&self) -> usize {
        self.buf.len() - self.sent
    }

    /// The frames not yet written.
    pub fn queued(&self) -> &[u8] {
        &self.buf[self.sent..]
    }

    pub fn is_empty(&self) -> bool {
        self.pending() == 0
    }

    pub fn flush(&mut self, fd: BorrowedFd<'_>) -> io::Result<()> {
        while self.sent < self.buf.len() {
            match rustix::io::write(fd, &self.buf[self.sent..]) {
                Ok(n) => self.sent += n,
                Err(Errno::AGAIN) | Err(Errno::INTR) => break,
                Err(e) => return Err(e.into()),
            }
        }
        if self.sent == self.buf.len() {
            self.buf.clear();
            self.sent = 0;
            self.open_wayland = None;
        } else if self.sent > (1 << 20) && self.sent * 2 > self.buf.len() {
            self.buf.drain(..self.sent);
            if let Some(s) = self.open_wayland.as_mut() {
                *s -= self.sent;
            }
            self.sent = 0;
        }
        Ok(())
    }
}

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
        let b = out.buf.clone();
        let (f1, n1) = wire::decode(&b, 1 << 20).unwrap().unwrap();
        assert_eq!(f1, wire::Frame::Wayland(&[1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]));
        let (f2, n2) = wire::decode(&b[n1..], 1 << 20).unwrap().unwrap();
        assert_eq!(f2, wire::Frame::PipeClose { pipe: 4 });
        let (f3, _) = wire::decode(&b[n1 + n2..], 1 << 20).unwrap().unwrap();
        assert_eq!(f3, wire::Frame::Wayland(&[3; 8]));
    }
}
