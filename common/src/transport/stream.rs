//! A connected stream socket of any transport, and connecting one: blocking, or bounded by a
//! wall-clock deadline so that a peer that never answers cannot hold the caller.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use rustix::net::{AddressFamily, SendFlags, SocketAddrUnix, SocketFlags, SocketType};

use super::address::Address;
use super::{deadline, mux, vsock};

/// How long a vsock-mux VMM may take to answer `CONNECT` when the caller set no deadline.
const MUX_ANSWER_TIME: Duration = Duration::from_secs(10);

/// Bytes a stream holds in flight. The default (about 200 KiB for a Unix socket) makes a
/// full-screen frame of the proxy cross in dozens of small rounds; a few of the guest's 256 KiB
/// pixel chunks in flight let both ends copy at once. More than this gained nothing in the
/// proxy's bench; small exchanges (the lifecycle's) never fill it, and the kernel allocates only
/// what is in flight.
pub const STREAM_BUFFER: usize = 1 << 20;

/// A connected stream socket.
#[derive(Debug)]
pub struct Stream {
    fd: OwnedFd,
}

impl Stream {
    /// Connect (blocking), doing the vsock-mux handshake where needed.
    pub fn connect(addr: &Address) -> io::Result<Stream> {
        Self::connect_by(addr, None)
    }

    /// Connect, giving up at `deadline`: a vsock peer or a vsock-mux VMM that never answers
    /// cannot hold the caller, and a Unix listener whose queue is full is an error at once (the
    /// caller retries).
    pub fn connect_until(addr: &Address, deadline: Instant) -> io::Result<Stream> {
        Self::connect_by(addr, Some(deadline))
    }

    fn connect_by(addr: &Address, deadline: Option<Instant>) -> io::Result<Stream> {
        let flags = match deadline {
            Some(_) => SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
            None => SocketFlags::CLOEXEC,
        };
        let (fd, started) = match addr {
            Address::Unix(path) | Address::VsockMux { path, .. } => {
                let fd = socket(AddressFamily::UNIX, flags)?;
                let r = rustix::net::connect(&fd, &SocketAddrUnix::new(path.as_path())?);
                (fd, r)
            }
            Address::Vsock { cid, port } => {
                let fd = socket(AddressFamily::VSOCK, flags).map_err(|e| failed(addr, e))?;
                vsock::make_roomy(&fd);
                let r = rustix::net::connect(&fd, &vsock::VsockAddr { cid: *cid, port: *port });
                (fd, r)
            }
        };
        match started {
            Ok(()) => {}
            Err(rustix::io::Errno::INPROGRESS) => {
                deadline::wait(&fd, rustix::event::PollFlags::OUT, deadline).map_err(|e| failed(addr, e))?;
                rustix::net::sockopt::socket_error(&fd)?.map_err(|e| failed(addr, e.into()))?;
            }
            Err(e) => return Err(failed(addr, e.into())),
        }
        if deadline.is_some() {
            rustix::io::ioctl_fionbio(&fd, false)?;
        }
        let stream = Stream { fd };
        if let Address::VsockMux { port, .. } = addr {
            mux::handshake(&stream, *port, deadline.unwrap_or_else(|| Instant::now() + MUX_ANSWER_TIME))?;
        }
        if !matches!(addr, Address::Vsock { .. }) {
            make_roomy(&stream.fd);
        }
        Ok(stream)
    }

    /// Two connected Unix streams (socketpair): a stream whose both ends this process holds,
    /// for tests and for threads of one program.
    pub fn pair() -> io::Result<(Stream, Stream)> {
        let (a, b) = rustix::net::socketpair(AddressFamily::UNIX, SocketType::STREAM, SocketFlags::CLOEXEC, None)?;
        Ok((Stream { fd: a }, Stream { fd: b }))
    }

    pub fn try_clone(&self) -> io::Result<Stream> {
        Ok(Stream { fd: self.fd.try_clone()? })
    }

    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        Ok(rustix::net::sockopt::set_socket_timeout(&self.fd, rustix::net::sockopt::Timeout::Recv, t)?)
    }

    pub fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        Ok(rustix::net::sockopt::set_socket_timeout(&self.fd, rustix::net::sockopt::Timeout::Send, t)?)
    }

    pub fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        Ok(rustix::io::ioctl_fionbio(&self.fd, on)?)
    }

    /// Ends both directions; a thread blocked reading this socket (or a clone) wakes up.
    pub fn shutdown(&self) {
        let _ = rustix::net::shutdown(&self.fd, rustix::net::Shutdown::Both);
    }
}

/// A failed connect, said so that the transport is clear where the system's words are not
/// (the caller names the address).
fn failed(addr: &Address, e: io::Error) -> io::Error {
    match addr {
        Address::Unix(_) => e,
        Address::Vsock { .. } => io::Error::new(e.kind(), format!("vsock: {e}")),
        Address::VsockMux { path, .. } => io::Error::new(e.kind(), format!("vsock-mux socket {}: {e}", path.display())),
    }
}

/// An accepted or connected socket (the listener's side of [`super::Listener::accept`]).
impl From<OwnedFd> for Stream {
    fn from(fd: OwnedFd) -> Self {
        Stream { fd }
    }
}

/// The socket itself, for an event loop that polls it (the proxy's pump).
impl From<Stream> for OwnedFd {
    fn from(s: Stream) -> Self {
        s.fd
    }
}

impl Read for &Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(rustix::io::read(&self.fd, buf)?)
    }
}

impl Write for &Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // NOSIGNAL: a peer that went away is an error to handle, not a SIGPIPE.
        Ok(rustix::net::send(&self.fd, buf, SendFlags::NOSIGNAL)?)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsFd for Stream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Stream {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

pub(super) fn socket(family: AddressFamily, flags: SocketFlags) -> io::Result<OwnedFd> {
    Ok(rustix::net::socket_with(family, SocketType::STREAM, flags, None)?)
}

/// Gives a Unix stream socket room for [`STREAM_BUFFER`] bytes in flight (best effort: the
/// system's maximum may be lower).
pub(super) fn make_roomy(fd: &OwnedFd) {
    let _ = rustix::net::sockopt::set_socket_send_buffer_size(fd, STREAM_BUFFER);
}
