//! Resident memory of the compositor against weston's, in the same run: both headless with the
//! pixman renderer at 1920x1080, with no windows and with ten 640x400 windows of our test client
//! (see `desktops`). Release builds:
//!
//!     cargo build --release -p canopy -p canopy-tests --bins
//!     cargo bench -p canopy-tests --bench memory
//!
//! Each compositor runs CANOPY_BENCH_RUNS times (default 3), interleaved; the medians of the
//! RSS (VmRSS) and their ratio are printed. A window counts once its client was told it is on
//! an output (`surface-enter`) and drew (`drawn`) and a roundtrip is done; RSS is then read
//! every 50 ms until it settles (see `settled_rss`).

mod desktops;

use std::time::{Duration, Instant};

use canopy_tests::procstat::rss_kib;
use desktops::{median, runs, Desktop, WINDOWS};

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

/// (RSS with no windows, RSS with ten), MiB.
fn run(mut desktop: Desktop) -> (f64, f64) {
    let pid = desktop.pid();
    let empty = settled_rss(pid);
    let _clients = desktop.open_windows(&[]);
    let loaded = settled_rss(pid);
    (empty as f64 / 1024.0, loaded as f64 / 1024.0)
}

fn main() {
    let runs = runs();
    let (mut ce, mut cl, mut we, mut wl) = (vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        let (e, l) = run(Desktop::canopy());
        ce.push(e);
        cl.push(l);
        let (e, l) = run(Desktop::weston());
        we.push(e);
        wl.push(l);
    }
    let (ce, cl, we, wl) = (median(ce), median(cl), median(we), median(wl));
    println!("resident memory, headless pixman 1920x1080, median of {runs} interleaved runs");
    println!("  no windows          canopy {ce:6.1} MiB   weston {we:6.1} MiB   canopy/weston {:.2}", ce / we);
    println!("  {WINDOWS} windows 640x400   canopy {cl:6.1} MiB   weston {wl:6.1} MiB   canopy/weston {:.2}", cl / wl);
}
