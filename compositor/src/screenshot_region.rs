//! Shift+Print: a region chosen by dragging over a trusted overlay the compositor draws (the
//! output dimmed, the chosen rectangle outlined); Escape cancels. While it is up, no client gets
//! a key or a button. The shot is taken with the overlay gone.

use smithay::backend::renderer::element::solid::{SolidColorBuffer, SolidColorRenderElement};
use smithay::backend::renderer::element::Kind;
use smithay::output::Output;
use smithay::utils::{Logical, Point, Rectangle};

use crate::render::{CanopyElement, CanopyRenderer};
use crate::screenshot_keys::{Shot, To};
use crate::state::{Canopy, State};

const EDGE: i32 = 2;

/// The overlay while the user picks a region on `output`.
#[derive(Debug)]
pub struct RegionPick {
    output: Output,
    /// Where the shot goes.
    to: To,
    /// Where the drag started (global logical), once the button is down.
    anchor: Option<Point<f64, Logical>>,
    dim: SolidColorBuffer,
    edges: [SolidColorBuffer; 4],
}

impl RegionPick {
    /// The dragged rectangle so far, in global logical coordinates.
    fn rect(&self, at: Point<f64, Logical>) -> Option<Rectangle<i32, Logical>> {
        let a = self.anchor?;
        let (x0, y0) = (a.x.min(at.x).round() as i32, a.y.min(at.y).round() as i32);
        let (x1, y1) = (a.x.max(at.x).round() as i32, a.y.max(at.y).round() as i32);
        Some(Rectangle::new((x0, y0).into(), (x1 - x0, y1 - y0).into()))
    }
}

impl State {
    pub fn start_region_pick(&mut self, to: To) {
        if self.canopy.lock.is_locked() {
            return;
        }
        let Some(output) = self.canopy.active_output() else { return };
        let size = self.canopy.space.output_geometry(&output).map(|g| g.size).unwrap_or_default();
        let edge = || SolidColorBuffer::new((0, 0), [1.0, 1.0, 1.0, 1.0]);
        self.canopy.region_pick = Some(RegionPick {
            output: output.clone(),
            to,
            anchor: None,
            dim: SolidColorBuffer::new(size, [0.0, 0.0, 0.0, 0.35]),
            edges: [edge(), edge(), edge(), edge()],
        });
        self.canopy.show_notice_on(Some(output.clone()), "Drag over the part to save; Escape cancels", None);
        self.canopy.queue_redraw(&output);
    }

    /// A button while picking: the press starts the drag, the release takes the shot.
    pub fn region_button(&mut self, pressed: bool) {
        let at = self.canopy.pointer_location();
        let Some(pick) = self.canopy.region_pick.as_mut() else { return };
        if pressed {
            pick.anchor = Some(at);
            self.region_moved();
            return;
        }
        let Some(rect) = pick.rect(at) else { return };
        let (output, to) = (pick.output.clone(), pick.to);
        self.canopy.region_pick = None;
        self.canopy.queue_redraw(&output);
        if rect.size.w < 1 || rect.size.h < 1 {
            self.canopy.show_notice_on(Some(output), "No screenshot: the region is empty", None);
            return;
        }
        self.screenshot_of(Shot::Region(output, rect), to);
    }

    pub fn cancel_region_pick(&mut self) {
        if let Some(pick) = self.canopy.region_pick.take() {
            self.canopy.show_notice_on(Some(pick.output.clone()), "Screenshot cancelled", None);
            self.canopy.queue_redraw(&pick.output);
        }
    }

    /// The pointer moved while picking: the outline follows it.
    pub fn region_moved(&mut self) {
        let at = self.canopy.pointer_location();
        let canopy = &mut self.canopy;
        let Some(pick) = canopy.region_pick.as_mut() else { return };
        let Some(r) = pick.rect(at) else { return };
        let (w, h) = (r.size.w + 2 * EDGE, r.size.h + 2 * EDGE);
        for (buf, size) in pick.edges.iter_mut().zip([(w, EDGE), (w, EDGE), (EDGE, h), (EDGE, h)]) {
            buf.resize(size);
        }
        let output = pick.output.clone();
        canopy.queue_redraw(&output);
    }
}

/// The overlay's elements for `output`, front first: the outline, then the dimming.
pub fn render_elements<R: CanopyRenderer>(
    canopy: &Canopy,
    output: &Output,
    output_geo: Rectangle<i32, Logical>,
    scale: f64,
) -> Vec<CanopyElement<R>> {
    let Some(pick) = canopy.region_pick.as_ref().filter(|p| &p.output == output) else { return Vec::new() };
    let solid = |buf: &SolidColorBuffer, loc: Point<i32, Logical>| {
        let loc = (loc - output_geo.loc).to_f64().to_physical(scale).to_i32_round();
        CanopyElement::Solid(SolidColorRenderElement::from_buffer(buf, loc, scale, 1.0, Kind::Unspecified))
    };
    let mut out = Vec::new();
    if let Some(r) = pick.rect(canopy.pointer_location()) {
        let (x0, y0) = (r.loc.x - EDGE, r.loc.y - EDGE);
        let (x1, y1) = (r.loc.x + r.size.w, r.loc.y + r.size.h);
        let spots = [(x0, y0), (x0, y1), (x0, y0), (x1, y0)];
        out.extend(pick.edges.iter().zip(spots).map(|(b, (x, y))| solid(b, (x, y).into())));
    }
    out.push(solid(&pick.dim, output_geo.loc));
    out
}
