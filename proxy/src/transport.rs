//! Stream transports between the proxy ends: AF_VSOCK, hybrid vsock over a Unix socket
//! (`vsock-mux`, as Firecracker, cloud-hypervisor and vhost-device-vsock offer it on the host),
//! and plain Unix sockets for tests. Every transport yields a connected stream socket.

use std::fmt;
use std::io::{self, Read, Write};
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Where to listen or connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// `unix:PATH`
    Unix(PathBuf),
    /// `vsock:CID:PORT`; CID `any` listens on every CID.
    Vsock { cid: u32, port: u32 },
    /// `vsock-mux:PATH:PORT`: connecting sends `CONNECT PORT\n` on the Unix socket PATH and waits
    /// for `OK …`; listening accepts on the Unix socket `PATH_PORT`, where the VMM delivers
    /// connections that the VM makes to PORT.
    VsockMux { path: PathBuf, port: u32 },
}

pub const VMADDR_CID_ANY: u32 = u32::MAX;

impl FromStr for Address {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let port = |p: &str| p.parse::<u32>().map_err(|_| format!("bad port {p:?} in address {s:?}"));
        if let Some(path) = s.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(format!("empty path in address {s:?}"));
            }
            Ok(Address::Unix(path.into()))
        } else if let Some(rest) = s.strip_prefix("vsock:") {
            let (cid, p) = rest.split_once(':').ok_or_else(|| format!("address {s:?} needs vsock:CID:PORT"))?;
            let cid = match cid {
                "any" => VMADDR_CID_ANY,
                c => c.parse().map_err(|_| format!("bad CID {c:?} in address {s:?}"))?,
            };
            Ok(Address::Vsock { cid, port: port(p)? })
        } else if let Some(rest) = s.strip_prefix("vsock-mux:") {
            let (path, p) = rest.rsplit_once(':').ok_or_else(|| format!("address {s:?} needs vsock-mux:PATH:PORT"))?;
            if path.is_empty() {
                return Err(format!("empty path in address {s:?}"));
            }
            Ok(Address::VsockMux { path: path.into(), port: port(p)? })
        } else {
            Err(format!("address {s:?} must start with unix:, vsock: or vsock-mux:"))
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Unix(p) => write!(f, "unix:{}", p.display()),
            Address::Vsock { cid: VMADDR_CID_ANY, port } => write!(f, "vsock:any:{port}"),
            Address::Vsock { cid, port } => write!(f, "vsock:{cid}:{port}"),
            Address::VsockMux { path, port } => write!(f, "vsock-mux:{}:{port}", path.display()),
        }
    }
}

/// Who is on the other end of an accepted stream, as the transport (not the peer) says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// A Unix socket: whoever may open the socket file.
    Unix,
    /// AF_VSOCK: the CID that the hypervisor assigned to the peer VM.
    Vsock { cid: u32 },
}

#[derive(Debug)]
pub struct Listener {
    inner: ListenerKind,
}

#[derive(Debug)]
enum ListenerKind {
    Unix(UnixListener),
    Vsock(OwnedFd),
}

impl Listener {
    pub fn bind(addr: &Address) -> io::Result<Listener> {
        let inner = match addr {
            Address::Unix(path) => ListenerKind::Unix(bind_unix(path)?),
            Address::VsockMux { path, port } => {
                let mut p = path.clone().into_os_string();
                p.push(format!("_{port}"));
                ListenerKind::Unix(bind_unix(&PathBuf::from(p))?)
            }
            Address::Vsock { cid, port } => ListenerKind::Vsock(vsock_listen(*cid, *port)?),
        };
        Ok(Listener { inner })
    }

    pub fn accept(&self) -> io::Result<(OwnedFd, Peer)> {
        match &self.inner {
            ListenerKind::Unix(l) => {
                let (s, _) = l.accept()?;
                let fd = s.into();
                roomy(&fd);
                Ok((fd, Peer::Unix))
            }
            ListenerKind::Vsock(fd) => vsock_accept(fd),
        }
    }
}

fn bind_unix(path: &PathBuf) -> io::Result<UnixListener> {
    match UnixListener::bind(path) {
        Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
            // A socket file left by a process that is gone is replaced; a live one is not.
            if UnixStream::connect(path).is_ok() {
                return Err(io::Error::new(e.kind(), format!("{} is in use by a running process", path.display())));
            }
            std::fs::remove_file(path)?;
            UnixListener::bind(path)
        }
        r => r,
    }
    .map_err(|e| io::Error::new(e.kind(), format!("listening on {}: {e}", path.display())))
}

