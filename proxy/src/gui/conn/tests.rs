//! The GUI side against hostile input: every rule closes the connection with a named violation.

use super::*;
use crate::shm::map::Mapping;
use crate::wayland::message::Builder;

fn conn_with(limits: Limits) -> (GuiConn, Outbox) {
    let mut c = GuiConn::new("test-vm".into(), Arc::new(limits), Arc::new(Usage::default()), None);
    let mut out = Outbox::default();
    let mut f = Vec::new();
    wire::encode::hello(&mut f, wire::VERSION, false);
    c.feed(&f, &mut out).unwrap();
    (c, out)
}

fn conn() -> (GuiConn, Outbox) {
    conn_with(Limits::default())
}

fn msgs(c: &mut GuiConn, out: &mut Outbox, m: &[Vec<u8>]) -> Result<(), End> {
    let mut f = Vec::new();
    wire::encode::wayland(&mut f, &m.concat());
    c.feed(&f, out)
}

fn event(c: &mut GuiConn, out: &mut Outbox, m: Vec<u8>) {
    c.wayland(&m, &mut VecDeque::new(), out).unwrap();
}

fn rule(r: Result<(), End>) -> String {
    match r {
        Err(End::Violation(v)) => v,
        Err(End::Io(e)) => panic!("io error {e}"),
        Err(End::Local(e)) => panic!("local error {e}"),
        Err(e) => panic!("{e:?}"),
        Ok(()) => panic!("accepted"),
    }
}

/// A registry (id 2) with wl_compositor (name 1), a layer shell (2), wl_shm (3), bound as
/// compositor 3 and shm 4.
fn with_globals() -> (GuiConn, Outbox) {
    let (mut c, mut out) = conn();
    msgs(&mut c, &mut out, &[Builder::new(1, 1).uint(2).build()]).unwrap();
    event(&mut c, &mut out, Builder::new(2, 0).uint(1).string("wl_compositor").uint(6).build());
    event(&mut c, &mut out, Builder::new(2, 0).uint(2).string("zwlr_layer_shell_v1").uint(4).build());
    event(&mut c, &mut out, Builder::new(2, 0).uint(3).string("wl_shm").uint(1).build());
    msgs(
        &mut c,
        &mut out,
        &[
            Builder::new(2, 0).uint(1).string("wl_compositor").uint(6).uint(3).build(),
            Builder::new(2, 0).uint(3).string("wl_shm").uint(1).uint(4).build(),
        ],
    )
    .unwrap();
    (c, out)
}

/// with_globals plus a 64 KiB pool (id 5).
fn with_pool() -> (GuiConn, Outbox) {
    let (mut c, mut out) = with_globals();
    let mut f = Vec::new();
    wire::encode::fd_shm_pool(&mut f, 1, 65536);
    wire::encode::wayland(&mut f, &Builder::new(4, 0).uint(5).int(65536).build());
    c.feed(&f, &mut out).unwrap();
    (c, out)
}

fn create_buffer(offset: i32, w: i32, h: i32, stride: i32) -> Vec<u8> {
    Builder::new(5, 0).uint(6).int(offset).int(w).int(h).int(stride).uint(0).build()
}

#[test]
fn registry_shows_only_allowed_globals_with_capped_versions() {
    let (_c, out) = with_globals();
    let frames = out.stream.queued();
    let text = String::from_utf8_lossy(&frames);
    assert!(text.contains("wl_compositor") && text.contains("wl_shm"));
    assert!(!text.contains("zwlr_layer_shell_v1"), "privileged global leaked");
    // wl_compositor was offered at 6; the proxy's tables know fewer versions.
    let want = wayland_client::protocol::wl_compositor::WlCompositor::interface().version.min(6);
    let needle = [b"wl_compositor\0\0\0".as_slice(), &want.to_ne_bytes()].concat();
    assert!(frames.windows(needle.len()).any(|w| w == needle));
}

use wayland_client::Proxy;

