//! canopy-proxy against a direct connection and against waypipe 0.8.4, in one run, on one
//! machine, through the real headless canopy compositor (release build).
//!
//!     cargo build --release -p canopy --bin canopy
//!     cargo bench -p canopy-proxy --bench throughput
//!
//! Workloads: a 1920x1080 client redrawing everything each frame, and one changing a 64x16
//! patch each frame. Each frame: draw into a free buffer (of three), attach, damage, commit,
//! then a wl_display.sync whose answer says the compositor has the commit (the time to it is
//! the commit latency; the added latency is that minus the direct connection's). In `full` and
//! `small` each commit waits for its answer before the next frame is drawn; `full-pipelined`
//! draws the next frame as soon as the compositor has released a buffer, while earlier frames
//! may still be on their way.
//! CPU is read from /proc/PID/stat of the proxy processes (both ends together).
//! Every path runs CANOPY_BENCH_RUNS times (default 3), interleaved, and the medians are shown:
//! the machine this runs on is usually shared with other work.
//!
//! The shared region's bandwidth is the frame's bytes over the time a frame takes beyond a
//! direct connection (the client's drawing and the compositor's part are in both), against a
//! memcpy of large buffers measured in the same run.

use std::io::Write as _;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WIDTH: i32 = 1920;
const HEIGHT: i32 = 1080;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("bench-client") {
        client::run(&args[2], args[3].parse().unwrap());
        return;
    }
    bench();
}

/// How the client reaches the compositor.
#[derive(Clone, Copy, Debug)]
enum Path_ {
    Direct,
    Canopy { lz4: bool, region: bool },
    Waypipe { lz4: bool },
}

impl Path_ {
    fn name(self) -> &'static str {
        match self {
            Path_::Direct => "direct",
            Path_::Canopy { lz4: false, region: false } => "canopy stream",
            Path_::Canopy { lz4: true, region: false } => "canopy stream lz4",
            Path_::Canopy { region: true, .. } => "canopy shm region",
            Path_::Waypipe { lz4: false } => "waypipe none",
            Path_::Waypipe { lz4: true } => "waypipe lz4",
        }
    }
}

struct Run {
    frames: usize,
    secs: f64,
    latencies: Vec<f64>,
    cpu: f64,
}

fn target_dir() -> PathBuf {
    // target/release/deps/throughput-xxxx -> target/release
    std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_path_buf()
}

fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime is field 14, stime 15.
    let rest = stat.rsplit_once(')').map_or("", |r| r.1);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let hz = rustix::param::clock_ticks_per_second() as f64;
    (ticks(11) + ticks(12)) / hz
}

fn wait_socket(path: &Path) {
    let start = Instant::now();
    while std::os::unix::net::UnixStream::connect(path).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "{} never came up", path.display());
        std::thread::sleep(Duration::from_millis(10));
    }
}

