//! Screen capture for the GUI VM's own programs: Debian's grim, a local client, takes shots of a
//! running headless canopy through wlr-screencopy (whole output, a `-g` region, with the
//! pointer), and each PNG matches `canopy msg screenshot` of the same state. (That VMs cannot
//! bind it is checked in compositor_trust and proxy_hostile.)

use canopy_tests::{Compositor, Image};

/// grim as a local client of `c`, writing `file` with `args` before it.
fn grim(c: &Compositor, args: &[&str], file: &std::path::Path) -> Image {
    let mut cmd = std::process::Command::new("grim");
    cmd.args(args).arg(file);
    c.client_env(&mut cmd);
    let out = cmd.output().expect("grim runs");
    assert!(out.status.success(), "grim failed: {}", String::from_utf8_lossy(&out.stderr));
    Image::load(file).expect("grim's PNG")
}

#[test]
fn grim_shots_match_canopy_msg_screenshot() {
    let mut c = Compositor::start("");
    let (_client, _w) = c.open(None, &["--title", "shot", "--size", "300x200", "--color", "d04a2f"]);
    let dir = c.runtime_dir().to_path_buf();

    let whole = grim(&c, &[], &dir.join("whole.png"));
    let reference = c.screenshot();
    assert_eq!((whole.width, whole.height), (reference.width, reference.height));
    assert_eq!(whole.diff_count(&reference, 0), 0, "grim's shot differs from canopy msg screenshot");
    let log = c.log();
    let started = log.lines().find(|l| l.contains("screen capture started")).expect("the capture is logged");
    assert!(started.contains("\"grim\""), "named by its program: {started}");

    // A region, as slurp would print it (logical coordinates; scale 1 here).
    let region = grim(&c, &["-g", "100,50 320x240"], &dir.join("region.png"));
    assert_eq!(region.diff_count(&reference.crop(100, 50, 320, 240), 0), 0, "the region differs");

    // With the pointer (-c), as `screenshot --pointer` draws it, and without it the same as before.
    c.msg(&["pointer-move", "400", "300"]);
    let pointer = grim(&c, &["-c"], &dir.join("pointer.png"));
    let with_pointer = c.screenshot_with_pointer();
    assert_eq!(pointer.diff_count(&with_pointer, 0), 0, "grim -c differs from screenshot --pointer");
    assert!(pointer.diff_count(&reference, 0) > 0, "the pointer is drawn");
    assert_eq!(grim(&c, &[], &dir.join("again.png")).diff_count(&reference, 0), 0);
}