#[test]
fn binding_a_global_that_was_not_advertised_closes() {
    let (mut c, mut out) = with_globals();
    let v = rule(msgs(
        &mut c,
        &mut out,
        &[Builder::new(2, 0).uint(2).string("zwlr_layer_shell_v1").uint(1).uint(9).build()],
    ));
    assert!(v.contains("never advertised"), "{v}");
    let (mut c, mut out) = with_globals();
    let v = rule(msgs(&mut c, &mut out, &[Builder::new(2, 0).uint(77).string("wl_seat").uint(1).uint(9).build()]));
    assert!(v.contains("never advertised"), "{v}");
    let (mut c, mut out) = with_globals();
    let v = rule(msgs(&mut c, &mut out, &[Builder::new(2, 0).uint(1).string("wl_shm").uint(1).uint(9).build()]));
    assert!(v.contains("advertised as wl_compositor"), "{v}");
}

#[test]
fn pools_and_buffers_are_checked() {
    let (mut c, mut out) = with_pool();
    let (_, fds) = out.wayland.queued();
    assert_eq!(fds, 1, "the compositor gets the GUI side's memfd");
    msgs(&mut c, &mut out, &[create_buffer(0, 64, 64, 256)]).unwrap();

    for (buf, what) in [
        (create_buffer(0, 128, 129, 512), "beyond its pool"),
        (create_buffer(65536 - 255, 64, 1, 256), "beyond its pool"),
        (create_buffer(0, 64, 64, -256), "stride"),
        (create_buffer(0, 64, 64, 100), "stride"),
        (create_buffer(0, 64, 64, i32::MAX), "beyond its pool"),
        (create_buffer(-4, 1, 1, 4), "offset"),
        (create_buffer(0, 20000, 1, 80000), "limit"),
        (create_buffer(0, 0, 10, 4), "0x10"),
    ] {
        let (mut c, mut out) = with_pool();
        let v = rule(msgs(&mut c, &mut out, &[buf]));
        assert!(v.contains(what), "{what}: {v}");
    }
}

#[test]
fn huge_pools_are_refused() {
    let (mut c, mut out) = with_globals();
    let mut f = Vec::new();
    wire::encode::fd_shm_pool(&mut f, 1, 0x7fff_0000);
    assert!(rule(c.feed(&f, &mut out)).contains("limit"));

    // Per VM: two pools of 600 MiB exceed 1 GiB together, across connections.
    let usage = Arc::new(Usage::default());
    let limits = Arc::new(Limits { max_pool: 700 << 20, max_vm_pools: 1 << 30, ..Limits::default() });
    let mut a = GuiConn::new("vm".into(), limits.clone(), usage.clone(), None);
    let mut b = GuiConn::new("vm".into(), limits, usage.clone(), None);
    let mut f = Vec::new();
    wire::encode::hello(&mut f, wire::VERSION, false);
    wire::encode::fd_shm_pool(&mut f, 1, 600 << 20);
    a.feed(&f, &mut Outbox::default()).unwrap();
    assert!(rule(b.feed(&f, &mut Outbox::default())).contains("pools of the VM"));
    drop(a);
    assert_eq!(usage.in_use(), 0, "a closed connection gives its pool memory back");
}

#[test]
fn pool_resize_grows_within_limits() {
    let (mut c, mut out) = with_pool();
    msgs(&mut c, &mut out, &[Builder::new(5, 2).int(131072).build()]).unwrap();
    msgs(&mut c, &mut out, &[create_buffer(65536, 64, 64, 256)]).unwrap();
    let (mut c, mut out) = with_pool();
    assert!(rule(msgs(&mut c, &mut out, &[Builder::new(5, 2).int(4096).build()])).contains("resize"));
    let (mut c, mut out) = with_pool();
    assert!(rule(msgs(&mut c, &mut out, &[Builder::new(5, 2).int(i32::MAX).build()])).contains("limit"));
}

#[test]
fn fd_counts_must_match() {
    let (mut c, mut out) = with_globals();
    let v = rule(msgs(&mut c, &mut out, &[Builder::new(4, 0).uint(5).int(4096).build()]));
    assert!(v.contains("needs 1 fds, 0 announced"), "{v}");
    let (mut c, mut out) = with_globals();
    let mut f = Vec::new();
    wire::encode::fd_shm_pool(&mut f, 1, 4096);
    wire::encode::wayland(&mut f, &Builder::new(3, 0).uint(5).build());
    assert!(rule(c.feed(&f, &mut out)).contains("never used"));
    // A pool announced for a clipboard pipe is refused too.
    let (mut c, mut out) = with_globals();
    let mut f = Vec::new();
    wire::encode::fd_pipe_write(&mut f, 1);
    wire::encode::wayland(&mut f, &Builder::new(4, 0).uint(5).int(4096).build());
    assert!(rule(c.feed(&f, &mut out)).contains("pipe"));
}

