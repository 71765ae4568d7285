//! The session's other security edges: a fullscreen VM window over the panel keeps its trust
//! strip (or is maximised, by policy); a popup grab ends when the user clicks elsewhere; a VM's
//! cursor shows only over its own surfaces; the screen locks after idle time, ending a VM's
//! keyboard grab, and then no VM gets a key.

#[path = "proxy_support/mod.rs"]
mod proxy_support;
#[path = "shell_support/mod.rs"]
mod shell_support;

use canopy_ipc::CursorImage;
use canopy_tests::fixture::{geometry, rgb};
use canopy_tests::{bin_path, Compositor};
use canopy_themes::Theme;
use proxy_support::Vm;
use shell_support::{Desktop, PANEL_H};

#[test]
fn fullscreen_vm_window_over_the_panel_keeps_its_strip_and_says_whose_screen_it_is() {
    let theme = Theme::default();
    let mut d = Desktop::start(&[]);
    d.panel();
    d.wait_for_panels(&["HEADLESS-1".to_string()]);
    let (mut client, _) = d.compositor.open(Some("web"), &["--fullscreen", "--color", "c62828"]);
    client.wait_event("configure", |e| e["fullscreen"] == true && e["width"] == 1268);
    let c = &d.compositor;
    c.wait_until("drawn fullscreen", || c.screenshot().pixel(100, 100) == [0xc6, 0x28, 0x28]);
    let img = c.screenshot();
    let strip = rgb(theme.colours("untrusted").focused);
    // Where the panel was (top, with its power button at the right), the strip shows.
    for (x, y) in [(0, 0), (640, 2), (1276, PANEL_H / 2), (1279, 0), (3, 400), (640, 797)] {
        assert_eq!(img.pixel(x, y), strip, "trust strip at ({x}, {y})");
    }
    assert!(c.log().contains("[web] is fullscreen: Super+F or Alt+Tab leaves"));
}

#[test]
fn with_the_maximise_policy_the_panel_stays_visible() {
    let mut d = Desktop::start(&[]);
    d.panel();
    d.wait_for_panels(&["HEADLESS-1".to_string()]);
    // The same desktop with the policy set: reload the config.
    let path = d.compositor.runtime_dir().join("canopy.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("fullscreen = \"maximize\"\n{text}")).unwrap();
    d.compositor.msg(&["reload-config"]);
    let (mut client, _) = d.compositor.open(Some("web"), &["--fullscreen"]);
    client.wait_event("configure", |e| e["maximized"] == true);
    let c = &d.compositor;
    let w = c.windows().into_iter().find(|w| w.vm.as_deref() == Some("web")).unwrap();
    let (_, y, _, _) = geometry(&w);
    assert!(y as u32 >= PANEL_H + 26, "the window stays below the panel: {w}");
}

#[test]
fn a_popup_grab_ends_when_the_user_clicks_elsewhere() {
    let mut c = Compositor::start("[vms.vm-a]\ntrust = \"work\"\n[vms.vm-b]\ntrust = \"untrusted\"\n");
    let (mut a, wa) = c.open(Some("vm-a"), &["--grab-popup", "--title", "A"]);
    let (mut b, wb) = c.open(Some("vm-b"), &["--title", "B"]);
    c.msg(&["move", &wb.id.to_string(), "700", "100"]);
    c.msg(&["move", &wa.id.to_string(), "100", "100"]);
    // A click in A opens its popup with a grab.
    c.msg(&["pointer-move", "150", "150"]);
    c.msg(&["click"]);
    a.wait_event("popup-grab", |_| true);
    a.wait_event("popup-configure", |_| true);
    // The user clicks in B: the grab ends, B gets the keyboard, A's popup is dismissed.
    c.msg(&["pointer-move", "750", "150"]);
    c.msg(&["click"]);
    a.wait_event("popup-done", |_| true);
    c.wait_until("B focused", || c.window(wb.id).focused);
    let mark = a.mark();
    c.msg(&["type", "x"]);
    b.wait_event("key", |e| e["utf8"] == "x");
    a.roundtrip();
    assert!(!a.events()[mark..].iter().any(|e| e["event"] == "key"), "A kept the keyboard");
}

#[test]
fn a_vm_sets_the_cursor_only_over_its_own_surfaces() {
    let mut c = Compositor::start("[vms.vm-a]\ntrust = \"work\"\n");
    let (mut a, wa) = c.open(Some("vm-a"), &["--custom-cursor"]);
    let (_local, wl) = c.open(None, &["--title", "local"]);
    c.msg(&["move", &wa.id.to_string(), "100", "100"]);
    c.msg(&["move", &wl.id.to_string(), "700", "100"]);
    c.msg(&["pointer-move", "150", "150"]);
    a.wait_event("cursor-set", |_| true);
    c.wait_until("the VM's cursor over its window", || c.cursor().set_by.as_deref() == Some("vm-a"));
    // Onto its own title bar: the compositor's cursor, not the VM's.
    c.msg(&["pointer-move", "150", "87"]);
    assert_eq!(c.cursor().image, CursorImage::Default);
    c.msg(&["pointer-move", "150", "150"]);
    c.wait_until("back over the VM", || c.cursor().set_by.as_deref() == Some("vm-a"));
    c.msg(&["pointer-move", "750", "150"]);
    assert_eq!(c.cursor().image, CursorImage::Default, "over another window");
}

#[test]
fn idle_time_locks_the_screen_ends_a_vms_keyboard_grab_and_then_no_vm_gets_keys() {
    let lock = bin_path("canopy-lock");
    let config = format!(
        "idle_lock_seconds = 1\nlock_command = [\"{}\", \"--pam-service\", \"canopy-no-such-service\"]\n[vms.vm-a]\ntrust = \"work\"\n",
        lock.display()
    );
    let c = Compositor::start(&config);
    let vm = Vm::start(&c, "vm-a");
    // A hostile VM that holds the keyboard with an invisible popup grab from the moment it has
    // focus (issue 12, attack 1, locked by idle time).
    let mut a = vm.spawn("canopy-hostile-client", &["--grab-on-focus", "--color", "2f6fd0"]);
    a.wait_event("drawn", |_| true);
    let w = proxy_support::wait_window(&c, |w| w.vm.as_deref() == Some("vm-a"));
    let (x, y, width, height) = geometry(&w);
    c.msg(&["pointer-move", &(x + width / 2).to_string(), &(y + height / 2).to_string()]);
    c.msg(&["click"]);
    a.wait_event("keyboard-enter", |e| e["surface"] == "popup");
    c.wait_until("the idle lock", || c.log().contains("session locked"));
    assert!(c.log().contains("locking after idle time"));
    a.wait_event("popup-done", |_| true);
    c.wait_until("the lock screen", || shell_support::lock::covered(&c.screenshot()));
    let mark = a.mark();
    c.msg(&["type", "hunter2"]);
    c.wait_until("7 dots on the lock screen", || shell_support::lock::dots(&c.screenshot()) == 7);
    assert!(!a.events()[mark..].iter().any(|e| e["event"] == "key"), "a VM got keys while the screen was locked");
    let img = c.screenshot();
    assert_eq!(img.count_colour(0, 0, img.width, img.height, [0x2f, 0x6f, 0xd0]), 0, "the VM window is hidden");
}
