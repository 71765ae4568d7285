//! A client through a compositor crash, against a stand-in compositor: what it is told when
//! the compositor goes, what it may do meanwhile, and what the next compositor gets.

use canopy_protocols::wire;

use super::{event_opcode, interface};
use crate::gui::fuzzing::Session;
use crate::limits::Limits;
use crate::pump::{End, Engine};
use crate::wayland::message::{Builder, SERVER_ID_BASE};

const BEFORE: &[(u32, &str, u32)] = &[
    (1, "wl_compositor", 6),
    (2, "wl_shm", 1),
    (3, "xdg_wm_base", 5),
    (4, "wl_seat", 7),
    (5, "wl_data_device_manager", 3),
    (6, "wl_subcompositor", 1),
    (7, "zwlr_layer_shell_v1", 4),
    (8, "wp_viewporter", 1),
];

/// Other names and order, wp_viewporter gone, a new global.
const AFTER: &[(u32, &str, u32)] = &[
    (60, "wl_seat", 7),
    (61, "xdg_wm_base", 5),
    (62, "zwlr_layer_shell_v1", 4),
    (63, "wl_compositor", 6),
    (64, "wl_shm", 1),
    (65, "wl_subcompositor", 1),
    (66, "wl_data_device_manager", 3),
    (67, "zxdg_output_manager_v1", 3),
];

fn ev(iface: &str, name: &str) -> u16 {
    event_opcode(interface(iface).unwrap(), name).unwrap_or_else(|| panic!("{iface}.{name}"))
}

fn req(id: u32, iface: &str, name: &str) -> Builder {
    let i = interface(iface).unwrap();
    Builder::new(id, super::request_opcode(i, name).unwrap_or_else(|| panic!("{iface}.{name}")))
}

fn word(m: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(m[at..at + 4].try_into().unwrap())
}

/// A pool of `size` bytes (memory `mem`, object `pool`) on wl_shm 4, and pixels in it.
fn pool(s: &mut Session, mem: u32, pool: u32, size: u32, pixels: &[u8]) {
    let mut f = Vec::new();
    wire::encode::fd_shm_pool(&mut f, mem, size);
    wire::encode::wayland(&mut f, &req(4, "wl_shm", "create_pool").uint(pool).int(size as i32).build());
    wire::encode::pool_data(&mut f, mem, wire::Encoding::Raw, &[(0, pixels.len() as u32)], pixels);
    s.feed(&f).unwrap();
}

fn buffer(on: u32, id: u32, w: i32, h: i32) -> Vec<u8> {
    req(on, "wl_shm_pool", "create_buffer").uint(id).int(0).int(w).int(h).int(w * 4).uint(0).build()
}