/// Connects to `addr` (blocking), doing the vsock-mux handshake where needed.
pub fn connect(addr: &Address) -> io::Result<OwnedFd> {
    let fd: OwnedFd = match addr {
        Address::Unix(path) => UnixStream::connect(path)
            .map(Into::into)
            .map_err(|e| io::Error::new(e.kind(), format!("connecting to {}: {e}", path.display())))?,
        Address::VsockMux { path, port } => {
            let mut s = UnixStream::connect(path)
                .map_err(|e| io::Error::new(e.kind(), format!("connecting to {}: {e}", path.display())))?;
            mux_handshake(&mut s, *port)?;
            s.into()
        }
        Address::Vsock { cid, port } => return vsock_connect(*cid, *port),
    };
    roomy(&fd);
    Ok(fd)
}

/// Bytes a stream holds in flight. The default (about 200 KiB for a Unix socket) makes a
/// full-screen frame cross in dozens of small rounds; a few of the guest's 256 KiB pixel
/// chunks in flight let both ends copy at once. More than this gained nothing in the bench.
const STREAM_BUFFER: usize = 1 << 20;

/// Gives a Unix stream socket room for [`STREAM_BUFFER`] bytes in flight (best effort: the
/// system's maximum may be lower).
fn roomy(fd: &OwnedFd) {
    let _ = rustix::net::sockopt::set_socket_send_buffer_size(fd, STREAM_BUFFER);
}

/// `<linux/vm_sockets.h>`: the buffer of a vsock stream, negotiated when it connects.
const SO_VM_SOCKETS_BUFFER_SIZE: libc::c_int = 0;
const SO_VM_SOCKETS_BUFFER_MAX_SIZE: libc::c_int = 2;

/// Gives a vsock socket (a connecting one, or a listener whose accepted sockets inherit it)
/// room for [`STREAM_BUFFER`] bytes in flight; best effort.
fn roomy_vsock(fd: &OwnedFd) {
    let size = STREAM_BUFFER as u64;
    for opt in [SO_VM_SOCKETS_BUFFER_MAX_SIZE, SO_VM_SOCKETS_BUFFER_SIZE] {
        // SAFETY: setsockopt with a valid u64 and its size.
        unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::AF_VSOCK,
                opt,
                (&size as *const u64).cast(),
                size_of::<u64>() as libc::socklen_t,
            );
        }
    }
}

/// `CONNECT PORT\n`, then one line that must start with `OK`. Reads byte by byte so that no
/// byte of the stream after the line is consumed.
fn mux_handshake(s: &mut UnixStream, port: u32) -> io::Result<()> {
    s.write_all(format!("CONNECT {port}\n").as_bytes())?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut line = Vec::new();
    let mut b = [0u8];
    loop {
        if s.read(&mut b)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionRefused,
                format!("vsock-mux closed before answering CONNECT {port}"),
            ));
        }
        if b[0] == b'\n' {
            break;
        }
        line.push(b[0]);
        if line.len() > 64 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "vsock-mux answer line too long"));
        }
    }
    s.set_read_timeout(None)?;
    if line.starts_with(b"OK") {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!("vsock-mux refused CONNECT {port}: {:?}", String::from_utf8_lossy(&line)),
        ))
    }
}

fn vsock_addr(cid: u32, port: u32) -> libc::sockaddr_vm {
    // SAFETY: sockaddr_vm is plain data; all-zero is a valid value.
    let mut a: libc::sockaddr_vm = unsafe { zeroed() };
    a.svm_family = libc::AF_VSOCK as libc::sa_family_t;
    a.svm_cid = cid;
    a.svm_port = port;
    a
}

fn vsock_socket() -> io::Result<OwnedFd> {
    // SAFETY: plain socket(2); the result is checked and owned at once.
    let fd = unsafe { libc::socket(libc::AF_VSOCK, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(e.kind(), format!("AF_VSOCK socket: {e}")));
    }
    // SAFETY: fd is a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn vsock_listen(cid: u32, port: u32) -> io::Result<OwnedFd> {
    let fd = vsock_socket()?;
    roomy_vsock(&fd);
    let a = vsock_addr(cid, port);
    // SAFETY: a is a valid sockaddr_vm of the given size.
    let r = unsafe {
        libc::bind(fd.as_raw_fd(), (&a as *const libc::sockaddr_vm).cast(), size_of::<libc::sockaddr_vm>() as u32)
    };
    if r < 0 || unsafe { libc::listen(fd.as_raw_fd(), 64) } < 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(e.kind(), format!("listening on vsock port {port}: {e}")));
    }
    Ok(fd)
}

