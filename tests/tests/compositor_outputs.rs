//! Outputs added and removed at runtime: windows on a removed output move to one that stays,
//! and a new output is usable at once. Windows fit their output: a VM window is no larger than
//! the usable area of the output that shows most of it, and no VM pixel shows on any output
//! without its frame around it there (pixel checks on both outputs, the panels' window lists).
//! At fractional scales content and frame meet at the same pixel. A notice about a window shows
//! on that window's output, not the pointer's. A window's commits, moves and focus changes
//! redraw only the outputs it is on.

#[path = "shell_support/mod.rs"]
mod shell_support;

use canopy_ipc::Rect;
use canopy_tests::fixture::{geometry, rgb};
use canopy_tests::image::Image;
use canopy_tests::Compositor;
use shell_support::{theme, window_markers, Desktop};

const CONFIG: &str = "[vms.work-vm]\ntrust = \"work\"\n";

fn output_names(c: &Compositor) -> Vec<String> {
    c.outputs().iter().map(|o| o.name.as_str().to_string()).collect()
}

#[test]
fn removing_an_output_rehomes_its_windows() {
    let mut c = Compositor::start_with(CONFIG, &["LEFT:1280x800", "RIGHT:1024x768"]);
    assert_eq!(output_names(&c), vec!["LEFT", "RIGHT"]);
    // New windows open on the output under the pointer.
    c.msg(&["pointer-move", "1500", "300"]);
    let (mut client, w) = c.open(Some("work-vm"), &[]);
    assert_eq!(w.output.as_deref(), Some("RIGHT"));
    let (x, _, _, _) = geometry(&w);
    assert!(x >= 1280, "opened on the right output: {w}");

    c.msg(&["output-remove", "RIGHT"]);
    assert_eq!(output_names(&c), vec!["LEFT"]);
    let w = c.window(w.id);
    let (x, y, width, height) = geometry(&w);
    assert_eq!(w.output.as_deref(), Some("LEFT"));
    assert!(x >= 4 && y >= 30 && x + width + 4 <= 1280 && y + height + 4 <= 800, "fully on the left output: {w}");
    // It is still drawn and still works: a click reaches it.
    c.wait_until("drawn on the left output", || {
        c.screenshot().pixel((x + 5) as u32, (y + 5) as u32) == [0x3c, 0x78, 0xd8]
    });
    c.msg(&["pointer-move", &(x + 5).to_string(), &(y + 5).to_string()]);
    c.msg(&["click"]);
    client.wait_event("button", |e| e["pressed"] == true);
}

#[test]
fn a_maximised_window_is_maximised_again_on_the_output_it_moves_to() {
    let mut c = Compositor::start_with(CONFIG, &["LEFT:1280x800", "RIGHT:1024x768"]);
    c.msg(&["pointer-move", "1500", "300"]);
    let (mut client, _) = c.open(Some("work-vm"), &["--maximize"]);
    client.wait_event("configure", |e| e["maximized"] == true && e["width"] == 1016);
    c.msg(&["output-remove", "RIGHT"]);
    client.wait_event("configure", |e| e["maximized"] == true && e["width"] == 1272 && e["height"] == 766);
}

fn frames(c: &Compositor, output: &str) -> u64 {
    c.outputs().into_iter().find(|o| o.name == output).expect("the output").frames
}

#[test]
fn an_animated_window_redraws_only_its_output() {
    let mut c = Compositor::start_with(CONFIG, &["LEFT:1280x800", "RIGHT:1024x768"]);
    let (_client, w) = c.open(Some("work-vm"), &["--animate", "--size", "320x200"]);
    assert_eq!(w.output.as_deref(), Some("LEFT"));
    let (left, right) = (frames(&c, "LEFT"), frames(&c, "RIGHT"));
    c.wait_until("twenty frames of the window's output", || frames(&c, "LEFT") >= left + 20);
    // The right output shows nothing that changed: at most the frames of the window's
    // focusing (its frame colour on every output it crosses) that were still to come.
    let more = frames(&c, "RIGHT") - right;
    assert!(more <= 2, "the right output was redrawn {more} times for a window on the left");
}