/// A client with a window (surface 12, xdg_surface 13, toplevel 14) showing buffer 16 (its
/// pool 15 destroyed), a subsurface (surface 18 as 19) with buffer 21, an input region, a
/// keyboard (10) and pointer (11) focused on the window, an open popup (26 on xdg_surface 25),
/// and the selection offered to it (offer `SERVER_ID_BASE` on data device 27).
fn client() -> Session {
    let mut s = Session::new(Limits::default(), BEFORE);
    s.send(&[req(1, "wl_display", "get_registry").uint(2).build()]).unwrap();
    let bind = |name: u32, iface: &str, v: u32, id: u32| {
        req(2, "wl_registry", "bind").uint(name).string(iface).uint(v).uint(id).build()
    };
    s.send(&[
        bind(1, "wl_compositor", 6, 3),
        bind(2, "wl_shm", 1, 4),
        bind(3, "xdg_wm_base", 5, 5),
        bind(4, "wl_seat", 7, 6),
        bind(5, "wl_data_device_manager", 3, 7),
        bind(6, "wl_subcompositor", 1, 8),
        bind(8, "wp_viewporter", 1, 9),
        req(6, "wl_seat", "get_keyboard").uint(10).build(),
        req(6, "wl_seat", "get_pointer").uint(11).build(),
        req(3, "wl_compositor", "create_surface").uint(12).build(),
        req(5, "xdg_wm_base", "get_xdg_surface").uint(13).uint(12).build(),
        req(13, "xdg_surface", "get_toplevel").uint(14).build(),
        req(14, "xdg_toplevel", "set_title").string("restored window").build(),
        req(14, "xdg_toplevel", "set_app_id").string("canopy.test").build(),
        req(14, "xdg_toplevel", "set_min_size").int(100).int(50).build(),
        req(13, "xdg_surface", "set_window_geometry").int(0).int(0).int(64).int(64).build(),
        req(12, "wl_surface", "commit").build(),
    ])
    .unwrap();
    let configure = s.comp.named("xdg_surface", "configure").len();
    assert_eq!(configure, 0, "requests only");
    let serial = word(s.client_got(13, ev("xdg_surface", "configure"))[0], 8);
    let red: Vec<u8> = [0u8, 0, 255, 255].repeat(64 * 64);
    pool(&mut s, 1, 15, 64 * 64 * 4, &red);
    s.send(&[
        req(13, "xdg_surface", "ack_configure").uint(serial).build(),
        buffer(15, 16, 64, 64),
        req(15, "wl_shm_pool", "destroy").build(),
        req(12, "wl_surface", "attach").uint(16).int(0).int(0).build(),
        req(12, "wl_surface", "damage_buffer").int(0).int(0).int(64).int(64).build(),
        req(12, "wl_surface", "frame").uint(17).build(),
        req(12, "wl_surface", "commit").build(),
    ])
    .unwrap();
    s.send(&[
        req(3, "wl_compositor", "create_surface").uint(18).build(),
        req(8, "wl_subcompositor", "get_subsurface").uint(19).uint(18).uint(12).build(),
        req(19, "wl_subsurface", "set_position").int(10).int(12).build(),
        req(19, "wl_subsurface", "place_below").uint(12).build(),
    ])
    .unwrap();
    pool(&mut s, 2, 20, 16 * 16 * 4, &[7; 16 * 16 * 4]);
    s.send(&[
        buffer(20, 21, 16, 16),
        req(18, "wl_surface", "attach").uint(21).int(0).int(0).build(),
        req(18, "wl_surface", "commit").build(),
        req(3, "wl_compositor", "create_region").uint(22).build(),
        req(22, "wl_region", "add").int(0).int(0).int(32).int(32).build(),
        req(12, "wl_surface", "set_input_region").uint(22).build(),
        req(22, "wl_region", "destroy").build(),
        req(12, "wl_surface", "commit").build(),
        req(5, "xdg_wm_base", "create_positioner").uint(23).build(),
        req(23, "xdg_positioner", "set_size").int(10).int(10).build(),
        req(23, "xdg_positioner", "set_anchor_rect").int(0).int(0).int(1).int(1).build(),
        req(3, "wl_compositor", "create_surface").uint(24).build(),
        req(5, "xdg_wm_base", "get_xdg_surface").uint(25).uint(24).build(),
        req(25, "xdg_surface", "get_popup").uint(26).uint(13).uint(23).build(),
        req(24, "wl_surface", "commit").build(),
        req(7, "wl_data_device_manager", "get_data_device").uint(27).uint(6).build(),
    ])
    .unwrap();
    let serial = s.comp.serial();
    let e = s.comp.event(10, "enter", |b| b.uint(serial).uint(12).array(&[]));
    s.event(e).unwrap();
    let e = s.comp.event(11, "enter", |b| b.uint(serial + 1).uint(12).int(256).int(256));
    s.event(e).unwrap();
    let e = s.comp.event(27, "data_offer", |b| b.uint(SERVER_ID_BASE));
    s.event(e).unwrap();
    let e = s.comp.event(27, "selection", |b| b.uint(SERVER_ID_BASE));
    s.event(e).unwrap();
    s
}

