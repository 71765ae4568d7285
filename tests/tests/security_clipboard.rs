//! Clipboards across VM boundaries, with VMs behind the real proxy: copy and paste inside a VM
//! just works, another VM never sees the offer, and crossing VMs goes through the global
//! clipboard (Ctrl+Shift+C, Ctrl+Shift+V), checked by the policy, once.

#[path = "proxy_support/mod.rs"]
mod proxy_support;

use canopy_ipc::Window;
use canopy_tests::image::assert_golden;
use canopy_tests::{Client, Compositor};
use proxy_support::{open_test_client, Vm};

fn config(extra: &str) -> String {
    format!("idle_lock_seconds = 0\n[vms.vm-a]\ntrust = \"work\"\n[vms.vm-b]\ntrust = \"untrusted\"\n{extra}")
}

fn focus(c: &Compositor, w: &Window) {
    c.msg(&["focus", &w.id.to_string()]);
}

/// F5 makes the test client paste; returns what it got.
fn paste(c: &Compositor, client: &mut Client) -> Option<String> {
    let mark = client.mark();
    c.msg(&["key", "F5"]);
    let v = client.wait_event_since(mark, "pasted");
    v["text"].as_str().map(str::to_string)
}

/// F6 makes the test client copy; returns once the compositor has taken the selection (the
/// client is offered its own data back).
fn copy(c: &Compositor, client: &mut Client) {
    let mark = client.mark();
    c.msg(&["key", "F6"]);
    client.wait_event_since(mark, "copied");
    let mut from = mark;
    loop {
        let e = client.wait_event_since(from, "selection");
        if e["mime_types"].is_array() {
            break;
        }
        from = client.mark();
    }
}

/// Ctrl+Shift+C, and wait until the compositor has the bytes (they come through the proxy).
fn global_copy(c: &Compositor) {
    let before = c.log().matches("to the global clipboard").count();
    c.msg(&["key", "ctrl+shift+c"]);
    c.wait_until("the copy into the global clipboard", || c.log().matches("to the global clipboard").count() > before);
}

struct Scene {
    c: Compositor,
    _a: Vm,
    _b: Vm,
    a1: (Client, Window),
    a2: (Client, Window),
    b1: (Client, Window),
}

fn scene(extra: &str, a1_text: &str) -> Scene {
    let c = Compositor::start(&config(extra));
    let a = Vm::start(&c, "vm-a");
    let b = Vm::start(&c, "vm-b");
    let a1 = open_test_client(&c, &a, &["--title", "A1", "--copy", a1_text]);
    let a2 = open_test_client(&c, &a, &["--title", "A2"]);
    let b1 = open_test_client(&c, &b, &["--title", "B1", "--copy", "from B"]);
    Scene { c, _a: a, _b: b, a1, a2, b1 }
}

#[test]
fn copy_and_paste_within_a_vm_and_not_across() {
    let mut s = scene("", "hello from A1");
    focus(&s.c, &s.a1.1);
    copy(&s.c, &mut s.a1.0);
    focus(&s.c, &s.a2.1);
    s.a2.0.wait_event("selection", |e| e["mime_types"].is_array());
    assert_eq!(paste(&s.c, &mut s.a2.0).as_deref(), Some("hello from A1"), "copy and paste inside vm-a");

    focus(&s.c, &s.b1.1);
    assert_eq!(paste(&s.c, &mut s.b1.0), None, "vm-b must not get vm-a's clipboard");
    s.b1.0.roundtrip();
    assert!(
        !s.b1.0.events().iter().any(|e| e["event"] == "selection" && e["mime_types"].is_array()),
        "vm-b was offered a selection: {:?}",
        s.b1.0.events()
    );

    // vm-b copies its own; vm-a's windows no longer get an offer.
    copy(&s.c, &mut s.b1.0);
    focus(&s.c, &s.a2.1);
    // A2 may still hold its stale offer of A1's copy, whose source is gone: it reads nothing.
    let got = paste(&s.c, &mut s.a2.0).unwrap_or_default();
    assert!(got.is_empty(), "vm-a must not get vm-b's clipboard, got {got:?}");
}

#[test]
fn global_clipboard_crosses_once_when_allowed() {
    let mut s = scene("", "secret-ish text");
    focus(&s.c, &s.a1.1);
    copy(&s.c, &mut s.a1.0);
    global_copy(&s.c);
    let img = s.c.screenshot();
    assert_golden("notice-copied", &img.crop(0, 0, img.width, 120), 0, 0);

    focus(&s.c, &s.b1.1);
    assert_eq!(paste(&s.c, &mut s.b1.0), None, "nothing crosses before Ctrl+Shift+V");
    let is_v = |e: &serde_json::Value| e["event"] == "key" && (e["keysym"] == 0x56u64 || e["keysym"] == 0x76u64);
    let mark = s.b1.0.mark();
    s.c.msg(&["key", "ctrl+shift+v"]);
    // The offer first, then the press itself (for an app whose own paste key it is).
    s.b1.0.wait_event("key", is_v);
    let events = s.b1.0.events()[mark..].to_vec();
    let offered = events.iter().position(|e| e["event"] == "selection" && e["mime_types"].is_array());
    let pressed = events.iter().position(is_v);
    assert!(offered.is_some() && offered < pressed, "the offer, then the key: {events:?}");
    assert_eq!(paste(&s.c, &mut s.b1.0).as_deref(), Some("secret-ish text"));
    // Once: the offer is withdrawn (sctk drops it without telling the client) and the global
    // clipboard is empty.
    assert_eq!(paste(&s.c, &mut s.b1.0), None);
    s.c.msg(&["key", "ctrl+shift+v"]);
    s.c.wait_until("the empty-clipboard notice", || s.c.log().contains("The global clipboard is empty"));
    // With nothing to offer the press goes on too (a terminal pastes its own VM's clipboard
    // with it), and nothing crosses.
    s.b1.0.roundtrip();
    assert_eq!(s.b1.0.events().iter().filter(|e| is_v(e)).count(), 2, "{:?}", s.b1.0.events());
    assert_eq!(paste(&s.c, &mut s.b1.0), None);
}