#[test]
fn dragging_a_window_redraws_only_its_output() {
    let mut c = Compositor::start_with(CONFIG, &["LEFT:1280x800", "RIGHT:1024x768"]);
    let (_client, w) = c.open(Some("work-vm"), &["--size", "320x200"]);
    assert_eq!(w.output.as_deref(), Some("LEFT"));
    let (x, y, _, _) = geometry(&w);
    c.msg(&["pointer-move", &(x + 40).to_string(), &(y - 13).to_string()]);
    c.msg(&["button-down"]);
    let right = frames(&c, "RIGHT");
    // Thirty steps of a title-bar drag within the left output, each waited for until drawn.
    for i in 1..=30 {
        let left = frames(&c, "LEFT");
        c.msg(&["pointer-move", &(x + 40 + 5 * i).to_string(), &(y - 13 + 3 * i).to_string()]);
        c.wait_until("the step drawn on the left output", || frames(&c, "LEFT") > left);
    }
    c.msg(&["button-up"]);
    let moved = c.windows().into_iter().find(|v| v.id == w.id).expect("the window");
    assert_eq!((geometry(&moved).0, geometry(&moved).1), (x + 150, y + 90), "the drag moved the window");
    // At most the frames of the press's focusing that were still to come.
    let more = frames(&c, "RIGHT") - right;
    assert!(more <= 2, "the right output was redrawn {more} times for a window dragged on the left");
}

#[test]
fn clicking_between_windows_redraws_only_their_output() {
    let mut c = Compositor::start_with(CONFIG, &["LEFT:1280x800", "RIGHT:1024x768"]);
    let (_a, a) = c.open(Some("work-vm"), &["--size", "320x200"]);
    let (_b, b) = c.open(Some("work-vm"), &["--size", "320x200"]);
    assert_eq!((a.output.as_deref(), b.output.as_deref()), (Some("LEFT"), Some("LEFT")));
    // Inside A's content where B does not cover it, and B's bottom-right corner beyond A's
    // frame (not title bars: two clicks there in a row would maximise).
    let (ax, ay, _, _) = geometry(&a);
    let (bx, by, bw, bh) = geometry(&b);
    assert!(bx + bw - 10 > ax + 320 + 4 && by > ay + 10, "the windows cascade: {a} {b}");
    let spots = [(a.id, ax + 10, ay + 10), (b.id, bx + bw - 10, by + bh - 10)];
    c.wait_until("B focused", || c.window(b.id).focused);
    let right = frames(&c, "RIGHT");
    // Ten clicks, each waited for until its window has the focus and the left output drew it.
    for i in 0..10 {
        let (id, x, y) = spots[i % 2];
        let left = frames(&c, "LEFT");
        c.msg(&["pointer-move", &x.to_string(), &y.to_string()]);
        c.msg(&["click"]);
        c.wait_until("the clicked window focused", || c.window(id).focused);
        c.wait_until("the focus drawn on the left output", || frames(&c, "LEFT") > left);
    }
    // At most the frames of B's focusing on mapping that were still to come.
    let more = frames(&c, "RIGHT") - right;
    assert!(more <= 2, "the right output was redrawn {more} times for focus changes on the left");
}

#[test]
fn an_added_output_is_usable() {
    let mut c = Compositor::start(CONFIG);
    let outputs = canopy_tests::fixture::outputs(c.msg(&["output-add", "EXTRA", "800x600@2"]));
    let extra = outputs.into_iter().find(|o| o.name == "EXTRA").expect("EXTRA listed");
    assert_eq!(extra.scale, 2.0);
    assert_eq!(extra.logical, Rect { x: 1280, y: 0, width: 400, height: 300 });
    c.msg(&["pointer-move", "1400", "100"]);
    let (mut client, w) = c.open(Some("work-vm"), &["--size", "200x100"]);
    assert_eq!(w.output.as_deref(), Some("EXTRA"));
    client.wait_event("scale", |e| e["factor"] == 2);
    let img = c.screenshot_of(Some("EXTRA"));
    assert_eq!((img.width, img.height), (800, 600), "screenshots are in output pixels");
    let (x, y, _, _) = geometry(&w);
    let (px, py) = (((x - 1280) * 2 + 10) as u32, ((y * 2) + 10) as u32);
    c.wait_until("the window on the new output", || c.screenshot_of(Some("EXTRA")).pixel(px, py) == [0x3c, 0x78, 0xd8]);
    assert!(c.try_msg(&["output-add", "EXTRA", "800x600"]).unwrap_err().contains("exists already"));
}

