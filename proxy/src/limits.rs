//! What the GUI side allows one app VM, and the per-VM running totals those limits are checked
//! against. A connection that breaks a limit is closed with a log line naming the VM and the rule.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::Args;

/// How much of a second's request budget a VM may spend at once. Small, so that one VM's burst
/// (thousands of windows at once) reaches the compositor spread over frames instead of holding it
/// for one long dispatch: hostile_load's good VM kept 51 fps (longest gap 29 ms) during a burst
/// of 2000 maps with 20 ms, against 49 fps (72 ms) with half a second.
pub const BURST_SECONDS: f64 = 0.02;

/// The interfaces whose objects cost the compositor most, with their default caps per client
/// and per VM (all its clients together; a VM may have `max_clients` of them). Surfaces and
/// their roles are walked on commits and frames, buffers and regions are state per object, and
/// each pool holds an fd and a mapping in the compositor. Real apps stay far below: a GTK or
/// Qt window is a few surfaces (window, popovers, cursor, offloaded subsurfaces), a browser
/// with dozens of windows a few hundred, a pool and a few buffers per surface, a handful of
/// regions; a client that creates tens of thousands is attacking the compositor.
pub const CAPPED: [(&str, usize, usize); 8] = [
    ("wl_surface", 4096, 8192),
    ("wl_subsurface", 1024, 4096),
    ("xdg_surface", 1024, 4096),
    ("xdg_toplevel", 512, 2048),
    ("xdg_popup", 512, 2048),
    ("wl_buffer", 8192, 16384),
    ("wl_shm_pool", 512, 1024),
    ("wl_region", 4096, 16384),
];

/// The index of a capped interface in [`CAPPED`].
pub fn capped(interface: &str) -> Option<usize> {
    CAPPED.iter().position(|c| c.0 == interface)
}

/// A cap given on the command line: `INTERFACE=PER_CLIENT:PER_VM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cap {
    pub index: usize,
    pub client: usize,
    pub vm: usize,
}

fn parse_cap(s: &str) -> Result<Cap, String> {
    let (iface, counts) = s.split_once('=').ok_or("expected INTERFACE=PER_CLIENT:PER_VM")?;
    let index = capped(iface).ok_or_else(|| {
        let names: Vec<&str> = CAPPED.iter().map(|c| c.0).collect();
        format!("{iface} is not capped; capped interfaces: {}", names.join(", "))
    })?;
    let (client, vm) = counts.split_once(':').ok_or("expected INTERFACE=PER_CLIENT:PER_VM")?;
    let n = |v: &str| v.parse::<usize>().map_err(|e| format!("{v}: {e}"));
    Ok(Cap { index, client: n(client)?, vm: n(vm)? })
}

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
    /// Most live objects of one interface, per client and for the whole VM, as
    /// INTERFACE=PER_CLIENT:PER_VM (repeatable). Defaults: wl_surface=4096:8192,
    /// wl_subsurface=1024:4096, xdg_surface=1024:4096, xdg_toplevel=512:2048,
    /// xdg_popup=512:2048, wl_buffer=8192:16384, wl_shm_pool=512:1024, wl_region=4096:16384.
    #[arg(long = "cap", value_name = "INTERFACE=N:M", value_parser = parse_cap)]
    pub caps: Vec<Cap>,
    /// Most rectangles added to or subtracted from one wl_region.
    #[arg(long, default_value_t = 1024)]
    pub max_region_rects: u32,
    /// Most requests per second all clients of the VM together pass to the compositor (after a
    /// burst of [`BURST_SECONDS`] of them); beyond that they wait, so a flood from the VM costs the
    /// compositor a bounded share. Real apps stay far below (a busy browser: a few thousand).
    #[arg(long, default_value_t = 100_000)]
    pub max_requests_per_second: u32,
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
            caps: Vec::new(),
            max_region_rects: 1024,
            max_requests_per_second: 100_000,
        }
    }
}

