//! The fuzzing entry point of the GUI side: a connection that has said hello and been shown a
//! registry, then fed arbitrary stream bytes. Shared by the cargo-fuzz target in proxy/fuzz and
//! by a unit test that replays the seed corpus with mutations on stable Rust.

use std::collections::VecDeque;
use std::sync::Arc;

use canopy_protocols::wire;

use super::conn::GuiConn;
use crate::limits::{Cap, Limits, Usage, CAPPED};
use crate::pump::{Engine, Outbox};
use crate::wayland::message::Builder;

/// Globals the fake compositor advertises: (name, interface, version).
pub const GLOBALS: &[(u32, &str, u32)] = &[
    (1, "wl_compositor", 6),
    (2, "wl_shm", 1),
    (3, "wl_seat", 7),
    (4, "wl_data_device_manager", 3),
    (5, "xdg_wm_base", 5),
    (6, "wp_viewporter", 1),
    (7, "zwlr_layer_shell_v1", 4),
];

/// Small limits so the fuzzer reaches them quickly.
pub fn limits() -> Limits {
    Limits {
        max_pool: 1 << 20,
        max_vm_pools: 4 << 20,
        max_frame: 1 << 20,
        max_objects: 2000,
        max_buffer_side: 4096,
        caps: (0..CAPPED.len()).map(|index| Cap { index, client: 16, vm: 32 }).collect(),
        max_region_rects: 16,
        ..Limits::default()
    }
}

/// A connection past hello with registry 2 showing [`GLOBALS`].
pub fn prepared() -> (GuiConn, Outbox) {
    let mut conn = GuiConn::new("fuzz-vm".into(), Arc::new(limits()), Arc::new(Usage::default()), None);
    let mut out = Outbox::default();
    let mut f = Vec::new();
    wire::encode::hello(&mut f, wire::VERSION, false);
    wire::encode::wayland(&mut f, &Builder::new(1, 1).uint(2).build());
    conn.feed(&f, &mut out).expect("preamble");
    for (name, iface, version) in GLOBALS {
        let ev = Builder::new(2, 0).uint(*name).string(iface).uint(*version).build();
        conn.wayland(&ev, &mut VecDeque::new(), &mut out).expect("global");
    }
    (conn, out)
}

/// Feeds `data` as stream bytes from the VM; returns whether the connection survived.
pub fn feed_after_preamble(data: &[u8]) -> bool {
    let (mut conn, mut out) = prepared();
    conn.feed(data, &mut out).is_ok()
}
