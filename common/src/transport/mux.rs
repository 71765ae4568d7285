//! The hybrid-vsock handshake of a VMM's Unix socket (Firecracker, cloud-hypervisor,
//! vhost-device-vsock): `CONNECT PORT\n`, answered by one line that must start with `OK`.

use std::io::{self, Read, Write};
use std::time::Instant;

use super::stream::Stream;

/// Longest answer line a VMM sends (`OK 1073741824`).
const MAX_ANSWER: usize = 64;

/// Asks for `port` and reads the answer by `deadline`, byte by byte so that no byte of the
/// stream after the line is consumed.
pub(super) fn handshake(s: &Stream, port: u32, deadline: Instant) -> io::Result<()> {
    let mut s = s.until(deadline);
    s.write_all(format!("CONNECT {port}\n").as_bytes())?;
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
        if line.len() > MAX_ANSWER {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "vsock-mux answer line too long"));
        }
    }
    if line.starts_with(b"OK") {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!("vsock-mux refused CONNECT {port}: {:?}", String::from_utf8_lossy(&line)),
        ))
    }
}