#[test]
fn malformed_messages_close() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![1, 0, 0, 0, 1, 0], "truncated message header"),
        (
            {
                let mut m = Builder::new(1, 1).uint(2).build();
                m[6] = 4;
                m[7] = 0;
                m
            },
            "smaller than its header",
        ),
        (
            {
                let mut m = Builder::new(1, 1).uint(2).build();
                m[6] = 0;
                m[7] = 0x20;
                m
            },
            "exceeds the limit",
        ),
        (
            {
                let mut m = Builder::new(1, 1).uint(2).build();
                m[6] = 16;
                m
            },
            "runs past the end",
        ),
        (Builder::new(99, 0).build(), "unknown object id 99"),
        (Builder::new(1, 9).build(), "opcode 9 out of range"),
        (Builder::new(1, 1).build(), "arguments do not fit"),
    ];
    for (bytes, what) in cases {
        let (mut c, mut out) = conn();
        let mut f = Vec::new();
        wire::encode::wayland(&mut f, &bytes);
        let v = rule(c.feed(&f, &mut out));
        assert!(v.contains(what), "{what}: {v}");
    }
}

#[test]
fn bad_frames_close() {
    let (mut c, mut out) = conn();
    assert!(rule(c.feed(&[4, 0, 0, 0, 99, 0, 0, 0, 0, 0, 0, 0], &mut out)).contains("unknown frame kind"));
    let (mut c, mut out) = conn();
    let mut f = Vec::new();
    wire::encode::wayland(&mut f, &vec![0; 5 << 20]);
    assert!(rule(c.feed(&f, &mut out)).contains("exceeds the limit"));
    let mut c = GuiConn::new("vm".into(), Arc::default(), Arc::default(), None);
    let mut f = Vec::new();
    wire::encode::wayland(&mut f, &Builder::new(1, 1).uint(2).build());
    assert!(rule(c.feed(&f, &mut Outbox::default())).contains("hello"));
    let mut c = GuiConn::new("vm".into(), Arc::default(), Arc::default(), None);
    let mut f = Vec::new();
    wire::encode::hello(&mut f, 99, false);
    assert!(rule(c.feed(&f, &mut Outbox::default())).contains("version"));
    let mut c = GuiConn::new("vm".into(), Arc::default(), Arc::default(), None);
    let mut f = Vec::new();
    wire::encode::hello(&mut f, wire::VERSION, true);
    assert!(rule(c.feed(&f, &mut Outbox::default())).contains("region"));
}

#[test]
fn pool_data_must_stay_inside_its_pool() {
    let (mut c, mut out) = with_pool();
    let mut f = Vec::new();
    wire::encode::pool_data(&mut f, 1, wire::Encoding::Raw, &[(65530, 4)], b"abcd");
    c.feed(&f, &mut out).unwrap();
    let mut f = Vec::new();
    wire::encode::pool_data(&mut f, 1, wire::Encoding::Raw, &[(65534, 4)], b"abcd");
    assert!(rule(c.feed(&f, &mut out)).contains("beyond the pool"));
    let (mut c, mut out) = with_pool();
    let mut f = Vec::new();
    wire::encode::pool_data(&mut f, 2, wire::Encoding::Raw, &[(0, 4)], b"abcd");
    assert!(rule(c.feed(&f, &mut out)).contains("unknown memory"));
}

#[test]
fn pool_data_reaches_the_compositors_memory() {
    let (mut c, mut out) = with_pool();
    let mut f = Vec::new();
    wire::encode::pool_data(&mut f, 1, wire::Encoding::Raw, &[(100, 5)], b"hello");
    c.feed(&f, &mut out).unwrap();
    let mem = c.mems[&1].upgrade().unwrap();
    let m = Mapping::new(mem.borrow().memfd.fd.as_fd(), 65536, false).unwrap();
    assert_eq!(&m.bytes()[100..105], b"hello");
}