fn vsock_accept(l: &OwnedFd) -> io::Result<(OwnedFd, Peer)> {
    let mut a = vsock_addr(0, 0);
    let mut len = size_of::<libc::sockaddr_vm>() as libc::socklen_t;
    // SAFETY: a and len describe a writable sockaddr_vm.
    let fd = unsafe {
        libc::accept4(l.as_raw_fd(), (&mut a as *mut libc::sockaddr_vm).cast(), &mut len, libc::SOCK_CLOEXEC)
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new descriptor from accept4.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    Ok((fd, Peer::Vsock { cid: a.svm_cid }))
}

fn vsock_connect(cid: u32, port: u32) -> io::Result<OwnedFd> {
    let fd = vsock_socket()?;
    roomy_vsock(&fd);
    let a = vsock_addr(cid, port);
    // SAFETY: a is a valid sockaddr_vm of the given size.
    let r = unsafe {
        libc::connect(fd.as_raw_fd(), (&a as *const libc::sockaddr_vm).cast(), size_of::<libc::sockaddr_vm>() as u32)
    };
    if r < 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(e.kind(), format!("connecting to vsock {cid}:{port}: {e}")));
    }
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead;

    #[test]
    fn addresses_parse_and_print() {
        for s in ["unix:/run/x.sock", "vsock:3:5000", "vsock:any:5000", "vsock-mux:/run/v.sock:1024"] {
            assert_eq!(s.parse::<Address>().unwrap().to_string(), s);
        }
        assert_eq!(
            "vsock-mux:/a:b/c:7".parse::<Address>().unwrap(),
            Address::VsockMux { path: "/a:b/c".into(), port: 7 }
        );
        for bad in ["tcp:1.2.3.4:5", "unix:", "vsock:3", "vsock:x:1", "vsock:3:70000000000", "vsock-mux::5"] {
            assert!(bad.parse::<Address>().is_err(), "{bad}");
        }
    }

    /// A stand-in for the VMM's hybrid-vsock socket: answers CONNECT lines as Firecracker does.
    fn fake_vmm(path: PathBuf, answer: &'static str) -> std::thread::JoinHandle<(String, Vec<u8>)> {
        let l = UnixListener::bind(&path).unwrap();
        std::thread::spawn(move || {
            let (s, _) = l.accept().unwrap();
            let mut r = io::BufReader::new(s.try_clone().unwrap());
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            (&s).write_all(answer.as_bytes()).unwrap();
            let mut rest = Vec::new();
            let _ = r.read_to_end(&mut rest);
            (line, rest)
        })
    }

    #[test]
    fn vsock_mux_connect_does_the_handshake() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vm.vsock");
        let vmm = fake_vmm(path.clone(), "OK 1073741824\nearly");
        let fd = connect(&Address::VsockMux { path, port: 5000 }).unwrap();
        let mut s = UnixStream::from(fd);
        let mut early = [0u8; 5];
        s.read_exact(&mut early).unwrap();
        assert_eq!(&early, b"early", "bytes after the OK line belong to the stream");
        s.write_all(b"payload").unwrap();
        drop(s);
        let (line, rest) = vmm.join().unwrap();
        assert_eq!(line, "CONNECT 5000\n");
        assert_eq!(rest, b"payload");
    }

    #[test]
    fn vsock_mux_refusal_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vm.vsock");
        let vmm = fake_vmm(path.clone(), "FAILURE\n");
        let e = connect(&Address::VsockMux { path, port: 9 }).unwrap_err();
        assert!(e.to_string().contains("refused CONNECT 9"), "{e}");
        vmm.join().unwrap();
    }

    #[test]
    fn vsock_mux_listen_uses_the_port_socket() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("vm.vsock");
        let l = Listener::bind(&Address::VsockMux { path: base.clone(), port: 77 }).unwrap();
        let c = UnixStream::connect(dir.path().join("vm.vsock_77")).unwrap();
        let (_s, peer) = l.accept().unwrap();
        assert_eq!(peer, Peer::Unix);
        drop(c);
    }

    #[test]
    fn stale_unix_socket_is_replaced_live_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let addr = Address::Unix(path.clone());
        drop(Listener::bind(&addr).unwrap()); // leaves the socket file behind
        let live = Listener::bind(&addr).unwrap();
        assert!(Listener::bind(&addr).unwrap_err().to_string().contains("in use"));
        let c = connect(&addr).unwrap();
        let (a, _) = live.accept().unwrap();
        // Both ends get room for several pixel chunks in flight, as far as the system allows.
        let max: usize = std::fs::read_to_string("/proc/sys/net/core/wmem_max").unwrap().trim().parse().unwrap();
        for fd in [&c, &a] {
            let have = rustix::net::sockopt::socket_send_buffer_size(fd).unwrap();
            assert!(have >= STREAM_BUFFER.min(max), "{have}");
        }
    }

    #[test]
    fn vsock_errors_name_the_address() {
        // No vsock transport on test machines: either the socket or the connect fails, clearly.
        if let Err(e) = connect(&Address::Vsock { cid: 2, port: 1 }) {
            assert!(e.to_string().contains("vsock"), "{e}");
        }
    }
}
