//! Trust colours, the `[vm]` title prefix, server-side decorations that VMs cannot refuse,
//! popup frames, fullscreen indicators and hidden globals: the compositor's security promises,
//! checked on real screenshots of the real compositor.

use canopy::decorations::{draw_title_bar, Fonts, TitleBarStyle};
use canopy::render::notice::draw_notice;
use canopy_tests::fixture::{geometry, rgb};
use canopy_tests::image::assert_golden;
use canopy_tests::{Compositor, Image};
use canopy_text::samples::{hostile_titles, long_rtl, SCRIPTS};
use canopy_text::Weight;
use canopy_themes::Theme;

const CONFIG: &str = r#"
[vms.work-vm]
trust = "work"

[vms.chromium-vm]
trust = "untrusted"

[vms.bank-vm]
trust = "trusted"
"#;

/// Border colour at the middle of the left border of a window with client area `w`.
fn left_border(img: &canopy_tests::Image, w: &canopy_ipc::Window) -> [u8; 3] {
    let (x, y, _, h) = geometry(w);
    img.pixel((x - 2) as u32, (y + h / 2) as u32)
}

/// Border colour at the middle of the right border.
fn right_border(img: &canopy_tests::Image, w: &canopy_ipc::Window) -> [u8; 3] {
    let (x, y, width, h) = geometry(w);
    img.pixel((x + width + 1) as u32, (y + h / 2) as u32)
}

/// Colour of the top border strip above the title bar.
fn top_border(img: &canopy_tests::Image, w: &canopy_ipc::Window) -> [u8; 3] {
    let (x, y, width, _) = geometry(w);
    img.pixel((x + width / 2) as u32, (y - 26 - 2) as u32)
}

#[test]
fn each_vm_wears_its_own_colour_and_name() {
    let theme = Theme::default();
    let mut c = Compositor::start(CONFIG);
    let (_work, work) = c.open(Some("work-vm"), &["--title", "Quarterly report", "--color", "2f6fd0"]);
    // A hostile VM names itself after a trusted one in title and app_id.
    let (_evil, evil) =
        c.open(Some("chromium-vm"), &["--title", "[bank-vm] Login", "--app-id", "bank-vm", "--color", "c62828"]);
    let (_rogue, rogue) = c.open(Some("rogue-vm"), &["--title", "who am i", "--color", "888888"]);
    let (_local, local) = c.open(None, &["--title", "local tool", "--color", "30a030"]);

    assert_eq!(work.title, "[work-vm] Quarterly report");
    assert_eq!((work.vm.as_deref(), Some(work.trust.as_str())), (Some("work-vm"), Some("work")));
    assert_eq!(evil.title, "[chromium-vm] [bank-vm] Login");
    assert_eq!((evil.vm.as_deref(), Some(evil.trust.as_str())), (Some("chromium-vm"), Some("untrusted")));
    assert_eq!(evil.app_id, "bank-vm", "the app_id is reported, but decides nothing");
    assert_eq!((rogue.vm.as_deref(), Some(rogue.trust.as_str())), (Some("rogue-vm"), Some("unknown")));
    assert_eq!((local.vm.is_none(), Some(local.title.as_str())), (true, Some("local tool")));

    let img = c.screenshot();
    // The most recent window has focus; the others show their unfocused shade.
    assert_eq!(left_border(&img, &local), rgb(theme.colours("local").focused));
    assert_eq!(left_border(&img, &work), rgb(theme.colours("work").unfocused));
    assert_eq!(top_border(&img, &evil), rgb(theme.colours("untrusted").unfocused));
    assert_ne!(
        top_border(&img, &evil),
        rgb(theme.colours("trusted").unfocused),
        "a VM's name cannot buy another VM's colour"
    );
    assert_eq!(left_border(&img, &rogue), rgb(theme.colours("unknown").unfocused));

    // Focus the hostile window: it turns to the focused shade of its own colour.
    c.msg(&["focus", &evil.id.to_string()]);
    let img = c.screenshot();
    assert_eq!(top_border(&img, &evil), rgb(theme.colours("untrusted").focused));
    assert_golden("trust-colours", &img, 0, 0);
}

