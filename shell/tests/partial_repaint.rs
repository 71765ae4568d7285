//! A partial repaint must give exactly the pixels of a full one, so that what a surface
//! shows never depends on which changes led to it.

use canopy_shell::draw::pixels::to_rgba;
use canopy_shell::draw::{render_offscreen, Align, Fonts, Icons, Painter, Rect, Renderer, Scene, Weight};
use canopy_themes::{Rgba, Theme};

fn scene(theme: &Theme, label: &str) -> Scene {
    let d = &theme.desktop;
    let mut s = Scene::new(300.0, 120.0, d.launcher_background);
    for i in 0..4 {
        let x = 7.3 + i as f32 * 71.0;
        s.fill(Rect::new(x, 10.0, 64.0, 90.0), d.notice_background, 9.0);
        s.stroke(Rect::new(x + 20.5, 20.0, 8.0, 8.0), d.launcher_text.mix(d.launcher_background, 0.55), 1.5, 4.0);
        s.fill(Rect::new(x + 35.0, 20.0, 8.0, 8.0), theme.colours("work").focused, 4.0);
        s.icon(Rect::new(x + 12.0, 34.0, 40.0, 40.0), "browser", None);
    }
    s.text(Rect::new(10.0, 100.0, 280.0, 18.0), label, 12.0, Weight::Regular, Rgba::rgb(255, 255, 255), Align::Centre);
    s
}

#[test]
fn partial_repaints_equal_full_repaints() {
    let theme = Theme::default();
    let fonts = Fonts::new(&theme.font);
    let icons = Icons::new();
    let painter = Painter { fonts: &fonts, icons: &icons };
    for scale in [1.0, 1.5, 2.0] {
        let mut r = Renderer::new();
        r.render(&painter, &scene(&theme, "first"), scale);
        // Change items across the surface, one at a time, so damage cuts through shapes.
        let mut s = scene(&theme, "second label");
        let damage = r.render(&painter, &s, scale);
        assert!(!damage.is_empty());
        s.items[5].rect.x += 3.25;
        r.render(&painter, &s, scale);
        let full = render_offscreen(&painter, &s, scale);
        let partial = r.image().unwrap();
        // The stored (premultiplied) bytes, exactly; the straight-RGBA difference says how far off.
        let diff = || to_rgba(partial).difference(&to_rgba(&full), 0);
        assert!(partial.data() == full.data(), "scale {scale}: {:?}", diff());
    }
}
