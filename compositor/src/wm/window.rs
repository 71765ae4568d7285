//! A managed window: smithay's `Window` plus canopy's per-window state (id, VM, decorations).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use smithay::backend::renderer::element::memory::MemoryRenderBuffer;
use smithay::backend::renderer::element::solid::SolidColorBuffer;
use smithay::desktop::{space::SpaceElement, Window, WindowSurfaceType};
use smithay::output::Output;
use smithay::reexports::wayland_protocols::xdg::shell::server::xdg_toplevel;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{IsAlive, Logical, Point, Rectangle, Serial, Size};
use smithay::wayland::compositor::with_states;
use smithay::wayland::shell::xdg::{ToplevelSurface, XdgToplevelSurfaceData};

use crate::decorations::{DecorationHit, Insets};

/// What a window's frame looks like; decided by who the client is and what state it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// No server-side decorations (a local client drawing its own, or local fullscreen).
    None,
    /// Border and title bar.
    Full,
    /// Fullscreen VM window: a thin strip in the trust colour all around.
    Strip,
}

/// An interactive resize in progress, so commits can keep the opposite edge still.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResizeState {
    #[default]
    Idle,
    Resizing {
        edges: xdg_toplevel::ResizeEdge,
        initial_frame: Rectangle<i32, Logical>,
    },
    /// The grab ended; the last configure is still to be committed.
    WaitingLastCommit {
        edges: xdg_toplevel::ResizeEdge,
        initial_frame: Rectangle<i32, Logical>,
        serial: Serial,
    },
}

#[derive(Debug, Default)]
pub struct WindowState {
    /// Floating, maximised or fullscreen, with the frame to return to (set by `wm::layout`'s
    /// decisions only).
    pub mode: super::layout::Mode,
    pub resize: ResizeState,
    /// The window has had its initial placement.
    pub placed: bool,
    /// The button under the pointer, for hover feedback.
    pub hover: Option<DecorationHit>,
    /// Where a minimised window was, to restore it there.
    pub minimized_at: Option<Point<i32, Logical>>,
    /// Where a window that hid itself (committed no buffer) was, to show it there again.
    pub unmapped_at: Option<Point<i32, Logical>>,
    /// The output size a fullscreen window covers: its frame, whatever the client commits.
    pub fullscreen_size: Option<Size<i32, Logical>>,
}

/// Where a window's parts are on screen (global coordinates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The frame: decorations and all.
    pub frame: Rectangle<i32, Logical>,
    /// Inside the decorations: all the client may cover (and, for a VM, all it may paint).
    pub inner: Rectangle<i32, Logical>,
    /// Where the client's window geometry shows, cut to `inner`: centred in it when a
    /// fullscreen client is smaller than the output.
    pub content: Rectangle<i32, Logical>,
    /// Where the client's main surface's origin goes.
    pub surface_origin: Point<i32, Logical>,
}

/// Render resources that live as long as the window, so damage tracking sees stable ids.
#[derive(Debug, Default)]
pub struct DecorationCache {
    /// The frame, and what a VM's content is drawn over: opaque black inside it.
    pub frame: crate::decorations::solid_frame::SolidFrame,
    /// Title bar images and the inputs they were drawn from, one per output scale the window
    /// is shown at: a window across outputs of two scales draws its title once per change,
    /// not once per frame of each.
    pub titles: Vec<(crate::decorations::TitleKey, MemoryRenderBuffer)>,
    /// Frames around popups, keyed by popup surface, with their backdrop and their label.
    pub popup_frames: Vec<(WlSurface, crate::decorations::PopupFrame)>,
    /// Frame-coloured strips along the edges of outputs the window crosses.
    pub strips: Vec<SolidColorBuffer>,
}

#[derive(Debug)]
pub struct WindowData {
    pub id: u64,
    /// The VM of a sandboxed client; `None` for the GUI VM's own clients.
    pub vm: Option<String>,
    /// Whether the client accepted (or, for VM clients, was given) server-side decorations.
    pub server_side: Cell<bool>,
    pub state: RefCell<WindowState>,
    pub cache: RefCell<DecorationCache>,
    /// The window's entry in ext-foreign-toplevel-list.
    pub foreign: RefCell<Option<smithay::wayland::foreign_toplevel_list::ForeignToplevelHandle>>,
    /// What panels were last told about the window, so unchanged commits tell them nothing.
    pub announced: RefCell<Option<crate::handlers::canopy_shell::ToplevelInfo>>,
    /// The largest client area shown, whatever the client draws (VM windows: see `wm::fit`).
    pub max_client: Cell<Option<Size<i32, Logical>>>,
    /// Not yet mapped, mapped or minimised: set by `wm::windows::Windows` only.
    pub presence: Cell<super::windows::Presence>,
    /// Marked for the next round of announcements (see `wm::announce`).
    pub announce_queued: Cell<bool>,
    /// The title bar's text as last announced (`[vm] title`, sanitised).
    pub shown_title: RefCell<String>,
    /// Where its frame's top-left corner is, while shown (see `wm::stack`).
    pub loc: Cell<Point<i32, Logical>>,
    /// Its bounding box (frame, popups and their frames) as of its last commit or move,
    /// relative to its frame's top-left corner.
    pub bbox: Cell<Rectangle<i32, Logical>>,
    /// Its frame's size as of its last commit or move.
    pub frame_size: Cell<Size<i32, Logical>>,
}

