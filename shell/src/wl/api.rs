//! The app API of the shell runtime: [`Core`], the Wayland side of a shell program that its
//! [`App`] drives (redraw, exit, unlock, outputs, menus), and the surfaces it places.

use canopy_themes::Theme;
use smithay_client_toolkit::compositor::CompositorState;
use smithay_client_toolkit::output::OutputState;
use smithay_client_toolkit::reexports::calloop::LoopHandle;
use smithay_client_toolkit::registry::RegistryState;
use smithay_client_toolkit::seat::keyboard::Modifiers;
use smithay_client_toolkit::seat::SeatState;
use smithay_client_toolkit::session_lock::SessionLock;
use smithay_client_toolkit::shell::wlr_layer::{Anchor, KeyboardInteractivity, Layer, LayerShell};
use smithay_client_toolkit::shell::WaylandSurface;
use smithay_client_toolkit::shm::Shm;
use wayland_client::protocol::{wl_keyboard, wl_output, wl_pointer, wl_surface};
use wayland_client::{Connection, QueueHandle};
use wayland_protocols::wp::fractional_scale::v1::client::wp_fractional_scale_manager_v1;
use wayland_protocols::wp::viewporter::client::wp_viewporter;

use super::app::{App, Placement};
use super::buffers::Buffers;
use super::scale::{FractionalData, NoEvents};
use super::scroll::ScrollSteps;
use super::surface::{Role, Surface};
use super::windows::WindowList;
use crate::draw::{Fonts, Icons, Renderer};

/// The Wayland side of a shell program, handed to the [`App`] in its callbacks.
pub struct Core<A: App> {
    pub conn: Connection,
    pub qh: QueueHandle<Shell<A>>,
    pub handle: LoopHandle<'static, Shell<A>>,
    pub theme: Theme,
    pub fonts: Fonts,
    pub icons: Icons,
    pub windows: WindowList,
    /// The modifiers held now.
    pub modifiers: Modifiers,
    pub(super) placement: Placement,
    pub(super) namespace: &'static str,
    pub(super) registry: RegistryState,
    pub(super) compositor: CompositorState,
    pub(super) outputs: OutputState,
    pub(super) seats: SeatState,
    pub(super) shm: Shm,
    pub(super) layer_shell: Option<LayerShell>,
    pub(super) lock: Option<SessionLock>,
    pub(super) fractional: Option<wp_fractional_scale_manager_v1::WpFractionalScaleManagerV1>,
    pub(super) viewporter: Option<wp_viewporter::WpViewporter>,
    pub(super) surfaces: Vec<Surface<A::Action>>,
    pub(super) pointer: Option<wl_pointer::WlPointer>,
    pub(super) keyboard: Option<wl_keyboard::WlKeyboard>,
    /// The surface and action where a button went down.
    pub(super) pressed: Option<(wl_surface::WlSurface, u32, A::Action)>,
    /// Our surface that has the keyboard.
    pub(super) keyboard_surface: Option<wl_surface::WlSurface>,
    /// The serial and surface of the last button or key press, for an activation token.
    pub(super) last_press: Option<(u32, wl_surface::WlSurface)>,
    /// The output and surface-local position of the last click handed to the app.
    pub(super) last_click: Option<(Option<wl_output::WlOutput>, f64, f64)>,
    pub(super) exit: Option<i32>,
    /// Whether [`App::init`] ran; a `locked` that comes before it is handed over after it.
    pub(super) started: bool,
    pub(super) locked_early: bool,
    /// The size the program gave its corner surface (Placement::Corner).
    pub(super) placed: Option<(u32, u32)>,
}

/// The client state: the program and its Wayland side.
pub struct Shell<A: App> {
    pub app: A,
    pub core: Core<A>,
}

impl<A: App> Core<A> {
    /// Redraw every surface (surfaces whose scene did not change commit nothing).
    pub fn redraw(&mut self) {
        for s in &mut self.surfaces {
            s.dirty = true;
        }
    }

    /// Leave the event loop; the process exits with `code`.
    pub fn exit(&mut self, code: i32) {
        self.exit = Some(code);
    }

    /// Unlock the session (Placement::Lock) and exit once the compositor has seen it.
    pub fn unlock(&mut self) {
        if let Some(lock) = self.lock.take() {
            lock.unlock();
            let _ = self.conn.roundtrip();
        }
        self.exit(0);
    }

    pub fn is_locked(&self) -> bool {
        self.lock.as_ref().is_some_and(|l| l.is_locked())
    }

    /// Names of the outputs that have a surface of this program, in creation order.
    pub fn surface_outputs(&self) -> Vec<String> {
        self.surfaces.iter().filter_map(|s| s.output.as_ref().and_then(|o| self.output_name(o))).collect()
    }

    pub fn output_name(&self, output: &wl_output::WlOutput) -> Option<String> {
        self.outputs.info(output).and_then(|i| i.name)
    }

    pub(super) fn find_output(&self, name: &str) -> Option<wl_output::WlOutput> {
        self.outputs.outputs().find(|o| self.output_name(o).as_deref() == Some(name))
    }

    pub(super) fn surface_index(&self, wl: &wl_surface::WlSurface) -> Option<usize> {
        self.surfaces.iter().position(|s| s.role.wl_surface() == wl)
    }

