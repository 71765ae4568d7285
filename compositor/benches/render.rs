//! Headless rendering cost: a 1920×1080 output with 10 decorated VM windows, measured as a full
//! redraw and as a redraw with one window's content damaged, plus the idle RSS of a real
//! compositor process showing the same scene.
//!
//! Needs the workspace binaries in the same profile:
//!     cargo build --release --workspace --bins && cargo bench -p canopy --bench render

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use canopy::cli::RunArgs;
use canopy::config::Config;
use canopy::run::Session;
use canopy_common::config::TomlFile;

const WINDOWS: usize = 10;
const SAMPLES: usize = 60;
const CONFIG: &str = "[vms.bench-vm]\ntrust = \"work\"\n[vms.anim-vm]\ntrust = \"untrusted\"\n";

fn bin_dir() -> PathBuf {
    // target/release/deps/render-xxxx -> target/release
    std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_path_buf()
}

fn bin(name: &str) -> PathBuf {
    let p = bin_dir().join(name);
    assert!(p.exists(), "{} missing: run `cargo build --release --workspace --bins` first", p.display());
    p
}

fn spawn_client(runtime: &Path, socket: &str, vm: &str, i: usize, animate: bool) -> Child {
    let mut cmd = Command::new(bin("canopy-sandbox"));
    cmd.args(["--vm", vm, "--"]).arg(bin("canopy-test-client")).args([
        "--size",
        "640x400",
        "--title",
        &format!("window {i}"),
    ]);
    if animate {
        cmd.arg("--animate");
    }
    cmd.env("XDG_RUNTIME_DIR", runtime)
        .env("WAYLAND_DISPLAY", socket)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn median(v: &mut [f64]) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let q = |f: f64| v[((v.len() - 1) as f64 * f) as usize];
    (q(0.5), q(0.1), q(0.9))
}

fn main() {
    let runtime = tempfile::Builder::new().prefix("canopy-bench-").tempdir().unwrap();
    std::env::set_var("XDG_RUNTIME_DIR", runtime.path());
    let args = RunArgs {
        backend: Some(canopy::cli::BackendKind::Headless),
        config: None,
        socket: Some("wayland-bench".into()),
        outputs: vec!["BENCH-1:1920x1080".into()],
        check_config: false,
    };
    let config = Config::from_file(&TomlFile::from_text("bench.toml", CONFIG)).unwrap();
    let mut session = Session::start(&args, config).unwrap();
    let mut clients: Vec<Child> =
        (0..WINDOWS - 1).map(|i| spawn_client(runtime.path(), "wayland-bench", "bench-vm", i, false)).collect();
    clients.push(spawn_client(runtime.path(), "wayland-bench", "anim-vm", WINDOWS, true));
    let start = Instant::now();
    while session.state.canopy.space.elements().count() < WINDOWS {
        session.dispatch(Some(Duration::from_millis(10))).unwrap();
        assert!(start.elapsed() < Duration::from_secs(30), "windows did not appear");
    }
    // Spread the windows over the output, overlapping as on a real desktop.
    let windows: Vec<_> = session.state.canopy.space.elements().cloned().collect();
    for (i, w) in windows.iter().enumerate() {
        let loc = ((i % 5) as i32 * 250 + 20, (i / 5) as i32 * 420 + 60);
        session.state.canopy.space.map_element(w.clone(), loc, false);
    }
    for _ in 0..50 {
        session.dispatch(Some(Duration::from_millis(5))).unwrap();
    }
    let output = session.state.canopy.outputs[0].clone();
    // From here on the bench renders each frame itself.
    session.state.canopy.manual_frames = true;
    let canopy::backend::Backend::Headless(headless) = &mut session.state.backend else { unreachable!() };

    let mut full = Vec::new();
    for _ in 0..SAMPLES {
        let t = Instant::now();
        headless.render_with_age(&session.state.canopy, &output, 0).unwrap();
        full.push(t.elapsed().as_secs_f64() * 1e3);
    }

    // One window animates: wait for its commit, then time the damaged redraw.
    let mut damaged = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while damaged.len() < SAMPLES && Instant::now() < deadline {
        session.dispatch(Some(Duration::from_millis(20))).unwrap();
        let queued = canopy::state::output_redraw(&output).borrow().queued;
        if !queued {
            continue;
        }
        canopy::state::output_redraw(&output).borrow_mut().queued = false;
        session.state.canopy.space.refresh();
        let canopy::backend::Backend::Headless(headless) = &mut session.state.backend else { unreachable!() };
        let t = Instant::now();
        headless.render_with_age(&session.state.canopy, &output, 1).unwrap();
        damaged.push(t.elapsed().as_secs_f64() * 1e3);
        session.state.canopy.frame_shown(&output);
        let _ = session.state.canopy.display_handle.flush_clients();
    }
    for c in &mut clients {
        let _ = c.kill();
        let _ = c.wait();
    }

    let (fm, f10, f90) = median(&mut full);
    let (dm, d10, d90) = median(&mut damaged);
    println!("headless rendering (pixman), 1920x1080, {WINDOWS} decorated VM windows of 640x400");
    println!("  full redraw          median {fm:7.3} ms   p10 {f10:7.3}  p90 {f90:7.3}  (n={})", full.len());
    println!("  one window damaged   median {dm:7.3} ms   p10 {d10:7.3}  p90 {d90:7.3}  (n={})", damaged.len());
    println!("  full / damaged       {:.1}x", fm / dm);
    println!("  compositor idle RSS  {}", idle_rss());
}

/// Idle resident memory of a real `canopy` process with the same ten windows.
fn idle_rss() -> String {
    let runtime = tempfile::Builder::new().prefix("canopy-bench-rss-").tempdir().unwrap();
    let config = runtime.path().join("c.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let mut canopy = Command::new(bin("canopy"))
        .args(["--backend", "headless", "--socket", "wayland-rss", "--output", "BENCH-1:1920x1080", "--config"])
        .arg(&config)
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env("RUST_LOG", "warn")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let before = rss_kib(canopy.id());
    std::thread::sleep(Duration::from_millis(500));
    let empty = rss_kib(canopy.id());
    let mut clients: Vec<Child> =
        (0..WINDOWS).map(|i| spawn_client(runtime.path(), "wayland-rss", "bench-vm", i, false)).collect();
    std::thread::sleep(Duration::from_secs(3));
    let loaded = rss_kib(canopy.id());
    for c in &mut clients {
        let _ = c.kill();
        let _ = c.wait();
    }
    let _ = canopy.kill();
    let _ = canopy.wait();
    let _ = before;
    format!("{:.1} MiB with {WINDOWS} windows ({:.1} MiB with none)", loaded as f64 / 1024.0, empty as f64 / 1024.0)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