#[test]
fn objects_are_limited_to_100_000() {
    let (mut c, mut out) = with_globals();
    let have = c.object_count() as u32;
    let mut batch = Vec::new();
    let mut result = Ok(());
    // wl_display.sync: callbacks are under no per-interface cap, only the overall one.
    for id in 10..10 + 100_000 - have {
        batch.push(Builder::new(1, 0).uint(id).build());
        if batch.len() == 1000 {
            result = msgs(&mut c, &mut out, &batch);
            batch.clear();
            out = Outbox::default();
            if result.is_err() {
                break;
            }
        }
    }
    result.unwrap();
    msgs(&mut c, &mut out, &batch).unwrap();
    assert_eq!(c.object_count(), 100_000);
    let v = rule(msgs(&mut c, &mut out, &[Builder::new(1, 0).uint(200_000).build()]));
    assert!(v.contains("objects exceed the limit"), "{v}");
}

fn caps(caps: &[(&str, usize, usize)]) -> Limits {
    let caps = caps
        .iter()
        .map(|&(iface, client, vm)| limits::Cap { index: limits::capped(iface).unwrap(), client, vm })
        .collect();
    Limits { caps, ..Limits::default() }
}

/// with_globals for a connection of a VM whose usage is shared.
fn with_globals_in(limits: &Arc<Limits>, usage: &Arc<Usage>) -> (GuiConn, Outbox) {
    let mut c = GuiConn::new("vm".into(), limits.clone(), usage.clone(), None);
    let mut out = Outbox::default();
    let mut f = Vec::new();
    wire::encode::hello(&mut f, wire::VERSION, false);
    c.feed(&f, &mut out).unwrap();
    msgs(&mut c, &mut out, &[Builder::new(1, 1).uint(2).build()]).unwrap();
    event(&mut c, &mut out, Builder::new(2, 0).uint(1).string("wl_compositor").uint(6).build());
    msgs(&mut c, &mut out, &[Builder::new(2, 0).uint(1).string("wl_compositor").uint(6).uint(3).build()]).unwrap();
    (c, out)
}

fn create_surface(id: u32) -> Vec<u8> {
    Builder::new(3, 0).uint(id).build()
}

#[test]
fn surfaces_are_capped_per_client_and_a_destroyed_one_frees_its_place() {
    let limits = Arc::new(caps(&[("wl_surface", 3, 100)]));
    let usage = Arc::new(Usage::default());
    let (mut c, mut out) = with_globals_in(&limits, &usage);
    let s = limits::capped("wl_surface").unwrap();
    msgs(&mut c, &mut out, &[create_surface(10), create_surface(11), create_surface(12)]).unwrap();
    assert_eq!((c.held(s), usage.objects(s)), (3, 3));
    // wl_surface.destroy frees the place at once (the id waits for delete_id, the cap does not).
    msgs(&mut c, &mut out, &[Builder::new(11, 0).build(), create_surface(13)]).unwrap();
    // Regions are counted under their own cap.
    msgs(&mut c, &mut out, &[Builder::new(3, 1).uint(14).build()]).unwrap();
    let v = rule(msgs(&mut c, &mut out, &[create_surface(15)]));
    assert!(v.contains("more than 3 wl_surface objects in one client"), "{v}");
    drop(c);
    assert_eq!(usage.objects(s), 0, "a closed client gives its places back");
    assert_eq!(usage.objects(limits::capped("wl_region").unwrap()), 0);
}

#[test]
fn surfaces_are_capped_per_vm_across_its_clients() {
    let limits = Arc::new(caps(&[("wl_surface", 10, 4)]));
    let usage = Arc::new(Usage::default());
    let (mut a, mut out_a) = with_globals_in(&limits, &usage);
    let (mut b, mut out_b) = with_globals_in(&limits, &usage);
    msgs(&mut a, &mut out_a, &[create_surface(10), create_surface(11), create_surface(12)]).unwrap();
    msgs(&mut b, &mut out_b, &[create_surface(10)]).unwrap();
    let v = rule(msgs(&mut b, &mut out_b, &[create_surface(11)]));
    assert!(v.contains("more than 4 wl_surface objects in the VM"), "{v}");
    drop(b);
    drop(a);
    let (mut c, mut out_c) = with_globals_in(&limits, &usage);
    let four: Vec<Vec<u8>> = (10..14).map(create_surface).collect();
    msgs(&mut c, &mut out_c, &four).unwrap();
}