    /// Where the last click was, in the clicked surface's logical coordinates.
    pub fn last_click(&self) -> Option<(f64, f64)> {
        self.last_click.as_ref().map(|(_, x, y)| (*x, *y))
    }

    /// Opens a menu over the output of the last click: a transparent overlay that takes the
    /// keyboard, drawn by [`App::menu_view`], until [`Self::close_menu`]. Clicks beside the
    /// menu land on the overlay, so the program sees them and can close it.
    pub fn open_menu(&mut self) {
        self.close_menu();
        let output = self.last_click.as_ref().and_then(|(o, _, _)| o.clone());
        self.create_layer_with(output, true);
    }

    pub fn close_menu(&mut self) {
        self.surfaces.retain(|s| !s.menu);
    }

    /// Placement::Corner: show the corner surface at this logical size (made on the output under
    /// the pointer when there is none, resized otherwise), or remove it with None.
    pub fn place(&mut self, size: Option<(u32, u32)>) {
        let Placement::Corner { .. } = self.placement else { return };
        let old = std::mem::replace(&mut self.placed, size);
        match size {
            None => self.surfaces.retain(|s| s.menu),
            Some((w, h)) => match self.surfaces.iter_mut().find(|s| !s.menu) {
                Some(s) => {
                    if old != size {
                        if let Role::Layer(l) = &s.role {
                            l.set_size(w, h);
                            l.commit();
                        }
                    }
                    s.dirty = true;
                }
                None => self.create_layer(None),
            },
        }
    }

    pub fn menu_open(&self) -> bool {
        self.surfaces.iter().any(|s| s.menu)
    }

    pub(super) fn add_surface(&mut self, role: Role, output: Option<wl_output::WlOutput>) {
        let int_scale = output.as_ref().and_then(|o| self.outputs.info(o)).map_or(1, |i| i.scale_factor.max(1));
        let wl = role.wl_surface().clone();
        let (fractional_obj, viewport) = match (&self.fractional, &self.viewporter) {
            (Some(f), Some(v)) => (
                Some(f.get_fractional_scale(&wl, &self.qh, FractionalData(wl.clone()))),
                Some(v.get_viewport(&wl, &self.qh, NoEvents)),
            ),
            _ => (None, None),
        };
        let buffers = match Buffers::new(&self.shm) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!("cannot create a shared-memory pool: {e:#}");
                self.exit(1);
                return;
            }
        };
        self.surfaces.push(Surface {
            role,
            menu: false,
            output,
            size: None,
            int_scale,
            fractional: None,
            fractional_obj,
            viewport,
            renderer: Renderer::new(),
            buffers,
            hits: Vec::new(),
            pointer: None,
            hovered: None,
            scroll: ScrollSteps::default(),
            dirty: true,
        });
    }

    pub(super) fn create_layer(&mut self, output: Option<wl_output::WlOutput>) {
        self.create_layer_with(output, false);
    }

    pub(super) fn create_layer_with(&mut self, output: Option<wl_output::WlOutput>, menu: bool) {
        let Some(layer_shell) = &self.layer_shell else { return };
        let wl = self.compositor.create_surface(&self.qh);
        let (layer, anchor, size, zone, keyboard) = match &self.placement {
            Placement::PanelPerOutput { height } if !menu => (
                Layer::Top,
                Anchor::TOP | Anchor::LEFT | Anchor::RIGHT,
                (0, *height),
                *height as i32,
                KeyboardInteractivity::None,
            ),
            Placement::Corner { top, left, .. } if !menu => (
                Layer::Overlay,
                (if *top { Anchor::TOP } else { Anchor::BOTTOM }) | if *left { Anchor::LEFT } else { Anchor::RIGHT },
                self.placed.unwrap_or((1, 1)),
                0,
                KeyboardInteractivity::None,
            ),
            _ => (Layer::Overlay, Anchor::all(), (0, 0), -1, KeyboardInteractivity::Exclusive),
        };
        let namespace = if menu { "canopy-menu" } else { self.namespace };
        let surface = layer_shell.create_layer_surface(&self.qh, wl, layer, Some(namespace), output.as_ref());
        surface.set_anchor(anchor);
        surface.set_size(size.0, size.1);
        surface.set_exclusive_zone(zone);
        surface.set_keyboard_interactivity(keyboard);
        if let Placement::Corner { margin, .. } = self.placement {
            let m = margin as i32;
            surface.set_margin(m, m, m, m);
        }
        surface.commit();
        self.add_surface(Role::Layer(surface), output);
        if let Some(s) = self.surfaces.last_mut() {
            s.menu = menu;
        }
    }

    pub(super) fn create_lock_surface(&mut self, output: wl_output::WlOutput) {
        let Some(lock) = &self.lock else { return };
        let wl = self.compositor.create_surface(&self.qh);
        let surface = lock.create_lock_surface(wl, &output, &self.qh);
        self.add_surface(Role::Lock(surface), Some(output));
    }

    /// Drops the surfaces on a vanished output; true when a menu went with them.
    pub(super) fn remove_output(&mut self, output: &wl_output::WlOutput) -> bool {
        let had_menu = self.menu_open();
        self.surfaces.retain(|s| s.output.as_ref() != Some(output));
        had_menu && !self.menu_open()
    }
}
