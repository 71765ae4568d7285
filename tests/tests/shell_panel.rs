//! canopy-panel against the real headless compositor: what it shows (golden screenshots at
//! scale 1 and 2), the window list following windows, clicks on it, a panel per output as
//! outputs come and go, and an idle panel staying idle.

mod shell_support;

use canopy_tests::fixture::rgb;
use canopy_tests::image::assert_golden;
use canopy_tests::procstat::cpu_ticks;
use shell_support::{focus_bar, panel_background, theme, window_markers, Desktop, PANEL_H};

/// Waits until the output's panel strip stops changing (hostd's VM list and the window
/// list arrive asynchronously) and returns it.
fn settled_strip(d: &Desktop, output: &str, scale: u32) -> canopy_tests::image::Image {
    let mut last = d.panel_strip(output, scale);
    let mut same = 0;
    d.wait_until("the panel to settle", || {
        std::thread::sleep(std::time::Duration::from_millis(150));
        let now = d.panel_strip(output, scale);
        same = if now.diff_count(&last, 0) == 0 { same + 1 } else { 0 };
        last = now;
        same >= 2
    });
    last
}

#[test]
fn panel_matches_golden_at_scale_1_and_2() {
    for scale in [1u32, 2] {
        let spec = format!("HEADLESS-1:{}x{}@{scale}", 1280 * scale, 800 * scale);
        let mut d = Desktop::with_host(&[&spec]);
        d.panel();
        // Clients are kept until the end: dropping one ends its process.
        let _notes = d.compositor.open(None, &["--title", "notes"]);
        let _page = d.compositor.open(Some("web"), &["--title", "Example page", "--color", "d83c3c"]);
        let (untrusted, local) = (rgb(theme().colours("untrusted").focused), rgb(theme().colours("local").focused));
        d.wait_until("both window buttons", || {
            let strip = d.panel_strip("HEADLESS-1", scale);
            window_markers(&strip, untrusted, scale).len() == 1 && window_markers(&strip, local, scale).len() == 1
        });
        let strip = settled_strip(&d, "HEADLESS-1", scale);
        assert_eq!(strip.height, PANEL_H * scale);
        assert_golden(&format!("shell-panel@{scale}"), &strip, 2, 0);
    }
}

#[test]
fn window_list_follows_windows_and_clicks_focus_minimise_restore_and_close() {
    let mut d = Desktop::start(&[]);
    d.panel();
    let t = theme();
    let (web, docs) = (rgb(t.colours("untrusted").focused), rgb(t.colours("work").focused));
    let (_a, a) = d.compositor.open(None, &["--title", "local notes"]);
    let (_b, b) = d.compositor.open(Some("web"), &["--title", "page"]);
    let (_c, c) = d.compositor.open(Some("docs"), &["--title", "report.pdf"]);
    let (a, b, c) = (a.id, b.id, c.id);

    // One button per window, each marked in its VM's colour, in the order they opened.
    let mut xs = (Vec::new(), Vec::new());
    d.wait_until("buttons of the VM windows", || {
        let strip = d.panel_strip("HEADLESS-1", 1);
        xs = (window_markers(&strip, web, 1), window_markers(&strip, docs, 1));
        xs.0.len() == 1 && xs.1.len() == 1
    });
    let (bx, cx) = (xs.0[0] as f64, xs.1[0] as f64);
    assert!(bx < cx, "web's button comes before docs' ({bx} vs {cx})");
    let focused = |d: &Desktop| d.compositor.windows().into_iter().find(|w| w.focused).map(|w| w.id);
    assert_eq!(focused(&d), Some(c));

    // Click: focus. Click the focused one: minimise. Click again: restore.
    d.click_at(bx + 40.0, 16.0, None);
    d.wait_until("the web window to take focus", || focused(&d) == Some(b));
    d.click_at(bx + 40.0, 16.0, None);
    d.wait_until("the web window to minimise", || d.compositor.window(b).minimized);
    d.click_at(bx + 40.0, 16.0, None);
    d.wait_until("the web window to come back", || {
        let w = d.compositor.window(b);
        !w.minimized && w.focused
    });

    // Middle click closes; the button goes with the window.
    d.click_at(cx + 40.0, 16.0, Some("middle"));
    d.wait_until("the docs window to close", || d.compositor.windows().iter().all(|w| w.id != c));
    d.wait_until("its button to go", || window_markers(&d.panel_strip("HEADLESS-1", 1), docs, 1).is_empty());

    // Windows closed elsewhere leave the list too.
    d.compositor.msg(&["close", &a.to_string()]);
    d.wait_until("the local window to close", || d.compositor.windows().len() == 1);
    let local = rgb(t.colours("local").focused);
    d.wait_until("its button to go", || window_markers(&d.panel_strip("HEADLESS-1", 1), local, 1).is_empty());
    assert_eq!(window_markers(&d.panel_strip("HEADLESS-1", 1), web, 1).len(), 1);
}

