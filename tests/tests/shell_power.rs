//! canopy-power-menu against the real compositor and hostd: golden screenshots at scale 1 and
//! 2, Power off and Reboot reaching hostd's power commands only after confirmation, Cancel and
//! Escape doing nothing, Suspend locking first, Lock, and Log out ending the session.

mod shell_support;

use canopy_tests::fixture::rgb;
use canopy_tests::image::{assert_golden, Image};
use shell_support::{theme, Desktop};

/// Where the menu's buttons are on a 1280×800 output: a row of five 96×100 buttons, 12
/// apart, centred (Lock, Suspend, Log out, Reboot, Power off).
fn button(i: usize) -> (f64, f64) {
    (424.0 + 108.0 * i as f64, 400.0)
}
/// The confirmation's Cancel and confirm buttons.
const CANCEL: (f64, f64) = (638.0, 440.0);
const CONFIRM: (f64, f64) = (770.0, 440.0);

/// Whether the confirmation shows: its red confirm button (probed left of its label).
fn confirming(d: &Desktop, scale: u32) -> bool {
    d.compositor.screenshot().pixel(714 * scale, 440 * scale) == rgb(theme().desktop.danger)
}

fn settled(d: &Desktop) -> Image {
    let mut last = d.compositor.screenshot();
    let mut same = 0;
    d.wait_until("the screen to settle", || {
        std::thread::sleep(std::time::Duration::from_millis(150));
        let now = d.compositor.screenshot();
        same = if now.diff_count(&last, 0) == 0 { same + 1 } else { 0 };
        last = now;
        same >= 2
    });
    last
}

/// Whether button `i` wears the selection's ring: its left edge in the accent colour.
fn ringed(d: &Desktop, i: usize) -> bool {
    let accent = rgb(theme().desktop.panel_accent);
    let img = d.compositor.screenshot();
    let x = (button(i).0 - 48.0) as u32;
    (360..440).all(|y| img.pixel(x, y) == accent)
}

/// The menu dims the whole output; the desktop corner shows it.
fn menu_shown(d: &Desktop) -> bool {
    let img = d.compositor.screenshot();
    img.pixel(5, img.height - 5) != rgb(theme().desktop.background)
}

/// The lock screen: its own (darker) background where the desktop was, and the menu gone.
fn locked(d: &Desktop) -> bool {
    let t = theme();
    let lock_bg = rgb(t.desktop.background.mix(canopy_themes::Rgba::rgb(0, 0, 0), 0.35));
    let img = d.compositor.screenshot();
    img.pixel(5, img.height - 5) == lock_bg && img.pixel(640, 5) == lock_bg
}

fn open_menu(d: &mut Desktop) {
    d.run("canopy-power-menu", &["--output", "HEADLESS-1"]);
    d.wait_until("the power menu", || menu_shown(d));
    settled(d);
}

#[test]
fn power_menu_matches_golden_at_scale_1_and_2() {
    for scale in [1u32, 2] {
        let spec = format!("HEADLESS-1:{}x{}@{scale}", 1280 * scale, 800 * scale);
        let mut d = Desktop::start(&[&spec]);
        open_menu(&mut d);
        assert_golden(&format!("shell-power-menu@{scale}"), &settled(&d), 2, 0);
        // And its confirmation.
        d.click_at(button(4).0, button(4).1, None);
        d.wait_until("the confirmation", || confirming(&d, scale));
        assert_golden(&format!("shell-power-confirm@{scale}"), &settled(&d), 2, 0);
    }
}

#[test]
fn power_off_reaches_hostd_only_after_confirmation() {
    let mut d = Desktop::with_host(&[]);
    open_menu(&mut d);
    d.click_at(button(4).0, button(4).1, None);
    d.wait_until("the confirmation", || confirming(&d, 1));
    assert!(d.power_log().is_empty(), "nothing happens before the confirmation");
    d.click_at(CONFIRM.0, CONFIRM.1, None);
    d.wait_until("hostd to power off", || d.power_log() == ["poweroff"]);
    d.wait_exit("canopy-power-menu");
}