#[derive(Debug, Clone)]
pub struct WindowElement {
    pub window: Window,
    pub data: Rc<WindowData>,
}

impl PartialEq for WindowElement {
    fn eq(&self, other: &Self) -> bool {
        self.window == other.window
    }
}

impl WindowElement {
    pub fn new(toplevel: ToplevelSurface, id: u64, vm: Option<String>) -> Self {
        let sandboxed = vm.is_some();
        let server_side = sandboxed || crate::handlers::kde_decoration::told_server_side(toplevel.wl_surface());
        Self {
            window: Window::new_wayland_window(toplevel),
            data: Rc::new(WindowData {
                id,
                vm,
                server_side: Cell::new(server_side),
                state: RefCell::new(WindowState::default()),
                cache: RefCell::new(DecorationCache::default()),
                foreign: RefCell::new(None),
                announced: RefCell::new(None),
                max_client: Cell::new(None),
                presence: Cell::default(),
                announce_queued: Cell::new(false),
                shown_title: RefCell::new(String::new()),
                loc: Cell::new(Point::default()),
                bbox: Cell::new(Rectangle::default()),
                frame_size: Cell::new(Size::default()),
            }),
        }
    }

    pub fn id(&self) -> u64 {
        self.data.id
    }

    pub fn vm(&self) -> Option<&str> {
        self.data.vm.as_deref()
    }

    pub fn is_sandboxed(&self) -> bool {
        self.data.vm.is_some()
    }

    pub fn toplevel(&self) -> &ToplevelSurface {
        self.window.toplevel().expect("canopy only manages wayland toplevels")
    }

    pub fn wl_surface(&self) -> &WlSurface {
        self.toplevel().wl_surface()
    }

    pub fn frame_kind(&self) -> FrameKind {
        let st = self.data.state.borrow();
        if st.mode.is_fullscreen() {
            if self.is_sandboxed() {
                FrameKind::Strip
            } else {
                FrameKind::None
            }
        } else if self.data.server_side.get() {
            FrameKind::Full
        } else {
            FrameKind::None
        }
    }

    /// The title bar's title (after the `[vm]` the title bar draws itself), sanitised, as last
    /// announced: a flood of titles reaches the screen no faster than the panel.
    pub fn shown_title(&self) -> String {
        self.data.shown_title.borrow().clone()
    }

    /// (title, app_id) as the client set them; untrusted for VM clients.
    pub fn title_and_app_id(&self) -> (String, String) {
        with_states(self.wl_surface(), |states| {
            let data = states.data_map.get::<XdgToplevelSurfaceData>().map(|d| d.lock().unwrap());
            match data {
                Some(d) => (d.title.clone().unwrap_or_default(), d.app_id.clone().unwrap_or_default()),
                None => (String::new(), String::new()),
            }
        })
    }

    /// The client area (xdg geometry) relative to the element's origin, within sane bounds and
    /// no larger than the compositor lets it be shown.
    pub fn client_geometry(&self) -> Rectangle<i32, Logical> {
        let mut r = self.requested_geometry();
        if let Some(max) = self.data.max_client.get() {
            r.size = Size::from((r.size.w.min(max.w), r.size.h.min(max.h)));
        }
        r
    }

    /// The client area as the client declares or draws it, before any bound.
    pub fn requested_geometry(&self) -> Rectangle<i32, Logical> {
        clamp_rect(self.window.geometry())
    }

    pub fn insets(&self, theme: &canopy_themes::Theme) -> Insets {
        Insets::for_frame(self.frame_kind(), theme)
    }

    /// Where the window's parts are with its frame's top-left corner at `loc`.
    pub fn layout(&self, loc: Point<i32, Logical>, theme: &canopy_themes::Theme) -> Layout {
        let insets = self.insets(theme);
        let client = self.client_geometry();
        let fullscreen = self.data.state.borrow().mode.is_fullscreen();
        let frame = Rectangle::new(loc, self.geometry().size);
        if !fullscreen {
            let inner = Rectangle::new(loc + insets.offset(), client.size);
            return Layout { frame, inner, content: inner, surface_origin: inner.loc - client.loc };
        }
        let inner = Rectangle::new(loc + insets.offset(), insets.shrink(frame.size));
        // Smaller than the output: centred on black. Larger: cut at the strip.
        let gap = |room: i32, size: i32| ((room - size) / 2).max(0);
        let at = inner.loc + Point::from((gap(inner.size.w, client.size.w), gap(inner.size.h, client.size.h)));
        let content = Rectangle::new(at, client.size).intersection(inner).unwrap_or(Rectangle::new(at, (0, 0).into()));
        Layout { frame, inner, content, surface_origin: at - client.loc }
    }

