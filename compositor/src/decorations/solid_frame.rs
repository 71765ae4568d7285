//! A frame and what lies behind a VM's content, as one render element: the frame's pieces in its
//! colour (the title bar's place too, under its image) and the hole in opaque black. smithay's
//! damage tracker compares every element with the opaque regions of those in front of it, so one
//! element with one opaque rectangle per window, instead of a backdrop and four border pieces,
//! keeps a screen full of windows cheap to track; what is drawn is the same.

use smithay::backend::renderer::element::{Element, Id, Kind, RenderElement, UnderlyingStorage};
use smithay::backend::renderer::utils::{CommitCounter, DamageSet, OpaqueRegions};
use smithay::backend::renderer::{Color32F, Frame, Renderer};
use smithay::utils::{Buffer, Physical, Rectangle, Scale};

type PhysRect = Rectangle<i32, Physical>;
/// A frame's size and its fills (relative to it): what it was last drawn from.
type FrameKey = (smithay::utils::Size<i32, Physical>, Vec<(PhysRect, Color32F)>);

/// What stays with a window (or popup) from frame to frame: the element's id, and a commit that
/// moves on whenever the frame's shape or colours change, so damage tracking sees a stable
/// element that is redrawn only when it changes.
#[derive(Debug, Default)]
pub struct SolidFrame {
    id: Option<Id>,
    commit: CommitCounter,
    last: Option<FrameKey>,
}

impl SolidFrame {
    /// The element filling `outer` (physical, output-relative) with `fills`: disjoint rectangles
    /// inside it, each in its colour (premultiplied). Empty fills are left out; `None` if nothing
    /// is left.
    pub fn element(&mut self, outer: PhysRect, fills: &[(PhysRect, [f32; 4])]) -> Option<SolidFrameElement> {
        let fills: Vec<(PhysRect, Color32F)> = fills
            .iter()
            .filter(|(r, _)| !r.is_empty())
            .map(|(r, c)| (Rectangle::new(r.loc - outer.loc, r.size), Color32F::from(*c)))
            .collect();
        if fills.is_empty() || outer.is_empty() {
            return None;
        }
        let key = (outer.size, fills);
        if self.last.as_ref() != Some(&key) {
            self.commit.increment();
            self.last = Some(key.clone());
        }
        let (_, fills) = key;
        let mut opaque: Vec<PhysRect> = fills.iter().filter(|(_, c)| c.is_opaque()).map(|(r, _)| *r).collect();
        // Disjoint opaque fills covering the whole frame: one rectangle says it.
        let area = |r: &PhysRect| r.size.w as i64 * r.size.h as i64;
        if opaque.iter().map(area).sum::<i64>() == area(&outer) {
            opaque = vec![Rectangle::from_size(outer.size)];
        }
        Some(SolidFrameElement {
            id: self.id.get_or_insert_with(Id::new).clone(),
            commit: self.commit,
            geometry: outer,
            fills,
            opaque,
        })
    }
}

/// One frame as drawn this frame; see [`SolidFrame::element`].
#[derive(Debug, Clone)]
pub struct SolidFrameElement {
    id: Id,
    commit: CommitCounter,
    geometry: PhysRect,
    /// Relative to the element.
    fills: Vec<(PhysRect, Color32F)>,
    opaque: Vec<PhysRect>,
}

impl Element for SolidFrameElement {
    fn id(&self) -> &Id {
        &self.id
    }

    fn current_commit(&self) -> CommitCounter {
        self.commit
    }

    fn src(&self) -> Rectangle<f64, Buffer> {
        Rectangle::from_size(
            self.geometry.size.to_f64().to_logical(1.0).to_buffer(1.0, smithay::utils::Transform::Normal),
        )
    }

    fn geometry(&self, _scale: Scale<f64>) -> PhysRect {
        self.geometry
    }

    fn damage_since(&self, scale: Scale<f64>, commit: Option<CommitCounter>) -> DamageSet<i32, Physical> {
        if commit != Some(self.commit) {
            DamageSet::from_slice(&[Rectangle::from_size(self.geometry(scale).size)])
        } else {
            DamageSet::default()
        }
    }

    fn opaque_regions(&self, _scale: Scale<f64>) -> OpaqueRegions<i32, Physical> {
        OpaqueRegions::from_slice(&self.opaque)
    }