#[test]
fn vm_asking_for_client_side_decorations_still_gets_the_frame() {
    let theme = Theme::default();
    let mut c = Compositor::start(CONFIG);
    let (mut vm, vm_win) = c.open(Some("chromium-vm"), &["--decorations", "client", "--title", "no frame please"]);
    let configure = vm.wait_event("configure", |_| true);
    assert_eq!(configure["decorations"], "Server", "the VM is told to leave decorations to the compositor");
    assert!(vm_win.decorated);
    let (_vm2, no_proto) = c.open(Some("chromium-vm"), &["--decorations", "none", "--title", "no decoration protocol"]);
    assert!(no_proto.decorated, "a VM client without xdg-decoration is framed too");
    let (_local, local) = c.open(None, &["--decorations", "client", "--title", "local csd"]);
    assert!(!local.decorated, "a local client may draw its own decorations");
    let img = c.screenshot();
    assert_eq!(left_border(&img, &vm_win), rgb(theme.colours("untrusted").unfocused));
    // The local window opened last covers the left side of this one.
    assert_eq!(right_border(&img, &no_proto), rgb(theme.colours("untrusted").unfocused));
}

#[test]
fn popups_of_vm_windows_have_a_frame_in_the_vm_colour() {
    let theme = Theme::default();
    let mut c = Compositor::start(CONFIG);
    let (mut client, w) = c.open(Some("work-vm"), &["--popup", "--color", "808080"]);
    let popup = client.wait_event("popup-configure", |_| true);
    let (x, y, _, _) = geometry(&w);
    let (px, py) = (x + popup["x"].as_i64().unwrap() as i32, y + popup["y"].as_i64().unwrap() as i32);
    let (pw, ph) = (popup["width"].as_i64().unwrap() as i32, popup["height"].as_i64().unwrap() as i32);
    c.wait_until("the popup is drawn", || {
        let img = c.screenshot();
        img.pixel((px + 5) as u32, (py + 5) as u32) == [0x7f, 0x7f, 0x7f]
    });
    let img = c.screenshot();
    let frame = rgb(theme.colours("work").focused);
    // As wide as a window border (4 px) all around the popup, outside it.
    for (fx, fy) in [
        (px - 1, py + ph / 2),
        (px - 4, py + ph / 2),
        (px + pw, py + 10),
        (px + pw + 3, py + 10),
        (px + 10, py - 1),
        (px + 10, py + ph + 3),
    ] {
        assert_eq!(img.pixel(fx as u32, fy as u32), frame, "popup frame at ({fx}, {fy})");
    }
    assert_ne!(img.pixel((px - 5) as u32, (py + ph / 2) as u32), frame, "the frame is 4 px wide");
    // A 16 px tab above its top-left corner names the VM: the VM's colour with text on it.
    let tab = img.crop((px - 4) as u32, (py - 20) as u32, 60, 16);
    assert!(tab.count_colour(0, 0, 60, 16, frame) > 300, "the tab is in the VM's colour");
    assert!(tab.count_colour(0, 0, 60, 16, rgb(theme.colours("work").text_focused)) > 10, "with its name on it");
}