struct Procs(Vec<Child>);
impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn run_one(rt: &Path, path: Path_, workload: &str, frames: usize) -> Run {
    let proxy = env!("CARGO_BIN_EXE_canopy-proxy");
    let me = std::env::current_exe().unwrap();
    let quiet = |c: &mut Command| {
        c.env("XDG_RUNTIME_DIR", rt).stdout(Stdio::null()).stderr(Stdio::null());
    };
    let mut procs = Procs(Vec::new());
    let mut client = Command::new(&me);
    client.args(["bench-client", workload, &frames.to_string()]).env("XDG_RUNTIME_DIR", rt).stdout(Stdio::piped());
    // Sockets and regions are named per run: waypipe will not reuse a socket file left behind.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tag = format!("{}-{}-{n}", path.name().replace(' ', "-"), workload);
    let region_file = rt.join(format!("region-{tag}"));
    match path {
        Path_::Direct => {
            client.env("WAYLAND_DISPLAY", "wayland-bench");
        }
        Path_::Canopy { lz4, region } => {
            let sock = rt.join(format!("gui-{tag}.sock"));
            let mut gui = Command::new(proxy);
            gui.args(["gui", "--listen", &format!("unix:{}", sock.display()), "--vm", "bench-vm"]);
            gui.args(["--compositor", "wayland-bench"]);
            let mut guest = Command::new(proxy);
            guest.args(["guest", "--connect", &format!("unix:{}", sock.display()), "--socket", &format!("g-{tag}")]);
            guest.args(["--compress", if lz4 { "lz4" } else { "none" }]);
            if region {
                std::fs::File::create(&region_file).unwrap().set_len(256 << 20).unwrap();
                gui.arg("--shm-region").arg(&region_file);
                guest.arg("--shm-region").arg(&region_file);
            }
            quiet(&mut gui);
            quiet(&mut guest);
            procs.0.push(gui.spawn().unwrap());
            wait_socket(&sock);
            procs.0.push(guest.spawn().unwrap());
            wait_socket(&rt.join(format!("g-{tag}")));
            client.env("WAYLAND_DISPLAY", format!("g-{tag}"));
        }
        Path_::Waypipe { lz4 } => {
            let sock = rt.join(format!("wp-{tag}.sock"));
            let compress = if lz4 { "lz4" } else { "none" };
            let mut wc = Command::new("waypipe");
            wc.args(["--no-gpu", "--compress", compress, "--socket"]).arg(&sock).arg("client");
            wc.env("WAYLAND_DISPLAY", "wayland-bench");
            quiet(&mut wc);
            procs.0.push(wc.spawn().unwrap());
            wait_socket(&sock);
            // waypipe server runs the client itself.
            let mut ws = Command::new("waypipe");
            ws.args(["--no-gpu", "--compress", compress, "--socket"]).arg(&sock);
            ws.args(["--display", &format!("wayland-wps-{tag}"), "server", "--"]).arg(&me);
            ws.args(["bench-client", workload, &frames.to_string()]);
            ws.env("XDG_RUNTIME_DIR", rt).stdout(Stdio::piped()).stderr(Stdio::null());
            client = ws;
        }
    }
    let mut roots: Vec<u32> = procs.0.iter().map(Child::id).collect();
    let baseline = tree_cpu(&roots);
    let child = client.spawn().unwrap();
    // The waypipe server process is a proxy end too (the client runs under it).
    if matches!(path, Path_::Waypipe { .. }) {
        roots.push(child.id());
    }
    let (out, seen) = wait_sampling(child, &roots);
    let cpu: f64 = seen.iter().map(|(pid, c)| c - baseline.get(pid).copied().unwrap_or(0.0)).sum();
    drop(procs);
    let _ = std::fs::remove_file(&region_file);
    let text = String::from_utf8_lossy(&out).into_owned();
    let line = text.lines().find(|l| l.starts_with("RESULT")).unwrap_or_else(|| panic!("{tag}: no result: {text}"));
    let mut frames_done = 0;
    let mut secs = 0.0;
    let mut latencies = Vec::new();
    for kv in line.split_whitespace().skip(1) {
        let (k, v) = kv.split_once('=').unwrap();
        match k {
            "frames" => frames_done = v.parse().unwrap(),
            "secs" => secs = v.parse().unwrap(),
            "lat" => latencies = v.split(',').filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect(),
            _ => {}
        }
    }
    Run { frames: frames_done, secs, latencies, cpu }
}

/// CPU seconds of every process in the trees under `roots`, except our own bench client.
/// waypipe forks a process per connection, so its children count; canopy-proxy uses threads.
fn tree_cpu(roots: &[u32]) -> std::collections::HashMap<u32, f64> {
    let mut out = std::collections::HashMap::new();
    let mut todo: Vec<u32> = roots.to_vec();
    while let Some(pid) = todo.pop() {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.is_empty() {
            continue;
        }
        if !comm.starts_with("throughput") {
            out.insert(pid, cpu_seconds(pid));
        }
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
            for t in tasks.flatten() {
                let children = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
                todo.extend(children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()));
            }
        }
    }
    out
}

