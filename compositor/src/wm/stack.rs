//! Where windows are and in what order, at a cost that does not grow with their number. The
//! window list (`wm::windows`) keeps the stacking order, which the space mirrors for smithay
//! (outputs, hit-testing); each window keeps its own frame location, size
//! and bounding box, so drawing, picking and announcing never search the space or lock a
//! surface for them; placement asks a count of taken spots instead of listing every window;
//! output enter and leave is worked out once per frame, for the windows that moved only; and
//! windows wholly behind opaque ones are not drawn.

use std::collections::HashMap;

use smithay::desktop::space::SpaceElement;
use smithay::utils::{Logical, Point, Rectangle};

use super::window::WindowElement;
use crate::state::Canopy;

/// How many mapped windows have their frame at each spot, for placement's cascade.
#[derive(Debug, Default)]
pub struct TakenSpots(HashMap<(i32, i32), u32>);

impl TakenSpots {
    pub fn contains(&self, p: &Point<i32, Logical>) -> bool {
        self.0.get(&(p.x, p.y)).is_some_and(|n| *n > 0)
    }

    fn add(&mut self, p: Point<i32, Logical>) {
        *self.0.entry((p.x, p.y)).or_default() += 1;
    }

    fn remove(&mut self, p: Point<i32, Logical>) {
        if let Some(n) = self.0.get_mut(&(p.x, p.y)) {
            *n -= 1;
            if *n == 0 {
                self.0.remove(&(p.x, p.y));
            }
        }
    }
}

impl Canopy {
    /// Show `w` with its frame's top-left at `loc`, on top of the stack (moving it if shown).
    pub fn place(&mut self, w: &WindowElement, loc: Point<i32, Logical>) {
        let before = self.bbox_of(w);
        if w.is_mapped() {
            self.taken.remove(w.data.loc.get());
        }
        self.space.map_element(w.clone(), loc, false);
        self.windows.map_on_top(w);
        w.data.loc.set(loc);
        self.taken.add(loc);
        w.update_extent();
        self.window_moved(w, before);
        self.check_mirror();
    }

    /// Take `w` off the screen (minimised, hidden or closed).
    pub fn unplace(&mut self, w: &WindowElement) {
        let before = self.bbox_of(w);
        if w.is_mapped() {
            self.taken.remove(w.data.loc.get());
        }
        self.space.unmap_elem(w);
        self.windows.unmap(w);
        self.window_moved(w, before);
        self.check_mirror();
    }

    pub fn raise(&mut self, w: &WindowElement) {
        self.space.raise_element(w, false);
        self.windows.raise(w);
        let here = self.bbox_of(w);
        self.window_moved(w, here);
        self.check_mirror();
    }

    /// Debug builds (every test) check the space still mirrors the window list's stack.
    fn check_mirror(&self) {
        debug_assert!(
            self.space.elements().map(|w| w.id()).eq(self.windows.stacked().map(|w| w.id())),
            "the space's stacking order differs from the window list's"
        );
    }

    /// The frame's top-left corner of a shown window.
    pub fn location(&self, w: &WindowElement) -> Option<Point<i32, Logical>> {
        w.is_mapped().then(|| w.data.loc.get())
    }

    /// The frame of a shown window in global coordinates.
    pub fn frame_rect(&self, w: &WindowElement) -> Option<Rectangle<i32, Logical>> {
        self.location(w).map(|loc| Rectangle::new(loc, w.data.frame_size.get()))
    }

    /// The bounding box (frame, popups and their frames) of a shown window, global.
    pub fn bbox_of(&self, w: &WindowElement) -> Option<Rectangle<i32, Logical>> {
        let loc = self.location(w)?;
        let mut bbox = w.data.bbox.get();
        bbox.loc += loc;
        Some(bbox)
    }

    /// Something moved, appeared or went: the space's refresh and the pointer's focus run
    /// before the next frame.
    pub fn scene_changed(&mut self) {
        self.scene_dirty = true;
        self.queue_redraw_all();
    }

    /// `w` moved, appeared, went, was raised or changed its extent: the scene's refresh and
    /// the pointer's focus run before the next frame, and only the outputs it was on (`before`,
    /// its bounding box until now) or is on now are redrawn; all of them if neither is known.
    fn window_moved(&mut self, w: &WindowElement, before: Option<Rectangle<i32, Logical>>) {
        self.moved.insert(w.id());
        self.scene_dirty = true;
        let mut any = false;
        for area in [before, self.bbox_of(w)].into_iter().flatten() {
            any |= self.queue_redraw_area(area);
        }
        if !any {
            self.queue_redraw_all();
        }
    }

