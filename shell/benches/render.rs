//! How long the shell's drawing takes: a whole panel, the redraw when only the clock changes
//! (the panel's once-a-minute work), a full-output overlay, and the copy into a wl_shm buffer.
//! Prints the median of many runs and the ratio of the partial redraw to the full one.

use std::hint::black_box;
use std::time::{Duration, Instant};

use canopy_protocols::lifecycle::State;
use canopy_shell::battery::Battery;
use canopy_shell::clock::LocalTime;
use canopy_shell::draw::pixels::{copy_to_abgr8888, copy_to_argb8888};
use canopy_shell::draw::{render_offscreen, Fonts, Icons, IntRect, Painter, Renderer, Scene};
use canopy_shell::lock::{self, LockModel};
use canopy_shell::panel::levels::{Levels, LightStatus};
use canopy_shell::panel::{view, PanelModel, VmChip};
use canopy_shell::wl::{ViewCx, Window, WindowList};
use canopy_themes::Theme;

fn median(mut f: impl FnMut(), runs: usize) -> Duration {
    f(); // warm the glyph and icon caches
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn panel_scene(theme: &Theme, fonts: &Fonts, windows: &WindowList, clock: &str, scale: f32) -> Scene {
    let vm = |name: &str, trust: &str, state| VmChip { name: name.into(), trust: trust.into(), state };
    let model = PanelModel {
        clock: clock.into(),
        battery: Some(Battery { percent: 73, charging: false }),
        vms: vec![vm("chromium-vm", "untrusted", State::Running), vm("zathura-vm", "work", State::Stopped)],
        host_error: None,
        notifications: None,
        levels: Levels::new(false, LightStatus::Off),
    };
    let cx = ViewCx {
        width: 1280.0,
        height: 32.0,
        scale,
        output: None,
        wl_output: None,
        outputs: &[],
        hovered: None,
        theme,
        fonts,
        windows,
    };
    view(&model, &cx).scene
}

fn main() {
    let theme = Theme::default();
    let fonts = Fonts::new(&theme.font);
    let icons = Icons::new();
    let painter = Painter { fonts: &fonts, icons: &icons };
    let windows = WindowList::offline(
        (1..=4)
            .map(|i| Window {
                id: i,
                title: format!("[chromium-vm] Window number {i}"),
                colour: theme.colours("untrusted").focused,
                ..Window::default()
            })
            .collect(),
        vec!["us".into()],
        0,
    );
    println!("{:<44} {:>10}", "case", "median");
    for scale in [1.0f32, 2.0] {
        let a = panel_scene(&theme, &fonts, &windows, "Thu 26 Nov 14:05", scale);
        let b = panel_scene(&theme, &fonts, &windows, "Thu 26 Nov 14:06", scale);
        let full = median(|| drop(black_box(render_offscreen(&painter, &a, scale))), 200);
        let mut r = Renderer::new();
        r.render(&painter, &a, scale);
        let mut flip = false;
        let minute = median(
            || {
                flip = !flip;
                black_box(r.render(&painter, if flip { &b } else { &a }, scale));
            },
            200,
        );
        let unchanged = median(|| drop(black_box(r.render(&painter, &a, scale))), 200);
        println!("{:<44} {:>10.1?}", format!("panel 1280x32 @{scale}: full redraw"), full);
        println!("{:<44} {:>10.1?}", format!("panel @{scale}: clock changed (partial)"), minute);
        println!("{:<44} {:>10.1?}", format!("panel @{scale}: nothing changed (diff only)"), unchanged);
        println!(
            "{:<44} {:>10.2}",
            format!("panel @{scale}: partial / full"),
            minute.as_secs_f64() / full.as_secs_f64()
        );
    }
    let model = LockModel {
        time: LocalTime::parse("2026-11-26 14:05").unwrap(),
        user: "alice".into(),
        typed: 3,
        message: None,
        notifications: None,
    };
    let cx = ViewCx {
        width: 1280.0,
        height: 800.0,
        scale: 1.0,
        output: None,
        wl_output: None,
        outputs: &[],
        hovered: None,
        theme: &theme,
        fonts: &fonts,
        windows: &windows,
    };
    let lock_scene = lock::view(&model, &cx).scene;
    let full = median(|| drop(black_box(render_offscreen(&painter, &lock_scene, 1.0))), 30);
    println!("{:<44} {:>10.1?}", "lock screen 1280x800 @1: full redraw", full);
    let image = render_offscreen(&painter, &lock_scene, 1.0);
    let mut shm = vec![0u8; 1280 * 800 * 4];
    let copy = median(|| copy_to_argb8888(&image, black_box(&mut shm), 1280 * 4, IntRect::new(0, 0, 1280, 800)), 30);
    println!("{:<44} {:>10.1?}", "copy 1280x800 into an Argb8888 buffer", copy);
    let plain = median(|| copy_to_abgr8888(&image, black_box(&mut shm), 1280 * 4, IntRect::new(0, 0, 1280, 800)), 30);
    println!("{:<44} {:>10.1?}", "copy 1280x800 into an Abgr8888 buffer", plain);
}
