//! Resident memory of the compositor against weston's, in the same run: both headless with the
//! pixman renderer at 1920x1080, with no windows and with ten 640x400 windows of our test client
//! (on canopy as a VM's windows, decorated; on weston as plain xdg-shell windows). Release builds:
//!
//!     cargo build --release -p canopy -p canopy-tests --bins
//!     cargo bench -p canopy-tests --bench memory
//!
//! Each compositor runs CANOPY_BENCH_RUNS times (default 3), interleaved; the medians of the
//! RSS (VmRSS) and their ratio are printed. A window counts once its client was told it is on
//! an output (`surface-enter`) and drew (`drawn`) and a roundtrip is done; RSS is then read
//! every 50 ms until it settles (see `settled_rss`).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use canopy_tests::{bin_path, Client, Compositor};

const WINDOWS: usize = 10;
const CONFIG: &str = "[vms.bench-vm]\ntrust = \"work\"\n";

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// RSS once it has settled: read every 50 ms until ten reads in a row (half a second) lie
/// within 64 KiB of each other (weston's desktop shell draws its background a moment after
/// start), at most for 20 s; the median of those ten.
fn settled_rss(pid: u32) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut reads: Vec<u64> = Vec::new();
    loop {
        reads.push(rss_kib(pid));
        let last = &reads[reads.len().saturating_sub(10)..];
        let (lo, hi) = (last.iter().min().unwrap(), last.iter().max().unwrap());
        if (last.len() == 10 && hi - lo <= 64) || Instant::now() > deadline {
            let mut last = last.to_vec();
            last.sort();
            return last[last.len() / 2];
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn wait_shown(clients: &mut [Client]) {
    for c in clients.iter_mut() {
        c.wait_event("surface-enter", |_| true);
        c.wait_event("drawn", |_| true);
        c.roundtrip();
    }
}

fn window_args(i: usize) -> Vec<String> {
    vec!["--size".into(), "640x400".into(), "--title".into(), format!("window {i}")]
}

/// (RSS with no windows, RSS with ten) of canopy, KiB.
fn canopy_run() -> (u64, u64) {
    let mut c = Compositor::start_with(CONFIG, &["BENCH-1:1920x1080"]);
    let pid = c.pid();
    let empty = settled_rss(pid);
    let mut clients: Vec<Client> = (0..WINDOWS)
        .map(|i| {
            let args = window_args(i);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            c.spawn_in_vm("bench-vm", "canopy-test-client", &args)
        })
        .collect();
    wait_shown(&mut clients);
    let loaded = settled_rss(pid);
    (empty, loaded)
}

struct Weston {
    child: Child,
    runtime: tempfile::TempDir,
}

impl Drop for Weston {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// (RSS with no windows, RSS with ten) of weston, KiB.
fn weston_run() -> (u64, u64) {
    let runtime = tempfile::Builder::new().prefix("canopy-bench-weston-").tempdir().unwrap();
    let child = Command::new("weston")
        .args([
            "--backend=headless-backend.so",
            "--use-pixman",
            "--width=1920",
            "--height=1080",
            "--socket=wayland-weston",
            "--idle-time=0",
            "--no-config",
        ])
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("DISPLAY")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("weston (Debian package weston)");
    let w = Weston { child, runtime };
    let socket = w.runtime.path().join("wayland-weston");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !socket.exists() {
        assert!(Instant::now() < deadline, "weston did not make its socket");
        std::thread::sleep(Duration::from_millis(10));
    }
    // The first client's roundtrip shows weston is serving, not only listening.
    let spawn = |i: usize| {
        let mut cmd = Command::new(bin_path("canopy-test-client"));
        cmd.args(window_args(i))
            .env("XDG_RUNTIME_DIR", w.runtime.path())
            .env("WAYLAND_DISPLAY", "wayland-weston")
            .env_remove("DISPLAY");
        Client::spawn(cmd)
    };
    let empty = settled_rss(w.child.id());
    let mut clients: Vec<Client> = (0..WINDOWS).map(spawn).collect();
    wait_shown(&mut clients);
    let loaded = settled_rss(w.child.id());
    for mut c in clients {
        c.kill();
    }
    (empty, loaded)
}

fn median(mut v: Vec<u64>) -> f64 {
    v.sort();
    v[v.len() / 2] as f64 / 1024.0
}

fn main() {
    let runs: usize = std::env::var("CANOPY_BENCH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    let (mut ce, mut cl, mut we, mut wl) = (vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        let (e, l) = canopy_run();
        ce.push(e);
        cl.push(l);
        let (e, l) = weston_run();
        we.push(e);
        wl.push(l);
    }
    let (ce, cl, we, wl) = (median(ce), median(cl), median(we), median(wl));
    println!("resident memory, headless pixman 1920x1080, median of {runs} interleaved runs");
    println!("  no windows          canopy {ce:6.1} MiB   weston {we:6.1} MiB   canopy/weston {:.2}", ce / we);
    println!("  {WINDOWS} windows 640x400   canopy {cl:6.1} MiB   weston {wl:6.1} MiB   canopy/weston {:.2}", cl / wl);
}