#[test]
fn no_capped_interface_is_destroyed_by_an_event() {
    // Caps count objects out on destructor requests only; pin that no event destroys one.
    for (name, _, _) in limits::CAPPED {
        let iface = [
            wayland_client::protocol::wl_surface::WlSurface::interface(),
            wayland_client::protocol::wl_subsurface::WlSubsurface::interface(),
            wayland_client::protocol::wl_buffer::WlBuffer::interface(),
            wayland_client::protocol::wl_shm_pool::WlShmPool::interface(),
            wayland_client::protocol::wl_region::WlRegion::interface(),
            wayland_protocols::xdg::shell::client::xdg_surface::XdgSurface::interface(),
            wayland_protocols::xdg::shell::client::xdg_toplevel::XdgToplevel::interface(),
            wayland_protocols::xdg::shell::client::xdg_popup::XdgPopup::interface(),
        ]
        .into_iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("{name} unknown"));
        assert!(iface.events.iter().all(|e| !e.is_destructor), "{name}");
        assert!(iface.requests.iter().any(|r| r.is_destructor), "{name}");
    }
}

#[test]
fn region_rectangles_are_capped() {
    let limits = Arc::new(Limits { max_region_rects: 2, ..Limits::default() });
    let (mut c, mut out) = with_globals_in(&limits, &Arc::default());
    let add = || Builder::new(10, 1).int(0).int(0).int(5).int(5).build();
    let sub = Builder::new(10, 2).int(0).int(0).int(1).int(1).build();
    msgs(&mut c, &mut out, &[Builder::new(3, 1).uint(10).build(), add(), sub]).unwrap();
    let v = rule(msgs(&mut c, &mut out, &[add()]));
    assert!(v.contains("more than 2 rectangles in one wl_region"), "{v}");
}

/// with_globals_in plus wp_viewporter (bound as 4) and xdg_wm_base (5), a surface (10) with a
/// viewport (11), an xdg_surface (12) and a positioner (13).
fn with_shell() -> (GuiConn, Outbox) {
    let (mut c, mut out) = with_globals_in(&Arc::default(), &Arc::default());
    event(&mut c, &mut out, Builder::new(2, 0).uint(2).string("wp_viewporter").uint(1).build());
    event(&mut c, &mut out, Builder::new(2, 0).uint(3).string("xdg_wm_base").uint(1).build());
    msgs(
        &mut c,
        &mut out,
        &[
            Builder::new(2, 0).uint(2).string("wp_viewporter").uint(1).uint(4).build(),
            Builder::new(2, 0).uint(3).string("xdg_wm_base").uint(1).uint(5).build(),
            create_surface(10),
            Builder::new(4, 1).uint(11).uint(10).build(),
            Builder::new(5, 2).uint(12).uint(10).build(),
            Builder::new(5, 1).uint(13).build(),
        ],
    )
    .unwrap();
    (c, out)
}

#[test]
fn surface_sizes_are_bounded_like_buffers() {
    let (mut c, mut out) = with_shell();
    msgs(
        &mut c,
        &mut out,
        &[
            Builder::new(11, 2).int(16384).int(100).build(),
            Builder::new(11, 2).int(-1).int(-1).build(),
            Builder::new(12, 3).int(-20).int(-20).int(3840).int(2160).build(),
            Builder::new(13, 1).int(300).int(200).build(),
        ],
    )
    .unwrap();
    for (m, what) in [
        (Builder::new(11, 2).int(2_000_000_000).int(100).build(), "viewport destination of 2000000000x100"),
        (Builder::new(11, 2).int(100).int(16385).build(), "viewport destination of 100x16385"),
        (Builder::new(12, 3).int(0).int(0).int(i32::MAX).int(10).build(), "window geometry of 2147483647x10"),
        (Builder::new(13, 1).int(70000).int(20).build(), "popup size of 70000x20"),
    ] {
        let (mut c, mut out) = with_shell();
        let v = rule(msgs(&mut c, &mut out, &[m]));
        assert!(v.contains(what) && v.contains("limit 16384"), "{what}: {v}");
    }
}

