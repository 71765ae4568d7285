//! The screenshot keys on the real headless compositor: Print saves the output and Alt+Print (or
//! a key rebound in [keybindings]) the focused window with its trust frame, as PNGs under
//! $XDG_PICTURES_DIR/Screenshots with timestamped names, each the same pixels as
//! `canopy msg screenshot`, and a notice says where.

use canopy_tests::fixture::geometry;
use canopy_tests::image::assert_golden;
use canopy_tests::{Compositor, Image};

/// The finished PNGs in `dir` (not those still being written), by name.
fn shots(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "png")).collect())
        .unwrap_or_default();
    found.sort();
    found
}

#[test]
fn print_keys_save_the_output_and_the_focused_window() {
    let pictures = tempfile::tempdir().unwrap();
    let env = [("XDG_PICTURES_DIR", pictures.path().to_str().unwrap())];
    let config = "[vms.work-vm]\ntrust = \"work\"\n\n[keybindings]\n\"Super+P\" = \"screenshot-window\"\n";
    let mut c = Compositor::start_with_env(config, &[], &env);
    let (_client, w) = c.open(Some("work-vm"), &["--title", "shot", "--size", "300x200", "--color", "2f6fd0"]);
    let dir = pictures.path().join("Screenshots");
    let reference = c.screenshot();

    c.msg(&["key", "Print"]);
    c.wait_until("the output's PNG", || shots(&dir).len() == 1 && c.log().contains("Screenshot saved to"));
    let file = &shots(&dir)[0];
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("Screenshot from ") && name.ends_with(".png"), "{name}");
    assert_eq!(Image::load(file).unwrap().diff_count(&reference, 0), 0, "Print differs from canopy msg screenshot");
    assert!(c.log().contains(&format!("Screenshot saved to {}", file.display())), "the notice says where");

    // The focused window with its frame (4 px borders, a 26 px title bar above).
    let (x, y, width, height) = geometry(&w);
    let framed = reference.crop((x - 4) as u32, (y - 30) as u32, (width + 8) as u32, (height + 34) as u32);
    for (chord, count) in [("alt+Print", 2), ("super+p", 3)] {
        c.msg(&["key", chord]);
        c.wait_until("the window's PNG", || shots(&dir).len() == count);
        let windows: Vec<Image> =
            shots(&dir).iter().map(|f| Image::load(f).unwrap()).filter(|i| i.width != reference.width).collect();
        assert_eq!(windows.len(), count - 1, "{chord}: one more window shot");
        for img in windows {
            assert_eq!((img.width, img.height), (framed.width, framed.height), "{chord}: the frame's size");
            assert_eq!(img.diff_count(&framed, 0), 0, "{chord}: the window with its frame");
        }
    }
}

/// Shift+Print shows the trusted overlay (golden, with the dragged outline); the drag's release
/// saves that rectangle, the same pixels as `canopy msg screenshot` there, without the overlay;
/// Escape cancels and saves nothing.
#[test]
fn shift_print_saves_a_dragged_region_and_escape_cancels() {
    let pictures = tempfile::tempdir().unwrap();
    let env = [("XDG_PICTURES_DIR", pictures.path().to_str().unwrap())];
    let mut c = Compositor::start_with_env("", &[], &env);
    let (_client, w) = c.open(None, &["--title", "shot", "--size", "300x200", "--color", "2fa04a"]);
    // From the desktop above the window's left edge into its content.
    let (wx, wy, _, _) = geometry(&w);
    let (x0, y0) = (wx - 60, wy - 60);
    let dir = pictures.path().join("Screenshots");
    let reference = c.screenshot();

    c.msg(&["key", "shift+Print"]);
    c.msg(&["pointer-move", &x0.to_string(), &y0.to_string()]);
    c.msg(&["button-down"]);
    c.msg(&["pointer-move", &(x0 + 320).to_string(), &(y0 + 220).to_string()]);
    let overlay = c.screenshot();
    assert_golden("screenshot-region-overlay", &overlay.crop((x0 - 20) as u32, (y0 - 20) as u32, 360, 260), 0, 0);
    c.msg(&["button-up"]);
    c.wait_until("the region's PNG", || shots(&dir).len() == 1);
    let img = Image::load(&shots(&dir)[0]).unwrap();
    assert_eq!((img.width, img.height), (320, 220));
    let expected = reference.crop(x0 as u32, y0 as u32, 320, 220);
    assert_eq!(img.diff_count(&expected, 0), 0, "the region as on screen, no overlay");

    c.msg(&["key", "shift+Print"]);
    c.msg(&["key", "Escape"]);
    c.wait_until("the cancel notice", || c.log().contains("Screenshot cancelled"));
    // The overlay is gone and nothing more was saved.
    c.wait_until("the overlay to go", || {
        c.screenshot().crop(0, 200, 64, 64).diff_count(&reference.crop(0, 200, 64, 64), 0) == 0
    });
    assert_eq!(shots(&dir).len(), 1);
}

