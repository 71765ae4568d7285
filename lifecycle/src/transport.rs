//! Stream sockets over Unix or AF_VSOCK, with the peer identity each transport vouches for:
//! the peer's uid (SO_PEERCRED) on Unix, the peer's CID (set by the hypervisor) on vsock.

use std::fmt;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::net::addr::{SocketAddrArg, SocketAddrLen, SocketAddrOpaque};
use rustix::net::{AddressFamily, SendFlags, SocketAddrAny, SocketAddrUnix, SocketFlags, SocketType};

use crate::address::Address;

/// Who is on the other end, as the transport (not the peer) says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    Unix { uid: u32, pid: i32 },
    Vsock { cid: u32, port: u32 },
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Unix { uid, pid } => write!(f, "uid {uid} (pid {pid})"),
            Peer::Vsock { cid, port } => write!(f, "cid {cid} (port {port})"),
        }
    }
}

/// A connected stream socket.
#[derive(Debug)]
pub struct Stream {
    fd: OwnedFd,
}

impl Stream {
    pub fn connect(addr: &Address) -> io::Result<Stream> {
        let fd = match addr {
            Address::Unix(path) => {
                let fd = socket(AddressFamily::UNIX)?;
                rustix::net::connect(&fd, &SocketAddrUnix::new(path.as_path())?)?;
                fd
            }
            Address::Vsock { cid, port } => {
                let fd = socket(AddressFamily::VSOCK)?;
                rustix::net::connect(&fd, &VsockAddr { cid: *cid, port: *port })?;
                fd
            }
        };
        Ok(Stream { fd })
    }

    /// Connect, giving up at `deadline`: a vsock peer that never answers cannot hold the caller,
    /// and a Unix listener whose queue is full is an error at once (the caller retries).
    pub fn connect_until(addr: &Address, deadline: Instant) -> io::Result<Stream> {
        let nonblocking = SocketFlags::CLOEXEC | SocketFlags::NONBLOCK;
        let (fd, started) = match addr {
            Address::Unix(path) => {
                let fd = socket_with(AddressFamily::UNIX, nonblocking)?;
                let r = rustix::net::connect(&fd, &SocketAddrUnix::new(path.as_path())?);
                (fd, r)
            }
            Address::Vsock { cid, port } => {
                let fd = socket_with(AddressFamily::VSOCK, nonblocking)?;
                let r = rustix::net::connect(&fd, &VsockAddr { cid: *cid, port: *port });
                (fd, r)
            }
        };
        match started {
            Ok(()) => {}
            Err(rustix::io::Errno::INPROGRESS) => {
                crate::deadline::wait(&fd, rustix::event::PollFlags::OUT, Some(deadline))?;
                rustix::net::sockopt::socket_error(&fd)??;
            }
            Err(e) => return Err(e.into()),
        }
        rustix::io::ioctl_fionbio(&fd, false)?;
        Ok(Stream { fd })
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

/// A listening socket. A Unix listener removes its socket file when dropped.
#[derive(Debug)]
pub struct Listener {
    fd: OwnedFd,
    addr: Address,
    unix_path: Option<PathBuf>,
}

impl Listener {
    pub fn bind(addr: &Address) -> io::Result<Listener> {
        let (fd, unix_path) = match addr {
            Address::Unix(path) => {
                remove_stale_socket(path)?;
                let fd = socket(AddressFamily::UNIX)?;
                rustix::net::bind(&fd, &SocketAddrUnix::new(path.as_path())?)?;
                (fd, Some(path.clone()))
            }
            Address::Vsock { cid, port } => {
                let fd = socket(AddressFamily::VSOCK)?;
                rustix::net::bind(&fd, &VsockAddr { cid: *cid, port: *port })?;
                (fd, None)
            }
        };
        rustix::net::listen(&fd, 128)?;
        Ok(Listener { fd, addr: addr.clone(), unix_path })
    }

    pub fn address(&self) -> &Address {
        &self.addr
    }

    /// The next connection and who made it.
    pub fn accept(&self) -> io::Result<(Stream, Peer)> {
        let (fd, addr) = rustix::net::acceptfrom_with(&self.fd, SocketFlags::CLOEXEC)?;
        let peer = match self.addr {
            Address::Unix(_) => {
                let cred = rustix::net::sockopt::socket_peercred(&fd)?;
                Peer::Unix { uid: cred.uid.as_raw(), pid: cred.pid.as_raw_nonzero().get() }
            }
            Address::Vsock { .. } => {
                let addr = addr.ok_or_else(|| io::Error::other("vsock peer without an address"))?;
                let (cid, port) = vsock_peer(&addr)?;
                Peer::Vsock { cid, port }
            }
        };
        Ok((Stream { fd }, peer))
    }

    /// Path of the socket file of a Unix listener.
    pub fn unix_path(&self) -> Option<&Path> {
        self.unix_path.as_deref()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(p) = &self.unix_path {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn socket(family: AddressFamily) -> io::Result<OwnedFd> {
    socket_with(family, SocketFlags::CLOEXEC)
}

fn socket_with(family: AddressFamily, flags: SocketFlags) -> io::Result<OwnedFd> {
    Ok(rustix::net::socket_with(family, SocketType::STREAM, flags, None)?)
}

/// A socket file left by a daemon that died is removed; one that still answers is in use.
fn remove_stale_socket(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else { return Ok(()) };
    if !meta.file_type().is_socket() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a socket", path.display()),
        ));
    }
    if Stream::connect(&Address::Unix(path.to_path_buf())).is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("{} is in use by another process", path.display()),
        ));
    }
    std::fs::remove_file(path)
}