#[test]
fn bind_above_the_advertised_version_closes() {
    let (mut c, mut out) = with_globals();
    let v = rule(msgs(&mut c, &mut out, &[Builder::new(2, 0).uint(3).string("wl_shm").uint(9).uint(9).build()]));
    assert!(v.contains("version 9"), "{v}");
}

#[test]
fn seed_corpus_is_read_as_intended_and_mutations_never_panic() {
    use crate::gui::fuzzing::feed_after_preamble;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/gui_decoder");
    let seed = |name: &str| std::fs::read(dir.join(name)).unwrap();
    for ok in ["surface", "shm_buffer", "attach_commit", "seat", "region_frames"] {
        let accepted = feed_after_preamble(&seed(ok));
        // region_frames: a region pool without a region is a violation, pipe frames are fine.
        assert_eq!(accepted, ok != "region_frames", "seed {ok}");
    }
    for bad in ["bad_bind", "pipe"] {
        assert!(!feed_after_preamble(&seed(bad)), "seed {bad}");
    }
    // Cheap stable-Rust fuzzing of the same entry point; `cargo fuzz` goes much further.
    crate::gui::fuzzing::mutations(&dir, 0x9e37_79b9_7f4a_7c15, 4000, |m| {
        feed_after_preamble(m);
    });
}

#[test]
fn region_pools_span_the_region_and_buffers_stay_inside_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("region");
    std::fs::File::create(&path).unwrap().set_len(1 << 20).unwrap();
    let region = Arc::new(Region::open(&path).unwrap());
    let mut c = GuiConn::new("vm".into(), Arc::default(), Arc::default(), Some(region));
    let mut out = Outbox::default();
    let mut f = Vec::new();
    wire::encode::hello(&mut f, wire::VERSION, true);
    wire::encode::wayland(&mut f, &Builder::new(1, 1).uint(2).build());
    c.feed(&f, &mut out).unwrap();
    event(&mut c, &mut out, Builder::new(2, 0).uint(3).string("wl_shm").uint(1).build());
    let mut f = Vec::new();
    wire::encode::wayland(&mut f, &Builder::new(2, 0).uint(3).string("wl_shm").uint(1).uint(4).build());
    wire::encode::fd_shm_region(&mut f);
    wire::encode::wayland(&mut f, &Builder::new(4, 0).uint(5).int(4096).build());
    c.feed(&f, &mut out).unwrap();
    // The compositor is told the pool is the whole region.
    let (bytes, fds) = out.wayland.queued();
    assert_eq!(fds, 1);
    let create_pool = &bytes[bytes.len() - 16..];
    assert_eq!(i32::from_ne_bytes(create_pool[12..16].try_into().unwrap()), 1 << 20);
    // Buffers are placed anywhere in the region (offsets are region offsets), never beyond it.
    msgs(&mut c, &mut out, &[create_buffer(900_000, 64, 64, 256)]).unwrap();
    let v = rule(msgs(&mut c, &mut out, &[create_buffer(1_040_000, 64, 64, 256)]));
    assert!(v.contains("beyond its pool"), "{v}");
}

#[test]
fn region_resize_is_not_forwarded_and_cannot_exceed_the_region() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("region");
    std::fs::File::create(&path).unwrap().set_len(1 << 20).unwrap();
    let region = Arc::new(Region::open(&path).unwrap());
    let mut c = GuiConn::new("vm".into(), Arc::default(), Arc::default(), Some(region));
    let mut out = Outbox::default();
    let mut f = Vec::new();
    wire::encode::hello(&mut f, wire::VERSION, true);
    wire::encode::wayland(&mut f, &Builder::new(1, 1).uint(2).build());
    c.feed(&f, &mut out).unwrap();
    event(&mut c, &mut out, Builder::new(2, 0).uint(3).string("wl_shm").uint(1).build());
    let mut f = Vec::new();
    wire::encode::wayland(&mut f, &Builder::new(2, 0).uint(3).string("wl_shm").uint(1).uint(4).build());
    wire::encode::fd_shm_region(&mut f);
    wire::encode::wayland(&mut f, &Builder::new(4, 0).uint(5).int(4096).build());
    c.feed(&f, &mut out).unwrap();
    let before = out.wayland.pending();
    msgs(&mut c, &mut out, &[Builder::new(5, 2).int(8192).build()]).unwrap();
    assert_eq!(out.wayland.pending(), before, "resize of a region pool reached the compositor");
    let v = rule(msgs(&mut c, &mut out, &[Builder::new(5, 2).int(2 << 20).build()]));
    assert!(v.contains("region pool resize"), "{v}");
}