#[test]
fn a_compositor_that_goes_ends_what_cannot_survive_as_the_protocol_allows() {
    let mut s = client();
    s.client.clear();
    s.crash().unwrap();
    assert_eq!(s.client_got(10, ev("wl_keyboard", "leave")).len(), 1, "keyboard left");
    assert_eq!(word(s.client_got(10, ev("wl_keyboard", "leave"))[0], 12), 12);
    assert_eq!(s.client_got(11, ev("wl_pointer", "leave")).len(), 1, "pointer left");
    assert_eq!(s.client_got(11, ev("wl_pointer", "frame")).len(), 1);
    assert_eq!(s.client_got(26, ev("xdg_popup", "popup_done")).len(), 1, "popup dismissed");
    let sel = s.client_got(27, ev("wl_data_device", "selection"));
    assert_eq!((sel.len(), word(sel[0], 8)), (1, 0), "selection withdrawn");
    // The buffer on screen is not released (the next compositor gets it); nothing else came.
    assert!(s.client_got(16, 0).is_empty());
    assert_eq!(s.client.len(), 5, "{:?}", s.client);

    // The dismissed popup and the old offer answer for themselves; ids are deleted.
    s.client.clear();
    let mut f = Vec::new();
    wire::encode::fd_pipe_write(&mut f, 9);
    wire::encode::wayland(
        &mut f,
        &[
            req(SERVER_ID_BASE, "wl_data_offer", "receive").string("text/plain").build(),
            req(SERVER_ID_BASE, "wl_data_offer", "destroy").build(),
            req(26, "xdg_popup", "destroy").build(),
            req(25, "xdg_surface", "destroy").build(),
        ]
        .concat(),
    );
    s.feed(&f).unwrap();
    assert_eq!(s.closed_pipes, [9], "a paste from a dead offer is empty");
    let deleted: Vec<u32> = s.client_got(1, ev("wl_display", "delete_id")).iter().map(|m| word(m, 8)).collect();
    assert_eq!(deleted, [26, 25]);
}

