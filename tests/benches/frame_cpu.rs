//! The compositor's CPU per client frame against weston's, in the same run: both headless with
//! the pixman renderer at 1920x1080 (60 Hz), each with ten 640x400 windows of our test client
//! with `--animate` (see `desktops`), which redraws its whole window (a bar moving across it)
//! at every frame callback. Release builds:
//!
//!     cargo build --release -p canopy -p canopy-tests --bins
//!     cargo bench -p canopy-tests --bench frame_cpu
//!
//! Once every window is shown and has drawn `WARMUP` animated frames, the compositor process's
//! CPU time (utime + stime of all its threads, /proc/PID/stat) is read, the clients draw until
//! each has drawn its share of `frames` more (the `drawn` events they print, one per frame they
//! committed), and the CPU time is read again: CPU ms per client frame is the difference over
//! the frames all ten drew meanwhile. Each compositor runs CANOPY_BENCH_RUNS times (default 3),
//! interleaved; the medians and their ratio are printed. Under `cargo test` (debug builds, a
//! check that it works) each run is 150 frames; under `cargo bench`, 6000.

mod desktops;

use std::time::Instant;

use canopy_tests::procstat::{cpu_ticks, TICKS_PER_SECOND};
use desktops::{median, runs, under_cargo_bench, Desktop, WINDOWS};

/// Animated frames each window draws before the measurement: its first frames lay out and
/// draw the title bar, which is not what a steady animation costs.
const WARMUP: usize = 10;

struct Sample {
    /// CPU ms the compositor used per frame a client drew.
    cpu_ms_per_frame: f64,
    /// Frames the ten clients drew per second, together.
    frames_per_second: f64,
}

fn run(mut desktop: Desktop, frames: usize) -> Sample {
    let pid = desktop.pid();
    let mut clients = desktop.open_windows(&["--animate", "--solid"]);
    let start: Vec<usize> = clients.iter_mut().map(|c| c.wait_count("drawn", 1 + WARMUP)).collect();
    let (t0, cpu0) = (Instant::now(), cpu_ticks(pid));
    for (c, s) in clients.iter_mut().zip(&start) {
        c.wait_count("drawn", s + frames.div_ceil(WINDOWS));
    }
    let (cpu1, secs) = (cpu_ticks(pid), t0.elapsed().as_secs_f64());
    let drawn: usize = clients.iter_mut().zip(&start).map(|(c, s)| c.wait_count("drawn", 0) - s).sum();
    assert!(cpu1 > 0, "{} exited during the run", desktop.name());
    Sample {
        cpu_ms_per_frame: (cpu1 - cpu0) as f64 * 1000.0 / TICKS_PER_SECOND / drawn as f64,
        frames_per_second: drawn as f64 / secs,
    }
}

fn main() {
    let (runs, frames) = (runs(), if under_cargo_bench() { 6000 } else { 150 });
    let (mut c, mut w) = (vec![], vec![]);
    for i in 0..runs {
        for (start, all) in [(Desktop::canopy as fn() -> Desktop, &mut c), (Desktop::weston, &mut w)] {
            let desktop = start();
            let name = desktop.name();
            let s = run(desktop, frames);
            println!(
                "  run {}: {name} {:.3} CPU ms per client frame, {:.0} client frames/s",
                i + 1,
                s.cpu_ms_per_frame,
                s.frames_per_second
            );
            all.push(s);
        }
    }
    let cpu = |v: &[Sample]| median(v.iter().map(|s| s.cpu_ms_per_frame).collect());
    let fps = |v: &[Sample]| median(v.iter().map(|s| s.frames_per_second).collect());
    let (cc, wc) = (cpu(&c), cpu(&w));
    println!(
        "compositor CPU per client frame, {WINDOWS} animated 640x400 windows, headless pixman 1920x1080, \
         {frames} frames a run, median of {runs} interleaved runs"
    );
    println!("  canopy {cc:.3} ms   weston {wc:.3} ms   canopy/weston {:.2}", cc / wc);
    println!("  client frames/s: canopy {:.0}   weston {:.0}", fps(&c), fps(&w));
}
