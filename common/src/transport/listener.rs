//! Listening sockets, and who is on the other end of each accepted stream.

use std::fmt;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags};

use super::address::Address;
use super::stream::{make_roomy, socket, Stream};
use super::vsock;

/// Who is on the other end, as the transport (not the peer) says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// A Unix socket (also a vsock-mux listener's, where the VMM delivers the VM's connections):
    /// the process the kernel saw connect (SO_PEERCRED).
    Unix { uid: u32, pid: i32 },
    /// AF_VSOCK: the CID that the hypervisor assigned to the peer VM, and its port.
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

/// Whether `peer` may talk to a daemon that allows these uids on Unix sockets and the VM with
/// CID `cid` (called `who` in the refusal) on vsock: the transport's word, never the peer's.
pub fn peer_allowed(peer: &Peer, uids: &[u32], cid: Option<u32>, who: &str) -> Result<(), String> {
    match *peer {
        Peer::Unix { uid, .. } if uids.contains(&uid) => Ok(()),
        Peer::Unix { uid, .. } => Err(format!("uid {uid} is not allowed")),
        Peer::Vsock { cid: c, .. } if cid == Some(c) => Ok(()),
        Peer::Vsock { cid: c, .. } => Err(format!("CID {c} is not {who}")),
    }
}

/// A listening socket. A Unix listener (vsock-mux's too) removes its socket file when dropped.
#[derive(Debug)]
pub struct Listener {
    fd: OwnedFd,
    addr: Address,
    unix_path: Option<PathBuf>,
}

impl Listener {
    /// Listens on `addr`; for `vsock-mux:PATH:PORT` on the Unix socket `PATH_PORT`. A socket
    /// file left by a process that is gone is replaced; one that still answers is not.
    pub fn bind(addr: &Address) -> io::Result<Listener> {
        let unix = |path: &Path| -> io::Result<OwnedFd> {
            remove_stale_socket(path)?;
            let fd = socket(AddressFamily::UNIX, SocketFlags::CLOEXEC)?;
            rustix::net::bind(&fd, &SocketAddrUnix::new(path)?)?;
            Ok(fd)
        };
        let (fd, unix_path) = match addr {
            Address::Unix(path) => (unix(path)?, Some(path.clone())),
            Address::VsockMux { path, port } => {
                let mut p = path.clone().into_os_string();
                p.push(format!("_{port}"));
                let path = PathBuf::from(p);
                (unix(&path)?, Some(path))
            }
            Address::Vsock { cid, port } => {
                let fd = socket(AddressFamily::VSOCK, SocketFlags::CLOEXEC)
                    .map_err(|e| io::Error::new(e.kind(), format!("vsock: {e}")))?;
                // Accepted sockets inherit the buffer size.
                vsock::make_roomy(&fd);
                rustix::net::bind(&fd, &vsock::VsockAddr { cid: *cid, port: *port })
                    .map_err(|e| io::Error::new(io::Error::from(e).kind(), format!("vsock port {port}: {e}")))?;
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
            Address::Unix(_) | Address::VsockMux { .. } => {
                make_roomy(&fd);
                let cred = rustix::net::sockopt::socket_peercred(&fd)?;
                Peer::Unix { uid: cred.uid.as_raw(), pid: cred.pid.as_raw_nonzero().get() }
            }
            Address::Vsock { .. } => {
                let addr = addr.ok_or_else(|| io::Error::other("vsock peer without an address"))?;
                let (cid, port) = vsock::peer(&addr)?;
                Peer::Vsock { cid, port }
            }
        };
        Ok((Stream::from(fd), peer))
    }

    /// Path of the socket file of a Unix (or vsock-mux) listener.
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

/// A socket file left by a process that died is removed; one that still answers is in use.
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
