//! canopy's own SVG icons (assets/icons), rendered with resvg at the size a surface needs.
//!
//! Panel glyphs are drawn white and tinted at render time, so one file serves every theme.
//! App icons are full colour. An icon name containing `/` is a path to an SVG file (for apps
//! that a config gives their own icon); unknown names and unreadable files fall back to `app`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use canopy_themes::Rgba;
use resvg::{tiny_skia, usvg};
use tiny_skia::{Pixmap, Transform};

pub use canopy_common::icons::{BUILTIN, FALLBACK};

type Key = (String, u32, Option<Rgba>);

/// Parsed SVG trees and rendered pixmaps, cached by name, pixel size and tint.
#[derive(Default)]
pub struct Icons {
    trees: RefCell<HashMap<String, Rc<usvg::Tree>>>,
    pixmaps: RefCell<HashMap<Key, Rc<Pixmap>>>,
}

impl Icons {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `name` is a built-in icon, or a readable and valid SVG file.
    pub fn exists(&self, name: &str) -> bool {
        self.load_tree(name).is_ok()
    }

    fn load_tree(&self, name: &str) -> Result<Rc<usvg::Tree>, String> {
        if let Some(t) = self.trees.borrow().get(name) {
            return Ok(t.clone());
        }
        let text = if name.contains('/') {
            std::fs::read_to_string(name).map_err(|e| format!("cannot read icon {name}: {e}"))?
        } else {
            BUILTIN
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, svg)| svg.to_string())
                .ok_or_else(|| format!("no built-in icon `{name}`"))?
        };
        let tree = usvg::Tree::from_str(&text, &usvg::Options::default())
            .map_err(|e| format!("icon {name} is not a valid SVG: {e}"))?;
        let tree = Rc::new(tree);
        self.trees.borrow_mut().insert(name.to_string(), tree.clone());
        Ok(tree)
    }

    /// The icon rendered into a `px`×`px` square (aspect kept, centred), optionally tinted:
    /// a tint replaces every colour and keeps the alpha.
    pub fn render(&self, name: &str, px: u32, tint: Option<Rgba>) -> Rc<Pixmap> {
        let px = px.max(1);
        let key = (name.to_string(), px, tint);
        if let Some(p) = self.pixmaps.borrow().get(&key) {
            return p.clone();
        }
        let tree = self.load_tree(name).unwrap_or_else(|e| {
            tracing::warn!("{e}; using the `{FALLBACK}` icon");
            self.load_tree(FALLBACK).expect("built-in fallback icon")
        });
        let mut pixmap = Pixmap::new(px, px).expect("non-zero icon size");
        let size = tree.size();
        let s = px as f32 / size.width().max(size.height());
        let dx = (px as f32 - size.width() * s) / 2.0;
        let dy = (px as f32 - size.height() * s) / 2.0;
        resvg::render(&tree, Transform::from_row(s, 0.0, 0.0, s, dx, dy), &mut pixmap.as_mut());
        if let Some(t) = tint {
            tint_pixmap(&mut pixmap, t);
        }
        let p = Rc::new(pixmap);
        self.pixmaps.borrow_mut().insert(key, p.clone());
        p
    }
}

fn tint_pixmap(pixmap: &mut Pixmap, t: Rgba) {
    for px in pixmap.data_mut().chunks_exact_mut(4) {
        let a = px[3] as u32 * t.a as u32 / 255;
        px[0] = (t.r as u32 * a / 255) as u8;
        px[1] = (t.g as u32 * a / 255) as u8;
        px[2] = (t.b as u32 * a / 255) as u8;
        px[3] = a as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses_and_draws_something() {
        let icons = Icons::new();
        for (name, _) in BUILTIN {
            assert!(icons.exists(name), "{name}");
            let p = icons.render(name, 32, None);
            let covered = p.data().chunks_exact(4).filter(|px| px[3] > 0).count();
            // Every icon covers a visible part of its square, and none is a solid block.
            assert!(covered > 32 * 32 / 10 && covered < 32 * 32, "{name}: {covered} pixels");
        }
    }

    #[test]
    fn tint_keeps_shape_and_sets_colour() {
        let icons = Icons::new();
        let plain = icons.render("power", 24, None);
        let red = icons.render("power", 24, Some(Rgba::rgb(255, 0, 0)));
        for (a, b) in plain.data().chunks_exact(4).zip(red.data().chunks_exact(4)) {
            assert_eq!(a[3], b[3]);
            assert_eq!((b[0], b[1], b[2]), (b[3], 0, 0));
        }
    }

    #[test]
    fn unknown_and_broken_icons_fall_back() {
        let icons = Icons::new();
        assert!(!icons.exists("no-such-icon"));
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.svg");
        std::fs::write(&bad, "<svg").unwrap();
        assert!(!icons.exists(bad.to_str().unwrap()));
        let fallback = icons.render(FALLBACK, 16, None);
        assert_eq!(icons.render("no-such-icon", 16, None).data(), fallback.data());
        assert_eq!(icons.render(bad.to_str().unwrap(), 16, None).data(), fallback.data());
    }
}