#[test]
fn windows_come_back_with_their_state_and_content_on_a_new_compositor() {
    let mut s = client();
    // The user resized the window: the compositor's last configure gave it 640×480.
    let e = s.comp.event(14, "configure", |b| b.int(640).int(480).array(&[]));
    s.event(e).unwrap();
    let serial = s.comp.serial();
    let e = s.comp.event(13, "configure", |b| b.uint(serial));
    s.event(e).unwrap();
    let old_serials: Vec<u32> = s.client_got(13, ev("xdg_surface", "configure")).iter().map(|m| word(m, 8)).collect();
    s.crash().unwrap();
    // Meanwhile the client retitles the window and draws a new frame (attach and damage were
    // sent before the crash, the commit after: one commit whose halves straddle it).
    let blue: Vec<u8> = [255u8, 0, 0, 255].repeat(64 * 64);
    pool(&mut s, 3, 28, 64 * 64 * 4, &blue);
    s.send(&[
        req(14, "xdg_toplevel", "set_title").string("retitled while away").build(),
        buffer(28, 29, 64, 64),
        req(12, "wl_surface", "attach").uint(29).int(0).int(0).build(),
        req(12, "wl_surface", "damage_buffer").int(0).int(0).int(64).int(64).build(),
        req(12, "wl_surface", "commit").build(),
        req(1, "wl_display", "sync").uint(30).build(),
    ])
    .unwrap();
    assert_eq!(s.client_got(16, ev("wl_buffer", "release")).len(), 1, "the replaced buffer is free again");
    assert!(s.client_got(30, ev("wl_callback", "done")).is_empty(), "a sync waits for the compositor");
    s.client.clear();

    s.restart(AFTER, 500).unwrap();
    assert!(s.conn.restore.is_live());
    let c = &s.comp;
    // Globals re-bound by their new names, at the client's versions; the vanished one not.
    let binds: Vec<(u32, String, u32, u32)> = c
        .named("wl_registry", "bind")
        .iter()
        .filter(|g| s.client_id(g.object()) == 2)
        .map(|g| (g.arg(0), g.string(1), g.arg(2), s.client_id(g.arg(3))))
        .collect();
    assert_eq!(
        binds,
        [
            (63, "wl_compositor".into(), 6, 3),
            (64, "wl_shm".into(), 1, 4),
            (61, "xdg_wm_base".into(), 5, 5),
            (60, "wl_seat".into(), 7, 6),
            (66, "wl_data_device_manager".into(), 3, 7),
            (65, "wl_subcompositor".into(), 1, 8),
        ]
    );
    let removed = s.client_got(2, ev("wl_registry", "global_remove"));
    assert_eq!(removed.iter().map(|m| word(m, 8)).collect::<Vec<_>>(), [8], "wp_viewporter is gone");
    // The new global reaches the client under a name of its own, the privileged one does not.
    let globals = s.client_got(2, ev("wl_registry", "global"));
    assert_eq!(globals.len(), 1);
    assert!(String::from_utf8_lossy(globals[0]).contains("zxdg_output_manager_v1"));
    assert!(word(globals[0], 8) > 8, "a fresh name");
    // The seat's name and the shm formats are not sent twice.
    assert!(s.client_got(6, ev("wl_seat", "name")).is_empty());
    assert!(s.client_got(4, ev("wl_shm", "format")).is_empty());

    // The window: its title (the latest), app id, sizes, then the initial commit, the proxy's
    // ack of the new configure, and the last buffer, drawn from the memory the proxy holds.
    assert!(s.on_compositor(14, "xdg_toplevel") && s.on_compositor(12, "wl_surface"));
    let titles: Vec<String> = c.named("xdg_toplevel", "set_title").iter().map(|g| g.string(0)).collect();
    assert_eq!(titles, ["retitled while away"]);
    assert_eq!(c.named("xdg_toplevel", "set_app_id")[0].string(0), "canopy.test");
    assert_eq!((c.named("xdg_toplevel", "set_min_size")[0].arg(0)), 100);
    assert_eq!(c.named("xdg_surface", "set_window_geometry")[0].arg(2), 64);
    let order: Vec<(&str, u32)> = c
        .got
        .iter()
        .filter(|g| s.client_id(g.object()) == 12 || s.client_id(g.object()) == 13)
        .map(|g| (g.name, s.client_id(g.object())))
        .collect();
    let ack = order.iter().position(|g| g.0 == "ack_configure").expect("acked");
    let commits: Vec<usize> = order.iter().enumerate().filter(|(_, g)| g.0 == "commit").map(|(i, _)| i).collect();
    let attach = order.iter().position(|g| g.0 == "attach").expect("attached");
    assert!(commits[0] < ack && ack < attach && attach < commits[1], "{order:?}");
    let attach = c.named("wl_surface", "attach").into_iter().find(|g| s.client_id(g.object()) == 12).unwrap();
    assert_eq!(s.client_id(attach.arg(0)), 29, "the latest buffer, under the client's id");
    assert!(
        s.on_compositor(29, "wl_buffer") && s.on_compositor(16, "wl_buffer"),
        "both buffers the client holds exist"
    );
    let pools = c.named("wl_shm", "create_pool");
    assert!(pools.iter().all(|p| p.fds == 1));
    assert!(pools.iter().any(|p| s.client_id(p.arg(0)) == 28), "the client's live pool by its id");
    let client_pools = pools.iter().filter(|p| [20, 28].contains(&s.client_id(p.arg(0)))).count();
    assert_eq!((pools.len(), client_pools), (3, 2), "a pool of the proxy's for buffer 16, whose pool is gone");
    // The frame callback asked before the crash, and the sync asked while away, are asked again.
    assert_eq!(c.named("wl_surface", "frame").iter().map(|g| s.client_id(g.arg(0))).collect::<Vec<_>>(), [17]);
    assert_eq!(s.client_got(30, ev("wl_callback", "done")).len(), 1);
    // The subsurface with its position and place, its buffer, and the input region.
    assert!(s.on_compositor(19, "wl_subsurface"));
    assert_eq!(c.named("wl_subsurface", "set_position")[0].arg(1), 12);
    assert_eq!(s.client_id(c.named("wl_subsurface", "place_below")[0].arg(0)), 12);
    assert!(c
        .named("wl_surface", "attach")
        .iter()
        .any(|g| s.client_id(g.object()) == 18 && s.client_id(g.arg(0)) == 21));
    let adds = c.named("wl_region", "add");
    assert_eq!((adds.len(), adds[0].arg(2)), (1, 32));
    assert_eq!(c.named("wl_surface", "set_input_region").len(), 1);
    // Not the popup, nor its xdg_surface.
    assert!(c.named("xdg_surface", "get_popup").is_empty() && !s.on_compositor(25, "xdg_surface"));
    assert!(s.on_compositor(23, "xdg_positioner"), "a positioner is kept for the next popup");

    // The configure reaches the client with a serial above every old one; the client's ack of
    // it was the proxy's already, and a serial from before the crash goes nowhere.
    // The new compositor leaves the size to the client (0×0): the client is told the size it
    // had, so it keeps it.
    let sizes = s.client_got(14, ev("xdg_toplevel", "configure"));
    assert_eq!((word(sizes.last().unwrap(), 8), word(sizes.last().unwrap(), 12)), (640, 480));
    let new = s.client_got(13, ev("xdg_surface", "configure"));
    let client_serial = word(new.last().unwrap(), 8);
    assert!(old_serials.iter().all(|&o| client_serial > o), "{client_serial} {old_serials:?}");
    let before = s.comp.got.len();
    s.send(&[
        req(13, "xdg_surface", "ack_configure").uint(client_serial).build(),
        req(14, "xdg_toplevel", "move").uint(6).uint(old_serials[0]).build(),
        req(13, "xdg_surface", "ack_configure").uint(old_serials[0]).build(),
    ])
    .unwrap();
    assert_eq!(s.comp.got.len(), before, "{:?}", &s.comp.got[before..]);
    // A serial of this compositor goes back as its own.
    let serial = s.comp.serial();
    let pointer = s.conn.restore.client_ids.to_compositor(11).unwrap();
    let e = s.comp.event(pointer, "button", |b| b.uint(serial).uint(7).uint(272).uint(1));
    s.event(e).unwrap();
    let seen = word(s.client_got(11, ev("wl_pointer", "button")).last().unwrap(), 8);
    s.send(&[req(14, "xdg_toplevel", "move").uint(6).uint(seen).build()]).unwrap();
    assert_eq!(s.comp.named("xdg_toplevel", "move")[0].arg(1), serial);
}

