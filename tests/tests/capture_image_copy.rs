//! ext-image-copy-capture for the GUI VM's own programs, through our small client
//! `canopy-capture` (no Debian tool in bookworm speaks it): an output's frame equals `canopy msg
//! screenshot`, a window's frame is the window with its trust frame as the user sees it, the
//! pointer only when asked; a later frame comes after a change and its damage covers the change,
//! and the same holds for wlr-screencopy's `copy_with_damage`. A VM's client is not offered it.

use canopy_tests::fixture::geometry;
use canopy_tests::{Client, Compositor, Image};
use serde_json::Value;

/// The next frame line `canopy-capture` prints, with its image when it is ready.
fn next_frame(client: &mut Client, n: u64) -> (Value, Option<Image>) {
    let v = client.wait_json(&format!("frame {n}"), |v| v["frame"] == n || v.get("error").is_some());
    assert!(v.get("error").is_none() && v.get("failed").is_none(), "frame {n}: {v}");
    let image = v["file"].as_str().map(|f| Image::load(std::path::Path::new(f)).expect("the frame's PNG"));
    (v, image)
}

/// Whether the frame's damage rectangles together hold every pixel of `rect` (x, y, w, h).
fn covers(frame: &Value, rect: (i32, i32, i32, i32)) -> bool {
    let damage: Vec<[i32; 4]> = serde_json::from_value(frame["damage"].clone()).expect("damage rectangles");
    let (x, y, w, h) = rect;
    (y..y + h).all(|py| {
        (x..x + w).all(|px| damage.iter().any(|d| px >= d[0] && px < d[0] + d[2] && py >= d[1] && py < d[1] + d[3]))
    })
}

/// The window with its 4 px border and 30 px title bar, as drawn.
fn framed(w: &canopy_ipc::reply::Window) -> (i32, i32, i32, i32) {
    let (x, y, width, height) = geometry(w);
    (x - 4, y - 30, width + 8, height + 34)
}

fn crop(image: &Image, (x, y, w, h): (i32, i32, i32, i32)) -> Image {
    image.crop(x as u32, y as u32, w as u32, h as u32)
}

#[test]
fn image_copy_capture_of_outputs_and_windows() {
    let mut c = Compositor::start("");
    let (_client, w) = c.open(None, &["--title", "shot", "--size", "300x200", "--color", "d04a2f"]);
    let dir = c.runtime_dir().to_path_buf();
    let arg = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let output = c.outputs()[0].name.clone();

    // The whole output, as `canopy msg screenshot` renders it; the capture is logged by program.
    let mut shot = c.spawn("canopy-capture", &["ext", "--output", &output, &arg("whole")]);
    let (_, whole) = next_frame(&mut shot, 0);
    let reference = c.screenshot();
    assert_eq!(whole.as_ref().expect("an image").diff_count(&reference, 0), 0, "differs from canopy msg screenshot");
    let log = c.log();
    let started = log.lines().find(|l| l.contains("screen capture started")).expect("the capture is logged");
    assert!(started.contains("canopy-capture"), "named by its program: {started}");

    // The window with its trust frame and title bar.
    let mut win = c.spawn("canopy-capture", &["ext", "--toplevel", "shot", &arg("window")]);
    let (frame, image) = next_frame(&mut win, 0);
    let rect = framed(&w);
    assert_eq!(frame["size"], serde_json::json!([rect.2, rect.3]));
    assert_eq!(image.expect("an image").diff_count(&crop(&reference, rect), 0), 0, "the window differs");

    // The pointer only with paint_cursors.
    c.msg(&["pointer-move", "400", "300"]);
    let mut pointer = c.spawn("canopy-capture", &["ext", "--output", &output, "--cursor", &arg("pointer")]);
    let with_pointer = next_frame(&mut pointer, 0).1.expect("an image");
    assert_eq!(with_pointer.diff_count(&c.screenshot_with_pointer(), 0), 0, "differs from screenshot --pointer");
    assert!(with_pointer.diff_count(&reference, 0) > 0, "the pointer is drawn");

    // A VM's client is not offered the global (nor the source managers: compositor_trust).
    let mut vm = c.spawn_in_vm("work-vm", "canopy-capture", &["ext", "--output", &output, &arg("vm")]);
    let refused = vm.wait_json("the client's error", |v| v.get("error").is_some());
    assert!(refused["error"].as_str().unwrap_or_default().contains("not offered"), "{refused}");
}

#[test]
fn later_frames_wait_for_a_change_and_report_it() {
    let mut c = Compositor::start("");
    let (_client, w) = c.open(None, &["--title", "moved", "--size", "200x150", "--color", "2f6fd0"]);
    let dir = c.runtime_dir().to_path_buf();
    let output = c.outputs()[0].name.clone();
    let mut x = geometry(&w).0;
    for kind in ["ext", "wlr"] {
        let out = dir.join(kind).to_string_lossy().into_owned();
        let mut rec = c.spawn("canopy-capture", &[kind, "--output", &output, "--frames", "2", &out]);
        let (first, _) = next_frame(&mut rec, 0);
        let outputs = c.outputs();
        let mode = outputs[0].mode.as_ref().expect("a mode");
        assert!(covers(&first, (0, 0, mode.width, mode.height)), "the first frame is all damage: {first}");

        // The recorder asks for the next frame at once; it comes once the window has moved.
        let before = framed(&c.window(w.id));
        x += 150;
        c.msg(&["move", &w.id.to_string(), &x.to_string(), "120"]);
        let after = framed(&c.window(w.id));
        let (second, image) = next_frame(&mut rec, 1);
        assert!(
            covers(&second, before) && covers(&second, after),
            "{kind}: damage {second} misses {before:?} or {after:?}"
        );
        assert_eq!(image.expect("an image").diff_count(&c.screenshot(), 0), 0, "{kind}: the frame shows the move");
    }
}