/// `struct sockaddr_vm`, which rustix does not define.
struct VsockAddr {
    cid: u32,
    port: u32,
}

// SAFETY: the closure gets a pointer to a fully initialised sockaddr_vm on our stack and its
// exact size; it lives for the whole call.
unsafe impl SocketAddrArg for VsockAddr {
    unsafe fn with_sockaddr<R>(&self, f: impl FnOnce(*const SocketAddrOpaque, SocketAddrLen) -> R) -> R {
        // SAFETY: sockaddr_vm is plain integers, for which all-zero is valid.
        let mut sa: libc::sockaddr_vm = unsafe { std::mem::zeroed() };
        sa.svm_family = libc::AF_VSOCK as libc::sa_family_t;
        sa.svm_cid = self.cid;
        sa.svm_port = self.port;
        f((&raw const sa).cast(), size_of::<libc::sockaddr_vm>() as SocketAddrLen)
    }
}

fn vsock_peer(addr: &SocketAddrAny) -> io::Result<(u32, u32)> {
    if addr.address_family() != AddressFamily::VSOCK || (addr.addr_len() as usize) < size_of::<libc::sockaddr_vm>() {
        return Err(io::Error::other("peer address is not a vsock address"));
    }
    // SAFETY: the storage holds at least a sockaddr_vm (checked above); read_unaligned copes
    // with any alignment.
    let sa = unsafe { addr.as_ptr().cast::<libc::sockaddr_vm>().read_unaligned() };
    Ok((sa.svm_cid, sa.svm_port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_peer_is_our_uid_and_a_live_socket_is_not_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let addr = Address::Unix(dir.path().join("s.sock"));
        let l = Listener::bind(&addr).unwrap();
        let mut c = Stream::connect(&addr).unwrap();
        let (mut s, peer) = l.accept().unwrap();
        assert_eq!(peer, Peer::Unix { uid: rustix::process::getuid().as_raw(), pid: std::process::id() as i32 });
        c.write_all(b"hi").unwrap();
        let mut buf = [0; 2];
        s.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"hi");
        assert!(Listener::bind(&addr).unwrap_err().to_string().contains("in use"));
    }

    #[test]
    fn stale_socket_file_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        let std_listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        drop(std_listener); // leaves the file behind
        assert!(path.exists());
        let l = Listener::bind(&Address::Unix(path.clone())).unwrap();
        drop(l);
        assert!(!path.exists());
    }

    #[test]
    fn vsock_address_layout() {
        let a = VsockAddr { cid: 3, port: 7100 };
        let any = a.as_any();
        assert_eq!(any.address_family(), AddressFamily::VSOCK);
        assert_eq!(vsock_peer(&any).unwrap(), (3, 7100));
    }
}
