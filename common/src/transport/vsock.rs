//! AF_VSOCK details rustix does not have: the `sockaddr_vm` address, the peer's CID and port,
//! and the size of a vsock stream's buffer.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use rustix::net::addr::{SocketAddrArg, SocketAddrLen, SocketAddrOpaque};
use rustix::net::{AddressFamily, SocketAddrAny};

use super::stream::STREAM_BUFFER;

/// `struct sockaddr_vm`.
pub(super) struct VsockAddr {
    pub cid: u32,
    pub port: u32,
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

/// The CID and port of a vsock peer's address.
pub(super) fn peer(addr: &SocketAddrAny) -> io::Result<(u32, u32)> {
    if addr.address_family() != AddressFamily::VSOCK || (addr.addr_len() as usize) < size_of::<libc::sockaddr_vm>() {
        return Err(io::Error::other("peer address is not a vsock address"));
    }
    // SAFETY: the storage holds at least a sockaddr_vm (checked above); read_unaligned copes
    // with any alignment.
    let sa = unsafe { addr.as_ptr().cast::<libc::sockaddr_vm>().read_unaligned() };
    Ok((sa.svm_cid, sa.svm_port))
}

/// `<linux/vm_sockets.h>`: the buffer of a vsock stream, negotiated when it connects.
const SO_VM_SOCKETS_BUFFER_SIZE: libc::c_int = 0;
const SO_VM_SOCKETS_BUFFER_MAX_SIZE: libc::c_int = 2;

/// Gives a vsock socket (a connecting one, or a listener whose accepted sockets inherit it)
/// room for [`STREAM_BUFFER`] bytes in flight; best effort.
pub(super) fn make_roomy(fd: &OwnedFd) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vsock_address_layout() {
        let a = VsockAddr { cid: 3, port: 7100 };
        let any = a.as_any();
        assert_eq!(any.address_family(), AddressFamily::VSOCK);
        assert_eq!(peer(&any).unwrap(), (3, 7100));
    }
}
