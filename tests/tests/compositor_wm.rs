//! Window management through real input: drag to move, drag a border to resize, the pointer
//! shapes over the frame and while moving or resizing, the title bar buttons, double-click to
//! maximise, Alt+Tab, focus on click, keybindings from config.

use canopy_ipc::CursorImage;
use canopy_tests::fixture::geometry;
use canopy_tests::Compositor;

const CONFIG: &str = r#"
[vms.work-vm]
trust = "work"

[keybindings]
"Super+M" = "maximize"
"#;

fn id(w: &canopy_ipc::Window) -> String {
    w.id.to_string()
}

/// Press at `from`, move to `to`, release.
fn drag(c: &Compositor, from: (i32, i32), to: (i32, i32)) {
    c.msg(&["pointer-move", &from.0.to_string(), &from.1.to_string()]);
    c.msg(&["button-down"]);
    let mid = ((from.0 + to.0) / 2, (from.1 + to.1) / 2);
    c.msg(&["pointer-move", &mid.0.to_string(), &mid.1.to_string()]);
    c.msg(&["pointer-move", &to.0.to_string(), &to.1.to_string()]);
    c.msg(&["button-up"]);
}

fn click_at(c: &Compositor, x: i32, y: i32) {
    c.msg(&["pointer-move", &x.to_string(), &y.to_string()]);
    c.msg(&["click"]);
}

#[test]
fn drag_title_bar_moves_the_window() {
    let mut c = Compositor::start(CONFIG);
    let (_client, w) = c.open(Some("work-vm"), &[]);
    let (x, y, width, height) = geometry(&w);
    drag(&c, (x + 40, y - 13), (x + 140, y + 87));
    let moved = c.window(w.id);
    assert_eq!(geometry(&moved), (x + 100, y + 100, width, height));
}

#[test]
fn drag_border_resizes_the_window() {
    let mut c = Compositor::start(CONFIG);
    let (mut client, w) = c.open(Some("work-vm"), &["--size", "320x200"]);
    let (x, y, _, _) = geometry(&w);
    // Bottom-right corner, on the 4 px border.
    drag(&c, (x + 320 + 2, y + 200 + 2), (x + 382, y + 242));
    client.wait_event("configure", |e| e["width"] == 380 && e["height"] == 240);
    c.wait_until("the resized size", || geometry(&c.window(w.id)) == (x, y, 380, 240));
    // Top-left corner: the bottom-right corner stays where it is.
    let (x, y, _, _) = geometry(&c.window(w.id));
    drag(&c, (x - 2, y - 26 - 2), (x + 18, y - 26 + 8));
    client.wait_event("configure", |e| e["width"] == 360 && e["height"] == 230);
    c.wait_until("the second resize", || geometry(&c.window(w.id)) == (x + 20, y + 10, 360, 230));
}

/// Moves the pointer to (x, y) and returns the compositor's shape there.
fn shape_at(c: &Compositor, x: i32, y: i32) -> String {
    c.msg(&["pointer-move", &x.to_string(), &y.to_string()]);
    let cursor = c.cursor();
    assert_eq!(cursor.image, CursorImage::Default, "at ({x}, {y}): {cursor}");
    cursor.shape.unwrap_or_else(|| panic!("no shape at ({x}, {y})"))
}

