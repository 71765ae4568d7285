//! The panel's view rendered offscreen and compared with reviewed golden PNGs.

use std::path::PathBuf;

use canopy_protocols::lifecycle::State;
use canopy_shell::battery::Battery;
use canopy_shell::draw::pixels::check_golden;
use canopy_shell::draw::{render_offscreen, Fonts, Icons, Painter};
use canopy_shell::panel::levels::{AudioStatus, Levels, LightStatus};
use canopy_shell::panel::{view, PanelAction, PanelModel, VmChip};
use canopy_shell::wl::{ViewCx, Window, WindowList};
use canopy_themes::{Rgba, Theme};

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name)
}

fn window(id: u32, title: &str, vm: &str, theme: &Theme, trust: &str) -> Window {
    Window {
        id,
        title: if vm.is_empty() { title.to_string() } else { format!("[{vm}] {title}") },
        vm: vm.to_string(),
        trust_level: trust.to_string(),
        colour: theme.colours(trust).focused,
        ..Window::default()
    }
}

fn model() -> PanelModel {
    let vm = |name: &str, trust: &str, state| VmChip { name: name.into(), trust: trust.into(), state };
    PanelModel {
        clock: "Thu 26 Nov 14:05".into(),
        battery: Some(Battery { percent: 73, charging: true }),
        vms: vec![
            vm("chromium-vm", "untrusted", State::Running),
            vm("zathura-vm", "work", State::Starting),
            vm("gala-vm", "personal", State::Stopped),
            vm("windows-vm", "work", State::Failed("no disk image".into())),
        ],
        host_error: None,
        notifications: None,
        levels: Levels::new(false, LightStatus::Off),
    }
}

struct Fixture {
    theme: Theme,
    fonts: Fonts,
    icons: Icons,
}

impl Fixture {
    fn new() -> Self {
        let theme = Theme::default();
        let fonts = Fonts::new(&theme.font);
        Fixture { theme, fonts, icons: Icons::new() }
    }

    fn render(
        &self,
        model: &PanelModel,
        windows: &WindowList,
        width: f32,
        scale: f32,
        hovered: Option<&PanelAction>,
    ) -> tiny_skia::Pixmap {
        let cx = ViewCx {
            width,
            height: 32.0,
            scale,
            output: Some("HEADLESS-1"),
            wl_output: None,
            outputs: &[],
            hovered,
            theme: &self.theme,
            fonts: &self.fonts,
            windows,
        };
        let v = view(model, &cx);
        render_offscreen(&Painter { fonts: &self.fonts, icons: &self.icons }, &v.scene, scale)
    }
}

fn three_windows(theme: &Theme) -> WindowList {
    let mut a = window(1, "Canopy — Chromium", "chromium-vm", theme, "untrusted");
    a.activated = true;
    let b = window(2, "report.pdf", "zathura-vm", theme, "work");
    let mut c = window(3, "foot", "", theme, "local");
    c.minimized = true;
    WindowList::offline(vec![a, b, c], vec!["us".into(), "de(nodeadkeys)".into()], 0)
}

#[test]
fn panel_at_scale_1_and_2() {
    let f = Fixture::new();
    let windows = three_windows(&f.theme);
    for scale in [1.0, 2.0] {
        let img = f.render(&model(), &windows, 1280.0, scale, Some(&PanelAction::Window(2)));
        check_golden(&img, &golden(&format!("panel@{scale}.png")), 0).unwrap();
    }
}

/// Panels stacked into one image, top to bottom.
fn stack(images: &[tiny_skia::Pixmap]) -> tiny_skia::Pixmap {
    let w = images.iter().map(|i| i.width()).max().unwrap();
    let h = images.iter().map(|i| i.height()).sum();
    let mut out = tiny_skia::Pixmap::new(w, h).unwrap();
    let mut y = 0;
    for img in images {
        out.draw_pixmap(0, y, img.as_ref(), &tiny_skia::PixmapPaint::default(), tiny_skia::Transform::identity(), None);
        y += img.height() as i32;
    }
    out
}

/// A task button for a window titled in every script, one panel each: `[vm]` first and
/// intact, the title after it in its own reading order, cut at its logical end (the left, for
/// right-to-left titles); last, the GUI VM's own window with an Arabic title and no prefix.
#[test]
fn task_buttons_in_every_script() {
    use canopy_text::samples::{long_rtl, SCRIPTS};
    let f = Fixture::new();
    let mut m = model();
    m.vms.clear();
    m.battery = None;
    let long = long_rtl();
    let titles: Vec<(&str, &str)> =
        SCRIPTS.iter().map(|(_, t)| ("work-vm", *t)).chain([("work-vm", long.as_str()), ("", "ملفاتي")]).collect();
    for scale in [1.0, 2.0] {
        let panels: Vec<_> = titles
            .iter()
            .map(|(vm, title)| {
                let trust = if vm.is_empty() { "local" } else { "work" };
                let mut w = window(1, title, vm, &f.theme, trust);
                w.activated = true;
                let list = WindowList::offline(vec![w], vec![], 0);
                f.render(&m, &list, 400.0, scale, None)
            })
            .collect();
        check_golden(&stack(&panels), &golden(&format!("panel-scripts@{scale}.png")), 0).unwrap();
    }
}

#[test]
fn crowded_panel_shortens_titles_and_counts_the_rest() {
    let f = Fixture::new();
    let list: Vec<Window> = (1..=14)
        .map(|i| {
            window(
                i,
                &format!("A long window title number {i} that does not fit"),
                "chromium-vm",
                &f.theme,
                "untrusted",
            )
        })
        .collect();
    let windows = WindowList::offline(list, vec![], 0);
    let mut m = model();
    m.battery = None;
    let img = f.render(&m, &windows, 800.0, 1.0, None);
    check_golden(&img, &golden("panel-crowded@1.png"), 0).unwrap();
}