/// Waits for the client, sampling the proxy trees' CPU until it exits (an exited process's
/// numbers are gone, so the last sample stands).
fn wait_sampling(mut child: Child, roots: &[u32]) -> (Vec<u8>, std::collections::HashMap<u32, f64>) {
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut v).unwrap();
        v
    });
    let mut seen = std::collections::HashMap::new();
    loop {
        for (pid, c) in tree_cpu(roots) {
            let e = seen.entry(pid).or_insert(0.0f64);
            *e = e.max(c);
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    (reader.join().unwrap(), seen)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn p99(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[(v.len() * 99 / 100).min(v.len() - 1)]
}

/// memcpy bandwidth: (large buffers, 256 MiB each; one frame's bytes from a buffer just
/// written, as the shared-region copy sees them), median of a few copies each.
fn memcpy_bandwidth() -> (f64, f64) {
    let n = 256 << 20;
    let src = vec![1u8; n];
    let mut dst = vec![0u8; n];
    dst.copy_from_slice(&src);
    let mut large = Vec::new();
    for i in 0..5 {
        let start = Instant::now();
        dst.copy_from_slice(&src);
        std::hint::black_box(&mut dst[i]);
        large.push(n as f64 / start.elapsed().as_secs_f64());
    }
    let frame = (WIDTH * HEIGHT * 4) as usize;
    let mut hot = Vec::new();
    for i in 0..60 {
        let s = &mut dst[(i % 3) * frame..(i % 3 + 1) * frame];
        s.fill(i as u8);
        let at = (3 + i % 24) * frame;
        let (a, b) = dst.split_at_mut(at);
        let start = Instant::now();
        b[..frame].copy_from_slice(&a[(i % 3) * frame..(i % 3 + 1) * frame]);
        hot.push(frame as f64 / start.elapsed().as_secs_f64());
        std::hint::black_box(&mut b[0]);
    }
    (median(&mut large), median(&mut hot))
}

fn bench() {
    let compositor = std::env::var_os("CANOPY_BIN").map(PathBuf::from).unwrap_or_else(|| target_dir().join("canopy"));
    assert!(compositor.exists(), "{} missing: cargo build --release -p canopy --bin canopy", compositor.display());
    let rt = tempfile::Builder::new().prefix("canopy-bench-").tempdir().unwrap();
    std::fs::write(rt.path().join("canopy.toml"), "[vms.bench-vm]\ntrust = \"work\"\n").unwrap();
    let comp = Command::new(&compositor)
        .args(["--backend", "headless", "--socket", "wayland-bench", "--output", "HEADLESS-1:1920x1200@1", "--config"])
        .arg(rt.path().join("canopy.toml"))
        .env("XDG_RUNTIME_DIR", rt.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _comp = Procs(vec![comp]);
    wait_socket(&rt.path().join("wayland-bench"));
    let paths = [
        Path_::Direct,
        Path_::Canopy { lz4: false, region: false },
        Path_::Canopy { lz4: true, region: false },
        Path_::Canopy { lz4: false, region: true },
        Path_::Waypipe { lz4: false },
        Path_::Waypipe { lz4: true },
    ];
    let frame_bytes = (WIDTH * HEIGHT * 4) as f64;
    // CANOPY_BENCH_FRAMES=N shortens runs (e.g. to check the harness on a debug build).
    let scale = std::env::var("CANOPY_BENCH_FRAMES").ok().and_then(|v| v.parse::<usize>().ok());
    // The machine is shared: every path runs this many times, interleaved, and medians are shown.
    let runs = std::env::var("CANOPY_BENCH_RUNS").ok().and_then(|v| v.parse::<usize>().ok()).unwrap_or(3).max(1);
    let mut memcpy_runs = Vec::new();
    for (workload, frames) in [("full", 300usize), ("full-pipelined", 300), ("small", 2000)] {
        let frames = scale.unwrap_or(frames);
        let mut all: Vec<Vec<Measured>> = vec![Vec::new(); paths.len()];
        for run in 0..runs {
            if workload == "full" {
                memcpy_runs.push(memcpy_bandwidth());
            }
            for (i, &p) in paths.iter().enumerate() {
                let mut r = run_one(rt.path(), p, workload, frames);
                let m = Measured {
                    fps: r.frames as f64 / r.secs,
                    cpu: r.cpu / r.frames as f64 * 1e3,
                    med: median(&mut r.latencies) * 1e3,
                    p99: p99(&mut r.latencies) * 1e3,
                };
                eprintln!("run {}/{runs} {workload} {}: {:.1} fps", run + 1, p.name(), m.fps);
                all[i].push(m);
            }
        }
        let memcpy_large = median(&mut memcpy_runs.iter().map(|m| m.0).collect::<Vec<_>>());
        let memcpy_frame = median(&mut memcpy_runs.iter().map(|m| m.1).collect::<Vec<_>>());
        if workload == "full" {
            println!(
                "memcpy bandwidth (this machine, now): {:.1} GB/s for 256 MiB buffers, {:.1} GB/s for one \
                 frame just written",
                memcpy_large / 1e9,
                memcpy_frame / 1e9
            );
        }
        println!();
        println!(
            "workload: {workload} ({}); medians of {runs} interleaved runs",
            match workload {
                "full" => "1920x1080, full damage, each commit waits for its answer",
                "full-pipelined" => "1920x1080, full damage, drawn as soon as a buffer is free",
                _ => "64x16 damage per frame, each commit waits for its answer",
            }
        );
        println!(
            "{:<20} {:>8} {:>15} {:>12} {:>12} {:>12} {:>12}",
            "path", "fps", "fps min-max", "cpu ms/frame", "lat med ms", "lat p99 ms", "added med ms"
        );
        let medians: Vec<Measured> = all
            .iter()
            .map(|runs| {
                let of = |f: fn(&Measured) -> f64| median(&mut runs.iter().map(f).collect::<Vec<_>>());
                Measured { fps: of(|m| m.fps), cpu: of(|m| m.cpu), med: of(|m| m.med), p99: of(|m| m.p99) }
            })
            .collect();
        let index = |name: &str| paths.iter().position(|p| p.name() == name).unwrap();
        let direct = index("direct");
        for (i, p) in paths.iter().enumerate() {
            let m = medians[i];
            let lo = all[i].iter().map(|m| m.fps).fold(f64::INFINITY, f64::min);
            let hi = all[i].iter().map(|m| m.fps).fold(0.0, f64::max);
            // Added latency against the direct run next to it in time.
            let added = median(&mut all[i].iter().zip(&all[direct]).map(|(a, d)| a.med - d.med).collect::<Vec<_>>());
            println!(
                "{:<20} {:>8.1} {:>15} {:>12.3} {:>12.3} {:>12.3} {:>12.3}",
                p.name(),
                m.fps,
                format!("{lo:.0}-{hi:.0}"),
                m.cpu,
                m.med,
                m.p99,
                added
            );
            let _ = std::io::stdout().flush();
        }
        for (ours, theirs) in [
            ("canopy stream", "waypipe none"),
            ("canopy stream lz4", "waypipe lz4"),
            ("canopy shm region", "waypipe none"),
        ] {
            let (a, b) = (index(ours), index(theirs));
            // Ratios run by run (each pair ran close together), then their median.
            let fps = median(&mut all[a].iter().zip(&all[b]).map(|(x, y)| x.fps / y.fps).collect::<Vec<_>>());
            let cpu = median(&mut all[a].iter().zip(&all[b]).map(|(x, y)| x.cpu / y.cpu).collect::<Vec<_>>());
            println!("  {ours} vs {theirs}: {fps:.2}x the frame rate, {cpu:.2}x the CPU per frame");
        }
        if workload == "full" {
            // The region path copies each frame once (client pool to region); the GUI side
            // only forwards. Its bandwidth per CPU-second of the proxy, and what it adds to a
            // frame's time over the direct run next to it (the client's drawing and the
            // compositor's part are in both).
            let region = index("canopy shm region");
            let cpu_bw = frame_bytes / (medians[region].cpu / 1e3);
            let added = median(
                &mut all[region].iter().zip(&all[direct]).map(|(r, d)| 1.0 / r.fps - 1.0 / d.fps).collect::<Vec<_>>(),
            );
            let wall_bw = frame_bytes / added;
            println!(
                "  shm region: proxy CPU {:.3} ms/frame = {:.1} GB/s ({:.0}% of the large memcpy, {:.0}% of the \
                 frame memcpy); a frame takes {:.3} ms more than direct = {:.1} GB/s ({:.0}% / {:.0}%)",
                medians[region].cpu,
                cpu_bw / 1e9,
                cpu_bw / memcpy_large * 100.0,
                cpu_bw / memcpy_frame * 100.0,
                added * 1e3,
                wall_bw / 1e9,
                wall_bw / memcpy_large * 100.0,
                wall_bw / memcpy_frame * 100.0,
            );
        }
    }
}

/// One run's figures, or the medians of several.
#[derive(Debug, Default, Clone, Copy)]
struct Measured {
    fps: f64,
    /// CPU ms per frame of the proxy processes.
    cpu: f64,
    /// Commit latency, median and 99th percentile, ms.
    med: f64,
    p99: f64,
}

/// The client: a toplevel committing frames as fast as buffers come back.
mod client {
    use super::*;
    use std::os::fd::OwnedFd;
    use wayland_client::protocol::{
        wl_buffer, wl_callback, wl_compositor, wl_registry, wl_shm, wl_shm_pool, wl_surface,
    };
    use wayland_client::{Connection, Dispatch, QueueHandle};
    use wayland_protocols::xdg::shell::client::{xdg_surface, xdg_toplevel, xdg_wm_base};

    #[derive(Default)]
    struct State {
        compositor: Option<wl_compositor::WlCompositor>,
        shm: Option<wl_shm::WlShm>,
        wm: Option<xdg_wm_base::XdgWmBase>,
        configured: bool,
        free: Vec<bool>,
        /// When the answer to each frame's sync arrived.
        done: Vec<Option<Instant>>,
    }

    impl Dispatch<wl_registry::WlRegistry, ()> for State {
        fn event(
            s: &mut Self,
            r: &wl_registry::WlRegistry,
            e: wl_registry::Event,
            _: &(),
            _: &Connection,
            qh: &QueueHandle<Self>,
        ) {
            if let wl_registry::Event::Global { name, interface, .. } = e {
                match interface.as_str() {
                    "wl_compositor" => s.compositor = Some(r.bind(name, 4, qh, ())),
                    "wl_shm" => s.shm = Some(r.bind(name, 1, qh, ())),
                    "xdg_wm_base" => s.wm = Some(r.bind(name, 1, qh, ())),
                    _ => {}
                }
            }
        }
    }
    impl Dispatch<xdg_wm_base::XdgWmBase, ()> for State {
        fn event(
            _: &mut Self,
            wm: &xdg_wm_base::XdgWmBase,
            e: xdg_wm_base::Event,
            _: &(),
            _: &Connection,
            _: &QueueHandle<Self>,
        ) {
            if let xdg_wm_base::Event::Ping { serial } = e {
                wm.pong(serial);
            }
        }
    }
    impl Dispatch<xdg_surface::XdgSurface, ()> for State {
        fn event(
            s: &mut Self,
            x: &xdg_surface::XdgSurface,
            e: xdg_surface::Event,
            _: &(),
            _: &Connection,
            _: &QueueHandle<Self>,
        ) {
            if let xdg_surface::Event::Configure { serial } = e {
                x.ack_configure(serial);
                s.configured = true;
            }
        }
    }
    impl Dispatch<wl_buffer::WlBuffer, usize> for State {
        fn event(
            s: &mut Self,
            _: &wl_buffer::WlBuffer,
            e: wl_buffer::Event,
            i: &usize,
            _: &Connection,
            _: &QueueHandle<Self>,
        ) {
            if let wl_buffer::Event::Release = e {
                s.free[*i] = true;
            }
        }
    }
    impl Dispatch<wl_callback::WlCallback, usize> for State {
        fn event(
            s: &mut Self,
            _: &wl_callback::WlCallback,
            _: wl_callback::Event,
            f: &usize,
            _: &Connection,
            _: &QueueHandle<Self>,
        ) {
            s.done[*f] = Some(Instant::now());
        }
    }
    wayland_client::delegate_noop!(State: ignore wl_compositor::WlCompositor);
    wayland_client::delegate_noop!(State: ignore wl_shm::WlShm);
    wayland_client::delegate_noop!(State: ignore wl_shm_pool::WlShmPool);
    wayland_client::delegate_noop!(State: ignore wl_surface::WlSurface);
    wayland_client::delegate_noop!(State: ignore xdg_toplevel::XdgToplevel);

    /// An image-like source wider than the window: smooth gradients with some texture, so
    /// compression has realistic work. Frames show it shifted.
    fn source() -> Vec<u32> {
        let w = WIDTH as usize * 2;
        let mut seed = 0x1234_5678u32;
        let mut v = Vec::with_capacity(w * HEIGHT as usize);
        for y in 0..HEIGHT as usize {
            for x in 0..w {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                let r = (x * 255 / w) as u32;
                let g = (y * 255 / HEIGHT as usize) as u32;
                let b = if (x / 64 + y / 64) % 2 == 0 { 0x40 } else { 0xa0 } + (seed & 7);
                v.push(0xff00_0000 | r << 16 | g << 8 | b);
            }
        }
        v
    }

    pub fn run(workload: &str, frames: usize) {
        let conn = Connection::connect_to_env().expect("connect");
        let mut queue = conn.new_event_queue();
        let qh = queue.handle();
        conn.display().get_registry(&qh, ());
        let mut s = State::default();
        queue.roundtrip(&mut s).unwrap();
        let surface = s.compositor.as_ref().unwrap().create_surface(&qh, ());
        let xs = s.wm.as_ref().unwrap().get_xdg_surface(&surface, &qh, ());
        let top = xs.get_toplevel(&qh, ());
        top.set_title("bench".into());
        surface.commit();
        while !s.configured {
            queue.blocking_dispatch(&mut s).unwrap();
        }
        let stride = WIDTH as usize * 4;
        let size = stride * HEIGHT as usize;
        let nbuf = 3;
        let fd: OwnedFd = rustix::fs::memfd_create("bench", rustix::fs::MemfdFlags::CLOEXEC).unwrap();
        rustix::fs::ftruncate(&fd, (size * nbuf) as u64).unwrap();
        let map = canopy_proxy::shm::map::Mapping::new(fd.as_fd(), size * nbuf, true).unwrap();
        let mut map = map;
        let pool = s.shm.as_ref().unwrap().create_pool(fd.as_fd(), (size * nbuf) as i32, &qh, ());
        let buffers: Vec<_> = (0..nbuf)
            .map(|i| {
                pool.create_buffer((i * size) as i32, WIDTH, HEIGHT, stride as i32, wl_shm::Format::Xrgb8888, &qh, i)
            })
            .collect();
        s.free = vec![true; nbuf];
        let src = source();
        let sw = WIDTH as usize * 2;
        s.done = vec![None; frames];
        let mut committed = Vec::with_capacity(frames);
        // Pipelined: the next frame is drawn as soon as a buffer is free, while earlier ones
        // may still be on their way. Otherwise each commit waits for its answer, so the latency
        // is that of one commit alone.
        let pipelined = workload == "full-pipelined";
        let mut drawn_at = vec![usize::MAX; nbuf];
        let start = Instant::now();
        for f in 0..frames {
            while !s.free.iter().any(|&b| b) {
                queue.blocking_dispatch(&mut s).unwrap();
            }
            let i = s.free.iter().position(|&b| b).unwrap();
            s.free[i] = false;
            let px: &mut [u32] = bytemuck_cast(&mut map.bytes_mut()[i * size..(i + 1) * size]);
            let (dx, dy, dw, dh) = if workload.starts_with("full") {
                let shift = (f * 7) % WIDTH as usize;
                for y in 0..HEIGHT as usize {
                    px[y * WIDTH as usize..(y + 1) * WIDTH as usize]
                        .copy_from_slice(&src[y * sw + shift..y * sw + shift + WIDTH as usize]);
                }
                (0, 0, WIDTH, HEIGHT)
            } else {
                // A 64x16 patch moving over a static picture; this buffer also needs the patches
                // drawn since it was last used (the client's own double-buffering duty).
                if drawn_at[i] == usize::MAX {
                    for y in 0..HEIGHT as usize {
                        px[y * WIDTH as usize..(y + 1) * WIDTH as usize]
                            .copy_from_slice(&src[y * sw..y * sw + WIDTH as usize]);
                    }
                }
                let x = (f * 64) % (WIDTH as usize - 64);
                let y = (f * 16 / (WIDTH as usize / 64) * 16) % (HEIGHT as usize - 16);
                for row in y..y + 16 {
                    for col in x..x + 64 {
                        px[row * WIDTH as usize + col] = 0xff00_0000 | (f as u32).wrapping_mul(2654435761) >> 8;
                    }
                }
                (x as i32, y as i32, 64, 16)
            };
            drawn_at[i] = f;
            surface.attach(Some(&buffers[i]), 0, 0);
            surface.damage_buffer(dx, dy, dw, dh);
            committed.push(Instant::now());
            surface.commit();
            conn.display().sync(&qh, f);
            conn.flush().unwrap();
            while !pipelined && s.done[f].is_none() {
                queue.blocking_dispatch(&mut s).unwrap();
            }
        }
        while s.done.iter().any(Option::is_none) {
            queue.blocking_dispatch(&mut s).unwrap();
        }
        let secs = start.elapsed().as_secs_f64();
        let latencies: Vec<f64> = committed.iter().zip(&s.done).map(|(c, d)| (d.unwrap() - *c).as_secs_f64()).collect();
        let lat: Vec<String> = latencies.iter().map(|l| format!("{l:.7}")).collect();
        println!("RESULT frames={frames} secs={secs:.6} lat={}", lat.join(","));
    }

    fn bytemuck_cast(b: &mut [u8]) -> &mut [u32] {
        assert!((b.as_ptr() as usize).is_multiple_of(4) && b.len().is_multiple_of(4));
        // SAFETY: aligned, length a multiple of 4, u32 has no invalid bit patterns.
        unsafe { std::slice::from_raw_parts_mut(b.as_mut_ptr().cast(), b.len() / 4) }
    }
}