#[test]
fn the_pointer_shows_resize_shapes_on_the_frame_and_the_clients_cursor_inside() {
    let mut c = Compositor::start(CONFIG);
    let (mut client, w) = c.open(Some("work-vm"), &["--size", "320x200", "--custom-cursor"]);
    let (x, y, width, height) = geometry(&w);
    // The frame: 4 px borders, a 26 px title bar above the client area.
    let (left, right, top, bottom) = (x - 2, x + width + 2, y - 28, y + height + 2);
    let (mid_x, mid_y) = (x + width / 2, y + height / 2);
    for (at, want) in [
        ((mid_x, top), "n-resize"),
        ((mid_x, bottom), "s-resize"),
        ((left, mid_y), "w-resize"),
        ((right, mid_y), "e-resize"),
        ((left, top), "nw-resize"),
        ((right, top), "ne-resize"),
        ((left, bottom), "sw-resize"),
        ((right, bottom), "se-resize"),
        ((x + 40, y - 13), "default"),
    ] {
        assert_eq!(shape_at(&c, at.0, at.1), want, "at {at:?}");
    }
    // The shape as drawn, at the bottom-right corner.
    c.msg(&["pointer-move", &right.to_string(), &bottom.to_string()]);
    let img = c.screenshot_with_pointer();
    canopy_tests::image::assert_golden(
        "cursor-se-resize",
        &img.crop((right - 20) as u32, (bottom - 20) as u32, 40, 40),
        0,
        0,
    );

    // Back inside, the client's own cursor again (it sets it on enter).
    let mark = client.mark();
    c.msg(&["pointer-move", &mid_x.to_string(), &mid_y.to_string()]);
    client.wait_event_since(mark, "cursor-set");
    c.wait_until("the client's cursor", || c.cursor().set_by.as_deref() == Some("work-vm"));

    // Moving: `move` all the way, even where the pointer passes over the client.
    c.msg(&["pointer-move", &(x + 40).to_string(), &(y - 13).to_string()]);
    c.msg(&["button-down"]);
    assert_eq!(c.cursor().shape.as_deref(), Some("move"));
    c.msg(&["pointer-move", &(x + 60).to_string(), &(y + 40).to_string()]);
    assert_eq!(c.cursor().shape.as_deref(), Some("move"));
    c.msg(&["button-up"]);
    // The title bar came along with the pointer: the arrow over it.
    assert_eq!(c.cursor().shape.as_deref(), Some("default"));
    let (x, y, width, _) = geometry(&c.window(w.id));

    // Resizing from the right edge: `e-resize` while the pointer moves, even over the client.
    let right = x + width + 2;
    c.msg(&["pointer-move", &right.to_string(), &(y + 50).to_string()]);
    c.msg(&["button-down"]);
    c.msg(&["pointer-move", &(right - 60).to_string(), &(y + 50).to_string()]);
    assert_eq!(c.cursor().shape.as_deref(), Some("e-resize"));
    c.msg(&["button-up"]);
    client.wait_event("configure", |e| e["width"] == 260);
    // Released over the client: its cursor once the pointer moves in it.
    c.msg(&["pointer-move", &(x + 20).to_string(), &(y + 50).to_string()]);
    c.wait_until("the client's cursor after the resize", || c.cursor().set_by.as_deref() == Some("work-vm"));
}

#[test]
fn maximise_restore_minimise_close() {
    let mut c = Compositor::start(CONFIG);
    let (mut client, w) = c.open(Some("work-vm"), &["--size", "320x200"]);
    let wid = w.id;
    let (x, y, width, height) = geometry(&w);
    // Double-click on the title bar maximises to the usable area, decorations included.
    c.msg(&["pointer-move", &(x + 40).to_string(), &(y - 13).to_string()]);
    c.msg(&["click"]);
    c.msg(&["click"]);
    client.wait_event("configure", |e| e["maximized"] == true && e["width"] == 1272 && e["height"] == 766);
    c.wait_until("maximised", || {
        let w = c.window(wid);
        w.maximized && geometry(&w) == (4, 30, 1272, 766)
    });
    // The maximise button (second from the right) restores.
    let (mx, my, mw, _) = geometry(&c.window(wid));
    click_at(&c, mx + mw - 26 - 13, my - 13);
    client.wait_event("configure", |e| e["maximized"] == false && e["width"] == 320);
    c.wait_until("restored", || {
        let w = c.window(wid);
        !w.maximized && geometry(&w) == (x, y, width, height)
    });
    // Minimise button (third from the right).
    click_at(&c, x + width - 52 - 13, y - 13);
    c.wait_until("minimised", || c.window(wid).minimized);
    // `canopy msg windows` reports where it was (and will be again), not null.
    assert_eq!(geometry(&c.window(wid)), (x, y, width, height), "a minimised window's last geometry");
    let img = c.screenshot();
    assert_eq!(img.pixel((x + 10) as u32, (y + 10) as u32), [0x20, 0x25, 0x2c], "a minimised window is not drawn");
    c.msg(&["focus", &wid.to_string()]);
    c.wait_until("restored from minimised", || {
        let w = c.window(wid);
        !w.minimized && w.focused && geometry(&w) == (x, y, width, height)
    });
    // Close button (right-most): the client is asked to close, and its window goes.
    click_at(&c, x + width - 13, y - 13);
    client.wait_event("close-requested", |_| true);
    c.wait_until("the window is gone", || c.windows().is_empty());
}