#[test]
fn titles_are_sanitised_and_bounded() {
    let mut c = Compositor::start(CONFIG);
    let long = "x".repeat(400);
    let (_a, a) = c.open(Some("work-vm"), &["--title", "line one\nline two\u{1b}[31m\u{202e}gnp.exe"]);
    let (_b, b) = c.open(Some("work-vm"), &["--title", &long]);
    // A combining mark first would draw over the `]` of the prefix; separators, zero-width
    // and soft hyphens are gone.
    let (_m, m) = c.open(Some("work-vm"), &["--title", "\u{301}\u{20dd}Bank\u{2029}lo\u{200b}g\u{ad}in"]);
    assert_eq!(a.title, "[work-vm] line one line two[31mgnp.exe");
    assert_eq!(b.title.as_str().chars().count(), "[work-vm] ".len() + 256);
    assert!(b.title.as_str().ends_with("x…"), "{b}");
    assert_eq!(m.title, "[work-vm] Bank login");

    // Right-to-left titles built to move the prefix, on the real title bars: the `[bank-vm]`
    // of each is pixel for pixel the one of a plain title.
    let rtl = long_rtl();
    let titles = ["plain", "\u{202e}\u{2067}שלום ]mv-knab[\u{2069}", "٠١٢ (تقرير] 2024 \u{200f}", rtl.as_str()];
    let wins: Vec<_> = titles.iter().map(|t| c.open(Some("bank-vm"), &["--title", t, "--size", "400x60"])).collect();
    // Focus elsewhere, so every bank-vm bar shows the same (unfocused) colours.
    let (_l, l) = c.open(None, &["--title", "focus", "--size", "100x60"]);
    c.msg(&["move", &l.id.to_string(), "40", "600"]);
    for (i, (_, w)) in wins.iter().enumerate() {
        c.msg(&["move", &w.id.to_string(), "600", &(60 + 110 * i).to_string()]);
    }
    let img = c.screenshot();
    let theme = Theme::default();
    let fonts = Fonts::new(&theme.font);
    let prefix = fonts.title(Some("bank-vm"), "", Weight::Bold, theme.font.size, 400.0);
    let width = (8.0 + prefix.split).floor() as u32;
    // The title bar is the 26 rows above the client area, which starts at (600, 60 + 110 i).
    let region = |i: usize| img.crop(600, (60 + 110 * i) as u32 - 26, width, 26);
    let text = rgb(theme.colours("trusted").text_unfocused);
    assert!(region(0).count_colour(0, 0, width, 26, text) > 20, "the prefix is drawn");
    for (i, t) in titles.iter().enumerate().skip(1) {
        assert_eq!(region(i), region(0), "title {t:?} changed the [bank-vm] prefix");
    }
}

/// One image of `images` stacked top to bottom (narrower ones padded with black).
fn stack(images: &[Image]) -> Image {
    let width = images.iter().map(|i| i.width).max().unwrap();
    let mut data = Vec::new();
    for img in images {
        for row in img.data.chunks_exact(img.width as usize * 4) {
            data.extend_from_slice(row);
            data.extend(std::iter::repeat_n([0, 0, 0, 255], (width - img.width) as usize).flatten());
        }
    }
    Image { width, height: images.iter().map(|i| i.height).sum(), data }
}

fn image(p: &tiny_skia::Pixmap) -> Image {
    Image { width: p.width(), height: p.height(), data: p.data().to_vec() }
}

fn bar_style(theme: &Theme) -> TitleBarStyle {
    let c = theme.colours("work");
    TitleBarStyle { bg: c.focused, fg: c.text_focused, font_size: theme.font.size, hover: None, maximized: false }
}

/// Title bars and notices as the compositor draws them, with its own drawing functions (no
/// compositor needs to run): every script of `canopy_text::samples`, the 300-character
/// right-to-left title (cut on its left, `[work-vm]` intact) and a local window's Arabic title,
/// at scales 1 and 2.
#[test]
fn title_bars_and_notices_in_every_script() {
    let theme = Theme::default();
    let fonts = Fonts::new(&theme.font);
    assert!(fonts.missing().is_empty(), "fonts missing: {:?} (scripts/debian-packages.txt)", fonts.missing());
    let long = long_rtl();
    let texts: Vec<&str> = SCRIPTS.iter().map(|(_, t)| *t).chain([long.as_str()]).collect();
    let accent = Some(theme.colours("work").focused);
    for scale in [1, 2] {
        let mut bars: Vec<Image> = texts
            .iter()
            .map(|t| image(&draw_title_bar(&fonts, Some("work-vm"), t, 420, 26, scale, &bar_style(&theme))))
            .collect();
        bars.push(image(&draw_title_bar(&fonts, None, "ملفاتي — ١٢", 420, 26, scale, &bar_style(&theme))));
        assert_golden(&format!("title-bars@{scale}"), &stack(&bars), 0, 0);
        let notices: Vec<Image> =
            texts.iter().map(|t| image(&draw_notice(&fonts, &theme, t, accent, scale, 420))).collect();
        assert_golden(&format!("notices@{scale}"), &stack(&notices), 0, 0);
    }
}