#[test]
fn offers_of_a_new_compositor_do_not_collide_with_old_ones() {
    let mut s = client();
    s.crash().unwrap();
    s.restart(AFTER, 1).unwrap();
    // The client still holds the old offer at SERVER_ID_BASE; the new one gets another id,
    // and requests on it go back to the compositor's id.
    let device = s.conn.restore.client_ids.to_compositor(27).unwrap();
    let e = s.comp.event(device, "data_offer", |b| b.uint(SERVER_ID_BASE));
    s.event(e).unwrap();
    let offer = word(s.client_got(27, ev("wl_data_device", "data_offer")).last().unwrap(), 8);
    assert_ne!(offer, SERVER_ID_BASE);
    assert!(offer > SERVER_ID_BASE);
    s.send(&[req(offer, "wl_data_offer", "destroy").build()]).unwrap();
    assert_eq!(s.comp.named("wl_data_offer", "destroy")[0].object(), SERVER_ID_BASE);
    // The old one is answered by the proxy.
    let before = s.comp.got.len();
    s.send(&[req(SERVER_ID_BASE, "wl_data_offer", "destroy").build()]).unwrap();
    assert_eq!(s.comp.got.len(), before);
}

#[test]
fn three_crashes_in_a_row_and_one_during_a_restore() {
    let mut s = client();
    for (round, first_serial) in [(0, 100), (1, 7), (2, 3000)] {
        s.crash().unwrap();
        if round == 1 {
            // The next compositor dies in the middle of the restore.
            s.comp = crate::gui::fake_compositor::FakeCompositor::new(AFTER, 1);
            s.conn.reconnected(&mut s.out);
            let replies = s.comp.take(&mut s.out);
            for r in replies {
                s.conn.wayland(&r, &mut Default::default(), &mut s.out).unwrap();
            }
            assert!(s.conn.restore.is_restoring());
            s.crash().unwrap();
        }
        s.restart(if round % 2 == 0 { AFTER } else { BEFORE }, first_serial).unwrap();
        assert!(s.conn.restore.is_live(), "round {round}");
        let c = &s.comp;
        assert_eq!(c.named("xdg_toplevel", "set_title")[0].string(0), "restored window");
        assert!(c
            .named("wl_surface", "attach")
            .iter()
            .any(|g| s.client_id(g.object()) == 12 && s.client_id(g.arg(0)) == 16));
        assert_eq!(c.named("xdg_surface", "ack_configure").len(), 1);
    }
    assert_eq!(s.conn.restore.restores, 4);
}

