//! A view drawn offscreen for the golden-image tests of the shell's and the launcher's views:
//! the default theme, fonts and icons, the view context, and the comparison with a reviewed PNG.

use std::path::PathBuf;

use canopy_themes::Theme;

use super::pixels::check_golden;
use super::{render_offscreen, Fonts, Icons, Painter, Scene};
use crate::wl::{ViewCx, WindowList};

pub struct Offscreen {
    pub theme: Theme,
    pub fonts: Fonts,
    pub icons: Icons,
    /// The window list a view sees (set the VMs' colours here where a view shows them).
    pub windows: WindowList,
    golden_dir: PathBuf,
}

impl Offscreen {
    /// Golden PNGs are read from (and with `CANOPY_BLESS=1` written to) `golden_dir`.
    pub fn new(golden_dir: PathBuf) -> Self {
        let theme = Theme::default();
        let fonts = Fonts::new(&theme.font);
        Offscreen { theme, fonts, icons: Icons::new(), windows: WindowList::default(), golden_dir }
    }

    /// The context of a view `w`×`h` logical pixels at `scale`, on no output.
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

    /// Draw `scene` at `scale` and compare it with the golden PNG `name`, exactly; panics with
    /// the difference (and where the new image went) when they differ.
    pub fn check(&self, scene: &Scene, scale: f32, name: &str) {
        let img = render_offscreen(&Painter { fonts: &self.fonts, icons: &self.icons }, scene, scale);
        check_golden(&img, &self.golden_dir.join(name), 0).unwrap();
    }
}
