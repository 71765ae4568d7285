//! What the golden-image tests of the shell's programs share: a theme, fonts and icons to draw
//! a view offscreen, and the comparison with a reviewed PNG in tests/golden.

#![allow(dead_code)]

use std::path::PathBuf;

use canopy_shell::draw::pixels::check_golden;
use canopy_shell::draw::{render_offscreen, Fonts, Icons, Painter, Scene};
use canopy_shell::wl::{ViewCx, WindowList};
use canopy_themes::Theme;

pub fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name)
}

pub struct Fixture {
    pub theme: Theme,
    fonts: Fonts,
    icons: Icons,
    windows: WindowList,
}

impl Fixture {
    pub fn new() -> Self {
        let theme = Theme::default();
        let fonts = Fonts::new(&theme.font);
        Fixture { theme, fonts, icons: Icons::new(), windows: WindowList::default() }
    }

    pub fn cx<'a, A>(&'a self, w: f32, h: f32, scale: f32, hovered: Option<&'a A>) -> ViewCx<'a, A> {
        ViewCx {
            width: w,
            height: h,
            scale,
            output: None,
            wl_output: None,
            outputs: &[],
            hovered,
            theme: &self.theme,
            fonts: &self.fonts,
            windows: &self.windows,
        }
    }

    pub fn check(&self, scene: &Scene, scale: f32, name: &str) {
        let img = render_offscreen(&Painter { fonts: &self.fonts, icons: &self.icons }, scene, scale);
        check_golden(&img, &golden(name), 0).unwrap();
    }
}