#[test]
fn a_client_the_compositor_ended_is_not_restored() {
    let mut s = client();
    s.event(Builder::new(1, 0).uint(12).uint(0).string("you broke a rule").build()).unwrap();
    assert!(matches!(s.crash(), Err(End::WaylandClosed)));
}

#[test]
fn a_new_popup_while_away_is_dismissed_and_a_stale_grab_ends_one() {
    let mut s = client();
    s.crash().unwrap();
    s.send(&[
        req(3, "wl_compositor", "create_surface").uint(40).build(),
        req(5, "xdg_wm_base", "get_xdg_surface").uint(41).uint(40).build(),
        req(41, "xdg_surface", "get_popup").uint(42).uint(13).uint(23).build(),
    ])
    .unwrap();
    assert_eq!(s.client_got(42, ev("xdg_popup", "popup_done")).len(), 1);
    s.restart(AFTER, 9).unwrap();
    assert!(!s.on_compositor(41, "xdg_surface") && s.on_compositor(40, "wl_surface"));
    // After the restore, a popup grabbed with a serial from before the crash is dismissed
    // and the grab is not passed on.
    s.send(&[
        req(3, "wl_compositor", "create_surface").uint(43).build(),
        req(5, "xdg_wm_base", "get_xdg_surface").uint(44).uint(43).build(),
        req(44, "xdg_surface", "get_popup").uint(45).uint(13).uint(23).build(),
        req(45, "xdg_popup", "grab").uint(6).uint(2).build(),
    ])
    .unwrap();
    assert!(s.on_compositor(45, "xdg_popup"));
    assert!(s.comp.named("xdg_popup", "grab").is_empty());
    assert_eq!(s.client_got(45, ev("xdg_popup", "popup_done")).len(), 1);
}

#[test]
fn a_selection_set_with_an_old_serial_is_cancelled() {
    let mut s = client();
    s.send(&[req(7, "wl_data_device_manager", "create_data_source").uint(28).build()]).unwrap();
    s.send(&[req(28, "wl_data_source", "offer").string("text/plain").build()]).unwrap();
    s.crash().unwrap();
    s.restart(AFTER, 1).unwrap();
    assert_eq!(s.comp.named("wl_data_source", "offer").len(), 1, "an unused source is made again");
    s.send(&[req(27, "wl_data_device", "set_selection").uint(28).uint(3).build()]).unwrap();
    assert!(s.comp.named("wl_data_device", "set_selection").is_empty());
    assert_eq!(s.client_got(28, ev("wl_data_source", "cancelled")).len(), 1);
}

#[test]
fn a_client_that_arrives_while_the_compositor_is_away_waits_for_the_next_one() {
    let mut s = Session::new(Limits::default(), BEFORE);
    s.conn.start_away();
    s.send(&[req(1, "wl_display", "get_registry").uint(2).build(), req(1, "wl_display", "sync").uint(3).build()])
        .unwrap();
    assert!(s.client.is_empty(), "no globals and no answer before there is a compositor");
    s.restart(AFTER, 1).unwrap();
    // Its registry shows the new compositor's globals a VM may see, then its sync is answered.
    let globals = s.client_got(2, ev("wl_registry", "global"));
    assert_eq!(globals.len(), 7, "all but the layer shell");
    let done = s.client.iter().position(|m| word(m, 0) == 3).expect("the sync answered");
    let last_global = s.client.iter().rposition(|m| word(m, 0) == 2).unwrap();
    assert!(last_global < done);
}

#[test]
fn ids_in_the_proxys_range_are_refused() {
    let mut s = Session::new(Limits::default(), BEFORE);
    let r = s.send(&[req(1, "wl_display", "sync").uint(super::ids::PROXY_ID_BASE).build()]);
    assert!(matches!(r, Err(End::Violation(v)) if v.contains("proxy's own range")));
}