#[test]
fn click_focuses_and_raises_and_reaches_the_client() {
    let mut c = Compositor::start(CONFIG);
    let (mut a, wa) = c.open(Some("work-vm"), &["--title", "A"]);
    let (_b, wb) = c.open(Some("work-vm"), &["--title", "B"]);
    assert!(c.window(wb.id).focused);
    assert!(!c.window(wa.id).focused);
    let (x, y, _, _) = geometry(&wa);
    // A's top-left part is not covered by B (B is cascaded down and right).
    click_at(&c, x + 10, y + 10);
    c.wait_until("A focused", || c.window(wa.id).focused);
    assert!(!c.window(wb.id).focused);
    a.wait_event("keyboard-enter", |_| true);
    a.wait_event("button", |e| e["pressed"] == true && e["x"] == 10.0 && e["y"] == 10.0);
    // Raised: A's pixels now show where B overlapped it.
    let (bx, by, _, _) = geometry(&wb);
    let img = c.screenshot();
    assert_eq!(img.pixel((bx + 5) as u32, (by + 5) as u32), [0x3c, 0x78, 0xd8], "A is drawn over B");
}

#[test]
fn alt_tab_cycles_most_recently_used() {
    let mut c = Compositor::start(CONFIG);
    let (_a, wa) = c.open(Some("work-vm"), &["--title", "A"]);
    let (_b, wb) = c.open(Some("work-vm"), &["--title", "B"]);
    let (mut cc, wc) = c.open(Some("work-vm"), &["--title", "C"]);
    let focused = |c: &Compositor| c.windows().into_iter().find(|w| w.focused).map(|w| w.title.as_str().to_string());
    assert_eq!(focused(&c).as_deref(), Some("[work-vm] C"));
    c.msg(&["key", "alt+Tab"]);
    assert_eq!(focused(&c).as_deref(), Some("[work-vm] B"));
    c.msg(&["key", "alt+Tab"]);
    assert_eq!(focused(&c).as_deref(), Some("[work-vm] C"), "Alt+Tab goes back to the previous window");
    // Hold Alt and press Tab twice: the third most recent.
    c.msg(&["key-down", "alt"]);
    c.msg(&["key", "Tab", "Tab"]);
    c.msg(&["key-up", "alt"]);
    assert_eq!(focused(&c).as_deref(), Some("[work-vm] A"));
    let _ = (id(&wa), id(&wb), id(&wc));
    // The client never saw the Tab presses that the compositor took.
    let tab = 0xff09u64;
    cc.roundtrip();
    assert!(!cc.events().iter().any(|e| e["event"] == "key" && e["keysym"] == tab));
}

#[test]
fn keys_go_to_the_focused_window_only() {
    let mut c = Compositor::start(CONFIG);
    let (mut a, _) = c.open(Some("work-vm"), &["--title", "A"]);
    let (mut b, _) = c.open(Some("work-vm"), &["--title", "B"]);
    c.msg(&["type", "hi"]);
    b.wait_event("key", |e| e["utf8"] == "h");
    b.wait_event("key", |e| e["utf8"] == "i");
    a.roundtrip();
    assert!(!a.events().iter().any(|e| e["event"] == "key"), "A got keys while B had focus");
}

#[test]
fn keybinding_from_config() {
    let mut c = Compositor::start(CONFIG);
    let (mut client, w) = c.open(Some("work-vm"), &[]);
    c.msg(&["key", "super+m"]);
    client.wait_event("configure", |e| e["maximized"] == true);
    assert!(c.window(w.id).maximized);
}

