//! What the GUI side allows one app VM, and the per-VM running totals those limits are checked
//! against. A connection that breaks a limit is closed with a log line naming the VM and the rule.

use std::sync::atomic::{AtomicU64, Ordering};

use clap::Args;

/// Per-VM limits (`canopy-proxy gui` flags).
#[derive(Debug, Clone, Args)]
pub struct Limits {
    /// Largest Wayland message in bytes (libwayland's own limit is 4096).
    #[arg(long, default_value_t = 4096)]
    pub max_message: usize,
    /// Largest frame on the stream from the VM, in bytes.
    #[arg(long, default_value_t = 4 << 20)]
    pub max_frame: usize,
    /// Most objects one client may hold at once.
    #[arg(long, default_value_t = 100_000)]
    pub max_objects: usize,
    /// Largest wl_shm pool in bytes (foot maps a sparse 512 MiB pool for fast scrolling).
    #[arg(long, default_value_t = 512 << 20)]
    pub max_pool: u64,
    /// Most pool memory of all clients of the VM together, in bytes.
    #[arg(long, default_value_t = 2 << 30)]
    pub max_vm_pools: u64,
    /// Largest buffer width or height in pixels.
    #[arg(long, default_value_t = 16384)]
    pub max_buffer_side: i32,
    /// Most bytes waiting to be written towards the compositor or the VM before the connection
    /// is closed (a peer that stops reading).
    #[arg(long, default_value_t = 64 << 20)]
    pub max_pending: usize,
    /// Largest clipboard or drag-and-drop transfer in bytes, each direction.
    #[arg(long, default_value_t = 16 << 20)]
    pub max_clipboard: u64,
    /// Most clipboard transfers open at once per client.
    #[arg(long, default_value_t = 16)]
    pub max_pipes: usize,
    /// Most clients of the VM connected at once.
    #[arg(long, default_value_t = 256)]
    pub max_clients: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message: 4096,
            max_frame: 4 << 20,
            max_objects: 100_000,
            max_pool: 512 << 20,
            max_vm_pools: 2 << 30,
            max_buffer_side: 16384,
            max_pending: 64 << 20,
            max_clipboard: 16 << 20,
            max_pipes: 16,
            max_clients: 256,
        }
    }
}

/// Pool memory in use by all connections of one VM.
#[derive(Debug, Default)]
pub struct Usage {
    pool_bytes: AtomicU64,
}

impl Usage {
    /// Reserves `bytes` more if the total stays within `max`.
    pub fn reserve(&self, bytes: u64, max: u64) -> bool {
        self.pool_bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |cur| cur.checked_add(bytes).filter(|&n| n <= max))
            .is_ok()
    }

    pub fn release(&self, bytes: u64) {
        self.pool_bytes.fetch_sub(bytes, Ordering::Relaxed);
    }

    pub fn in_use(&self) -> u64 {
        self.pool_bytes.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_stays_within_its_maximum() {
        let u = Usage::default();
        assert!(u.reserve(600, 1000));
        assert!(!u.reserve(500, 1000));
        assert!(u.reserve(400, 1000));
        u.release(600);
        assert_eq!(u.in_use(), 400);
        assert!(!u.reserve(u64::MAX, u64::MAX));
    }
}