#[test]
fn maximised_windows_make_room_for_the_panel_again_after_it_restarts() {
    let mut d = Desktop::start(&[]);
    let pid = d.panel();
    let (_w, w) = d.compositor.open(Some("web"), &["--title", "page", "--maximize"]);
    let id = w.id;
    let top = |d: &Desktop| i64::from(d.compositor.window(id).geometry.expect("on screen").y);
    d.wait_until("the maximised window below the panel", || top(&d) > PANEL_H as i64);
    let below_panel = top(&d);

    // The panel dies: its zone is free, the window grows into it.
    let pid = rustix::process::Pid::from_raw(pid as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    d.wait_until("the window to take the panel's place", || top(&d) < below_panel);
    assert_eq!(d.usable_y("HEADLESS-1"), 0);

    // A new panel claims the same zone as the old one: the window moves out of its way again.
    d.panel();
    d.wait_until("the window below the new panel", || top(&d) == below_panel);
}

#[test]
fn the_layout_button_switches_the_keyboard_layout() {
    let mut d = Desktop::start(&[]);
    d.panel();
    let (mut client, _) = d.compositor.open(None, &["--title", "typing here"]);
    let before = d.panel_strip("HEADLESS-1", 1);
    // The layout chip (an outlined "US") sits left of the battery, clock and power button; its
    // right edge is the rightmost column drawn both near the top and near the bottom of the
    // strip (the other items are shorter).
    let chip_x = (600..1200u32)
        .rev()
        .find(|&x| before.pixel(x, 8) != before.pixel(x, 2) && before.pixel(x, 24) != before.pixel(x, 2))
        .expect("the layout chip's outline");
    d.click_at(chip_x as f64 - 10.0, 16.0, None);
    client.wait_event("modifiers", |e| e["layout"] == 1);
    d.wait_until("the chip to show the new layout", || d.panel_strip("HEADLESS-1", 1).diff_count(&before, 0) > 0);
    d.click_at(chip_x as f64 - 10.0, 16.0, None);
    client.wait_event("modifiers", |e| e["layout"] == 0);
}

#[test]
fn every_output_gets_a_panel_as_outputs_come_and_go() {
    let mut d = Desktop::start(&["HEADLESS-1:1280x800", "HEADLESS-2:1024x768"]);
    let pid = d.panel();
    let first = d.panel_strip("HEADLESS-1", 1);

    d.compositor.msg(&["output-remove", "HEADLESS-2"]);
    d.wait_until("HEADLESS-2 to go", || d.output_names() == ["HEADLESS-1"]);
    assert!(d.is_running("canopy-panel"), "the panel survives an output going\n{}", d.logs());
    assert_eq!(d.panel_strip("HEADLESS-1", 1).diff_count(&first, 0), 0, "the other output's panel is untouched");

    d.compositor.msg(&["output-add", "HEADLESS-3", "800x600"]);
    d.wait_for_panels(&["HEADLESS-3".to_string()]);

    // Even the output the panel started on can go and come back.
    d.compositor.msg(&["output-remove", "HEADLESS-1"]);
    d.wait_until("HEADLESS-1 to go", || d.output_names() == ["HEADLESS-3"]);
    d.compositor.msg(&["output-add", "HEADLESS-1", "1280x800"]);
    d.wait_for_panels(&["HEADLESS-1".to_string(), "HEADLESS-3".to_string()]);
    assert_eq!(d.panel_strip("HEADLESS-1", 1).diff_count(&first, 0), 0, "the same panel as before");
    assert!(d.is_running("canopy-panel"));
    let _ = pid;
}

#[test]
fn an_idle_panel_does_not_use_the_cpu() {
    let mut d = Desktop::with_host(&[]);
    let pid = d.panel();
    let _page = d.compositor.open(Some("web"), &["--title", "page"]);
    settled_strip(&d, "HEADLESS-1", 1);
    let before = cpu_ticks(pid);
    std::thread::sleep(std::time::Duration::from_secs(5));
    let used = cpu_ticks(pid) - before;
    let hz = 100; // USER_HZ on Linux
    eprintln!("idle panel: {used} ticks ({} ms) of CPU in 5 s", used * 1000 / hz);
    assert!(used <= 2, "an idle panel used {used} ticks of CPU in 5 s");
}

#[test]
fn the_launcher_and_power_buttons_open_their_overlays_on_that_output() {
    let mut d = Desktop::start(&["HEADLESS-1:1280x800", "HEADLESS-2:1024x768"]);
    d.panel();
    let background = rgb(theme().desktop.background);
    let corner = |d: &Desktop, o: &str| {
        let img = d.compositor.screenshot_of(Some(o));
        img.pixel(5, img.height - 5)
    };
    // HEADLESS-2 sits right of HEADLESS-1 in the global space: its launcher button is at
    // x = 1280 + 16.
    d.click_at(1296.0, 16.0, None);
    d.wait_until("the launcher on HEADLESS-2", || corner(&d, "HEADLESS-2") != background);
    assert_eq!(corner(&d, "HEADLESS-1"), background, "nothing over the other output");
    d.compositor.msg(&["key", "Escape"]);
    d.wait_until("the launcher to close", || corner(&d, "HEADLESS-2") == background);

    // The power button, at the right end of HEADLESS-1's panel.
    d.click_at(1264.0, 16.0, None);
    d.wait_until("the power menu on HEADLESS-1", || corner(&d, "HEADLESS-1") != background);
    assert_eq!(corner(&d, "HEADLESS-2"), background);
    d.compositor.msg(&["key", "Escape"]);
    d.wait_until("the power menu to close", || corner(&d, "HEADLESS-1") == background);
}

#[test]
fn each_panel_lists_the_windows_on_its_own_output() {
    let mut d = Desktop::start(&[]);
    d.panel();
    d.compositor.msg(&["output-add", "HEADLESS-2", "1024x768"]);
    d.wait_for_panels(&["HEADLESS-2".to_string()]);
    let second = d.compositor.outputs().into_iter().find(|o| o.name == "HEADLESS-2").unwrap();
    let x2 = second.logical.x;

    let t = theme();
    let (web, docs) = (rgb(t.colours("untrusted").focused), rgb(t.colours("work").focused));
    let (_b, b) = d.compositor.open(Some("web"), &["--title", "page"]);
    let (_c, c) = d.compositor.open(Some("docs"), &["--title", "report.pdf"]);
    assert_eq!((b.output.as_deref(), c.output.as_deref()), (Some("HEADLESS-1"), Some("HEADLESS-1")));
    let c = c.id;
    // (web markers, docs markers) in each output's panel.
    let buttons = |d: &Desktop, o: &str| {
        let strip = d.panel_strip(o, 1);
        (window_markers(&strip, web, 1), window_markers(&strip, docs, 1))
    };
    let counts = |d: &Desktop, o: &str| {
        let (w, k) = buttons(d, o);
        (w.len(), k.len())
    };
    d.wait_until("both buttons on HEADLESS-1", || counts(&d, "HEADLESS-1") == (1, 1));
    assert_eq!(counts(&d, "HEADLESS-2"), (0, 0), "nothing on the other output's panel");

    // The docs window moves to HEADLESS-2, and its button to that output's panel.
    d.compositor.msg(&["move", &c.to_string(), &(x2 + 100).to_string(), "200"]);
    d.wait_until("the docs button on HEADLESS-2", || {
        counts(&d, "HEADLESS-1") == (1, 0) && counts(&d, "HEADLESS-2") == (0, 1)
    });

    // Minimised (it is on no output then), it stays on the panel where it was, and a click
    // there brings it back on that output.
    let bx = buttons(&d, "HEADLESS-2").1[0];
    let click = |d: &Desktop| d.click_at(x2 as f64 + bx as f64 + 40.0, 16.0, None);
    assert!(d.compositor.window(c).focused, "the last window opened has the focus");
    let bar = |d: &Desktop| focus_bar(&d.panel_strip("HEADLESS-2", 1), docs, bx);
    d.wait_until("the focus bar under the docs button", || bar(&d));
    click(&d);
    d.wait_until("the docs window to minimise", || d.compositor.window(c).minimized);
    // The panel has taken the change in once the focus bar under the button is gone.
    d.wait_until("the panel to show the docs window unfocused", || !bar(&d));
    assert_eq!((counts(&d, "HEADLESS-1"), counts(&d, "HEADLESS-2")), ((1, 0), (0, 1)));
    click(&d);
    d.wait_until("the docs window back on HEADLESS-2", || {
        let w = d.compositor.window(c);
        !w.minimized && w.output.as_deref() == Some("HEADLESS-2")
    });

    // The output goes: its window moves to HEADLESS-1, and the button with it.
    d.compositor.msg(&["output-remove", "HEADLESS-2"]);
    d.wait_until("both buttons on HEADLESS-1 again", || counts(&d, "HEADLESS-1") == (1, 1));
}

#[test]
fn a_right_click_on_a_window_button_opens_its_menu() {
    let mut d = Desktop::start(&[]);
    d.panel();
    let t = theme();
    let (web, docs) = (rgb(t.colours("untrusted").focused), rgb(t.colours("work").focused));
    let (_b, b) = d.compositor.open(Some("web"), &["--title", "page"]);
    let (_c, c) = d.compositor.open(Some("docs"), &["--title", "report.pdf"]);
    let (b, c) = (b.id, c.id);
    let mut xs = (Vec::new(), Vec::new());
    d.wait_until("both buttons", || {
        let strip = d.panel_strip("HEADLESS-1", 1);
        xs = (window_markers(&strip, web, 1), window_markers(&strip, docs, 1));
        xs.0.len() == 1 && xs.1.len() == 1
    });
    let (bx, cx) = (xs.0[0] as f64 + 40.0, xs.1[0] as f64 + 40.0);

    // The menu opens under the click: a card in the panel's colour framed in the window's VM
    // colour, with the title and then Focus, Minimise and Close, 30 pixels each.
    let panel_bg = panel_background();
    let menu_at = |d: &Desktop, x: f64| d.compositor.screenshot().pixel(x as u32 + 110, 60) == panel_bg;
    let item_y = |i: usize| 94.0 + 30.0 * i as f64;
    let open_menu = |d: &Desktop, x: f64| {
        d.click_at(x, 16.0, Some("right"));
        d.wait_until("the window menu", || menu_at(d, x));
    };
    let closed = |d: &Desktop, x: f64| d.wait_until("the menu to close", || !menu_at(d, x));
    open_menu(&d, bx);
    let img = d.compositor.screenshot();
    assert_eq!(img.pixel(bx as u32 + 1, 100), web, "framed in the web VM's colour");
    assert_eq!(d.compositor.windows().len(), 2, "opening the menu does nothing to windows");

    // Escape closes it, and so does a click beside it, which reaches nothing else.
    d.compositor.msg(&["key", "Escape"]);
    closed(&d, bx);
    open_menu(&d, bx);
    d.click_at(900.0, 500.0, None);
    closed(&d, bx);
    assert!(d.compositor.window(c).focused);

    // Focus, Minimise, Close.
    open_menu(&d, bx);
    d.click_at(bx + 60.0, item_y(0), None);
    d.wait_until("the web window to take focus", || d.compositor.window(b).focused);
    closed(&d, bx);
    open_menu(&d, bx);
    d.click_at(bx + 60.0, item_y(1), None);
    d.wait_until("the web window to minimise", || d.compositor.window(b).minimized);
    open_menu(&d, cx);
    d.click_at(cx + 60.0, item_y(2), None);
    d.wait_until("the docs window to close", || d.compositor.windows().iter().all(|w| w.id != c));
    closed(&d, cx);

    // From the keyboard: Down to Focus, Down again skips Minimise (the window is minimised
    // already) to Close, Enter closes.
    open_menu(&d, bx);
    d.compositor.msg(&["key", "Down", "Down", "Return"]);
    d.wait_until("the web window to close", || d.compositor.windows().is_empty());
    closed(&d, bx);
    assert!(d.is_running("canopy-panel"));
}

/// While a program captures the screen the panel names it on a red chip, and the chip goes a
/// few seconds after the capture ends (grim, a real capture client, takes one shot).
#[test]
fn the_panel_shows_who_captures_the_screen() {
    let mut d = Desktop::start(&[]);
    d.panel();
    let danger = rgb(theme().desktop.danger);
    let red = |strip: &canopy_tests::Image| strip.count_colour(0, 0, strip.width, strip.height, danger);
    let before = settled_strip(&d, "HEADLESS-1", 1);
    let base = red(&before);

    let mut grim = std::process::Command::new("grim");
    grim.arg(d.compositor.runtime_dir().join("shot.png"));
    d.compositor.client_env(&mut grim);
    assert!(grim.status().expect("grim runs").success());
    d.wait_until("the capture sign", || red(&d.panel_strip("HEADLESS-1", 1)) > base + 200);
    let strip = d.panel_strip("HEADLESS-1", 1);
    // The chip, cut out for the golden: the longest red run on a row above its text.
    let (mut best, mut run) = ((0, 0), (0, 0));
    for x in 0..strip.width {
        run = if strip.pixel(x, 10) == danger { (if run.1 == 0 { x } else { run.0 }, run.1 + 1) } else { (0, 0) };
        best = if run.1 > best.1 { run } else { best };
    }
    assert!(best.1 > 100, "a chip wide enough to name the program");
    let (first, last) = (best.0, best.0 + best.1 - 1);
    assert_golden("shell-panel-capturing", &strip.crop(first, 0, last - first + 1, PANEL_H), 2, 0);
    d.wait_until("the sign to go once the capture ended", || red(&d.panel_strip("HEADLESS-1", 1)) == base);
    assert!(d.compositor.log().contains("screen capture ended"));
}
