//! The shared-memory region of one app VM (`--shm-region`): an ivshmem BAR inside VMs, a file
//! under /dev/shm in tests. The guest side copies damaged pixels into it and the GUI side hands
//! the compositor a wl_shm pool over the whole region, so pixels cross with one copy.
//!
//! The guest side places pools in the region with [`Allocator`]; the GUI side only checks that
//! buffers lie inside the region (whatever a VM writes there is its own).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::map::Mapping;

/// Pool offsets and sizes on the wire are `int`, so a region is at most this large.
pub const MAX_REGION: u64 = i32::MAX as u64;
const ALIGN: usize = 4096;

/// An opened region file.
#[derive(Debug)]
pub struct Region {
    pub fd: OwnedFd,
    pub len: usize,
}

impl Region {
    pub fn open(path: &Path) -> io::Result<Region> {
        let file: File = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| io::Error::new(e.kind(), format!("shared-memory region {}: {e}", path.display())))?;
        let len = file.metadata()?.len();
        if len == 0 || len > MAX_REGION {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("shared-memory region {} has {len} bytes; it needs 1 to {MAX_REGION}", path.display()),
            ));
        }
        Ok(Region { fd: file.into(), len: len as usize })
    }

    pub fn map(&self) -> io::Result<Mapping> {
        Mapping::new(self.fd.as_fd(), self.len, true)
    }
}

/// First-fit placement of pools in the region, shared by all connections of the guest side.
pub struct Allocator {
    /// Free ranges: start → length.
    free: Mutex<BTreeMap<usize, usize>>,
}

/// A placed range; returned to the allocator when dropped.
pub struct Placement {
    pub start: usize,
    pub len: usize,
    alloc: Arc<Allocator>,
}

impl Allocator {
    pub fn new(len: usize) -> Arc<Self> {
        let mut free = BTreeMap::new();
        free.insert(0, len);
        Arc::new(Allocator { free: Mutex::new(free) })
    }

    pub fn place(self: &Arc<Self>, len: usize) -> Option<Placement> {
        let want = len.max(1).div_ceil(ALIGN) * ALIGN;
        let mut free = self.free.lock().expect("allocator lock");
        let (&start, &flen) = free.iter().find(|(_, &l)| l >= want)?;
        free.remove(&start);
        if flen > want {
            free.insert(start + want, flen - want);
        }
        Some(Placement { start, len: want, alloc: self.clone() })
    }

    pub fn free_bytes(&self) -> usize {
        self.free.lock().expect("allocator lock").values().sum()
    }
}

impl Placement {
    /// Grows this range in place to hold `len` bytes if the space after it is free.
    pub fn grow(&mut self, len: usize) -> bool {
        let want = len.max(1).div_ceil(ALIGN) * ALIGN;
        if want <= self.len {
            return true;
        }
        let mut free = self.alloc.free.lock().expect("allocator lock");
        let next = self.start + self.len;
        match free.get(&next).copied() {
            Some(flen) if self.len + flen >= want => {
                free.remove(&next);
                let extra = want - self.len;
                if flen > extra {
                    free.insert(next + extra, flen - extra);
                }
                self.len = want;
                true
            }
            _ => false,
        }
    }
}

impl Drop for Placement {
    fn drop(&mut self) {
        let mut free = self.alloc.free.lock().expect("allocator lock");
        let (mut start, mut len) = (self.start, self.len);
        if let Some((&ps, &pl)) = free.range(..start).next_back() {
            if ps + pl == start {
                free.remove(&ps);
                start = ps;
                len += pl;
            }
        }
        if let Some(nl) = free.remove(&(self.start + self.len)) {
            len += nl;
        }
        free.insert(start, len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placements_do_not_overlap_and_are_returned() {
        let a = Allocator::new(64 * 1024);
        let p1 = a.place(5000).unwrap();
        let mut p2 = a.place(4096).unwrap();
        assert_eq!((p1.start, p1.len), (0, 8192));
        assert_eq!((p2.start, p2.len), (8192, 4096));
        assert!(p2.grow(10_000));
        assert_eq!(p2.len, 12288);
        let p3 = a.place(4096).unwrap();
        assert_eq!(p3.start, 20480);
        assert!(!p2.grow(20_000), "p3 is in the way");
        assert!(a.place(1 << 20).is_none());
        drop(p1);
        drop(p2);
        drop(p3);
        assert_eq!(a.free_bytes(), 64 * 1024);
        assert_eq!(a.place(64 * 1024).unwrap().start, 0, "free ranges merged again");
    }

    #[test]
    fn opens_a_region_file_and_refuses_an_empty_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("region");
        let f = File::create(&path).unwrap();
        assert!(Region::open(&path).is_err());
        f.set_len(1 << 20).unwrap();
        let r = Region::open(&path).unwrap();
        assert_eq!(r.len, 1 << 20);
        let mut m = r.map().unwrap();
        m.bytes_mut()[0] = 7;
        assert_eq!(Region::open(&path).unwrap().map().unwrap().bytes()[0], 7);
        assert!(Region::open(&dir.path().join("missing")).unwrap_err().to_string().contains("missing"));
    }
}