#[test]
fn host_offline_and_no_windows() {
    let f = Fixture::new();
    let mut m = model();
    m.vms.clear();
    m.host_error = Some("cannot connect".into());
    m.battery = Some(Battery { percent: 7, charging: false });
    let img = f.render(
        &m,
        &WindowList::offline(vec![], vec![], 0),
        1280.0,
        1.5,
        Some(&PanelAction::Power(Some("HEADLESS-1".into()))),
    );
    check_golden(&img, &golden("panel-offline@1.5.png"), 0).unwrap();
}

#[test]
fn hit_areas_follow_the_layout() {
    let f = Fixture::new();
    let windows = three_windows(&f.theme);
    let cx = ViewCx {
        width: 1280.0,
        height: 32.0,
        scale: 1.0,
        output: Some("HEADLESS-1"),
        wl_output: None,
        outputs: &[],
        hovered: None,
        theme: &f.theme,
        fonts: &f.fonts,
        windows: &windows,
    };
    let v = view(&model(), &cx);
    assert_eq!(v.action_at(10.0, 16.0), Some(&PanelAction::Launcher(Some("HEADLESS-1".into()))));
    assert_eq!(v.action_at(1270.0, 16.0), Some(&PanelAction::Power(Some("HEADLESS-1".into()))));
    assert_eq!(v.action_at(60.0, 16.0), Some(&PanelAction::Window(1)));
    let second = v.hits.iter().find(|(_, a)| *a == PanelAction::Window(2)).unwrap().0;
    let third = v.hits.iter().find(|(_, a)| *a == PanelAction::Window(3)).unwrap().0;
    assert!(second.x > 60.0 && third.x > second.right(), "{second:?} {third:?}");
    assert!(v.hits.iter().any(|(_, a)| *a == PanelAction::Layout));
    let _ = Rgba::rgb(0, 0, 0);
}

/// A window's menu (right click on its button), at scale 1 and 2: for a focused window with the
/// pointer on Close, and for a minimised one (no Minimise) with the keyboard on Close.
#[test]
fn window_menu_at_scale_1_and_2() {
    use canopy_shell::panel::window_menu::{self, MenuItem, WindowMenu};
    let f = Fixture::new();
    let windows = three_windows(&f.theme);
    let render = |menu: &WindowMenu, id: u32, hovered: Option<&PanelAction>, scale: f32| {
        let cx = ViewCx {
            width: 400.0,
            height: 200.0,
            scale,
            output: Some("HEADLESS-1"),
            wl_output: None,
            outputs: &[],
            hovered,
            theme: &f.theme,
            fonts: &f.fonts,
            windows: &windows,
        };
        let v = window_menu::view(menu, windows.get(id).unwrap(), 32.0, &cx);
        render_offscreen(&Painter { fonts: &f.fonts, icons: &f.icons }, &v.scene, scale)
    };
    let menu = WindowMenu::new(1, 40.0);
    for scale in [1.0, 2.0] {
        let img = render(&menu, 1, Some(&PanelAction::Menu(MenuItem::Close, 1)), scale);
        check_golden(&img, &golden(&format!("window-menu@{scale}.png")), 0).unwrap();
    }
    // Near the right edge, the menu stays on the output.
    let mut menu = WindowMenu::new(3, 390.0);
    let minimised = windows.get(3).unwrap();
    menu.move_focus(minimised, true);
    menu.move_focus(minimised, true);
    assert_eq!(menu.focused_item(), Some(MenuItem::Close));
    let img = render(&menu, 3, None, 1.0);
    check_golden(&img, &golden("window-menu-minimised@1.png"), 0).unwrap();
}

/// The volume and brightness indicators, one panel each: playing with the microphone muted
/// (its red mark), muted, the audio VM unreachable with no backlight, connecting with a
/// read-only backlight.
#[test]
fn level_indicators_at_scale_1_and_2() {
    use canopy_protocols::audio::{AudioState, Device};
    let f = Fixture::new();
    let mut m = model();
    m.vms.clear();
    m.battery = None;
    let dev = |id, muted| Device { id, name: "d".into(), volume: 0.5, muted };
    let state = |out_muted, mic_muted| AudioState {
        outputs: vec![dev(1, out_muted)],
        inputs: vec![dev(2, mic_muted)],
        default_output: Some(1),
        default_input: Some(2),
        max_volume: 1.0,
        step: 0.05,
        ..Default::default()
    };
    let light = LightStatus::Level { percent: 60, writable: true };
    let cases = [
        (AudioStatus::Ready(state(false, true)), light.clone()),
        (AudioStatus::Ready(state(true, false)), light),
        (AudioStatus::Unreachable("gone".into()), LightStatus::Missing("no backlight".into())),
        (AudioStatus::Connecting, LightStatus::Level { percent: 60, writable: false }),
    ];
    let list = WindowList::offline(vec![], vec![], 0);
    for scale in [1.0, 2.0] {
        let panels: Vec<_> = cases
            .iter()
            .map(|(audio, light)| {
                m.levels = Levels { audio: audio.clone(), light: light.clone(), error: None };
                f.render(&m, &list, 400.0, scale, None)
            })
            .collect();
        check_golden(&stack(&panels), &golden(&format!("panel-levels@{scale}.png")), 0).unwrap();
    }
}
