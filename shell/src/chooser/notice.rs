//! The notice of how a VM's request to open or send ended (denied, cancelled, failed, opened):
//! a small card in the top right corner for a few seconds, or until clicked. Kept apart from the
//! chooser on purpose: once the notification daemon (org.freedesktop.Notifications in the GUI
//! VM) is on main, hostd's notices go there instead and this module goes.

use std::time::Duration;

use canopy_protocols::lifecycle::open::Notice;
use canopy_protocols::text;
use canopy_themes::Rgba;

use super::{after, ChooserAction};
use crate::draw::{Align, Rect, Scene, Weight};
use crate::wl::{App, Core, Placement, View, ViewCx};

/// How long a notice stays.
pub const NOTICE_TIME: Duration = Duration::from_secs(8);
/// Size of the notice's surface.
pub const NOTICE_W: u32 = 400;
pub const NOTICE_H: u32 = 96;

/// A notice in a corner, for a few seconds or until clicked.
pub struct NoticeBox {
    pub notice: Notice,
    time: Duration,
}

impl NoticeBox {
    pub fn new(notice: Notice, time: Duration) -> Self {
        NoticeBox { notice, time }
    }
}

impl App for NoticeBox {
    type Action = ChooserAction;

    fn namespace(&self) -> &'static str {
        "canopy-notice"
    }

    fn placement(&self) -> Placement {
        Placement::Corner { top: true, left: false, margin: 8 }
    }

    fn init(&mut self, core: &mut Core<Self>) {
        core.place(Some((NOTICE_W, NOTICE_H)));
        after(core, self.time, |_: &mut NoticeBox, core| core.exit(0));
    }

    fn view(&self, cx: &ViewCx<'_, ChooserAction>) -> View<ChooserAction> {
        notice_view(&self.notice, cx)
    }

    fn click(&mut self, core: &mut Core<Self>, _action: ChooserAction, _button: u32) {
        core.exit(0);
    }
}

/// The notice: who asked, how it ended, and why.
pub fn notice_view(n: &Notice, cx: &ViewCx<'_, ChooserAction>) -> View<ChooserAction> {
    let d = &cx.theme.desktop;
    let (w, h) = (cx.width, cx.height);
    let mut v = View::new(Scene::new(w, h, Rgba { r: 0, g: 0, b: 0, a: 0 }));
    let card = Rect::new(0.0, 0.0, w, h);
    v.scene.fill(card, d.notice_background, 10.0);
    let colour = cx.theme.colours(&n.from_trust).focused;
    v.scene.stroke(card, colour, 2.0, 10.0);
    v.hit(card, ChooserAction::Card);
    let (title_colour, icon_w) = if n.ok { (d.launcher_text, 0.0) } else { (d.danger, 24.0) };
    if !n.ok {
        v.scene.icon(Rect::new(14.0, 14.0, 16.0, 16.0), "warning", Some(d.danger));
    }
    let title = text::sanitise(&n.title, text::MESSAGE);
    v.scene.text(
        Rect::new(14.0 + icon_w, 10.0, w - 28.0 - icon_w, 24.0),
        title,
        14.0,
        Weight::Bold,
        title_colour,
        Align::Start,
    );
    // Who asked; none for the trusted system's own notices (a VM menu action that failed).
    if !n.from.is_empty() {
        let dim = d.launcher_text.mix(d.notice_background, 0.35);
        v.scene.fill(Rect::new(14.0, 40.0, 10.0, 10.0), colour, 2.0);
        let from = format!("from {}", text::sanitise(&n.from, text::TITLE));
        v.scene.text(Rect::new(30.0, 34.0, w - 44.0, 22.0), from, 12.0, Weight::Regular, dim, Align::Start);
    }
    let (top, lines) = if n.from.is_empty() { (38.0, 3) } else { (56.0, 2) };
    let detail = text::sanitise(&n.detail, text::MESSAGE);
    for (i, l) in cx.wrap(&detail, 12.0, Weight::Regular, w - 28.0).into_iter().take(lines).enumerate() {
        let r = Rect::new(14.0, top + 17.0 * i as f32, w - 28.0, 17.0);
        v.scene.text(r, l, 12.0, Weight::Regular, d.launcher_text, Align::Start);
    }
    v
}
