//! How long lifecycle requests take through real hostd and agent processes, as medians, with a
//! baseline in the same run: one frame echoed over a bare Unix socket pair.
//!
//! cargo bench -p canopy-lifecycle --bench requests

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use canopy_lifecycle::HostClient;
use canopy_protocols::lifecycle::{encode, read_frame_bytes, Request};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time(n: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..n)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn main() {
    // Baseline: the same request frame out and a reply frame back over a socket pair, echoed by a
    // thread, with no daemon logic at all.
    let (mut a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 70_000];
        loop {
            let Ok(n) = b.read(&mut buf) else { return };
            if n == 0 || b.write_all(&buf[..n]).is_err() {
                return;
            }
        }
    });
    let frame = encode(&Request::ListVms).unwrap();
    let baseline = time(2000, || {
        a.write_all(&frame).unwrap();
        read_frame_bytes(&mut a).unwrap();
    });

    let lab = support::Lab::start();
    let addr = lab.address();
    let mut c = lab.client();
    let list = time(2000, || {
        c.list_vms().unwrap();
    });
    let connect = time(300, || {
        HostClient::connect(&addr, "bench", None).unwrap().list_vms().unwrap();
    });
    c.start_app("browser", None, vec![]).unwrap(); // the VM is up from here on
    let start_warm = time(100, || {
        c.start_app("browser", None, vec![]).unwrap();
    });
    c.action(&Request::StopVm { vm: "web".into() }).unwrap();
    let start_cold = time(15, || {
        c.start_app("browser", None, vec![]).unwrap();
        c.action(&Request::StopVm { vm: "web".into() }).unwrap();
    });
    let storm = time(5, || {
        std::thread::scope(|s| {
            for _ in 0..100 {
                let addr = addr.clone();
                s.spawn(move || HostClient::connect(&addr, "bench", None).unwrap().start_app("browser", None, vec![]));
            }
        });
        c.action(&Request::StopVm { vm: "web".into() }).unwrap();
    });

    let ratio = |d: Duration| d.as_secs_f64() / baseline.as_secs_f64();
    println!("lifecycle requests, medians (baseline: one frame echoed over a Unix socket pair)");
    println!("  baseline echo                           {:>10.1?}", baseline);
    println!("  list_vms on an open connection          {:>10.1?}  ({:.1}x baseline)", list, ratio(list));
    println!("  connect + hello + list_vms              {:>10.1?}  ({:.1}x baseline)", connect, ratio(connect));
    println!("  start_app, VM running                   {:>10.1?}", start_warm);
    println!("  start_app + stop_vm, VM stopped         {:>10.1?}", start_cold);
    println!("  100 concurrent start_app + stop_vm      {:>10.1?}", storm);
}