    fn kind(&self) -> Kind {
        Kind::Unspecified
    }
}

impl<R: Renderer> RenderElement<R> for SolidFrameElement {
    fn draw(
        &self,
        frame: &mut R::Frame<'_, '_>,
        _src: Rectangle<f64, Buffer>,
        dst: PhysRect,
        damage: &[PhysRect],
        _opaque_regions: &[PhysRect],
    ) -> Result<(), R::Error> {
        let mut piece_damage = Vec::new();
        for (rect, colour) in &self.fills {
            // `damage` is relative to `dst`; each fill is drawn with the part of it in its rect,
            // relative to the fill.
            piece_damage.clear();
            piece_damage.extend(damage.iter().filter_map(|d| d.intersection(*rect)).map(|mut d| {
                d.loc -= rect.loc;
                d
            }));
            if piece_damage.is_empty() {
                continue;
            }
            let piece_dst = Rectangle::new(dst.loc + rect.loc, rect.size);
            frame.draw_solid(piece_dst, &piece_damage, *colour)?;
        }
        Ok(())
    }

    fn underlying_storage(&self, _renderer: &mut R) -> Option<UnderlyingStorage<'_>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(x: i32, y: i32, w: i32, h: i32) -> PhysRect {
        Rectangle::new((x, y).into(), (w, h).into())
    }

    const RED: [f32; 4] = [1.0, 0.0, 0.0, 1.0];
    const BLACK: [f32; 4] = [0.0, 0.0, 0.0, 1.0];
    const HALF: [f32; 4] = [0.5, 0.0, 0.0, 0.5];

    /// A 20x30 frame at (100,50): a 2 px ring around a hole.
    fn fills(ring: [f32; 4], hole: bool) -> Vec<(PhysRect, [f32; 4])> {
        let mut f = vec![
            (r(100, 50, 20, 2), ring),
            (r(100, 52, 2, 28), ring),
            (r(118, 52, 2, 28), ring),
            (r(102, 78, 16, 2), ring),
        ];
        if hole {
            f.push((r(102, 52, 16, 26), BLACK));
        }
        f
    }

    #[test]
    fn an_opaque_frame_with_its_backdrop_is_one_opaque_rectangle() {
        let mut frame = SolidFrame::default();
        let e = frame.element(r(100, 50, 20, 30), &fills(RED, true)).unwrap();
        assert_eq!(e.geometry(Scale::from(1.0)), r(100, 50, 20, 30));
        assert_eq!(e.opaque_regions(Scale::from(1.0)).to_vec(), vec![r(0, 0, 20, 30)]);
        // Without the backdrop the hole shows what is behind: only the ring is opaque.
        let e = frame.element(r(100, 50, 20, 30), &fills(RED, false)).unwrap();
        assert_eq!(e.opaque_regions(Scale::from(1.0)).len(), 4);
        assert!(!e.opaque_regions(Scale::from(1.0)).contains(&r(2, 2, 16, 26)));
        // A translucent ring: only the backdrop is opaque.
        let e = frame.element(r(100, 50, 20, 30), &fills(HALF, true)).unwrap();
        assert_eq!(e.opaque_regions(Scale::from(1.0)).to_vec(), vec![r(2, 2, 16, 26)]);
    }

    #[test]
    fn the_frame_is_damaged_when_it_changes_and_only_then() {
        let mut frame = SolidFrame::default();
        let first = frame.element(r(100, 50, 20, 30), &fills(RED, true)).unwrap();
        // The same shape and colours: the same element, nothing to redraw.
        let same = frame.element(r(100, 50, 20, 30), &fills(RED, true)).unwrap();
        assert_eq!(first.id(), same.id());
        assert_eq!(first.current_commit(), same.current_commit());
        assert!(same.damage_since(Scale::from(1.0), Some(first.current_commit())).is_empty());
        let recoloured = frame.element(r(100, 50, 20, 30), &fills(HALF, true)).unwrap();
        assert_ne!(recoloured.current_commit(), first.current_commit());
        assert_eq!(
            recoloured.damage_since(Scale::from(1.0), Some(first.current_commit())).to_vec(),
            vec![r(0, 0, 20, 30)]
        );
        assert!(frame.element(r(0, 0, 0, 0), &[]).is_none());
    }
}