#[test]
fn the_restore_is_checked_like_the_live_path() {
    use super::verify::Verifier;
    let limits = Limits { max_buffer_side: 100, max_region_rects: 1, ..Limits::default() };
    let mut v = Verifier::new(&limits, 0);
    let mut ids = super::ids::ClientIds::default();
    let globals = [(3u32, (interface("wl_shm").unwrap(), 1u32)), (9, (interface("wl_compositor").unwrap(), 6))];
    let bind = |name: u32, iface: &str, ver: u32, id: u32| {
        req(2, "wl_registry", "bind").uint(name).string(iface).uint(ver).uint(id).build()
    };
    v.check(&req(1, "wl_display", "get_registry").uint(2).build(), 0, &mut ids).unwrap();
    v.set_globals(&globals.into_iter().collect());
    let mut check = |msg: Vec<u8>, fds: usize| v.check(&msg, fds, &mut ids).map(|_| ());
    assert!(check(bind(7, "zwlr_layer_shell_v1", 1, 3), 0).unwrap_err().contains("never advertised"));
    assert!(check(bind(3, "wl_shm", 2, 3), 0).is_err(), "above the offered version");
    check(bind(3, "wl_shm", 1, 3), 0).unwrap();
    check(bind(9, "wl_compositor", 6, 4), 0).unwrap();
    assert!(check(req(3, "wl_shm", "create_pool").uint(5).int(4096).build(), 0).is_err(), "no fd");
    check(req(3, "wl_shm", "create_pool").uint(5).int(4096).build(), 1).unwrap();
    assert!(check(buffer(5, 6, 64, 64), 0).unwrap_err().contains("beyond its pool"));
    assert!(check(buffer(5, 6, 200, 1), 0).unwrap_err().contains("limit 100"));
    check(req(4, "wl_compositor", "create_region").uint(7).build(), 0).unwrap();
    check(req(7, "wl_region", "add").int(0).int(0).int(1).int(1).build(), 0).unwrap();
    assert!(check(req(7, "wl_region", "add").int(0).int(0).int(1).int(1).build(), 0).is_err());
    assert!(check(req(99, "wl_surface", "commit").build(), 0).unwrap_err().contains("unknown object"));
}

#[test]
fn restore_seeds_are_read_as_intended_and_mutations_never_fail_a_restore() {
    use crate::gui::fuzzing::restore_after_crash;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/gui_restore");
    let _ = tracing_subscriber::fmt().with_max_level(tracing::Level::DEBUG).with_test_writer().try_init();
    let seed = |name: &str| std::fs::read(dir.join(name)).unwrap();
    for name in ["window", "window_all_away"] {
        let s = restore_after_crash(&seed(name)).unwrap_or_else(|| panic!("seed {name} refused"));
        let c = &s.comp;
        assert_eq!(c.named("xdg_toplevel", "set_title")[0].string(0), "seed window", "{name}");
        assert!(
            c.named("wl_surface", "attach").iter().any(|g| s.client_id(g.object()) == 6 && s.client_id(g.arg(0)) == 10),
            "{name}"
        );
        assert_eq!(c.named("wl_surface", "frame").len(), 1, "{name}");
    }
    let s = restore_after_crash(&seed("subsurface_region")).expect("accepted");
    assert!(s.on_compositor(7, "wl_subsurface") && s.comp.named("wl_region", "add").len() == 1);
    let s = restore_after_crash(&seed("seat_popup")).expect("accepted");
    assert!(s.on_compositor(10, "xdg_toplevel") && !s.on_compositor(14, "xdg_popup"));
    let s = restore_after_crash(&seed("data")).expect("accepted");
    assert!(s.on_compositor(6, "wl_data_source") && s.comp.named("wl_data_device", "set_selection").is_empty());
    let s = restore_after_crash(&seed("viewport")).expect("accepted");
    assert!(s.on_compositor(5, "wl_surface") && s.comp.named("wp_viewporter", "get_viewport").is_empty());
    crate::gui::fuzzing::mutations(&dir, 0x2545_f491_4f6c_dd1d, 1500, |m| {
        restore_after_crash(m);
    });
}

/// What keeping a client restorable costs per object beyond the live path's map entry (72
/// bytes before restores existed): records are out of line, so the entry grows by 8 bytes.
#[test]
fn an_object_entry_stays_small() {
    assert!(std::mem::size_of::<crate::wayland::objects::Object<super::model::GuiObj>>() <= 80);
}
