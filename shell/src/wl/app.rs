//! What a shell program (panel, launcher, power menu, lock) tells the shared runtime: where
//! its surfaces go, what they show, and what to do on input.

use canopy_themes::Theme;
use smithay_client_toolkit::seat::keyboard::{KeyEvent, Modifiers};

use super::api::Core;
use super::windows::{Window, WindowList};
use crate::draw::{Fonts, Rect, Scene, Weight};
use wayland_client::protocol::wl_output::WlOutput;

/// Where a program's surfaces go.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    /// A bar along the top of every output, present and future, that reserves its height.
    PanelPerOutput { height: u32 },
    /// One overlay covering an output, with exclusive keyboard focus: on the output of that
    /// name, or where the compositor chooses.
    Overlay { output: Option<String> },
    /// ext-session-lock: a lock surface on every output, including ones added while locked.
    Lock,
    /// One overlay in a corner of the output under the pointer (where the compositor puts a
    /// surface that names no output), `margin` from its edges and clear of the panel, that
    /// never takes the keyboard; it exists while the program gives it a size
    /// ([`Core::place`](super::Core::place)): notification popups.
    Corner { top: bool, left: bool, margin: u32 },
}

/// Linux input event codes of the mouse buttons (linux/input-event-codes.h).
pub const BTN_LEFT: u32 = 0x110;
pub const BTN_RIGHT: u32 = 0x111;
pub const BTN_MIDDLE: u32 = 0x112;

/// What a surface shows, and which of its areas react to the pointer.
pub struct View<Act> {
    pub scene: Scene,
    /// Later entries win where areas overlap.
    pub hits: Vec<(Rect, Act)>,
}

impl<Act> View<Act> {
    pub fn new(scene: Scene) -> Self {
        View { scene, hits: Vec::new() }
    }

    pub fn hit(&mut self, rect: Rect, action: Act) {
        self.hits.push((rect, action));
    }

    /// The action under a logical point.
    pub fn action_at(&self, x: f64, y: f64) -> Option<&Act> {
        self.hits.iter().rev().find(|(r, _)| r.contains(x, y)).map(|(_, a)| a)
    }
}

/// Everything a program needs to build one surface's view.
pub struct ViewCx<'a, Act> {
    /// Logical size of the surface.
    pub width: f32,
    pub height: f32,
    /// Device pixels per logical pixel (1, 2, or fractional such as 1.5).
    pub scale: f32,
    /// Name of the surface's output, when known.
    pub output: Option<&'a str>,
    /// The surface's output, and every output there is now: the window list of a panel
    /// shows the windows on its own output.
    pub wl_output: Option<&'a WlOutput>,
    pub outputs: &'a [WlOutput],
    /// The action under the pointer, for hover highlights.
    pub hovered: Option<&'a Act>,
    pub theme: &'a Theme,
    pub fonts: &'a Fonts,
    pub windows: &'a WindowList,
}

impl<'a, Act> ViewCx<'a, Act> {
    /// Width of a line of text in logical pixels, as it will be drawn at this surface's scale.
    pub fn text_width(&self, text: &str, size: f32, weight: Weight) -> f32 {
        self.fonts.width(text, weight, size * self.scale) / self.scale
    }

    /// `text` broken into lines at most `max` logical pixels wide.
    pub fn wrap(&self, text: &str, size: f32, weight: Weight, max: f32) -> Vec<String> {
        self.fonts.wrap(text, weight, size * self.scale, max * self.scale)
    }

    /// The windows this surface lists: those on its output, plus those whose output is not
    /// known or gone (every panel lists them, so that no window is lost). A surface on no
    /// particular output lists them all.
    pub fn windows_here(&self) -> Vec<&'a Window> {
        self.windows
            .windows()
            .filter(|w| match (self.wl_output, &w.output) {
                (Some(here), Some(there)) => here == there || !self.outputs.contains(there),
                _ => true,
            })
            .collect()
    }

    pub fn is_hovered(&self, action: &Act) -> bool
    where
        Act: PartialEq,
    {
        self.hovered == Some(action)
    }
}

/// A shell program run by [`super::run`].
pub trait App: Sized + 'static {
    type Action: Clone + PartialEq + std::fmt::Debug + 'static;

    /// The layer-shell namespace, such as `canopy-panel`.
    fn namespace(&self) -> &'static str;

    fn placement(&self) -> Placement;

    /// Whether to bind canopy-shell-v1 for the window list and keyboard layouts.
    fn wants_window_list(&self) -> bool {
        false
    }

    /// Called once before the first dispatch: add timers and channels to the event loop here.
    fn init(&mut self, _core: &mut Core<Self>) {}

    fn view(&self, cx: &ViewCx<'_, Self::Action>) -> View<Self::Action>;

    /// What the menu opened by [`Core::open_menu`] shows (over its whole output).
    fn menu_view(&self, cx: &ViewCx<'_, Self::Action>) -> View<Self::Action> {
        View::new(Scene::new(cx.width, cx.height, canopy_themes::Rgba { r: 0, g: 0, b: 0, a: 0 }))
    }

    /// The menu went away without the program closing it (its output was removed).
    fn menu_closed(&mut self, _core: &mut Core<Self>) {}

    /// A button was pressed and released over the same action.
    fn click(&mut self, _core: &mut Core<Self>, _action: Self::Action, _button: u32) {}

    /// The pointer moved onto another action (or off every action): a menu moves its keyboard
    /// selection there, so that one item is highlighted, not two.
    fn hover(&mut self, _core: &mut Core<Self>, _action: Option<&Self::Action>) {}

    /// The pointer moved to (x, y) on the surface while a button pressed over `action` is held
    /// (a slider being dragged). Redraw with [`Core::redraw`] when it changes what is shown.
    fn drag(&mut self, _core: &mut Core<Self>, _action: Self::Action, _x: f64, _y: f64) {}

    fn key(&mut self, _core: &mut Core<Self>, _key: &KeyEvent, _mods: &Modifiers) {}

    /// The wheel turned (or a touchpad scrolled) by whole steps, positive downwards.
    fn scroll(&mut self, _core: &mut Core<Self>, _steps: i32) {}

    fn windows_changed(&mut self, _core: &mut Core<Self>) {}

    /// The laptop woke from sleep (the compositor's canopy_shell_v1 `resumed`).
    fn resumed(&mut self, _core: &mut Core<Self>) {}

    /// The session is locked (Placement::Lock): every output is covered.
    fn locked(&mut self, _core: &mut Core<Self>) {}
}