#[test]
fn the_last_output_cannot_be_removed() {
    let c = Compositor::start(CONFIG);
    let e = c.try_msg(&["output-remove", "HEADLESS-1"]).unwrap_err();
    assert!(e.contains("last output"), "{e}");
    let e = c.try_msg(&["output-remove", "NOPE"]).unwrap_err();
    assert!(e.contains("no output named NOPE"), "{e}");
}

fn frame_colours(level: &str) -> Vec<[u8; 3]> {
    let t = theme();
    let c = t.colours(level);
    vec![rgb(c.focused), rgb(c.unfocused)]
}

fn count(img: &Image, colours: &[[u8; 3]]) -> usize {
    colours.iter().map(|&c| img.count_colour(0, 0, img.width, img.height, c)).sum()
}

/// Every pixel of `content` on every output is enclosed by the window's frame there.
fn assert_framed_everywhere(c: &Compositor, content: &[[u8; 3]], frame: &[[u8; 3]]) {
    for output in ["LEFT", "RIGHT"] {
        let img = c.screenshot_of(Some(output));
        let bad = img.unframed(content, frame);
        if !bad.is_empty() {
            let path =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../target/unframed-{output}.png"));
            img.save(&path).unwrap();
            panic!(
                "VM pixels without a frame on {output} at {:?}… (screenshot {})",
                &bad[..bad.len().min(5)],
                path.display()
            );
        }
    }
}

fn markers(d: &Desktop, output: &str) -> usize {
    window_markers(&d.panel_strip(output, 1), rgb(theme().colours("untrusted").focused), 1).len()
}

#[test]
fn an_oversized_vm_window_fits_its_output_and_never_shows_unframed() {
    let mut d = Desktop::start(&["LEFT:1280x800", "RIGHT:1024x768"]);
    d.panel();
    let frame = frame_colours("untrusted");
    d.compositor.msg(&["pointer-move", "600", "400"]);
    // A window asking for 2000x2000 is configured down to LEFT's usable area (below the panel)
    // less its frame, and placed wholly on LEFT.
    let (mut polite, pw) = d.compositor.open(Some("web"), &["--size", "2000x2000", "--solid", "--color", "b03080"]);
    polite.wait_event("configure", |e| e["width"] == 1272 && e["height"] == 702 + 32);
    polite.wait_event("drawn", |e| e["width"] == 1272);
    let c = &d.compositor;
    c.wait_until("the window at its fitted size", || {
        let w = &c.windows()[0];
        let (x, y, width, height) = geometry(w);
        width == 1272
            && x >= 4
            && y >= 32 + 30
            && x + width + 4 <= 1280
            && y + height + 4 <= 800
            && w.output.as_deref() == Some("LEFT")
    });
    let content = [[0xb0, 0x30, 0x80]];
    c.wait_until("drawn", || count(&c.screenshot_of(Some("LEFT")), &content) > 0);
    assert_framed_everywhere(c, &content, &frame);
    assert_eq!(count(&c.screenshot_of(Some("RIGHT")), &content), 0, "nothing of it on RIGHT");
    d.wait_until("LEFT's panel lists it, RIGHT's does not", || markers(&d, "LEFT") == 1 && markers(&d, "RIGHT") == 0);
    d.compositor.msg(&["close", &pw.id.to_string()]);
    d.wait_until("it closes", || d.compositor.windows().is_empty());

    // A VM that ignores the configure and draws 2000x2000 anyway is cut inside its frame.
    let (mut hostile, w) = d
        .compositor
        .open(Some("web"), &["--size", "2000x2000", "--ignore-configure-size", "--solid", "--color", "30a0b0"]);
    let id = w.id;
    let c = &d.compositor;
    let (x, y, width, height) = geometry(&c.window(id));
    assert!((width, height) == (1272, 734) && x >= 4 && x + width + 4 <= 1280, "bounded: {}", c.window(id));
    assert!(y + height + 4 <= 800);
    let content = [[0x30, 0xa0, 0xb0]];
    c.wait_until("drawn", || count(&c.screenshot_of(Some("LEFT")), &content) > 0);
    assert_framed_everywhere(c, &content, &frame);
    assert_eq!(count(&c.screenshot_of(Some("RIGHT")), &content), 0, "nothing of it on RIGHT");

    // Moved by the user (here by IPC) so that most of it is on RIGHT: it belongs to RIGHT, is
    // bounded by RIGHT, RIGHT's panel lists it, and along the seam each output draws its frame.
    c.msg(&["move", &id.to_string(), "1000", "100"]);
    let w = c.window(id);
    assert_eq!(w.output.as_deref(), Some("RIGHT"));
    assert_eq!(geometry(&w), (1000, 100, 1016, 702), "bounded by RIGHT's usable area");
    c.wait_until("drawn across both", || {
        count(&c.screenshot_of(Some("LEFT")), &content) > 0 && count(&c.screenshot_of(Some("RIGHT")), &content) > 0
    });
    assert_framed_everywhere(c, &content, &frame);
    d.wait_until("RIGHT's panel lists it, LEFT's does not", || markers(&d, "RIGHT") == 1 && markers(&d, "LEFT") == 0);
    // The band along RIGHT's left edge is frame for input too; just inside it is the VM.
    let c = &d.compositor;
    let mark = hostile.mark();
    c.msg(&["pointer-move", "1281", "300"]);
    c.msg(&["click"]);
    c.msg(&["pointer-move", "1300", "300"]);
    c.msg(&["click"]);
    let press = hostile.wait_event_since(mark, "button");
    assert_eq!((press["x"].as_f64(), press["y"].as_f64()), (Some(300.0), Some(200.0)), "the band took no click");
}