/// The event loop with a real socket pair on each side: a large pool-data frame is read from
/// the stream straight into the pool memory the compositor got.
#[test]
fn large_pool_data_lands_in_the_compositors_memory_through_the_event_loop() {
    use crate::pump::{self, Settings};
    use crate::sockio;
    use std::io::Write;
    use std::os::unix::net::UnixStream;

    let (stream_ours, mut stream_vm) = UnixStream::pair().unwrap();
    let (wl_ours, wl_comp) = UnixStream::pair().unwrap();
    let size = 4 << 20;
    let data: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
    let vm = std::thread::spawn({
        let data = data.clone();
        move || {
            let mut f = Vec::new();
            wire::encode::hello(&mut f, wire::VERSION, false);
            wire::encode::wayland(&mut f, &Builder::new(1, 1).uint(2).build());
            stream_vm.write_all(&f).unwrap();
            // Wait for the registry's global to come back, then bind and send a pool.
            std::thread::sleep(std::time::Duration::from_millis(200));
            let mut f = Vec::new();
            wire::encode::wayland(&mut f, &Builder::new(2, 0).uint(1).string("wl_shm").uint(1).uint(3).build());
            wire::encode::fd_shm_pool(&mut f, 1, size as u32);
            wire::encode::wayland(&mut f, &Builder::new(3, 0).uint(4).int(size as i32).build());
            wire::encode::pool_data(
                &mut f,
                1,
                wire::Encoding::Raw,
                &[(0, 1 << 20), (1 << 20, (size - (1 << 20)) as u32)],
                &data,
            );
            wire::encode::wayland(&mut f, &Builder::new(1, 0).uint(5).build()); // sync
            stream_vm.write_all(&f).unwrap();
            stream_vm
        }
    });
    let pump = std::thread::spawn(move || {
        let mut conn = GuiConn::new("vm".into(), Arc::new(Limits::default()), Arc::default(), None);
        let settings = Settings {
            max_frame: 8 << 20,
            max_message: 4096,
            high_water: 8 << 20,
            max_pending: 64 << 20,
            max_pipe_bytes: 1 << 20,
            max_pipes: 4,
            whole_transfers: true,
        };
        let mut out = Outbox::default();
        pump::run(&mut conn, stream_ours.into(), Some(wl_ours.into()), &settings, &mut out)
    });
    // The compositor's side: answer get_registry with one global, then collect the pool fd.
    let mut buf = Vec::new();
    let mut fds = VecDeque::new();
    while buf.len() < 12 {
        sockio::recv_with_fds(wl_comp.as_fd(), &mut buf, &mut fds).unwrap();
    }
    let global = Builder::new(2, 0).uint(1).string("wl_shm").uint(1).build();
    (&wl_comp).write_all(&global).unwrap();
    // get_registry 12 + bind 32 + create_pool 16 + sync 12 bytes.
    while buf.len() < 12 + 32 + 16 + 12 {
        assert!(sockio::recv_with_fds(wl_comp.as_fd(), &mut buf, &mut fds).unwrap(), "proxy closed");
    }
    let fd = fds.pop_front().expect("the pool's fd");
    let m = Mapping::new(fd.as_fd(), size, false).unwrap();
    assert!(m.bytes() == &data[..], "pool memory differs from what the VM sent");
    drop(vm.join().unwrap());
    drop(wl_comp);
    let end = pump.join().unwrap();
    assert!(matches!(end, End::WaylandClosed | End::StreamClosed), "{end:?}");
}
