//! The shell on outputs of different scales (a 1x laptop panel beside a 2x monitor, and a 1.5x
//! one plugged in later), with the pointer on the 1x output: the launcher, the panel and the
//! lock on each output render at that output's own scale. On the 2x output each looks exactly
//! as on a lone 2x output (the single-output goldens `shell-launcher@2`, `shell-panel@2`,
//! `shell-lock@2`), so nothing there is a 1x rendering scaled up; the 1.5x output has goldens of
//! its own. A window moved under the panel on the 2x output does not show through its edge rows.

mod shell_support;

use canopy_tests::fixture::rgb;
use canopy_tests::image::{wait_for_golden, Image};
use shell_support::lock::{covered, test_account, SERVICE, USER};
use shell_support::{theme, window_markers, Desktop, PANEL_H, TIME};

/// Outputs side by side: HEADLESS-1 at x 0..1280 (1x), HEADLESS-2 at 1280..2560 (2x, 1280x800
/// logical, the size of the single-output goldens).
const OUTPUTS: [&str; 2] = ["HEADLESS-1:1280x800", "HEADLESS-2:2560x1600@2"];
/// Where the pointer rests: on the 1x output, as when the shell starts on a laptop's own panel.
const ON_1X: [&str; 3] = ["pointer-move", "200", "600"];

/// The top `rows` device rows of an output.
fn strip(d: &Desktop, output: &str, rows: u32) -> Image {
    let img = d.compositor.screenshot_of(Some(output));
    img.crop(0, 0, img.width, rows)
}

#[test]
fn launcher_panel_and_lock_render_at_each_outputs_own_scale() {
    test_account();
    let mut d = Desktop::with_host(&OUTPUTS);
    d.compositor.msg(&ON_1X);

    // The launcher on the 2x output: as on a lone 2x output.
    d.run("canopy-launcher", &["--output", "HEADLESS-2"]);
    wait_for_golden("shell-launcher@2", 2, 0, || d.compositor.screenshot_of(Some("HEADLESS-2")));
    d.compositor.msg(&["key", "Escape"]);
    d.wait_exit("canopy-launcher");

    // The panel, with the windows of the single-output golden on the 2x output.
    d.panel();
    d.compositor.msg(&["pointer-move", "1900", "600"]);
    let _notes = d.compositor.open(None, &["--title", "notes"]);
    let (_page, page) = d.compositor.open(Some("web"), &["--title", "Example page", "--color", "d83c3c"]);
    d.compositor.msg(&ON_1X);
    // The red page, moved up under the panel: its edge rows must stay the panel's.
    let (x, ..) = canopy_tests::fixture::geometry(&page);
    d.compositor.msg(&["move", &page.id.to_string(), &x.to_string(), "4"]);
    let (untrusted, local) = (rgb(theme().colours("untrusted").focused), rgb(theme().colours("local").focused));
    d.wait_until("both window buttons on the 2x panel", || {
        let s = d.panel_strip("HEADLESS-2", 2);
        window_markers(&s, untrusted, 2).len() == 1 && window_markers(&s, local, 2).len() == 1
    });
    wait_for_golden("shell-panel@2", 2, 0, || d.panel_strip("HEADLESS-2", 2));
    wait_for_golden("shell-scales-panel@1", 2, 0, || d.panel_strip("HEADLESS-1", 1));

    // A 1.5x output plugged in while it runs gets a panel drawn at 1.5x (48 device rows).
    d.compositor.msg(&["output-add", "HEADLESS-3", "1920x1200@1.5"]);
    d.wait_for_panels(&["HEADLESS-3".to_string()]);
    let rows = PANEL_H * 3 / 2;
    wait_for_golden("shell-scales-panel@1.5", 2, 0, || strip(&d, "HEADLESS-3", rows));

    // The lock covers all three, each at its own scale.
    d.run("canopy-lock", &["--pam-service", SERVICE, "--user", USER, "--time", TIME]);
    for o in ["HEADLESS-1", "HEADLESS-2", "HEADLESS-3"] {
        d.wait_until(&format!("{o} locked"), || covered(&d.compositor.screenshot_of(Some(o))));
    }
    wait_for_golden("shell-lock@2", 2, 0, || d.compositor.screenshot_of(Some("HEADLESS-2")));
    wait_for_golden("shell-scales-lock@1.5", 2, 0, || d.compositor.screenshot_of(Some("HEADLESS-3")));
}