#[test]
fn after_an_output_goes_windows_keep_their_place_on_theirs_and_are_wholly_on_one() {
    // Issue 15: A (600x600) left of B (1000x600), a window on B; removing A moves B to x = 0.
    let mut c = Compositor::start_with(CONFIG, &["A:600x600", "B:1000x600"]);
    c.msg(&["pointer-move", "1000", "300"]);
    let (_b, wb) = c.open(Some("work-vm"), &["--title", "on B"]);
    c.msg(&["move", &wb.id.to_string(), "700", "150"]);
    // A focused VM window on A that overlaps B by one pixel (its right frame edge on B).
    c.msg(&["pointer-move", "300", "300"]);
    let (mut a, wa) = c.open(Some("work-vm"), &["--title", "on A", "--color", "c62828"]);
    let (_, _, aw, _) = geometry(&wa);
    c.msg(&["move", &wa.id.to_string(), &(600 - 4 - aw + 1).to_string(), "100"]);
    c.msg(&["focus", &wa.id.to_string()]);
    assert_eq!(c.window(wa.id).output.as_deref(), Some("A"));

    c.msg(&["output-remove", "A"]);
    let out = c.outputs();
    assert_eq!(out[0].logical, Rect { x: 0, y: 0, width: 1000, height: 600 });
    // The window on B kept its place on B.
    let b = c.window(wb.id);
    assert_eq!((geometry(&b).0, geometry(&b).1), (100, 150), "kept its place relative to B: {b}");
    // Every window is wholly on B, and the focused one still has the keyboard.
    for w in c.windows() {
        let (x, y, width, height) = geometry(&w);
        assert!(x >= 4 && y >= 30 && x + width + 4 <= 1000 && y + height + 4 <= 600, "wholly on B: {w}");
        assert_eq!(w.output.as_deref(), Some("B"));
    }
    let moved = c.window(wa.id);
    assert!(moved.focused);
    let (x, y, _, _) = geometry(&moved);
    c.wait_until("drawn on B", || c.screenshot().pixel((x + 5) as u32, (y + 5) as u32) == [0xc6, 0x28, 0x28]);
    let mark = a.mark();
    c.msg(&["type", "7"]);
    a.wait_event_since(mark, "key");
}