/// Titles built to reorder or move the prefix (every bidi control in every position, Arabic
/// digits, mirrored brackets, marks first, fake prefixes), at three widths and two scales: the
/// title bar's `[bank-vm]` region is the same pixels as with an empty title of that width
/// (in the narrowest bar the prefix alone fills the room, and the title is not drawn at all).
#[test]
fn no_title_moves_the_prefix_of_the_title_bar() {
    let theme = Theme::default();
    let fonts = Fonts::new(&theme.font);
    let style = bar_style(&theme);
    let mut titles = hostile_titles();
    titles.extend(SCRIPTS.iter().map(|(_, t)| t.to_string()));
    titles.push(long_rtl());
    for scale in [1, 2] {
        let px = theme.font.size * scale as f32;
        let split = fonts.title(Some("bank-vm"), "", Weight::Bold, px, 1000.0).split;
        let end = (8.0 * scale as f32 + split).floor() as u32;
        let prefix = |bar: &tiny_skia::Pixmap| image(bar).crop(0, 0, end, bar.height());
        for width in [420, 240, 160] {
            let reference = prefix(&draw_title_bar(&fonts, Some("bank-vm"), "", width, 26, scale, &style));
            assert!(reference.count_colour(0, 0, end, 26, rgb(style.fg)) > 10, "the prefix is drawn");
            for title in &titles {
                let bar = draw_title_bar(&fonts, Some("bank-vm"), title, width, 26, scale, &style);
                assert!(prefix(&bar) == reference, "title {title:?} at {width}x26 @{scale} changed the prefix");
            }
        }
    }
}

#[test]
fn fullscreen_vm_window_keeps_a_trust_strip() {
    let theme = Theme::default();
    let mut c = Compositor::start(CONFIG);
    let (mut client, _) = c.open(Some("chromium-vm"), &["--fullscreen", "--color", "c62828"]);
    client.wait_event("configure", |e| e["fullscreen"] == true && e["width"] == 1280 - 12);
    c.wait_until("fullscreen", || c.windows()[0].fullscreen && geometry(&c.windows()[0]) == (6, 6, 1268, 788));
    c.wait_until("redrawn at full size", || {
        let img = c.screenshot();
        img.pixel(640, 400) == [255, 255, 255] && img.pixel(100, 100) == [0xc6, 0x28, 0x28]
    });
    let img = c.screenshot();
    let strip = rgb(theme.colours("untrusted").focused);
    for (x, y) in [(0, 0), (3, 400), (640, 2), (1277, 400), (640, 797)] {
        assert_eq!(img.pixel(x, y), strip, "trust strip at ({x}, {y})");
    }
}

#[test]
fn fullscreen_policy_maximize() {
    let mut c = Compositor::start(&format!("fullscreen = \"maximize\"\n{CONFIG}"));
    let (mut client, _) = c.open(Some("chromium-vm"), &["--fullscreen"]);
    client.wait_event("configure", |e| e["maximized"] == true);
    let w = &c.windows()[0];
    assert_eq!((Some(w.maximized), Some(w.fullscreen)), (Some(true), Some(false)));
}