impl Limits {
    /// The caps (per client, per VM) of the capped interface `index`.
    pub fn cap(&self, index: usize) -> (usize, usize) {
        match self.caps.iter().rev().find(|c| c.index == index) {
            Some(c) => (c.client, c.vm),
            None => (CAPPED[index].1, CAPPED[index].2),
        }
    }
}

/// Pool memory and capped objects in use by all connections of one VM, and its request budget.
#[derive(Debug, Default)]
pub struct Usage {
    pool_bytes: AtomicU64,
    objects: [AtomicUsize; CAPPED.len()],
    /// Requests the VM may still pass now, and when that was worked out.
    requests: Mutex<Option<(f64, Instant)>>,
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

    /// Counts one more object of the capped interface `index` if the VM stays within `max`.
    pub fn take_object(&self, index: usize, max: usize) -> bool {
        self.objects[index].fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| (n < max).then_some(n + 1)).is_ok()
    }

    pub fn drop_objects(&self, index: usize, n: usize) {
        self.objects[index].fetch_sub(n, Ordering::Relaxed);
    }

    pub fn objects(&self, index: usize) -> usize {
        self.objects[index].load(Ordering::Relaxed)
    }

    /// Spends one request of the VM's budget (`rate` a second, bursts of [`BURST_SECONDS`] of
    /// it); returns how long the caller must wait first if the budget is spent.
    pub fn take_request(&self, rate: u32, now: Instant) -> Duration {
        let rate = f64::from(rate.max(1));
        let burst = (rate * BURST_SECONDS).max(1.0);
        let mut r = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let (tokens, at) = r.get_or_insert((burst, now));
        *tokens = (*tokens + now.saturating_duration_since(*at).as_secs_f64() * rate).min(burst);
        *at = now;
        *tokens -= 1.0;
        if *tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-*tokens / rate)
        }
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

    #[test]
    fn requests_beyond_the_rate_wait() {
        let u = Usage::default();
        let t = Instant::now();
        // A burst of 20 ms of the rate passes at once, the next ones wait their share of a second.
        for _ in 0..20 {
            assert_eq!(u.take_request(1000, t), Duration::ZERO);
        }
        assert_eq!(u.take_request(1000, t), Duration::from_millis(1));
        assert_eq!(u.take_request(1000, t), Duration::from_millis(2));
        // Time refills it.
        assert_eq!(u.take_request(1000, t + Duration::from_secs(1)), Duration::ZERO);
    }

    #[test]
    fn objects_of_the_vm_stay_within_their_cap() {
        let u = Usage::default();
        let s = capped("wl_surface").unwrap();
        assert!(u.take_object(s, 2) && u.take_object(s, 2));
        assert!(!u.take_object(s, 2));
        u.drop_objects(s, 1);
        assert!(u.take_object(s, 2));
        assert_eq!(u.objects(s), 2);
        assert_eq!(u.objects(capped("wl_buffer").unwrap()), 0);
    }

    #[test]
    fn caps_come_from_the_command_line_or_the_defaults() {
        use clap::{CommandFactory, Parser};
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            limits: Limits,
        }
        let cli = Cli::try_parse_from(["x", "--cap", "wl_surface=10:20", "--cap", "xdg_popup=1:2"]).unwrap();
        let l = cli.limits;
        assert_eq!(l.cap(capped("wl_surface").unwrap()), (10, 20));
        assert_eq!(l.cap(capped("xdg_popup").unwrap()), (1, 2));
        assert_eq!(l.cap(capped("wl_buffer").unwrap()), (8192, 16384));
        let err = Cli::try_parse_from(["x", "--cap", "wl_seat=1:1"]).err().unwrap().to_string();
        assert!(err.contains("not capped") && err.contains("wl_subsurface"), "{err}");
        assert!(Cli::try_parse_from(["x", "--cap", "wl_surface=10"]).is_err());
        // --help states every default.
        let help = Cli::command().render_long_help().to_string().split_whitespace().collect::<Vec<_>>().join(" ");
        for (iface, client, vm) in CAPPED {
            assert!(help.contains(&format!("{iface}={client}:{vm}")), "{iface} missing from:\n{help}");
        }
    }
}
