//! Stream sockets between VMs and daemons, one implementation for the proxy and the lifecycle
//! daemons: AF_VSOCK, hybrid vsock over a VMM's Unix socket (`vsock-mux`), and plain Unix
//! sockets; the peer identity each transport vouches for (the peer's uid on Unix, the CID the
//! hypervisor set on vsock); and exchanges bounded by wall-clock deadlines.

mod address;
pub mod deadline;
mod listener;
mod mux;
mod stream;
mod vsock;

pub use address::{Address, AddressError, CID_ANY, CID_HOST};
pub use deadline::Deadlined;
pub use listener::{peer_allowed, Listener, Peer};
pub use stream::{Stream, STREAM_BUFFER};

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{self, BufRead, Read, Write};
    use std::os::unix::net::{UnixListener, UnixStream};
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

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
    fn stale_socket_file_is_replaced_and_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        drop(UnixListener::bind(&path).unwrap()); // leaves the file behind
        assert!(path.exists());
        let l = Listener::bind(&Address::Unix(path.clone())).unwrap();
        drop(l);
        assert!(!path.exists());
    }

    #[test]
    fn a_file_that_is_not_a_socket_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        std::fs::write(&path, "keep me").unwrap();
        let e = Listener::bind(&Address::Unix(path.clone())).unwrap_err();
        assert!(e.to_string().contains("is not a socket"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
    }

    #[test]
    fn unix_streams_get_room_for_pixel_chunks_in_flight() {
        let dir = tempfile::tempdir().unwrap();
        let addr = Address::Unix(dir.path().join("s"));
        let l = Listener::bind(&addr).unwrap();
        let c = Stream::connect(&addr).unwrap();
        let (a, _) = l.accept().unwrap();
        let d = Stream::connect_until(&addr, Instant::now() + Duration::from_secs(5)).unwrap();
        let (b, _) = l.accept().unwrap();
        // Both ends, as far as the system allows.
        let max: usize = std::fs::read_to_string("/proc/sys/net/core/wmem_max").unwrap().trim().parse().unwrap();
        for s in [&c, &a, &d, &b] {
            let have = rustix::net::sockopt::socket_send_buffer_size(s).unwrap();
            assert!(have >= STREAM_BUFFER.min(max), "{have}");
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
        let mut s = Stream::connect(&Address::VsockMux { path, port: 5000 }).unwrap();
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
        let e = Stream::connect(&Address::VsockMux { path, port: 9 }).unwrap_err();
        assert!(e.to_string().contains("refused CONNECT 9"), "{e}");
        vmm.join().unwrap();
    }

    #[test]
    fn a_vmm_that_never_answers_cannot_hold_a_connect_past_its_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vm.vsock");
        let _mute = UnixListener::bind(&path).unwrap();
        let t0 = Instant::now();
        let e =
            Stream::connect_until(&Address::VsockMux { path, port: 9 }, t0 + Duration::from_millis(200)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut, "{e}");
        assert!(t0.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn vsock_mux_listen_uses_the_port_socket() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("vm.vsock");
        let l = Listener::bind(&Address::VsockMux { path: base.clone(), port: 77 }).unwrap();
        assert_eq!(l.unix_path(), Some(dir.path().join("vm.vsock_77").as_path()));
        let c = UnixStream::connect(dir.path().join("vm.vsock_77")).unwrap();
        let (_s, peer) = l.accept().unwrap();
        assert!(matches!(peer, Peer::Unix { .. }), "the VMM's connection: {peer:?}");
        drop(c);
    }

    #[test]
    fn vsock_errors_name_the_transport() {
        // No vsock transport on test machines: either the socket or the connect fails, clearly.
        if let Err(e) = Stream::connect(&Address::Vsock { cid: 2, port: 1 }) {
            assert!(e.to_string().contains("vsock"), "{e}");
        }
        if let Err(e) = Stream::connect_until(&Address::Vsock { cid: 2, port: 1 }, Instant::now() + TIME) {
            assert!(e.to_string().contains("vsock"), "{e}");
        }
    }

    #[test]
    fn peers_are_allowed_by_what_the_transport_says() {
        let allowed = |p: Peer| peer_allowed(&p, &[1000], Some(3), "the GUI VM");
        assert_eq!(allowed(Peer::Unix { uid: 1000, pid: 7 }), Ok(()));
        assert_eq!(allowed(Peer::Unix { uid: 0, pid: 7 }), Err("uid 0 is not allowed".into()));
        assert_eq!(allowed(Peer::Vsock { cid: 3, port: 1 }), Ok(()));
        assert_eq!(allowed(Peer::Vsock { cid: 4, port: 1 }), Err("CID 4 is not the GUI VM".into()));
        // No CID configured: no vsock peer at all.
        assert!(peer_allowed(&Peer::Vsock { cid: 3, port: 1 }, &[], None, "hostd's").is_err());
    }

    const TIME: Duration = Duration::from_secs(5);
}