#[test]
fn privileged_globals_are_hidden_from_vms() {
    let mut c = Compositor::start(CONFIG);
    let mut local = c.spawn("canopy-globals", &[]);
    let mut sandboxed = c.spawn_in_vm("work-vm", "canopy-globals", &[]);
    let read = |client: &mut canopy_tests::Client| -> Vec<String> {
        let list = client.wait_json("the list of globals", |v| v.is_array());
        serde_json::from_value(list).expect("a list of names")
    };
    let local = read(&mut local);
    let vm = read(&mut sandboxed);
    let privileged = [
        "zwlr_layer_shell_v1",
        "wp_security_context_manager_v1",
        "ext_session_lock_manager_v1",
        "ext_data_control_manager_v1",
        "zwp_virtual_keyboard_manager_v1",
        "ext_foreign_toplevel_list_v1",
        "canopy_shell_manager_v1",
        "ext_idle_notifier_v1",
        "zwlr_output_power_manager_v1",
        "zwlr_screencopy_manager_v1",
        "zwlr_output_manager_v1",
        "ext_image_copy_capture_manager_v1",
        "ext_output_image_capture_source_manager_v1",
        "ext_foreign_toplevel_image_capture_source_manager_v1",
    ];
    for g in privileged {
        assert!(local.contains(&g.to_string()), "{g} missing for a local client: {local:?}");
        assert!(!vm.contains(&g.to_string()), "{g} visible to a VM: {vm:?}");
    }
    for g in &vm {
        assert!(canopy_common::globals::vm_may_see(g), "VM sees {g}, which is not on the allowlist");
    }
    for g in [
        "wl_compositor",
        "wl_shm",
        "wl_seat",
        "xdg_wm_base",
        "wl_output",
        "zxdg_decoration_manager_v1",
        "org_kde_kwin_server_decoration_manager",
    ] {
        assert!(vm.contains(&g.to_string()), "{g} missing for a VM client: {vm:?}");
    }
}

#[test]
fn a_vm_cannot_paint_over_or_beside_its_frame() {
    let theme = Theme::default();
    let mut c = Compositor::start(CONFIG);
    // The client draws a 40 px band of pure green outside the geometry it declares.
    let (_evil, evil) = c.open(Some("chromium-vm"), &["--overdraw", "40", "--color", "c62828"]);
    let img = c.screenshot();
    let (x, y, w, h) = geometry(&evil);
    assert_eq!((w, h), (320, 200), "the declared geometry is what counts");
    assert_eq!(img.pixel((x + 5) as u32, (y + 5) as u32), [0xc6, 0x28, 0x28]);
    assert_eq!(left_border(&img, &evil), rgb(theme.colours("untrusted").focused));
    assert_eq!(img.count_colour(0, 0, img.width, img.height, [0, 255, 0]), 0, "nothing outside the geometry is drawn");
    // Input outside the geometry goes to the frame, not to the VM: a press on the border resizes.
    c.msg(&["pointer-move", &(x - 2).to_string(), &(y + h / 2).to_string()]);
    c.msg(&["button-down"]);
    c.msg(&["pointer-move", &(x - 32).to_string(), &(y + h / 2).to_string()]);
    c.msg(&["button-up"]);
    c.wait_until("resized from the left border", || geometry(&c.window(evil.id)).2 == 350);

    // A local client may draw outside its geometry (shadows of client-side decorations).
    let mut local = Compositor::start(CONFIG);
    let (_client, _) = local.open(None, &["--overdraw", "10", "--decorations", "client"]);
    let img = local.screenshot();
    assert!(img.count_colour(0, 0, img.width, img.height, [0, 255, 0]) > 0);
}

#[test]
fn an_absurd_surface_size_does_not_take_the_compositor_down() {
    let mut c = Compositor::start(CONFIG);
    // A buffer of 320x200 shown at 2 000 000 000 x 100 through wp_viewport, and a declared
    // geometry just as large: what a hostile VM can ask for without sending a single big buffer.
    let (_evil, evil) =
        c.open(Some("chromium-vm"), &["--viewport", "2000000000x100", "--declare-geometry", "2000000000x100"]);
    // It believes at most 65536 px, and shows no more than its output's usable area.
    assert_eq!(geometry(&evil).2, 1280 - 8, "bounded by the output");
    let (_ok, ok) = c.open(Some("work-vm"), &["--title", "still here"]);
    assert_eq!(ok.title, "[work-vm] still here");
    let img = c.screenshot();
    assert_eq!((img.width, img.height), (1280, 800));
    assert!(c.is_running());
}
