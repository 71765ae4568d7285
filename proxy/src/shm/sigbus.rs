//! Reading a client's pool when the client may shrink the file behind it at any moment.
//!
//! Reading a mapped page past the end of its file raises SIGBUS, which would kill the whole
//! guest proxy. The guest checks the file size before it reads, but the client can still shrink
//! the file in between; for that race it reads inside [`guarded`]. Like libwayland-server does
//! for the compositor, a SIGBUS handler then maps anonymous zero pages over the missing part of
//! the guarded mapping and notes the fault; the read goes on over zeros, and the caller closes
//! that client. A SIGBUS anywhere else is not ours: the default action (a core dump) runs.

use std::sync::atomic::{compiler_fence, AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::Once;

/// How many threads may be inside [`guarded`] at once (one per client plus encoder workers).
const SLOTS: usize = 256;
const FREE: u8 = 0;
const CLAIMED: u8 = 1;
const ACTIVE: u8 = 2;

struct Slot {
    state: AtomicU8,
    start: AtomicUsize,
    end: AtomicUsize,
    faulted: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)] // used only to fill the array below
const SLOT: Slot = Slot {
    state: AtomicU8::new(FREE),
    start: AtomicUsize::new(0),
    end: AtomicUsize::new(0),
    faulted: AtomicBool::new(false),
};
static TABLE: [Slot; SLOTS] = [SLOT; SLOTS];
static PAGE: AtomicUsize = AtomicUsize::new(4096);
static INSTALL: Once = Once::new();

/// The mapping shrank under the reader: part of what it read was zeros, not the client's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the client shrank its pool while it was being read")]
pub struct Truncated;

extern "C" fn on_sigbus(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let addr = unsafe { (*info).si_addr() } as usize;
    let page = PAGE.load(Ordering::Relaxed);
    for slot in &TABLE {
        if slot.state.load(Ordering::Acquire) != ACTIVE {
            continue;
        }
        let (start, end) = (slot.start.load(Ordering::Relaxed), slot.end.load(Ordering::Relaxed));
        if addr < start || addr >= end {
            continue;
        }
        let from = addr & !(page - 1);
        let to = end.div_ceil(page) * page;
        // SAFETY: [from, to) lies within the guarded mapping (whose length mmap rounded up to
        // whole pages); replacing its pages with private zero pages changes no other memory.
        // mmap is a plain system call, safe to make in a signal handler.
        let r = unsafe {
            libc::mmap(
                from as *mut libc::c_void,
                to - from,
                libc::PROT_READ,
                libc::MAP_FIXED | libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if r != libc::MAP_FAILED {
            slot.faulted.store(true, Ordering::Release);
            return;
        }
    }
    // Not a guarded read: let the fault take its default course when the instruction reruns.
    // SAFETY: resetting a signal disposition is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGBUS, libc::SIG_DFL);
    }
}

fn install() {
    INSTALL.call_once(|| {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if page > 0 {
            PAGE.store(page as usize, Ordering::Relaxed);
        }
        // SAFETY: a zeroed sigaction is valid; the handler is an extern "C" fn of the
        // SA_SIGINFO signature and touches only atomics and mmap.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_sigbus as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut());
        }
    });
}

/// Runs `f`, which reads `mem` (a mapping of a client's file); `Err(Truncated)` if the file
/// turned out shorter than the mapping meanwhile (what `f` read there was zeros).
pub fn guarded<R>(mem: &[u8], f: impl FnOnce() -> R) -> Result<R, Truncated> {
    if mem.is_empty() {
        return Ok(f());
    }
    install();
    let slot = claim();
    slot.start.store(mem.as_ptr() as usize, Ordering::Relaxed);
    slot.end.store(mem.as_ptr() as usize + mem.len(), Ordering::Relaxed);
    slot.faulted.store(false, Ordering::Relaxed);
    slot.state.store(ACTIVE, Ordering::Release);
    // The handler runs on this thread: keep the compiler from moving reads of `mem` out of the
    // window in which the slot is active.
    compiler_fence(Ordering::SeqCst);
    let r = f();
    compiler_fence(Ordering::SeqCst);
    let faulted = slot.faulted.load(Ordering::Acquire);
    slot.state.store(FREE, Ordering::Release);
    if faulted {
        Err(Truncated)
    } else {
        Ok(r)
    }
}

fn claim() -> &'static Slot {
    loop {
        for slot in &TABLE {
            if slot.state.compare_exchange(FREE, CLAIMED, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                return slot;
            }
        }
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shm::map::Mapping;
    use std::os::fd::AsFd;

    #[test]
    fn a_file_shrunk_under_a_guarded_read_gives_an_error_not_a_crash() {
        let page = PAGE.load(Ordering::Relaxed).max(4096);
        let fd = rustix::fs::memfd_create("t", rustix::fs::MemfdFlags::CLOEXEC).unwrap();
        rustix::fs::ftruncate(&fd, 3 * page as u64).unwrap();
        rustix::io::pwrite(&fd, b"kept", 0).unwrap();
        rustix::io::pwrite(&fd, b"gone", 2 * page as u64).unwrap();
        let map = Mapping::new(fd.as_fd(), 3 * page, false).unwrap();
        let sum = |m: &[u8]| m.iter().map(|&b| u64::from(b)).sum::<u64>();
        assert!(guarded(map.bytes(), || sum(map.bytes())).is_ok());

        rustix::fs::ftruncate(&fd, page as u64).unwrap();
        assert_eq!(guarded(map.bytes(), || sum(map.bytes())), Err(Truncated));
        // The page still backed by the file reads as before; the lost ones read as zeros.
        assert_eq!(&map.bytes()[..4], b"kept");
        assert_eq!(&map.bytes()[2 * page..2 * page + 4], &[0; 4]);
        // Slots are given back.
        for _ in 0..SLOTS + 1 {
            guarded(map.bytes(), || ()).unwrap();
        }
    }
}
