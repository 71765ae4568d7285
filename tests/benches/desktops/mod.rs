//! The two compositors the benches compare, started alike: canopy and Debian's weston, both
//! headless with the pixman renderer at 1920x1080, each with ten 640x400 windows of our test
//! client (on canopy as a VM's windows, decorated; on weston as plain xdg-shell windows).

// Each bench that includes this module uses part of it.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use canopy_tests::{bin_path, Client, Compositor};

pub const WINDOWS: usize = 10;
const CONFIG: &str = "[vms.bench-vm]\ntrust = \"work\"\n";

/// One running compositor under test.
pub enum Desktop {
    Canopy(Compositor),
    Weston(Weston),
}

impl Desktop {
    pub fn canopy() -> Desktop {
        Desktop::Canopy(Compositor::start_with(CONFIG, &["BENCH-1:1920x1080"]))
    }

    pub fn weston() -> Desktop {
        Desktop::Weston(Weston::start())
    }

    pub fn name(&self) -> &'static str {
        match self {
            Desktop::Canopy(_) => "canopy",
            Desktop::Weston(_) => "weston",
        }
    }

    /// The compositor's process.
    pub fn pid(&self) -> u32 {
        match self {
            Desktop::Canopy(c) => c.pid(),
            Desktop::Weston(w) => w.child.id(),
        }
    }

    /// Ten test-client windows with `extra` arguments, returned once each client was told it is
    /// on an output (`surface-enter`), drew (`drawn`) and finished a roundtrip.
    pub fn open_windows(&mut self, extra: &[&str]) -> Vec<Client> {
        let mut clients: Vec<Client> = (0..WINDOWS)
            .map(|i| {
                let title = format!("window {i}");
                let mut args = vec!["--size", "640x400", "--title", &title];
                args.extend_from_slice(extra);
                match self {
                    Desktop::Canopy(c) => c.spawn_in_vm("bench-vm", "canopy-test-client", &args),
                    Desktop::Weston(w) => w.spawn("canopy-test-client", &args),
                }
            })
            .collect();
        for c in clients.iter_mut() {
            c.wait_event("surface-enter", |_| true);
            c.wait_event("drawn", |_| true);
            c.roundtrip();
        }
        clients
    }
}

pub struct Weston {
    child: Child,
    runtime: tempfile::TempDir,
}

impl Weston {
    fn start() -> Weston {
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
        // Listening only: the first window's roundtrip shows weston is serving.
        w
    }

    fn spawn(&self, program: &str, args: &[&str]) -> Client {
        let mut cmd = Command::new(bin_path(program));
        cmd.args(args)
            .env("XDG_RUNTIME_DIR", self.runtime.path())
            .env("WAYLAND_DISPLAY", "wayland-weston")
            .env_remove("DISPLAY");
        Client::spawn(cmd)
    }
}

impl Drop for Weston {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CANOPY_BENCH_RUNS, 3 unless set.
pub fn runs() -> usize {
    std::env::var("CANOPY_BENCH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(3)
}

/// Whether `cargo bench` runs this (it passes `--bench`), not `cargo test` as a quick check.
pub fn under_cargo_bench() -> bool {
    std::env::args().any(|a| a == "--bench")
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
