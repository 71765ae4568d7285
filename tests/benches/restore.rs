//! How long a compositor crash costs the VMs' windows, and what the GUI proxy holds per client
//! to restore them (release builds, the real headless canopy, the real proxy pair):
//!
//!     cargo build --release -p canopy -p canopy-proxy -p canopy-tests --bins
//!     cargo bench -p canopy-tests --bench restore
//!
//! `restore`: N windows of our test client behind the proxy; canopy is killed with SIGKILL;
//! the time from starting the new canopy to all N windows mapped with their content again.
//! `apps anew`, the baseline in the same run: the same N clients started after the new canopy
//! is up, as if each app had to be started again (its unsaved work aside), from the same start.
//! Each runs CANOPY_BENCH_RUNS times (default 3), interleaved; medians and their ratio shown.
//!
//! Memory: real apps behind the proxy (foot, weston-simple-shm, zathura with a PDF, gtk4-demo,
//! the test client), one at a time; the GUI side logs, when the compositor goes, how many
//! objects the client has and the bytes it holds to restore them beyond what the live path
//! holds (pool memory is not counted: the live path holds it anyway).

#[path = "../tests/proxy_support/mod.rs"]
mod proxy_support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use canopy_tests::{Client, Compositor};
use proxy_support::Vm;

const CONFIG: &str = "[vms.work-vm]\ntrust = \"work\"\n";

fn drawn(c: &Compositor) -> usize {
    c.windows().iter().filter(|w| w.vm.as_deref() == Some("work-vm") && w.geometry.is_some()).count()
}

fn open(vm: &Vm, n: usize) -> Vec<Client> {
    let mut clients: Vec<Client> = (0..n)
        .map(|i| vm.spawn("canopy-test-client", &["--title", &format!("window {i}"), "--size", "320x200"]))
        .collect();
    for c in &mut clients {
        c.wait_event("drawn", |_| true);
    }
    clients
}

/// Time from starting a new canopy until `n` windows are drawn: restored (`restore`), or
/// opened by clients started once it is up; and the part of it after canopy answered on its
/// control socket (its own start-up is in both).
fn run(n: usize, restore: bool) -> (Duration, Duration) {
    let mut c = Compositor::start(CONFIG);
    let vm = Vm::start(&c, "work-vm");
    let _before = if restore { open(&vm, n) } else { Vec::new() };
    c.wait_until("the windows", || drawn(&c) == n || !restore);
    c.kill();
    let start = c.restart();
    let ready = Instant::now();
    let _after = if restore { Vec::new() } else { open(&vm, n) };
    c.wait_until("the windows again", || drawn(&c) == n);
    (start.elapsed(), ready.elapsed())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Objects and restore bytes of the one client of an app, from the GUI side's log.
fn memory(program: &str, args: &[&str], title: &str) -> (u64, u64) {
    let mut c = Compositor::start(CONFIG);
    let vm = Vm::start(&c, "work-vm");
    let mut cmd = vm.command(program);
    cmd.args(args).stdout(Stdio::null()).stderr(Stdio::null());
    let mut app = cmd.spawn().unwrap();
    c.wait_until(&format!("{program}'s window"), || {
        c.windows().iter().any(|w| w.geometry.is_some() && w.raw_title.as_str().contains(title))
    });
    // Let it settle (GTK finishes its first frames), then take it away.
    std::thread::sleep(Duration::from_millis(500));
    c.kill();
    let mut found = None;
    c.wait_until("the proxy's line", || {
        found = vm
            .gui_log()
            .lines()
            .filter(|l| l.contains("keeping the client"))
            .max_by_key(|l| field(l, "objects"))
            .map(|l| (field(l, "objects"), field(l, "restore_bytes")));
        found.is_some()
    });
    let _ = app.kill();
    let _ = app.wait();
    found.unwrap()
}

fn field(line: &str, name: &str) -> u64 {
    let at = line.find(&format!("{name}=")).map(|i| i + name.len() + 1).unwrap_or(line.len());
    line[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0)
}

fn main() {
    let runs: usize = std::env::var("CANOPY_BENCH_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(3);
    println!("compositor crash: time from starting the new canopy to all windows drawn (median of {runs});");
    println!("in brackets the part after the new canopy answers on its control socket");
    println!("{:>8} {:>18} {:>18} {:>8}", "windows", "restore ms", "apps anew ms", "ratio");
    for n in [1, 10, 50] {
        let (mut restore, mut anew) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            restore.push(run(n, true));
            anew.push(run(n, false));
        }
        let r = median(restore.iter().map(|x| x.0).collect());
        let a = median(anew.iter().map(|x| x.0).collect());
        let rr = median(restore.iter().map(|x| x.1).collect());
        let ar = median(anew.iter().map(|x| x.1).collect());
        let ratios: Vec<f64> = restore.iter().zip(&anew).map(|(r, a)| ms(r.0) / ms(a.0)).collect();
        let mut sorted = ratios.clone();
        sorted.sort_by(f64::total_cmp);
        println!(
            "{n:>8} {:>10.0} ({:>4.0}) {:>10.0} ({:>4.0}) {:>8.2}",
            ms(r),
            ms(rr),
            ms(a),
            ms(ar),
            sorted[sorted.len() / 2]
        );
        let each: Vec<String> =
            restore.iter().zip(&anew).map(|(r, a)| format!("{:.0}/{:.0}", ms(r.0), ms(a.0))).collect();
        println!("{:>8} runs (restore/anew ms): {}", "", each.join(" "));
    }
    let start = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("report.pdf");
    std::fs::write(&pdf, canopy_tests::pdf::text_pdf(&["Memory", "of a restorable client"])).unwrap();
    println!("\nmemory the GUI proxy holds per client to restore it (beyond the live path; pools not counted)");
    println!("{:>20} {:>8} {:>14} {:>10}", "app", "objects", "restore bytes", "per object");
    for (name, program, args, title) in [
        ("test client", "canopy-test-client", vec!["--title", "mem"], "mem"),
        ("weston-simple-shm", "weston-simple-shm", vec![], "simple-shm"),
        ("foot", "foot", vec!["--title", "mem"], "mem"),
        ("zathura", "zathura", vec![pdf.to_str().unwrap()], "report.pdf"),
        ("gtk4-demo", "gtk4-demo", vec![], "GTK Demo"),
    ] {
        let (objects, bytes) = memory(program, &args, title);
        println!("{name:>20} {objects:>8} {bytes:>14} {:>10.0}", bytes as f64 / objects.max(1) as f64);
    }
    println!("(memory runs took {:.1} s)", start.elapsed().as_secs_f64());
}