#[test]
fn reboot_by_keyboard_and_cancel_and_escape_do_nothing() {
    let mut d = Desktop::with_host(&[]);
    open_menu(&mut d);
    // Cancel a reboot with the mouse: back to the menu, nothing sent.
    d.click_at(button(3).0, button(3).1, None);
    d.wait_until("the confirmation", || confirming(&d, 1));
    d.click_at(CANCEL.0, CANCEL.1, None);
    d.wait_until("the menu again", || !confirming(&d, 1));
    assert!(d.power_log().is_empty());
    // Reboot with the keyboard: the selection is back on Reboot; Enter asks, Tab moves to
    // the confirm button, Enter confirms.
    d.compositor.msg(&["key", "Return"]);
    d.wait_until("the confirmation", || confirming(&d, 1));
    d.compositor.msg(&["key", "Tab", "Return"]);
    d.wait_until("hostd to reboot", || d.power_log() == ["reboot"]);
    d.wait_exit("canopy-power-menu");

    // The pointer moves the selection: over Reboot only Reboot is highlighted (not Lock's
    // keyboard ring as well), and Enter asks about a reboot; Escape goes back to the menu.
    open_menu(&mut d);
    assert!(ringed(&d, 0) && !ringed(&d, 3), "the keyboard selection starts on Lock");
    d.compositor.msg(&["pointer-move", &button(3).0.to_string(), &button(3).1.to_string()]);
    d.wait_until("the selection on Reboot", || ringed(&d, 3));
    assert!(!ringed(&d, 0), "Lock is no longer highlighted");
    d.compositor.msg(&["key", "Return"]);
    d.wait_until("the confirmation", || confirming(&d, 1));
    d.compositor.msg(&["key", "Escape"]);
    d.wait_until("the menu again", || !confirming(&d, 1));
    // Escape closes the menu without doing anything.
    d.compositor.msg(&["key", "Escape"]);
    d.wait_exit("canopy-power-menu");
    assert_eq!(d.power_log(), ["reboot"]);
}

#[test]
fn suspend_locks_the_screen_then_suspends() {
    let mut d = Desktop::with_host(&[]);
    let _w = d.compositor.open(None, &["--title", "secret work"]);
    open_menu(&mut d);
    d.click_at(button(1).0, button(1).1, None);
    d.wait_until("the lock screen", || locked(&d));
    d.wait_until("hostd to suspend", || d.power_log() == ["suspend"]);
    d.wait_exit("canopy-power-menu");
}

#[test]
fn lock_locks_the_screen() {
    let mut d = Desktop::start(&[]);
    let _w = d.compositor.open(None, &["--title", "secret work"]);
    open_menu(&mut d);
    d.click_at(button(0).0, button(0).1, None);
    d.wait_until("the lock screen", || locked(&d));
    d.wait_exit("canopy-power-menu");
}

#[test]
fn log_out_ends_the_session() {
    let mut d = Desktop::start(&[]);
    open_menu(&mut d);
    d.click_at(button(2).0, button(2).1, None);
    let start = std::time::Instant::now();
    while d.compositor.is_running() {
        assert!(start.elapsed() < canopy_tests::fixture::TIMEOUT, "the compositor did not quit\n{}", d.logs());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_failed_power_action_is_shown() {
    // No hostd at all: the request cannot be made, and the menu says so.
    let mut d = Desktop::start(&[]);
    open_menu(&mut d);
    d.click_at(button(4).0, button(4).1, None);
    d.wait_until("the confirmation", || confirming(&d, 1));
    d.click_at(CONFIRM.0, CONFIRM.1, None);
    let danger = rgb(theme().desktop.danger);
    d.wait_until("the failure", || {
        let img = d.compositor.screenshot();
        // The red title of the failure card, left of where the confirm button was.
        (400..700).any(|x| (320..420).any(|y| img.pixel(x, y) == danger)) && img.pixel(714, 440) != danger
    });
    assert!(d.is_running("canopy-power-menu"), "the menu stays to show the failure");
}
