//! Drag-and-drop across VM boundaries, with VMs behind the real proxy: a drag works within its
//! domain as on any desktop; a VM of another domain that reads every offer on enter never gets
//! one while the drag passes over it; a drop onto it goes through the clipboard policy (allow,
//! deny, ask with the compositor's confirmation), size limit and MIME filter, with a notice.

#[path = "proxy_support/mod.rs"]
mod proxy_support;

use canopy_ipc::Window;
use canopy_tests::image::assert_golden;
use canopy_tests::{Client, Compositor};
use proxy_support::{open_test_client, Vm};
use serde_json::Value;

const VMS: &str = "idle_lock_seconds = 0\n[vms.vm-a]\ntrust = \"work\"\n[vms.vm-b]\ntrust = \"untrusted\"\n";

fn id(w: &Window) -> String {
    w.id.to_string()
}

/// Put a window's client area at (x, y).
fn place(c: &Compositor, w: &Window, x: i32, y: i32) {
    c.msg(&["move", &id(w), &x.to_string(), &y.to_string()]);
}

/// The policy of the running compositor, by reloading its config.
fn set_policy(c: &Compositor, clipboard: &str) {
    std::fs::write(c.runtime_dir().join("canopy.toml"), format!("{VMS}[clipboard]\n{clipboard}\n")).unwrap();
    c.msg(&["reload-config"]);
}

/// Press the left button at (x, y) in a window that starts a drag there, and wait until the
/// compositor holds the drag.
fn start_drag(c: &Compositor, source: &mut Client, x: i32, y: i32) {
    let before = c.log().matches("drag started").count();
    c.msg(&["pointer-move", &x.to_string(), &y.to_string()]);
    let mark = source.mark();
    c.msg(&["button-down"]);
    source.wait_event_since(mark, "drag-started");
    c.wait_until("the compositor to take the drag", || c.log().matches("drag started").count() > before);
}

/// Move the pointer in a few steps, as a hand does.
fn drag_to(c: &Compositor, x: i32, y: i32) {
    c.msg(&["pointer-move", &(x - 7).to_string(), &(y - 3).to_string()]);
    c.msg(&["pointer-move", &x.to_string(), &y.to_string()]);
}

fn never_offered(client: &mut Client) {
    let offered: Vec<&Value> =
        client.events().iter().filter(|e| e["event"] == "dnd-enter" || e["event"] == "offer-read").collect();
    assert!(offered.is_empty(), "the VM outside the drag's domain was offered it: {offered:?}");
}

fn log_count(c: &Compositor, text: &str) -> usize {
    c.log().matches(text).count()
}

struct Scene {
    c: Compositor,
    a: Vm,
    _b: Vm,
    a1: Client,
    a2: Client,
    b: Client,
}

/// vm-a: A1 drags "hello from A1" from (60, 180), A2 takes drops at (460, 180). vm-b: B reads
/// every offer it sees, at (860, 180). Their title bars stay clear of the notices at the top.
fn scene() -> Scene {
    let c = Compositor::start(VMS);
    let a = Vm::start(&c, "vm-a");
    let b = Vm::start(&c, "vm-b");
    let (a1, w1) = open_test_client(&c, &a, &["--title", "A1", "--drag", "hello from A1", "--custom-cursor"]);
    let (a2, w2) = open_test_client(&c, &a, &["--title", "A2"]);
    let (b1, wb) = open_test_client(&c, &b, &["--title", "B", "--read-offers", "--color", "c62828"]);
    place(&c, &w1, 20, 140);
    place(&c, &w2, 400, 140);
    place(&c, &wb, 780, 140);
    Scene { c, a, _b: b, a1, a2, b: b1 }
}

