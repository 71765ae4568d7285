//! Shared memory mappings of file descriptors (pools, the shared region).

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::ptr::NonNull;

use rustix::fs::{ftruncate, memfd_create, MemfdFlags};
use rustix::mm::{mmap, munmap, MapFlags, ProtFlags};

/// A `MAP_SHARED` mapping of the first `len` bytes of a file.
pub struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

// The mapping is plain memory; who may touch it is decided by the owner's &/&mut.
unsafe impl Send for Mapping {}
unsafe impl Sync for Mapping {}

impl Mapping {
    pub fn new(fd: BorrowedFd<'_>, len: usize, writable: bool) -> io::Result<Self> {
        if len == 0 {
            return Ok(Mapping { ptr: NonNull::dangling(), len: 0 });
        }
        let prot = if writable { ProtFlags::READ | ProtFlags::WRITE } else { ProtFlags::READ };
        // SAFETY: a fresh mapping at an address the kernel picks; unmapped in Drop.
        let ptr = unsafe { mmap(std::ptr::null_mut(), len, prot, MapFlags::SHARED, fd, 0)? };
        Ok(Mapping { ptr: NonNull::new(ptr.cast()).expect("mmap returned null"), len })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The mapped bytes. Another process may write them at any time (that is the point of
    /// shared memory); readers copy what they need and never trust it twice.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: ptr..ptr+len is mapped for as long as self lives.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as above; &mut self makes this the only Rust view of the mapping.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: this mapping was made by mmap with this length.
            let _ = unsafe { munmap(self.ptr.as_ptr().cast(), self.len) };
        }
    }
}

/// A memfd of `len` bytes, mapped read-write.
pub struct Memfd {
    pub fd: OwnedFd,
    pub map: Mapping,
}

impl Memfd {
    pub fn new(name: &str, len: usize) -> io::Result<Self> {
        let fd = memfd_create(name, MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)?;
        ftruncate(&fd, len as u64)?;
        let map = Mapping::new(fd.as_fd(), len, true)?;
        Ok(Memfd { fd, map })
    }

    /// Grows the file and the mapping to `len` bytes, keeping the contents.
    pub fn grow(&mut self, len: usize) -> io::Result<()> {
        if len <= self.map.len() {
            return Ok(());
        }
        ftruncate(&self.fd, len as u64)?;
        self.map = Mapping::new(self.fd.as_fd(), len, true)?;
        Ok(())
    }

    /// A read-only memfd holding `data`, sealed so nobody can change it (keymaps).
    pub fn sealed_with(name: &str, data: &[u8]) -> io::Result<OwnedFd> {
        use rustix::fs::{fcntl_add_seals, SealFlags};
        let Memfd { fd, mut map } = Memfd::new(name, data.len())?;
        map.bytes_mut().copy_from_slice(data);
        drop(map); // a write seal needs every writable mapping gone
        fcntl_add_seals(&fd, SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE | SealFlags::SEAL)?;
        Ok(fd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memfd_grows_and_keeps_contents() {
        let mut m = Memfd::new("t", 4096).unwrap();
        m.map.bytes_mut()[..5].copy_from_slice(b"hello");
        m.grow(8192).unwrap();
        assert_eq!(m.map.len(), 8192);
        assert_eq!(&m.map.bytes()[..5], b"hello");
        let other = Mapping::new(m.fd.as_fd(), 8192, false).unwrap();
        assert_eq!(&other.bytes()[..5], b"hello");
    }

    #[test]
    fn sealed_memfd_cannot_be_written() {
        let fd = Memfd::sealed_with("k", b"keymap").unwrap();
        let m = Mapping::new(fd.as_fd(), 6, false).unwrap();
        assert_eq!(m.bytes(), b"keymap");
        assert!(Mapping::new(fd.as_fd(), 6, true).is_err());
    }
}
