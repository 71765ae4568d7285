//! Throughput of a file sent from one VM to another through canopy-hostd (issue 20): the real
//! `canopy-send` in the simulated `docs` VM, its real agent, hostd's relay and the `web` VM's
//! agent writing it into `~/Incoming/docs/`, for a 100 MiB file; the time from starting
//! canopy-send to its exit (the file is whole on disk then).
//!
//!     cargo build --release -p canopy-lifecycle -p canopy-proxy -p canopy-tests --bins
//!     cargo bench -p canopy-tests --bench open_transfer
//!
//! (`--profile dev` instead of `--release` / nothing measures the debug build.)
//!
//! Baseline in the same run: the same file through a two-process pipe on the same disk
//! (`cat SRC | cat > DST`), the least any relay between processes costs. Each runs
//! CANOPY_BENCH_RUNS times (default 5), interleaved; medians and their ratio shown.

#[path = "../tests/open_support/mod.rs"]
mod open_support;

use std::io::Read;
use std::process::Command;
use std::time::{Duration, Instant};

use open_support::{OpenHost, RULES};

const SIZE: usize = 100 << 20;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn mb_per_s(d: Duration) -> f64 {
    SIZE as f64 / 1e6 / d.as_secs_f64()
}

fn main() {
    let runs: usize = std::env::var("CANOPY_BENCH_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(5);
    let host = OpenHost::start(20.0, RULES, "");
    host.start_vm("docs");
    let src = host.home("docs").join("data.bin");
    // Bytes that do not compress or repeat: from the kernel's generator.
    let mut data = vec![0u8; SIZE];
    std::fs::File::open("/dev/urandom").unwrap().read_exact(&mut data).unwrap();
    std::fs::write(&src, &data).unwrap();
    let landed = host.home("web").join("Incoming/docs/data.bin");
    // The agent lets a VM make a burst of requests, then one a second: keep below that.
    let mut last: Option<Instant> = None;
    let mut send = || {
        if let Some(l) = last {
            std::thread::sleep(Duration::from_millis(1100).saturating_sub(l.elapsed()));
        }
        let t = Instant::now();
        last = Some(t);
        let out = host
            .in_vm("docs", &canopy_tests::bin_path("canopy-send").display().to_string())
            .arg("data.bin")
            .output()
            .unwrap();
        let took = t.elapsed();
        assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stderr), host.logs());
        assert_eq!(std::fs::metadata(&landed).unwrap().len(), SIZE as u64);
        std::fs::remove_file(&landed).unwrap();
        took
    };
    // The first send starts the web VM; not counted.
    send();
    let piped = host.path("piped.bin");
    let pipe = || {
        let t = Instant::now();
        let script = format!("cat '{}' | cat > '{}'", src.display(), piped.display());
        assert!(Command::new("sh").args(["-c", &script]).status().unwrap().success());
        let took = t.elapsed();
        std::fs::remove_file(&piped).unwrap();
        took
    };
    let (mut hostd, mut baseline) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        hostd.push(send());
        baseline.push(pipe());
    }
    let (h, b) = (median(hostd.clone()), median(baseline.clone()));
    println!(
        "100 MiB, {runs} runs each (MB/s of each run: hostd {:?}, pipe {:?})",
        hostd.iter().map(|d| mb_per_s(*d).round()).collect::<Vec<_>>(),
        baseline.iter().map(|d| mb_per_s(*d).round()).collect::<Vec<_>>()
    );
    println!("through hostd    median {:7.0} ms  {:6.0} MB/s", h.as_secs_f64() * 1e3, mb_per_s(h));
    println!("cat | cat        median {:7.0} ms  {:6.0} MB/s", b.as_secs_f64() * 1e3, mb_per_s(b));
    println!("ratio hostd/pipe (time) {:.2}", h.as_secs_f64() / b.as_secs_f64());
    // Each send beside the pipe run right after it: steadier when other work comes and goes.
    let mut paired: Vec<f64> = hostd.iter().zip(&baseline).map(|(h, b)| h.as_secs_f64() / b.as_secs_f64()).collect();
    paired.sort_by(f64::total_cmp);
    println!("median of paired ratios {:.2}", paired[paired.len() / 2]);
}
