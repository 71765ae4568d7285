//! The lid with an external output (clamshell) and the resume, on the real headless compositor
//! with two outputs (HEADLESS-1 named as the laptop's own panel in `[power] internal_outputs`),
//! the real panel and canopy-lock: a resume makes the panel read its clock and battery at once
//! (its clock is a fake time source, a file, with no minute tick, so only the resume can move
//! it); closing the lid turns HEADLESS-1 off and moves its window to HEADLESS-2 instead of
//! locking and sleeping, opening brings it back with the window still there and reachable (and
//! the power key, set to `menu` by a reload, opens the power menu); on battery with
//! `external-on-ac` the lid locks instead; the external output going while the lid is closed
//! brings the panel back and locks.

mod shell_support;

use canopy_ipc::{PowerState, Response};
use canopy_tests::fixture::{bin_path, geometry, rgb, Compositor};
use shell_support::lock::test_account;
use shell_support::{theme, Desktop, TIME};

fn state(c: &Compositor) -> PowerState {
    match c.msg(&["power", "state"]) {
        Response::Power(s) => *s,
        other => panic!("power state: {other:?}"),
    }
}

fn output_names(c: &Compositor) -> Vec<String> {
    c.outputs().into_iter().map(|o| o.name).collect()
}

#[test]
fn resume_refreshes_the_panel_and_the_lid_closes_into_clamshell() {
    test_account();
    let mut d = Desktop::start_with_power(
        &["HEADLESS-1:1280x800@1", "HEADLESS-2:1024x768@1"],
        "internal_outputs = [\"HEADLESS-1\"]\nclamshell = \"external-on-ac\"\npower_supply = \"$DIR/power_supply\"\n",
    );
    // The stand-in power_supply directory the panel reads is also where AC is read.
    let ac = d.path("power_supply/AC");
    std::fs::create_dir_all(&ac).unwrap();
    std::fs::write(ac.join("type"), "Mains\n").unwrap();
    std::fs::write(ac.join("online"), "1\n").unwrap();
    std::fs::write(d.path("clock"), TIME).unwrap();
    let supply = d.path("power_supply");
    let clock = d.path("clock");
    d.run("canopy-panel", &["--time-file", clock.to_str().unwrap(), "--power-supply", supply.to_str().unwrap()]);
    d.wait_for_panels(&["HEADLESS-1".into(), "HEADLESS-2".into()]);

    // Resume: the panel shows the new time and battery at once. Its time file has no minute
    // tick, so only the resume makes it read them; and going back shows the first picture,
    // so what changed is the time and the battery.
    let before = d.panel_strip("HEADLESS-2", 1);
    std::fs::write(d.path("power_supply/BAT0/capacity"), "21\n").unwrap();
    d.compositor.msg(&["power", "resume"]);
    d.wait_until("the panel's new battery level", || d.panel_strip("HEADLESS-2", 1) != before);
    let battery_only = d.panel_strip("HEADLESS-2", 1);
    std::fs::write(&clock, "2026-11-27 07:31").unwrap();
    d.compositor.msg(&["power", "resume"]);
    d.wait_until("the panel's new time", || {
        let now = d.panel_strip("HEADLESS-2", 1);
        now != before && now != battery_only
    });
    std::fs::write(&clock, TIME).unwrap();
    std::fs::write(d.path("power_supply/BAT0/capacity"), "73\n").unwrap();
    d.compositor.msg(&["power", "resume"]);
    d.wait_until("the panel's first time again", || d.panel_strip("HEADLESS-2", 1) == before);

    // Clamshell: a window on the laptop's panel moves to the other output when the lid closes.
    let battery_status = d.path("power_supply/BAT0/status");
    let c = &mut d.compositor;
    let (mut client, w) = c.open(None, &["--title", "work"]);
    assert_eq!(w.output.as_deref(), Some("HEADLESS-1"));
    c.msg(&["power", "lid-close"]);
    let st = state(c);
    assert_eq!((st.lid.as_str(), st.locked, st.requests_sent), ("closed", false, 0), "{st:?}");
    assert_eq!(st.clamshell_off, ["HEADLESS-1"]);
    assert_eq!(output_names(c), ["HEADLESS-2"]);
    let moved = c.window(w.id);
    assert_eq!(moved.output.as_deref(), Some("HEADLESS-2"), "{moved:?}");
    c.msg(&["focus", &w.id.to_string()]);
    assert!(c.window(w.id).focused, "the window is reachable on the other output");

    // Opening: the panel is back, the window stays where it went and can be used.
    c.msg(&["power", "lid-open"]);
    assert_eq!(output_names(c).len(), 2);
    let st = state(c);
    assert_eq!((st.lid.as_str(), st.locked), ("open", false));
    assert!(st.clamshell_off.is_empty());
    assert_eq!(c.window(w.id).output.as_deref(), Some("HEADLESS-2"));
    let (x, y, ww, wh) = geometry(&c.window(w.id));
    c.msg(&["pointer-move", &(x + ww / 2).to_string(), &(y + wh / 2).to_string()]);
    client.wait_event("pointer-enter", |_| true);
    c.msg(&["click"]);
    c.msg(&["type", "k"]);
    client.wait_event("key", |e| e["utf8"] == "k");

    // The power key set to `menu` (a config reload): it opens the power menu, Escape closes it.
    let config = c.runtime_dir().join("canopy.toml");
    let text = std::fs::read_to_string(&config).unwrap().replacen(
        "[power]\n",
        &format!("[power]\npower_key = \"menu\"\npower_menu = [\"{}\"]\n", bin_path("canopy-power-menu").display()),
        1,
    );
    std::fs::write(&config, text).unwrap();
    c.msg(&["reload-config"]);
    let bg = rgb(theme().desktop.background);
    let dimmed = |c: &Compositor| {
        ["HEADLESS-1", "HEADLESS-2"].iter().any(|o| {
            let img = c.screenshot_of(Some(o));
            img.pixel(5, img.height - 5) != bg
        })
    };
    assert!(!dimmed(c));
    c.msg(&["key", "XF86PowerOff"]);
    c.wait_until("the power menu", || dimmed(c));
    c.msg(&["key", "Escape"]);
    c.wait_until("the power menu gone", || !dimmed(c));
    assert_eq!(state(c).requests_sent, 0);

    // On battery with `external-on-ac`, the lid locks and sleeps even with the other output.
    std::fs::write(ac.join("online"), "0\n").unwrap();
    std::fs::write(&battery_status, "Discharging\n").unwrap();
    c.msg(&["power", "lid-close"]);
    c.wait_until("the lock on every output", || state(c).every_output_locked);
    assert!(state(c).clamshell_off.is_empty());
    assert_eq!(output_names(c).len(), 2);
}

/// The other output going while the lid is closed in clamshell: the panel comes back on and the
/// closed lid locks (then asks to sleep).
#[test]
fn the_last_other_output_going_with_the_lid_closed_locks() {
    test_account();
    let d = Desktop::start_with_power(
        &["HEADLESS-1:1280x800@1", "HEADLESS-2:1024x768@1"],
        "internal_outputs = [\"HEADLESS-1\"]\n",
    );
    let c = &d.compositor;
    c.msg(&["power", "lid-close"]);
    assert_eq!(output_names(c), ["HEADLESS-2"]);
    c.msg(&["output-remove", "HEADLESS-2"]);
    assert_eq!(output_names(c), ["HEADLESS-1"]);
    c.wait_until("the lock on the panel", || state(c).every_output_locked);
    let st = state(c);
    assert_eq!((st.lid.as_str(), st.requests_sent), ("closed", 1), "{st:?}");
}
