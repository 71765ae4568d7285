//! Who gets the keyboard, against a hostile VM behind the real proxy (issue 12, attacks 1–3):
//! a VM that grabs the keyboard with an invisible popup the moment it has focus (before or
//! after the lock) never sees what is typed at the real canopy-lock; a VM window that goes
//! away (closed, hidden, minimised) while the screen is locked does not take the lock's
//! keyboard with it; and a VM mapping (or mapping again) a window never takes the keys the
//! user is typing into another VM's window. Locking cancels a screenshot region being picked
//! (its overlay takes every key). An activation token works only for the VM it was made for,
//! once, and not after the user pressed a key or button elsewhere. The lock reports keys as the
//! dots it draws, our test clients as the key events they print.

#[path = "proxy_support/mod.rs"]
mod proxy_support;
#[path = "shell_support/mod.rs"]
mod shell_support;

use canopy_ipc::Window;
use canopy_tests::fixture::geometry;
use canopy_tests::{bin_path, Client, Compositor};
use proxy_support::{open_client, open_hostile, Vm};
use shell_support::lock::{covered, dots, test_account, PASSWORD, SERVICE, USER};
use shell_support::Desktop;

fn keys(c: &mut Client, since: usize) -> Vec<String> {
    c.events()[since..]
        .iter()
        .filter(|e| e["event"] == "key")
        .map(|e| e["utf8"].as_str().unwrap_or("").into())
        .collect()
}

fn click(c: &Compositor, x: i32, y: i32) {
    c.msg(&["pointer-move", &x.to_string(), &y.to_string()]);
    c.msg(&["click"]);
}

/// Click the middle of a window's client area.
fn click_window(c: &Compositor, w: &Window) {
    let (x, y, width, height) = geometry(w);
    click(c, x + width / 2, y + height / 2);
}

/// Types `text` at the lock screen and waits until it shows `expect` dots.
fn type_at_lock(d: &Desktop, text: &str, expect: usize) {
    d.compositor.msg(&["type", text]);
    d.wait_until(&format!("{expect} dots on the lock screen"), || dots(&d.compositor.screenshot()) == expect);
}

/// Empties the password field, types the password and waits for the lock to go.
fn unlock(d: &mut Desktop, typed: usize) {
    for _ in 0..typed {
        d.compositor.msg(&["key", "BackSpace"]);
    }
    d.wait_until("an empty field", || dots(&d.compositor.screenshot()) == 0);
    d.compositor.msg(&["type", PASSWORD]);
    d.compositor.msg(&["key", "Return"]);
    d.wait_exit("canopy-lock");
    d.wait_until("the desktop again", || !covered(&d.compositor.screenshot()));
}

fn lock_command() -> String {
    format!("{} --pam-service {SERVICE} --user {USER}", bin_path("canopy-lock").display())
}

/// Lock with the power menu's Lock button, as the user would.
fn lock_with_the_button(d: &mut Desktop) {
    d.run("canopy-power-menu", &["--output", "HEADLESS-1", "--lock", &lock_command()]);
    let bg = canopy_tests::fixture::rgb(shell_support::theme().desktop.background);
    d.wait_until("the power menu", || d.compositor.screenshot().pixel(5, 795) != bg);
    // Lock is the first of five buttons in a row centred on the output.
    d.click_at(424.0, 400.0, None);
    d.wait_until("the lock screen", || covered(&d.compositor.screenshot()));
}

fn lock_directly(d: &mut Desktop) {
    d.run("canopy-lock", &["--pam-service", SERVICE, "--user", USER]);
    d.wait_until("the lock screen", || covered(&d.compositor.screenshot()));
}

#[test]
fn keys_typed_at_the_lock_never_reach_a_vm_that_grabbed_the_keyboard() {
    test_account();
    let mut d = Desktop::start(&[]);
    let evil_vm = Vm::start(&d.compositor, "web");
    let c = &d.compositor;
    // The VM grabs the keyboard with an invisible 1x1 popup as soon as it has focus.
    let (mut evil, w) = open_hostile(c, &evil_vm, &["--grab-on-focus", "--title", "evil"]);
    click_window(c, &w);
    evil.wait_event("keyboard-enter", |e| e["surface"] == "popup");

    // Locked with the Lock button: the grab ends and the popup is dismissed.
    let mark = evil.mark();
    lock_with_the_button(&mut d);
    evil.wait_event_since(mark, "popup-done");
    type_at_lock(&d, "secret", 6);
    // A click on the lock screen, and more typing: still the lock's.
    d.click_at(640.0, 300.0, None);
    type_at_lock(&d, "xy", 8);
    assert_eq!(keys(&mut evil, mark), Vec::<String>::new(), "the VM saw keys typed at the lock screen");
    unlock(&mut d, 8);
    // After unlock its window has the keyboard again (the user had chosen it).
    evil.wait_event_since(mark, "keyboard-enter");

    // Variation: the VM grabs after the lock, with the serial of its last keyboard enter.
    let c = &d.compositor;
    let (mut late, w) = open_hostile(c, &evil_vm, &["--grab-on-leave", "--title", "late"]);
    click_window(c, &w);
    late.wait_event("keyboard-enter", |e| e["surface"] == "window");
    let mark = late.mark();
    lock_directly(&mut d);
    late.wait_event_since(mark, "popup-grab");
    late.wait_event_since(mark, "popup-done");
    type_at_lock(&d, "hunter2", 7);
    assert_eq!(keys(&mut late, mark), Vec::<String>::new(), "a grab made after the lock took keys");
    assert_eq!(keys(&mut evil, mark), Vec::<String>::new());
    unlock(&mut d, 7);
}