    /// Frame size for a given client size.
    pub fn frame_size_for(&self, client: Size<i32, Logical>, theme: &canopy_themes::Theme) -> Size<i32, Logical> {
        self.insets(theme).grow(client)
    }

    /// Recompute the cached frame size and bounding box; true if either changed.
    pub fn update_extent(&self) -> bool {
        let geo = SpaceElement::geometry(self);
        let mut bbox = SpaceElement::bbox(self);
        bbox.loc -= geo.loc;
        let bbox_changed = self.data.bbox.replace(bbox) != bbox;
        self.data.frame_size.replace(geo.size) != geo.size || bbox_changed
    }

    /// Shown: an element of the space.
    pub fn is_mapped(&self) -> bool {
        self.data.presence.get() == super::windows::Presence::Mapped
    }

    pub fn is_minimized(&self) -> bool {
        self.data.presence.get() == super::windows::Presence::Minimised
    }
}

/// The largest extent canopy believes of a client: a client can declare a geometry, or scale a
/// surface with wp_viewport, to any size; beyond this, arithmetic on it would overflow.
pub const MAX_CLIENT_EXTENT: i32 = 1 << 16;

pub fn clamp_rect(r: Rectangle<i32, Logical>) -> Rectangle<i32, Logical> {
    let m = MAX_CLIENT_EXTENT;
    Rectangle::new(
        Point::from((r.loc.x.clamp(-m, m), r.loc.y.clamp(-m, m))),
        Size::from((r.size.w.clamp(0, m), r.size.h.clamp(0, m))),
    )
}

impl super::windows::Managed for WindowElement {
    type Key = smithay::reexports::wayland_server::backend::ObjectId;

    fn id(&self) -> u64 {
        self.data.id
    }

    fn key(&self) -> Self::Key {
        smithay::reexports::wayland_server::Resource::id(self.wl_surface())
    }

    fn presence(&self) -> super::windows::Presence {
        self.data.presence.get()
    }

    fn set_presence(&self, p: super::windows::Presence) {
        self.data.presence.set(p)
    }
}

impl IsAlive for WindowElement {
    fn alive(&self) -> bool {
        self.window.alive()
    }
}

/// Theme sizes are needed by geometry queries that smithay makes without context, so the
/// current decoration sizes are kept in a thread-local updated when the config changes.
pub mod sizes {
    use std::cell::RefCell;

    thread_local! {
        static THEME: RefCell<canopy_themes::Theme> = RefCell::new(canopy_themes::Theme::default());
    }

    pub fn set(theme: &canopy_themes::Theme) {
        THEME.with(|t| *t.borrow_mut() = theme.clone());
    }

    pub fn with<T>(f: impl FnOnce(&canopy_themes::Theme) -> T) -> T {
        THEME.with(|t| f(&t.borrow()))
    }
}

impl SpaceElement for WindowElement {
    /// The frame: client geometry grown by the decorations; for a fullscreen window, the
    /// output it covers, whatever size the client commits.
    fn geometry(&self) -> Rectangle<i32, Logical> {
        let g = self.client_geometry();
        let insets = sizes::with(|t| self.insets(t));
        let st = self.data.state.borrow();
        match st.fullscreen_size.filter(|_| st.mode.is_fullscreen()) {
            Some(size) => Rectangle::new(g.loc - insets.offset(), size),
            None => insets.grow_rect(g),
        }
    }

    fn bbox(&self) -> Rectangle<i32, Logical> {
        let (ring, top) = sizes::with(crate::decorations::popup_margins);
        let popups = clamp_rect(self.window.bbox_with_popups());
        let popups =
            Rectangle::new(popups.loc - Point::from((ring, top)), popups.size + Size::from((2 * ring, ring + top)));
        popups.merge(self.geometry())
    }

    fn is_in_input_region(&self, point: &Point<f64, Logical>) -> bool {
        if self.geometry().to_f64().contains(*point) && !self.client_geometry().to_f64().contains(*point) {
            return true;
        }
        self.window.surface_under(*point, WindowSurfaceType::ALL).is_some()
    }

    fn z_index(&self) -> u8 {
        smithay::desktop::space::RenderZindex::Shell as u8
    }

    fn set_activate(&self, activated: bool) {
        SpaceElement::set_activate(&self.window, activated)
    }

    fn output_enter(&self, output: &Output, overlap: Rectangle<i32, Logical>) {
        SpaceElement::output_enter(&self.window, output, overlap)
    }

    fn output_leave(&self, output: &Output) {
        SpaceElement::output_leave(&self.window, output)
    }

    fn refresh(&self) {
        SpaceElement::refresh(&self.window)
    }
}