/// Super+F on a maximised window and Super+F again gives back the maximised window (not its floating
/// size); unmaximising then returns the floating frame it had before both.
#[test]
fn fullscreen_from_maximised_returns_to_maximised() {
    let mut c = Compositor::start(CONFIG);
    let (mut client, w) = c.open(Some("work-vm"), &["--size", "320x200"]);
    let wid = w.id;
    let floating = geometry(&w);
    c.msg(&["key", "super+m"]);
    c.wait_until("maximised", || geometry(&c.window(wid)) == (4, 30, 1272, 766));
    c.msg(&["key", "super+f"]);
    client.wait_event("configure", |e| e["fullscreen"] == true);
    c.wait_until("fullscreen", || c.window(wid).fullscreen);
    c.msg(&["key", "super+f"]);
    client.wait_event("configure", |e| e["fullscreen"] == false && e["maximized"] == true && e["width"] == 1272);
    c.wait_until("maximised again", || {
        let w = c.window(wid);
        !w.fullscreen && w.maximized && geometry(&w) == (4, 30, 1272, 766)
    });
    // As a person would: the client has drawn its maximised frame before the next key.
    client.roundtrip();
    c.msg(&["key", "super+m"]);
    client.wait_event("configure", |e| e["maximized"] == false && e["width"] == 320);
    c.wait_until("floating again", || {
        let w = c.window(wid);
        !w.maximized && geometry(&w) == floating
    });
}

#[test]
fn move_and_resize_commands() {
    let mut c = Compositor::start(CONFIG);
    let (mut client, w) = c.open(Some("work-vm"), &[]);
    let wid = w.id.to_string();
    c.msg(&["move", &wid, "100", "150"]);
    assert_eq!(geometry(&c.window(w.id)), (100, 150, 320, 200));
    c.msg(&["resize", &wid, "500", "300"]);
    client.wait_event("configure", |e| e["width"] == 500 && e["height"] == 300);
    c.wait_until("resized", || geometry(&c.window(w.id)) == (100, 150, 500, 300));
}

/// A window dragged by the far end of its title bar until little of it shows, then shrunk by
/// its own client (its frame keeps its top-left), would be on no output at all: it comes back
/// wholly onto the output, so it can be seen and grabbed, and Alt+Tab never focuses it unseen.
#[test]
fn a_window_its_client_shrinks_off_the_screen_comes_back() {
    let mut c = Compositor::start(CONFIG);
    let (mut client, w) = c.open(Some("work-vm"), &["--size", "600x400"]);
    let (x, y, _, _) = geometry(&w);
    // Held left of the title bar's buttons.
    drag(&c, (x + 500, y - 13), (10, y - 13));
    let (dragged_x, _, _, _) = geometry(&c.window(w.id));
    assert_eq!(dragged_x, -490, "only the title bar's right end shows");
    client.send("size 200 150");
    client.wait_event("sized", |_| true);
    c.wait_until("the window back on the output", || {
        let (x, wy, width, height) = geometry(&c.window(w.id));
        (width, height) == (200, 150) && x >= 0 && wy == y
    });
    assert!(c.log().contains("the window's title bar left every output: brought back"), "{}", c.log());
}

#[test]
fn keyboard_layouts_switch_at_runtime() {
    let config = format!("{CONFIG}\n[keyboard]\nlayouts = [{{ layout = \"us\" }}, {{ layout = \"de\" }}]\n");
    let mut c = Compositor::start(&config);
    let (mut client, _) = c.open(Some("work-vm"), &[]);
    c.msg(&["key", "super+space"]);
    client.wait_event("modifiers", |e| e["layout"] == 1);
    // Injected keys are found by keysym in the active layout: ß exists only on the German one.
    c.msg(&["type", "ß"]);
    client.wait_event("key", |e| e["utf8"] == "ß");
    c.msg(&["key", "super+space"]);
    client.wait_event("modifiers", |e| e["layout"] == 0);
    let err = c.try_msg(&["type", "ß"]).unwrap_err();
    assert!(err.contains("no key types"), "{err}");
}

#[test]
fn wheel_scrolls_reach_the_window_under_the_pointer() {
    let mut c = Compositor::start(CONFIG);
    let (mut client, w) = c.open(Some("work-vm"), &[]);
    let (x, y, _, _) = geometry(&w);
    c.msg(&["pointer-move", &(x + 20).to_string(), &(y + 20).to_string()]);
    c.msg(&["scroll", "2"]);
    client.wait_event("axis", |e| e["vertical"] == 30.0 && e["vertical_v120"] == 240);
    c.msg(&["scroll", "--horizontal", "-1"]);
    client.wait_event("axis", |e| e["horizontal"] == -15.0 && e["horizontal_v120"] == -120);
}