#[test]
fn the_lock_keeps_the_keyboard_when_the_focused_window_goes() {
    test_account();
    let mut d = Desktop::start(&[]);
    let vm = Vm::start(&d.compositor, "web");
    // The only window closes, hides itself (a null buffer) or is minimised while locked.
    for how in ["close", "unmap", "minimise"] {
        let c = &d.compositor;
        let (mut client, w) = open_hostile(c, &vm, &["--title", how]);
        click_window(c, &w);
        client.wait_event("keyboard-enter", |_| true);
        lock_directly(&mut d);
        match how {
            "close" => client.kill(),
            other => client.send(other),
        }
        let c = &d.compositor;
        c.wait_until(&format!("the window to {how}"), || c.windows().iter().all(|x| x.raw_title != how || x.minimized));
        type_at_lock(&d, "ab", 2);
        d.click_at(640.0, 300.0, None);
        type_at_lock(&d, "c", 3);
        assert_eq!(keys(&mut client, 0), Vec::<String>::new(), "{how}: keys reached the VM");
        unlock(&mut d, 3);
        drop(client);
        let c = &d.compositor;
        c.wait_until("no windows", || c.windows().iter().all(|x| x.raw_title != how));
    }

    // A screenshot region being picked (Shift+Print's overlay, which takes every key and button)
    // when the screen locks is cancelled: after unlock the desktop is not dimmed any more.
    let c = &d.compositor;
    let spot = |c: &Compositor| c.screenshot().pixel(5, 400);
    let plain = spot(c);
    c.msg(&["key", "shift+Print"]);
    c.wait_until("the region overlay", || spot(c) != plain);
    lock_directly(&mut d);
    let c = &d.compositor;
    c.wait_until("the pick cancelled", || c.log().contains("Screenshot cancelled"));
    unlock(&mut d, 0);
    let c = &d.compositor;
    c.wait_until("the desktop undimmed", || spot(c) == plain);
}

#[test]
fn a_vm_mapping_a_window_never_takes_the_keyboard() {
    let c = Compositor::start("[vms.bank-vm]\ntrust = \"trusted\"\n[vms.evil-vm]\ntrust = \"untrusted\"\n");
    let bank_vm = Vm::start(&c, "bank-vm");
    let evil_vm = Vm::start(&c, "evil-vm");
    let (mut bank, wb) =
        open_client(&c, &bank_vm, "canopy-test-client", &["--title", "bank", "--color", "10c020"], false);
    assert!(!wb.focused, "a VM window opens without the keyboard");
    click_window(&c, &wb);
    c.msg(&["type", "a"]);
    bank.wait_event("key", |e| e["utf8"] == "a");

    // A background VM maps a window: the bank keeps the keyboard, and is not covered.
    let (mut evil, we) = open_hostile(&c, &evil_vm, &["--title", "evil"]);
    assert!(!we.focused);
    c.msg(&["type", "b"]);
    bank.wait_event("key", |e| e["utf8"] == "b");
    let (bx, by, bw, bh) = geometry(&wb);
    let (ex, ey, _, _) = geometry(&we);
    assert!(ex < bx + bw && ey < by + bh, "the windows overlap: {wb} {we}");
    // Where they overlap, the bank's pattern shows (its bottom-right quarter is white).
    c.wait_until("the bank window on top", || {
        c.screenshot().pixel((bx + bw - 4) as u32, (by + bh - 4) as u32) == [255; 3]
    });

    // A VM that maps its window again whenever it loses focus, twice.
    let (mut remap, wr) = open_hostile(&c, &evil_vm, &["--remap-on-unfocus", "--title", "remapper"]);
    // It opened below the bank window; moved aside, the user can click it.
    c.msg(&["move", &wr.id.to_string(), "900", "520"]);
    for round in 0..2 {
        let mark = remap.mark();
        click_window(&c, &c.window(wr.id));
        remap.wait_event_since(mark, "keyboard-enter");
        let mark = remap.mark();
        click(&c, bx + 10, by + 10);
        remap.wait_event_since(mark, "unmapped");
        remap.wait_event("drawn", |e| e["maps"] == round + 2);
        c.wait_until("the remapped window", || c.windows().iter().any(|w| w.id == wr.id && w.geometry.is_some()));
        let ch = ["c", "d"][round];
        c.msg(&["type", ch]);
        bank.wait_event("key", |e| e["utf8"] == ch);
        assert_eq!(keys(&mut remap, mark), Vec::<String>::new(), "round {round}: the remapped window got keys");
        let focused: Vec<Window> = c.windows().into_iter().filter(|w| w.focused).collect();
        assert_eq!(focused.len(), 1);
        assert_eq!(focused[0].raw_title, "bank", "round {round}");
    }
    assert_eq!(keys(&mut evil, 0), Vec::<String>::new());
}