#[test]
fn at_fractional_scales_content_and_frame_meet() {
    let outputs = ["S125:1600x1000@1.25", "S150:1920x1200@1.5", "S175:2240x1400@1.75"];
    let mut c = Compositor::start_with(CONFIG, &outputs);
    let bg = rgb(theme().desktop.background);
    for (i, spec) in outputs.iter().enumerate() {
        let name = spec.split(':').next().unwrap();
        let scale: f64 = spec.rsplit('@').next().unwrap().parse().unwrap();
        let x0 = 1280 * i as i32;
        c.msg(&["pointer-move", &(x0 + 600).to_string(), "400"]);
        // Odd sizes at odd places: the edges fall between physical pixels.
        let (_client, w) = c.open(Some("work-vm"), &["--size", "321x201", "--color", "c62828"]);
        c.msg(&["move", &w.id.to_string(), &(x0 + 101).to_string(), "77"]);
        let (x, y, width, height) = geometry(&c.window(w.id));
        assert_eq!((width, height), (321, 201));
        let px = |v: i32| (v as f64 * scale).round() as u32;
        let (lx, ly) = (x - x0, y);
        c.wait_until("drawn", || c.screenshot_of(Some(name)).pixel(px(lx + 3), px(ly + 3)) == [0xc6, 0x28, 0x28]);
        let img = c.screenshot_of(Some(name));
        // From just inside the frame's outer edge, across the whole window: no desktop colour.
        let (ox0, oy0, ox1, oy1) = (px(lx - 4) + 1, px(ly - 30) + 1, px(lx + width + 4) - 1, px(ly + height + 4) - 1);
        let gap = img.count_colour(ox0, oy0, ox1 - ox0, oy1 - oy0, bg);
        if gap > 0 {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../target/seam-{name}.png"));
            img.save(&path).unwrap();
            panic!("{gap} pixels of desktop between content and frame at scale {scale} ({})", path.display());
        }
    }
}

#[test]
fn resizing_a_vm_window_stops_at_its_outputs_bound() {
    let mut c = Compositor::start_with(CONFIG, &["LEFT:1280x800", "RIGHT:1024x768"]);
    c.msg(&["pointer-move", "600", "400"]);
    let (mut client, w) = c.open(Some("work-vm"), &["--size", "320x200"]);
    c.msg(&["move", &w.id.to_string(), "4", "30"]);
    // Its bottom-right corner dragged far onto RIGHT.
    c.msg(&["pointer-move", "326", "232"]);
    c.msg(&["button-down"]);
    c.msg(&["pointer-move", "1200", "600"]);
    c.msg(&["pointer-move", "2200", "760"]);
    client.wait_event("configure", |e| e["width"] == 1272 && e["height"] == 728);
    c.msg(&["button-up"]);
    client.wait_event("configure", |e| e["resizing"] == false && e["width"] == 1272);
    let wider: Vec<_> =
        client.events().iter().filter(|e| e["width"].as_i64().is_some_and(|v| v > 1272)).cloned().collect();
    assert!(wider.is_empty(), "asked to grow past LEFT: {wider:?}");
    c.wait_until("drawn at the bound", || geometry(&c.window(w.id)).2 == 1272);
    assert_eq!(c.window(w.id).output.as_deref(), Some("LEFT"));
}

#[test]
fn a_notice_shows_on_the_output_of_its_window() {
    let mut c = Compositor::start_with(CONFIG, &["A:600x600", "B:1000x600"]);
    c.msg(&["pointer-move", "1000", "300"]);
    let (_b, wb) = c.open(Some("work-vm"), &["--title", "on B"]);
    c.msg(&["move", &wb.id.to_string(), "700", "300"]);
    c.msg(&["focus", &wb.id.to_string()]);
    assert_eq!(c.window(wb.id).output.as_deref(), Some("B"));
    // The pointer goes to A; the notice is about B's window.
    c.msg(&["pointer-move", "300", "300"]);
    let band = |img: &Image, width: u32| img.crop(width / 2 - 60, 16, 120, 36);
    let (a_before, b_before) = (band(&c.screenshot_of(Some("A")), 600), band(&c.screenshot_of(Some("B")), 1000));
    c.msg(&["key", "ctrl+shift+c"]);
    c.wait_until("the notice on B", || band(&c.screenshot_of(Some("B")), 1000) != b_before);
    assert!(c.log().contains("Nothing copied: [work-vm] has nothing in its clipboard"), "{}", c.log());
    assert!(band(&c.screenshot_of(Some("A")), 600) == a_before, "the notice showed on the pointer's output A");
}
