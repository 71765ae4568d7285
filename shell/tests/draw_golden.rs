//! The drawing module rendered offscreen and compared with reviewed golden PNGs
//! (shell/tests/golden). `CANOPY_BLESS=1 cargo test -p canopy-shell` rewrites them.

use std::path::PathBuf;

use canopy_shell::draw::icons::BUILTIN;
use canopy_shell::draw::pixels::check_golden;
use canopy_shell::draw::{render_offscreen, Align, Fonts, Icons, Painter, Rect, Scene, Weight};
use canopy_themes::{Rgba, Theme};

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name)
}

/// Every icon on the panel background and on a light tile, with its name underneath.
fn icon_sheet(theme: &Theme) -> Scene {
    let d = &theme.desktop;
    let cols = 8;
    let cell = 72.0;
    let rows = BUILTIN.len().div_ceil(cols);
    let mut s = Scene::new(cell * cols as f32, cell * rows as f32, d.panel_background);
    for (i, (name, _)) in BUILTIN.iter().enumerate() {
        let x = (i % cols) as f32 * cell;
        let y = (i / cols) as f32 * cell;
        s.fill(Rect::new(x + 4.0, y + 4.0, cell - 8.0, cell - 8.0), d.button_hover, 6.0);
        s.icon(Rect::new(x + 16.0, y + 8.0, 40.0, 40.0), *name, None);
        s.text(
            Rect::new(x + 4.0, y + 50.0, cell - 8.0, 16.0),
            *name,
            11.0,
            Weight::Regular,
            d.panel_text,
            Align::Centre,
        );
    }
    s
}

#[test]
fn icon_sheet_matches_golden() {
    let theme = Theme::default();
    let fonts = Fonts::new(&theme.font);
    let icons = Icons::new();
    let painter = Painter { fonts: &fonts, icons: &icons };
    let scene = icon_sheet(&theme);
    for scale in [1.0, 2.0] {
        let img = render_offscreen(&painter, &scene, scale);
        check_golden(&img, &golden(&format!("icons@{scale}.png")), 0).unwrap();
    }
}

#[test]
fn text_weights_alignment_and_ellipsis() {
    let theme = Theme::default();
    let fonts = Fonts::new(&theme.font);
    let icons = Icons::new();
    let painter = Painter { fonts: &fonts, icons: &icons };
    let white = Rgba::rgb(255, 255, 255);
    let mut s = Scene::new(240.0, 100.0, theme.desktop.panel_background);
    let row = |i: f32| Rect::new(10.0, 5.0 + i * 22.0, 220.0, 20.0);
    s.stroke(row(0.0), theme.desktop.panel_accent, 1.0, 4.0);
    s.text(row(0.0), "Start: canopy", 13.0, Weight::Regular, white, Align::Start);
    s.text(row(1.0), "Centre, bold", 13.0, Weight::Bold, white, Align::Centre);
    s.text(row(2.0), "End 12:34", 13.0, Weight::Regular, white, Align::End);
    s.text(
        row(3.0),
        "[chromium-vm] A long title that is cut with an ellipsis",
        13.0,
        Weight::Regular,
        white,
        Align::Start,
    );
    for scale in [1.0, 1.5, 2.0] {
        let img = render_offscreen(&painter, &s, scale);
        check_golden(&img, &golden(&format!("text@{scale}.png")), 0).unwrap();
    }
}