    /// A window's surfaces committed: only a change of its extent changes the scene. A size
    /// that took its title bar off every output brings it back (`Layout::keep_reachable`).
    pub fn window_extent_may_have_changed(&mut self, w: &WindowElement) {
        let before = self.bbox_of(w);
        if w.update_extent() {
            self.window_moved(w, before);
            let mut layout = self.layout_of(std::iter::once(w));
            let actions = layout.keep_reachable(w.id());
            if !actions.is_empty() {
                tracing::info!(id = w.id(), vm = ?w.vm(), "the window's title bar left every output: brought back");
                self.apply(&layout, actions);
            }
        }
    }

    /// Whether the pointer is on one of `w`'s surfaces.
    pub fn pointer_over(&self, w: &WindowElement) -> bool {
        let Some((surface, _)) = &self.pointer_target else { return false };
        let mut root = surface.clone();
        while let Some(parent) = smithay::wayland::compositor::get_parent(&root) {
            root = parent;
        }
        self.window_of_tree(&root).is_some_and(|o| o == *w)
    }

    /// Outputs were added, removed or changed: every window's outputs are worked out again.
    pub fn outputs_changed(&mut self) {
        self.moved.extend(self.windows.stacked().map(|w| w.id()));
        self.scene_changed();
    }
}

impl Canopy {
    /// What of `w` is opaque, if it hides what is behind it: a VM window drawn opaque inside a
    /// frame of opaque colours hides its whole frame.
    fn opaque_rect(&self, w: &WindowElement) -> Option<Rectangle<i32, Logical>> {
        let vm = w.vm()?;
        if !self.config.opaque(vm) || w.frame_kind() == super::window::FrameKind::None {
            return None;
        }
        let c = crate::trust::colours(&self.config, Some(vm));
        (c.focused.a == 255 && c.unfocused.a == 255).then(|| self.frame_rect(w)).flatten()
    }

    /// The windows to draw on an output, top first: those that reach it and are not wholly
    /// behind opaque windows above them (2000 windows piled up cost what the top few do).
    pub fn visible_windows(&self, output_geo: Rectangle<i32, Logical>) -> Vec<WindowElement> {
        // Enough opaque rectangles to hide piles of windows; checking more costs more than
        // drawing what they would hide.
        const MAX_COVER: usize = 32;
        let mut cover: Vec<Rectangle<i32, Logical>> = Vec::new();
        let mut out = Vec::new();
        for w in self.windows.stacked().rev() {
            let Some(visible) = self.bbox_of(w).and_then(|b| b.intersection(output_geo)) else { continue };
            let hidden = cover.iter().any(|c| c.contains_rect(visible))
                || (!cover.is_empty() && visible.subtract_rects(cover.iter().copied()).is_empty());
            if hidden {
                continue;
            }
            if cover.len() < MAX_COVER {
                if let Some(r) = self.opaque_rect(w) {
                    cover.push(r);
                }
            }
            out.push(w.clone());
        }
        out
    }
}

impl crate::state::State {
    /// Once per frame, if the scene changed: the windows that moved, appeared or went enter and
    /// leave outputs (wl_surface.enter/leave), and the pointer goes to what is now under it.
    /// Only those windows are looked at, not all of them as smithay's `Space::refresh` would.
    pub fn refresh_scene(&mut self) {
        if !std::mem::take(&mut self.canopy.scene_dirty) {
            return;
        }
        let canopy = &mut self.canopy;
        let outputs: Vec<_> =
            canopy.outputs.iter().filter_map(|o| Some((o.clone(), canopy.space.output_geometry(o)?))).collect();
        for id in std::mem::take(&mut canopy.moved) {
            let Some(w) = canopy.window_by_id(id) else { continue };
            let bbox = canopy.bbox_of(&w);
            for (output, geo) in &outputs {
                match bbox.and_then(|b| Some((b, b.intersection(*geo)?))) {
                    Some((b, mut overlap)) => {
                        // Relative to the window, as smithay's space would give it.
                        overlap.loc -= b.loc;
                        SpaceElement::output_enter(&w, output, overlap);
                    }
                    None => SpaceElement::output_leave(&w, output),
                }
            }
        }
        for (output, _) in &outputs {
            output.cleanup();
        }
        canopy.primary_outputs_dirty = true;
        self.refresh_pointer_focus();
    }
}