#[test]
fn within_a_domain_a_drag_works_and_no_other_domain_hears_of_it() {
    let mut s = scene();
    let c = &s.c;
    // Over B (another VM) on the way, then dropped on A2 (the same VM).
    start_drag(c, &mut s.a1, 60, 180);
    // A1's own cursor image does not travel with the drag over other windows.
    assert!(s.a1.events().iter().any(|e| e["event"] == "cursor-set"));
    assert_eq!(c.cursor().image, canopy_ipc::CursorImage::Default);
    drag_to(c, 860, 180);
    drag_to(c, 900, 230);
    drag_to(c, 460, 180);
    s.a2.wait_event("dnd-enter", |e| e["mime_types"].as_array().is_some_and(|m| !m.is_empty()));
    // The source hears the action the target chose: the target has answered, a drop now counts.
    s.a1.wait_event("drag-action", |e| e["action"] == "copy");
    c.msg(&["button-up"]);
    let got = s.a2.wait_event("dropped", |_| true);
    assert_eq!(got["text"], "hello from A1");
    s.a1.wait_event("drag-finished", |_| true);
    s.b.roundtrip();
    never_offered(&mut s.b);

    // A drag of the desktop's own (local) clients: same rule, local is a domain too.
    let (mut l1, wl1) = s.c.open(None, &["--title", "L1", "--drag", "local text"]);
    let (mut l2, wl2) = s.c.open(None, &["--title", "L2"]);
    let c = &s.c;
    place(c, &wl1, 20, 460);
    place(c, &wl2, 400, 460);
    start_drag(c, &mut l1, 60, 500);
    drag_to(c, 860, 180);
    drag_to(c, 460, 500);
    l1.wait_event("drag-action", |e| e["action"] == "copy");
    c.msg(&["button-up"]);
    assert_eq!(l2.wait_event("dropped", |_| true)["text"], "local text");
    s.b.roundtrip();
    never_offered(&mut s.b);

    // Allowed (the default policy): passing over B gives it nothing; dropping on it is a
    // cross-VM transfer, offered by the compositor only after the drop, once.
    start_drag(c, &mut s.a1, 60, 180);
    drag_to(c, 860, 180);
    drag_to(c, 900, 200);
    c.msg(&["button-up"]);
    let got = s.b.wait_event("dropped", |_| true);
    assert_eq!(got["text"], "hello from A1");
    c.wait_until("the notice", || c.log().contains("Dropped 13 bytes from [vm-a] into [vm-b]"));
    assert!(c.log().contains("dropped across VMs"), "the transfer is logged");
    // B read on enter, as it does with every offer: before the drop there was nothing to read.
    for e in s.b.events().iter().filter(|e| e["event"] == "offer-read") {
        assert_eq!(e["bytes"], 0, "the target read the drop before it was made: {e}");
    }
    s.a1.wait_event("drag-finished", |_| true);

    // Ask: nothing reaches B until the user confirms with Ctrl+Shift+V.
    set_policy(c, "rules = [{ from = \"vm-a\", to = \"vm-b\", action = \"ask\" }]");
    let dropped_before = s.b.events().iter().filter(|e| e["event"] == "dropped").count();
    let b_mark = s.b.mark();
    start_drag(c, &mut s.a1, 60, 180);
    drag_to(c, 860, 210);
    c.msg(&["button-up"]);
    c.wait_until("the question", || {
        c.log().contains("Drop 13 bytes from [vm-a] into [vm-b]? Press Ctrl+Shift+V to confirm")
    });
    s.b.roundtrip();
    assert!(
        !s.b.events()[b_mark..].iter().any(|e| e["event"] == "dnd-enter"),
        "asking is not dropping: {:?}",
        &s.b.events()[b_mark..]
    );
    c.msg(&["key", "ctrl+shift+v"]);
    s.b.wait_event_since(b_mark, "dropped");
    let dropped: Vec<&Value> = s.b.events().iter().filter(|e| e["event"] == "dropped").collect();
    assert_eq!(dropped.len(), dropped_before + 1);
    assert_eq!(dropped.last().unwrap()["text"], "hello from A1");
}

#[test]
fn a_denied_oversized_or_untyped_drop_delivers_nothing_and_says_so() {
    let mut s = scene();
    let c = &s.c;
    set_policy(c, "rules = [{ from = \"vm-a\", to = \"vm-b\", action = \"deny\" }]");
    start_drag(c, &mut s.a1, 60, 180);
    drag_to(c, 860, 180);
    let before = log_count(c, "Drop refused");
    c.msg(&["button-up"]);
    c.wait_until("the refusal", || log_count(c, "Drop refused") > before);
    assert!(c.log().contains("Drop refused: the policy does not let [vm-a] drop into [vm-b]"));
    assert!(c.log().contains("drop refused by policy"), "the refusal is logged");
    s.a1.wait_event("drag-cancelled", |_| true);
    assert!(!s.a1.events().iter().any(|e| e["event"] == "drag-send"), "a denied drop reads nothing from its source");
    let img = c.screenshot();
    assert_golden("notice-drop-refused", &img.crop(0, 0, img.width, 60), 0, 0);
    s.b.roundtrip();
    never_offered(&mut s.b);

    // Allowed, but 5 000 000 bytes against the 64 KiB limit.
    set_policy(c, "");
    let vm = &s.a;
    let (mut big, wbig) = open_test_client(c, vm, &["--title", "big", "--drag", "x", "--drag-bytes", "5000000"]);
    place(c, &wbig, 20, 460);
    start_drag(c, &mut big, 60, 500);
    drag_to(c, 860, 190);
    c.msg(&["button-up"]);
    c.wait_until("the size refusal", || {
        c.log().contains("Nothing dropped: the drag from [vm-a] is larger than the limit of 64.0 KiB")
    });
    big.wait_event("drag-cancelled", |_| true);

    // A type the policy does not let cross (text only by default).
    let (mut png, wpng) = open_test_client(c, vm, &["--title", "png", "--drag", "PNG", "--copy-mime", "image/png"]);
    place(c, &wpng, 400, 460);
    start_drag(c, &mut png, 440, 500);
    drag_to(c, 860, 200);
    c.msg(&["button-up"]);
    c.wait_until("the type refusal", || c.log().contains("holds no type that may cross VMs"));
    png.wait_event("drag-cancelled", |_| true);
    s.b.roundtrip();
    never_offered(&mut s.b);
    // And inside vm-a, the same image drag is fine.
    start_drag(c, &mut png, 440, 500);
    drag_to(c, 460, 180);
    c.msg(&["button-up"]);
    s.a2.wait_event("dnd-enter", |e| e["mime_types"] == serde_json::json!(["image/png"]));
    s.a2.wait_event("dnd-leave", |_| true);
}