/// A token from `c`'s last input serial (`app_id` names a VM for a trusted client's token).
fn token(c: &mut Client, app_id: Option<&str>) -> String {
    let mark = c.mark();
    c.send(&format!("token {}", app_id.unwrap_or("")));
    let e = c.wait_event_since(mark, "token");
    e["token"].as_str().expect("the compositor answers a token").to_string()
}

/// `c` asks to activate its window with `token`; returns once the compositor has handled it.
fn activate(c: &mut Client, token: &str) {
    let mark = c.mark();
    c.send(&format!("activate {token}"));
    c.wait_event_since(mark, "activate-sent");
}

fn focused_title(c: &Compositor) -> String {
    let focused: Vec<Window> = c.windows().into_iter().filter(|w| w.focused).collect();
    assert_eq!(focused.len(), 1, "{focused:?}");
    focused[0].raw_title.clone()
}

#[test]
fn activation_tokens_are_bound_to_their_vm_used_once_and_void_after_a_press_elsewhere() {
    let mut c = Compositor::start("[vms.a-vm]\ntrust = \"work\"\n[vms.b-vm]\ntrust = \"untrusted\"\n");
    let (a_vm, b_vm) = (Vm::start(&c, "a-vm"), Vm::start(&c, "b-vm"));
    let (mut a1, w1) = open_client(&c, &a_vm, "canopy-test-client", &["--title", "a1"], false);
    let (mut a2, w2) = open_client(&c, &a_vm, "canopy-test-client", &["--title", "a2"], false);
    let (mut b, wb) = open_client(&c, &b_vm, "canopy-test-client", &["--title", "b"], false);
    for (w, x) in [(&w1, 40), (&w2, 460), (&wb, 880)] {
        c.msg(&["move", &w.id.to_string(), &x.to_string(), "100"]);
    }
    let (w1, wb) = (c.window(w1.id), c.window(wb.id));
    click_window(&c, &w1);
    a1.wait_event("keyboard-enter", |_| true);

    // VM b presents a token VM a made: refused, logged; a1 keeps the keys.
    let t = token(&mut a1, None);
    activate(&mut b, &t);
    let refusals = |c: &Compositor| {
        c.log().lines().filter(|l| l.contains("another domain's token refused") && l.contains("b-vm")).count()
    };
    c.wait_until("the refusal in the log, naming VM b", || refusals(&c) == 1);
    assert_eq!(focused_title(&c), "a1");
    c.msg(&["type", "x"]);
    a1.wait_event("key", |e| e["utf8"] == "x");
    assert_eq!(keys(&mut b, 0), Vec::<String>::new());

    // The same VM's other window may use a token of a1's: it gets the keys.
    let t = token(&mut a1, None);
    activate(&mut a2, &t);
    c.wait_until("a2 focused by its token", || focused_title(&c) == "a2");
    c.msg(&["type", "y"]);
    a2.wait_event("key", |e| e["utf8"] == "y");

    // Used once: presented again after the focus moved back (not by a user act), nothing.
    c.msg(&["focus", &w1.id.to_string()]);
    activate(&mut a2, &t);
    assert_eq!(focused_title(&c), "a1", "a used token activated again");

    // Void after the user pressed elsewhere: a1's token, then a click on b's window.
    let t = token(&mut a1, None);
    click_window(&c, &wb);
    b.wait_event("keyboard-enter", |_| true);
    let mark = a2.mark();
    activate(&mut a2, &t);
    assert_eq!(focused_title(&c), "b", "a token outlived the user's click elsewhere");
    c.msg(&["type", "z"]);
    b.wait_event("key", |e| e["utf8"] == "z");
    assert_eq!(keys(&mut a2, mark), Vec::<String>::new());

    // A trusted client's launch token names its VM (as the launcher's does): VM b cannot use
    // one made for VM a; VM a's window can.
    let (mut local, _) = c.open(None, &["--title", "launcher stand-in"]);
    let t = token(&mut local, Some("canopy-vm:a-vm"));
    activate(&mut b, &t);
    c.wait_until("the second refusal in the log", || refusals(&c) == 2);
    assert_eq!(focused_title(&c), "launcher stand-in");
    let t = token(&mut local, Some("canopy-vm:a-vm"));
    activate(&mut a2, &t);
    c.wait_until("a2 focused by the launch token", || focused_title(&c) == "a2");
}