/// Runs `wl-paste` as given and returns whether it succeeded and what it printed, failing the
/// test if it still waits after the fixture's timeout.
fn paste(mut cmd: std::process::Command) -> (bool, Vec<u8>) {
    use std::process::Stdio;
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("wl-paste runs");
    let deadline = std::time::Instant::now() + canopy_tests::fixture::TIMEOUT;
    while child.try_wait().unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "{cmd:?} still waits");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (out.status.success(), out.stdout)
}

/// Ctrl+Print and Ctrl+Alt+Print put the output and the focused window (with its frame) on the
/// GUI VM's clipboard as image/png: Debian's wl-paste, a local client, gets the same pixels as
/// `canopy msg screenshot`; a VM's client is offered nothing; no file is written.
#[test]
fn ctrl_print_copies_to_the_desktops_clipboard_only() {
    let pictures = tempfile::tempdir().unwrap();
    let env = [("XDG_PICTURES_DIR", pictures.path().to_str().unwrap())];
    let mut c = Compositor::start_with_env("[vms.work-vm]\ntrust = \"work\"\n", &[], &env);
    let (_client, w) = c.open(Some("work-vm"), &["--title", "clip", "--size", "300x200", "--color", "2f8f4a"]);
    let reference = c.screenshot();
    let dir = c.runtime_dir().to_path_buf();
    let local_paste = |c: &Compositor| {
        let mut cmd = std::process::Command::new("wl-paste");
        cmd.args(["--type", "image/png"]);
        c.client_env(&mut cmd);
        let (ok, png) = paste(cmd);
        assert!(ok, "a local wl-paste gets the screenshot");
        let file = dir.join("pasted.png");
        std::fs::write(&file, png).unwrap();
        Image::load(&file).expect("a PNG")
    };

    c.msg(&["key", "ctrl+Print"]);
    c.wait_until("the copy notice", || c.log().matches("screenshot copied to the clipboard").count() == 1);
    assert_eq!(local_paste(&c).diff_count(&reference, 0), 0, "the output as canopy msg screenshot");

    c.msg(&["focus", &w.id.to_string()]);
    c.msg(&["key", "ctrl+alt+Print"]);
    c.wait_until("the copy notice", || c.log().matches("screenshot copied to the clipboard").count() == 2);
    // The VM's window has focus, but its programs are not offered the desktop's clipboard.
    let mut sandboxed = std::process::Command::new(canopy_tests::bin_path("canopy-sandbox"));
    sandboxed.args(["--vm", "work-vm", "--", "wl-paste"]);
    c.client_env(&mut sandboxed);
    assert_eq!(paste(sandboxed), (false, Vec::new()), "a VM's client saw the screenshot");
    let (x, y, width, height) = geometry(&w);
    let framed = reference.crop((x - 4) as u32, (y - 30) as u32, (width + 8) as u32, (height + 34) as u32);
    assert_eq!(local_paste(&c).diff_count(&framed, 0), 0, "the window with its frame");

    assert!(shots(&pictures.path().join("Screenshots")).is_empty(), "no file is written");
}