#[test]
fn policy_deny_and_ask() {
    let rules = "[clipboard]\nrules = [\n  { from = \"vm-a\", to = \"vm-b\", action = \"deny\" },\n  { from = \"vm-b\", to = \"vm-a\", action = \"ask\" },\n]\n";
    let mut s = scene(rules, "not for vm-b");
    focus(&s.c, &s.a1.1);
    copy(&s.c, &mut s.a1.0);
    global_copy(&s.c);
    focus(&s.c, &s.b1.1);
    s.c.msg(&["key", "ctrl+shift+v"]);
    s.c.wait_until("the refusal", || {
        s.c.log().contains("Paste refused: the policy does not let [vm-a] paste into [vm-b]")
    });
    assert_eq!(paste(&s.c, &mut s.b1.0), None);
    let img = s.c.screenshot();
    assert_golden("notice-refused", &img.crop(0, 0, img.width, 120), 0, 0);

    // vm-b → vm-a asks: the first Ctrl+Shift+V only asks, the second pastes.
    copy(&s.c, &mut s.b1.0);
    global_copy(&s.c);
    assert!(s.c.log().contains("from [vm-b] to the global clipboard"));
    focus(&s.c, &s.a2.1);
    s.c.msg(&["key", "ctrl+shift+v"]);
    s.c.wait_until("the question", || s.c.log().contains("Press Ctrl+Shift+V again to confirm"));
    assert_eq!(paste(&s.c, &mut s.a2.0), None, "asking is not pasting");
    s.c.msg(&["key", "ctrl+shift+v"]);
    s.a2.0.wait_event("selection", |e| e["mime_types"].is_array());
    assert_eq!(paste(&s.c, &mut s.a2.0).as_deref(), Some("from B"));
}

#[test]
fn size_limit_and_mime_filter() {
    let mut s = scene("[clipboard]\nmax_bytes = 16\n", "this text is longer than sixteen bytes");
    focus(&s.c, &s.a1.1);
    copy(&s.c, &mut s.a1.0);
    s.c.msg(&["key", "ctrl+shift+c"]);
    s.c.wait_until("the size refusal", || s.c.log().contains("is larger than the limit of 16 bytes"));
    focus(&s.c, &s.b1.1);
    s.c.msg(&["key", "ctrl+shift+v"]);
    s.c.wait_until("nothing to paste", || s.c.log().contains("The global clipboard is empty"));
    assert_eq!(paste(&s.c, &mut s.b1.0), None);

    // An image may not cross with the default (text only) policy…
    let c = &s.c;
    let a = Vm::start(c, "vm-c");
    let (mut img_client, img_win) = open_test_client(c, &a, &["--copy", "PNG...", "--copy-mime", "image/png"]);
    focus(c, &img_win);
    copy(c, &mut img_client);
    c.msg(&["key", "ctrl+shift+c"]);
    c.wait_until("the type refusal", || c.log().contains("holds no type that may cross VMs"));

    // …but may when the config allows images.
    let mut s2 = scene("[clipboard]\nmime_types = [\"image/png\", \"text/plain\"]\n", "x");
    let vm = Vm::start(&s2.c, "vm-c");
    let (mut cl, w) = open_test_client(&s2.c, &vm, &["--copy", "PNG...", "--copy-mime", "image/png"]);
    focus(&s2.c, &w);
    copy(&s2.c, &mut cl);
    s2.c.msg(&["key", "ctrl+shift+c"]);
    cl.wait_event("send-request", |e| e["mime"] == "image/png");
    s2.c.wait_until("copied", || s2.c.log().contains("Copied 6 bytes from [vm-c]"));
    focus(&s2.c, &s2.b1.1);
    s2.c.msg(&["key", "ctrl+shift+v"]);
    s2.b1.0.wait_event("selection", |e| e["mime_types"] == serde_json::json!(["image/png"]));
}

#[test]
fn a_local_client_takes_part_like_a_vm() {
    let mut s = scene("", "from a VM to the desktop");
    let (mut local, lw) = s.c.open(None, &["--title", "local", "--copy", "local text"]);
    focus(&s.c, &lw);
    copy(&s.c, &mut local);
    focus(&s.c, &s.a1.1);
    assert_eq!(paste(&s.c, &mut s.a1.0), None, "a VM never sees the desktop's own clipboard");
    copy(&s.c, &mut s.a1.0);
    global_copy(&s.c);
    focus(&s.c, &lw);
    s.c.msg(&["key", "ctrl+shift+v"]);
    local.wait_event("selection", |e| e["mime_types"].is_array());
    assert_eq!(paste(&s.c, &mut local).as_deref(), Some("from a VM to the desktop"));
}

#[test]
fn a_client_pastes_its_own_copy() {
    let mut s = scene("", "x");
    focus(&s.c, &s.b1.1);
    copy(&s.c, &mut s.b1.0);
    assert_eq!(paste(&s.c, &mut s.b1.0).as_deref(), Some("from B"));
}
