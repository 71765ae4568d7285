//! The shared Wayland runtime of the shell programs: outputs coming and going, layer-shell or
//! session-lock surfaces on them, scale (integer and fractional), pointer and keyboard, and
//! redraws that commit only when a surface's scene changed.
//!
//! There is no animation, so no frame callbacks: a surface is redrawn after the events that
//! changed it, and an idle program sleeps in the event loop.

use anyhow::Context;
use canopy_themes::Theme;
use smithay_client_toolkit::compositor::{CompositorHandler, CompositorState};
use smithay_client_toolkit::dispatch2::Dispatch2;
use smithay_client_toolkit::output::{OutputHandler, OutputState};
use smithay_client_toolkit::reexports::calloop::{EventLoop, LoopHandle};
use smithay_client_toolkit::reexports::calloop_wayland_source::WaylandSource;
use smithay_client_toolkit::registry::{ProvidesRegistryState, RegistryState};
use smithay_client_toolkit::seat::keyboard::{KeyEvent, KeyboardHandler, Keysym, Modifiers, RawModifiers};
use smithay_client_toolkit::seat::pointer::{PointerEvent, PointerEventKind, PointerHandler};
use smithay_client_toolkit::seat::{Capability, SeatHandler, SeatState};
use smithay_client_toolkit::session_lock::{
    SessionLock, SessionLockHandler, SessionLockState, SessionLockSurface, SessionLockSurfaceConfigure,
};
use smithay_client_toolkit::shell::wlr_layer::{
    Anchor, KeyboardInteractivity, Layer, LayerShell, LayerShellHandler, LayerSurface, LayerSurfaceConfigure,
};
use smithay_client_toolkit::shell::WaylandSurface;
use smithay_client_toolkit::shm::{Shm, ShmHandler};
use smithay_client_toolkit::{delegate_dispatch2, delegate_registry, registry_handlers};
use wayland_client::globals::registry_queue_init;
use wayland_client::protocol::{wl_keyboard, wl_output, wl_pointer, wl_seat, wl_surface};
use wayland_client::{Connection, QueueHandle};
use wayland_protocols::wp::fractional_scale::v1::client::{wp_fractional_scale_manager_v1, wp_fractional_scale_v1};
use wayland_protocols::wp::viewporter::client::{wp_viewport, wp_viewporter};

use super::app::{App, Placement, View, ViewCx};
use super::buffers::Buffers;
use super::scroll::ScrollSteps;
use super::windows::{WindowList, WindowListHandler};
use crate::draw::{Fonts, Icons, Painter, Renderer};

enum Role {
    Layer(LayerSurface),
    Lock(SessionLockSurface),
}

impl Role {
    fn wl_surface(&self) -> &wl_surface::WlSurface {
        match self {
            Role::Layer(l) => l.wl_surface(),
            Role::Lock(l) => l.wl_surface(),
        }
    }
}

/// One surface of the program and what it currently shows.
struct Surface<Act> {
    role: Role,
    /// A menu the program opened over an output ([`Core::open_menu`]), not one of its placed
    /// surfaces.
    menu: bool,
    output: Option<wl_output::WlOutput>,
    /// Logical size, known after the first configure.
    size: Option<(u32, u32)>,
    /// Integer scale from the output, used when there is no fractional scale.
    int_scale: i32,
    /// Preferred scale in 120ths from wp_fractional_scale_v1.
    fractional: Option<u32>,
    fractional_obj: Option<wp_fractional_scale_v1::WpFractionalScaleV1>,
    viewport: Option<wp_viewport::WpViewport>,
    renderer: Renderer,
    buffers: Buffers,
    hits: Vec<(crate::draw::Rect, Act)>,
    pointer: Option<(f64, f64)>,
    hovered: Option<Act>,
    scroll: ScrollSteps,
    dirty: bool,
}

impl<Act: Clone + PartialEq> Surface<Act> {
    fn scale(&self) -> f32 {
        match self.fractional {
            Some(s) if self.viewport.is_some() => s as f32 / 120.0,
            _ => self.int_scale as f32,
        }
    }

    fn action_at(&self, x: f64, y: f64) -> Option<Act> {
        self.hits.iter().rev().find(|(r, _)| r.contains(x, y)).map(|(_, a)| a.clone())
    }
}

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
    placement: Placement,
    namespace: &'static str,
    registry: RegistryState,
    compositor: CompositorState,
    outputs: OutputState,
    seats: SeatState,
    shm: Shm,
    layer_shell: Option<LayerShell>,
    lock: Option<SessionLock>,
    fractional: Option<wp_fractional_scale_manager_v1::WpFractionalScaleManagerV1>,
    viewporter: Option<wp_viewporter::WpViewporter>,
    surfaces: Vec<Surface<A::Action>>,
    pointer: Option<wl_pointer::WlPointer>,
    keyboard: Option<wl_keyboard::WlKeyboard>,
    /// The surface and action where a button went down.
    pressed: Option<(wl_surface::WlSurface, u32, A::Action)>,
    /// The output and surface-local position of the last click handed to the app.
    last_click: Option<(Option<wl_output::WlOutput>, f64, f64)>,
    exit: Option<i32>,
    /// Whether [`App::init`] ran; a `locked` that comes before it is handed over after it.
    started: bool,
    locked_early: bool,
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

    fn find_output(&self, name: &str) -> Option<wl_output::WlOutput> {
        self.outputs.outputs().find(|o| self.output_name(o).as_deref() == Some(name))
    }

    fn surface_index(&self, wl: &wl_surface::WlSurface) -> Option<usize> {
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

    pub fn menu_open(&self) -> bool {
        self.surfaces.iter().any(|s| s.menu)
    }

    fn add_surface(&mut self, role: Role, output: Option<wl_output::WlOutput>) {
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

    fn create_layer(&mut self, output: Option<wl_output::WlOutput>) {
        self.create_layer_with(output, false);
    }

    fn create_layer_with(&mut self, output: Option<wl_output::WlOutput>, menu: bool) {
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
            _ => (Layer::Overlay, Anchor::all(), (0, 0), -1, KeyboardInteractivity::Exclusive),
        };
        let namespace = if menu { "canopy-menu" } else { self.namespace };
        let surface = layer_shell.create_layer_surface(&self.qh, wl, layer, Some(namespace), output.as_ref());
        surface.set_anchor(anchor);
        surface.set_size(size.0, size.1);
        surface.set_exclusive_zone(zone);
        surface.set_keyboard_interactivity(keyboard);
        surface.commit();
        self.add_surface(Role::Layer(surface), output);
        if let Some(s) = self.surfaces.last_mut() {
            s.menu = menu;
        }
    }

    fn create_lock_surface(&mut self, output: wl_output::WlOutput) {
        let Some(lock) = &self.lock else { return };
        let wl = self.compositor.create_surface(&self.qh);
        let surface = lock.create_lock_surface(wl, &output, &self.qh);
        self.add_surface(Role::Lock(surface), Some(output));
    }

    /// Drops the surfaces on a vanished output; true when a menu went with them.
    fn remove_output(&mut self, output: &wl_output::WlOutput) -> bool {
        let had_menu = self.menu_open();
        self.surfaces.retain(|s| s.output.as_ref() != Some(output));
        had_menu && !self.menu_open()
    }
}

impl<A: App> Shell<A> {
    /// Builds and, when its scene changed, commits every dirty and configured surface.
    fn flush(&mut self) {
        let core = &mut self.core;
        let painter = Painter { fonts: &core.fonts, icons: &core.icons };
        let outputs: Vec<wl_output::WlOutput> = core.outputs.outputs().collect();
        for s in core.surfaces.iter_mut().filter(|s| s.dirty) {
            let Some((w, h)) = s.size else { continue };
            s.dirty = false;
            let scale = s.scale();
            let output_name = s.output.as_ref().and_then(|o| core.outputs.info(o)).and_then(|i| i.name);
            // The hovered action depends on the new hit areas; two passes settle it.
            let mut view: View<A::Action>;
            let mut passes = 0;
            loop {
                let cx = ViewCx {
                    width: w as f32,
                    height: h as f32,
                    scale,
                    output: output_name.as_deref(),
                    wl_output: s.output.as_ref(),
                    outputs: &outputs,
                    hovered: s.hovered.as_ref(),
                    theme: &core.theme,
                    fonts: &core.fonts,
                    windows: &core.windows,
                };
                view = if s.menu { self.app.menu_view(&cx) } else { self.app.view(&cx) };
                let hovered = s.pointer.and_then(|(x, y)| view.action_at(x, y).cloned());
                passes += 1;
                if hovered == s.hovered || passes == 2 {
                    break;
                }
                s.hovered = hovered;
            }
            s.hits = view.hits;
            let damage = s.renderer.render(&painter, &view.scene, scale);
            if damage.is_empty() {
                continue;
            }
            let wl = s.role.wl_surface();
            match (&s.viewport, s.fractional) {
                (Some(vp), Some(_)) => {
                    wl.set_buffer_scale(1);
                    vp.set_destination(w as i32, h as i32);
                }
                _ => wl.set_buffer_scale(s.int_scale),
            }
            let image = s.renderer.image().expect("rendered");
            if let Err(e) = s.buffers.present(image, &damage, wl) {
                tracing::error!("cannot present a frame: {e:#}");
                s.renderer.invalidate();
                continue;
            }
            wl.commit();
        }
        let _ = core.conn.flush();
    }

    /// A held key repeats: editing and moving keys act again; keys that start, submit or close
    /// something act once per press.
    fn repeated_key(&mut self, event: KeyEvent) {
        if matches!(event.keysym, Keysym::Return | Keysym::KP_Enter | Keysym::Escape) {
            return;
        }
        let mods = self.core.modifiers;
        self.app.key(&mut self.core, &event, &mods);
        self.core.redraw();
    }

    fn pointer_event(&mut self, event: &PointerEvent) {
        let core = &mut self.core;
        let Some(i) = core.surface_index(&event.surface) else { return };
        let (x, y) = event.position;
        let s = &mut core.surfaces[i];
        match event.kind {
            PointerEventKind::Enter { .. } | PointerEventKind::Motion { .. } => {
                s.pointer = Some((x, y));
                let hovered = s.action_at(x, y);
                if hovered != s.hovered {
                    s.hovered = hovered;
                    s.dirty = true;
                }
            }
            PointerEventKind::Leave { .. } => {
                s.pointer = None;
                if s.hovered.take().is_some() {
                    s.dirty = true;
                }
            }
            PointerEventKind::Press { button, .. } => {
                s.pointer = Some((x, y));
                core.pressed = s.action_at(x, y).map(|a| (event.surface.clone(), button, a));
            }
            PointerEventKind::Release { button, .. } => {
                let under = s.action_at(x, y);
                if let Some((surface, b, action)) = core.pressed.take() {
                    if surface == event.surface && b == button && under.as_ref() == Some(&action) {
                        self.core.last_click = Some((s.output.clone(), x, y));
                        self.app.click(&mut self.core, action, button);
                        self.core.redraw();
                    }
                }
            }
            PointerEventKind::Axis { vertical, .. } => {
                let steps = s.scroll.push(&vertical);
                if steps != 0 {
                    self.app.scroll(&mut self.core, steps);
                    self.core.redraw();
                }
            }
        }
    }
}

/// Connects to the compositor and runs `app` until it exits; returns the exit code.
pub fn run<A: App>(app: A, theme: Theme) -> anyhow::Result<i32> {
    let fonts = Fonts::load(&theme.font)?;
    let conn =
        Connection::connect_to_env().context("cannot connect to the Wayland compositor (is WAYLAND_DISPLAY set?)")?;
    let (globals, queue) = registry_queue_init::<Shell<A>>(&conn).context("Wayland registry")?;
    let qh = queue.handle();
    let mut event_loop: EventLoop<'static, Shell<A>> = EventLoop::try_new()?;
    let placement = app.placement();
    let layer_shell = match placement {
        Placement::Lock => None,
        _ => Some(LayerShell::bind(&globals, &qh).context("the compositor offers no wlr-layer-shell")?),
    };
    let lock = match placement {
        Placement::Lock => {
            let state = SessionLockState::new(&globals, &qh);
            Some(state.lock(&qh).context("the compositor offers no ext-session-lock-v1")?)
        }
        _ => None,
    };
    let windows = if app.wants_window_list() { WindowList::bind(&globals, &qh) } else { WindowList::default() };
    let fractional = globals.bind(&qh, 1..=1, NoEvents).ok();
    let viewporter = globals.bind(&qh, 1..=1, NoEvents).ok();
    let core = Core {
        conn: conn.clone(),
        qh: qh.clone(),
        handle: event_loop.handle(),
        theme,
        fonts,
        icons: Icons::new(),
        windows,
        modifiers: Modifiers::default(),
        namespace: app.namespace(),
        placement: placement.clone(),
        registry: RegistryState::new(&globals),
        compositor: CompositorState::bind(&globals, &qh).context("wl_compositor")?,
        outputs: OutputState::new(&globals, &qh),
        seats: SeatState::new(&globals, &qh),
        shm: Shm::bind(&globals, &qh).context("wl_shm")?,
        layer_shell,
        lock,
        fractional,
        viewporter,
        surfaces: Vec::new(),
        pointer: None,
        keyboard: None,
        pressed: None,
        last_click: None,
        exit: None,
        started: false,
        locked_early: false,
    };
    let mut shell = Shell { app, core };
    // Output descriptions and names (wl_output v4, xdg-output) take two rounds to arrive.
    let mut queue = queue;
    for _ in 0..2 {
        queue.roundtrip(&mut shell).context("Wayland roundtrip")?;
    }
    WaylandSource::new(conn, queue)
        .insert(event_loop.handle())
        .map_err(|e| anyhow::anyhow!("cannot watch the Wayland connection: {e}"))?;
    if let Placement::Overlay { output } = &placement {
        let target = output.as_deref().and_then(|name| {
            let found = shell.core.find_output(name);
            if found.is_none() {
                tracing::warn!("no output named {name}; letting the compositor choose");
            }
            found
        });
        shell.core.create_layer(target);
    }
    shell.app.init(&mut shell.core);
    shell.core.started = true;
    if shell.core.locked_early {
        shell.app.locked(&mut shell.core);
    }
    while shell.core.exit.is_none() {
        shell.flush();
        if let Err(e) = event_loop.dispatch(None, &mut shell) {
            // The compositor quit (log out) or dropped us: nothing left to show.
            tracing::info!("the Wayland connection ended: {e}");
            return Ok(0);
        }
    }
    shell.flush();
    Ok(shell.core.exit.unwrap_or(0))
}

impl<A: App> CompositorHandler for Shell<A> {
    fn scale_factor_changed(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        surface: &wl_surface::WlSurface,
        factor: i32,
    ) {
        if let Some(i) = self.core.surface_index(surface) {
            let s = &mut self.core.surfaces[i];
            if s.int_scale != factor {
                s.int_scale = factor.max(1);
                s.dirty = true;
            }
        }
    }

    fn transform_changed(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_surface::WlSurface,
        _: wl_output::Transform,
    ) {
    }

    fn frame(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &wl_surface::WlSurface, _: u32) {}

    fn surface_enter(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_surface::WlSurface,
        _: &wl_output::WlOutput,
    ) {
    }

    fn surface_leave(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_surface::WlSurface,
        _: &wl_output::WlOutput,
    ) {
    }
}

impl<A: App> OutputHandler for Shell<A> {
    fn output_state(&mut self) -> &mut OutputState {
        &mut self.core.outputs
    }

    fn new_output(&mut self, _: &Connection, _: &QueueHandle<Self>, output: wl_output::WlOutput) {
        tracing::info!("output added: {}", self.core.output_name(&output).unwrap_or_default());
        match self.core.placement {
            Placement::PanelPerOutput { .. } => self.core.create_layer(Some(output)),
            Placement::Lock => self.core.create_lock_surface(output),
            Placement::Overlay { .. } => {}
        }
    }

    fn update_output(&mut self, _: &Connection, _: &QueueHandle<Self>, output: wl_output::WlOutput) {
        let scale = self.core.outputs.info(&output).map_or(1, |i| i.scale_factor.max(1));
        for s in self.core.surfaces.iter_mut().filter(|s| s.output.as_ref() == Some(&output)) {
            s.int_scale = scale;
            s.dirty = true;
        }
    }

    fn output_destroyed(&mut self, _: &Connection, _: &QueueHandle<Self>, output: wl_output::WlOutput) {
        tracing::info!("output removed: {}", self.core.output_name(&output).unwrap_or_default());
        if self.core.remove_output(&output) {
            self.app.menu_closed(&mut self.core);
        }
    }
}

impl<A: App> LayerShellHandler for Shell<A> {
    fn closed(&mut self, _: &Connection, _: &QueueHandle<Self>, layer: &LayerSurface) {
        let Some(i) = self.core.surface_index(layer.wl_surface()) else { return };
        if self.core.surfaces.remove(i).menu {
            self.app.menu_closed(&mut self.core);
            self.core.redraw();
        } else if let Placement::Overlay { .. } = self.core.placement {
            self.core.exit(0);
        }
    }

    fn configure(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        layer: &LayerSurface,
        configure: LayerSurfaceConfigure,
        _: u32,
    ) {
        let Some(i) = self.core.surface_index(layer.wl_surface()) else { return };
        let requested = match self.core.placement {
            Placement::PanelPerOutput { height } => (1, height),
            _ => (1, 1),
        };
        let w = if configure.new_size.0 == 0 { requested.0 } else { configure.new_size.0 };
        let h = if configure.new_size.1 == 0 { requested.1 } else { configure.new_size.1 };
        let s = &mut self.core.surfaces[i];
        s.size = Some((w, h));
        s.dirty = true;
    }
}

impl<A: App> SessionLockHandler for Shell<A> {
    fn locked(&mut self, _: &Connection, _: &QueueHandle<Self>, _: SessionLock) {
        tracing::info!("session locked");
        // The compositor may confirm the lock during the first roundtrips, before the app
        // has set up its event sources.
        if self.core.started {
            self.app.locked(&mut self.core);
        } else {
            self.core.locked_early = true;
        }
        self.core.redraw();
    }

    fn finished(&mut self, _: &Connection, _: &QueueHandle<Self>, _: SessionLock) {
        tracing::error!("the compositor refused to lock the session (is another locker running?)");
        self.core.lock = None;
        self.core.exit(1);
    }

    fn configure(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        surface: SessionLockSurface,
        configure: SessionLockSurfaceConfigure,
        _: u32,
    ) {
        let Some(i) = self.core.surface_index(surface.wl_surface()) else { return };
        let s = &mut self.core.surfaces[i];
        s.size = Some((configure.new_size.0.max(1), configure.new_size.1.max(1)));
        s.dirty = true;
    }
}

impl<A: App> SeatHandler for Shell<A> {
    fn seat_state(&mut self) -> &mut SeatState {
        &mut self.core.seats
    }

    fn new_seat(&mut self, _: &Connection, _: &QueueHandle<Self>, _: wl_seat::WlSeat) {}

    fn new_capability(
        &mut self,
        _: &Connection,
        qh: &QueueHandle<Self>,
        seat: wl_seat::WlSeat,
        capability: Capability,
    ) {
        if capability == Capability::Keyboard && self.core.keyboard.is_none() {
            // Held keys repeat at the compositor's rate (wl_keyboard.repeat_info), timed by our loop.
            let repeat = Box::new(|shell: &mut Shell<A>, _: &wl_keyboard::WlKeyboard, event: KeyEvent| {
                shell.repeated_key(event)
            });
            let handle = self.core.handle.clone();
            match self.core.seats.get_keyboard_with_repeat(qh, &seat, None, handle, repeat) {
                Ok(k) => self.core.keyboard = Some(k),
                Err(e) => tracing::warn!("no keyboard: {e}"),
            }
        }
        if capability == Capability::Pointer && self.core.pointer.is_none() {
            match self.core.seats.get_pointer(qh, &seat) {
                Ok(p) => self.core.pointer = Some(p),
                Err(e) => tracing::warn!("no pointer: {e}"),
            }
        }
    }

    fn remove_capability(&mut self, _: &Connection, _: &QueueHandle<Self>, _: wl_seat::WlSeat, capability: Capability) {
        if capability == Capability::Keyboard {
            if let Some(k) = self.core.keyboard.take() {
                k.release();
            }
        }
        if capability == Capability::Pointer {
            if let Some(p) = self.core.pointer.take() {
                p.release();
            }
        }
    }

    fn remove_seat(&mut self, _: &Connection, _: &QueueHandle<Self>, _: wl_seat::WlSeat) {}
}

impl<A: App> KeyboardHandler for Shell<A> {
    fn enter(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_keyboard::WlKeyboard,
        _: &wl_surface::WlSurface,
        _: u32,
        _: &[u32],
        _: &[Keysym],
    ) {
    }

    fn leave(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_keyboard::WlKeyboard,
        _: &wl_surface::WlSurface,
        _: u32,
    ) {
    }

    fn press_key(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_keyboard::WlKeyboard,
        _: u32,
        event: KeyEvent,
    ) {
        let mods = self.core.modifiers;
        self.app.key(&mut self.core, &event, &mods);
        self.core.redraw();
    }

    fn repeat_key(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_keyboard::WlKeyboard,
        _: u32,
        event: KeyEvent,
    ) {
        self.repeated_key(event);
    }

    fn release_key(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &wl_keyboard::WlKeyboard, _: u32, _: KeyEvent) {
    }

    fn update_modifiers(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_keyboard::WlKeyboard,
        _: u32,
        modifiers: Modifiers,
        _: RawModifiers,
        _: u32,
    ) {
        self.core.modifiers = modifiers;
    }
}

impl<A: App> PointerHandler for Shell<A> {
    fn pointer_frame(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_pointer::WlPointer,
        events: &[PointerEvent],
    ) {
        for e in events {
            self.pointer_event(e);
        }
    }
}

impl<A: App> ShmHandler for Shell<A> {
    fn shm_state(&mut self) -> &mut Shm {
        &mut self.core.shm
    }
}

impl<A: App> WindowListHandler for Shell<A> {
    fn window_list(&mut self) -> &mut WindowList {
        &mut self.core.windows
    }

    fn windows_changed(&mut self) {
        self.app.windows_changed(&mut self.core);
        self.core.redraw();
    }
}

impl<A: App> ProvidesRegistryState for Shell<A> {
    fn registry(&mut self) -> &mut RegistryState {
        &mut self.core.registry
    }
    registry_handlers![OutputState, SeatState];
}

/// User data of objects that send no events we act on.
pub struct NoEvents;

impl<A: App> Dispatch2<wp_fractional_scale_manager_v1::WpFractionalScaleManagerV1, Shell<A>> for NoEvents {
    fn event(
        &self,
        _: &mut Shell<A>,
        _: &wp_fractional_scale_manager_v1::WpFractionalScaleManagerV1,
        _: wp_fractional_scale_manager_v1::Event,
        _: &Connection,
        _: &QueueHandle<Shell<A>>,
    ) {
    }
}

impl<A: App> Dispatch2<wp_viewporter::WpViewporter, Shell<A>> for NoEvents {
    fn event(
        &self,
        _: &mut Shell<A>,
        _: &wp_viewporter::WpViewporter,
        _: wp_viewporter::Event,
        _: &Connection,
        _: &QueueHandle<Shell<A>>,
    ) {
    }
}

impl<A: App> Dispatch2<wp_viewport::WpViewport, Shell<A>> for NoEvents {
    fn event(
        &self,
        _: &mut Shell<A>,
        _: &wp_viewport::WpViewport,
        _: wp_viewport::Event,
        _: &Connection,
        _: &QueueHandle<Shell<A>>,
    ) {
    }
}

/// The surface a wp_fractional_scale_v1 reports for.
pub struct FractionalData(wl_surface::WlSurface);

impl<A: App> Dispatch2<wp_fractional_scale_v1::WpFractionalScaleV1, Shell<A>> for FractionalData {
    fn event(
        &self,
        state: &mut Shell<A>,
        _: &wp_fractional_scale_v1::WpFractionalScaleV1,
        event: wp_fractional_scale_v1::Event,
        _: &Connection,
        _: &QueueHandle<Shell<A>>,
    ) {
        if let wp_fractional_scale_v1::Event::PreferredScale { scale } = event {
            if let Some(i) = state.core.surface_index(&self.0) {
                let s = &mut state.core.surfaces[i];
                if s.fractional != Some(scale) {
                    s.fractional = Some(scale);
                    s.dirty = true;
                }
            }
        }
    }
}

impl<Act> Drop for Surface<Act> {
    fn drop(&mut self) {
        if let Some(f) = self.fractional_obj.take() {
            f.destroy();
        }
        if let Some(v) = self.viewport.take() {
            v.destroy();
        }
    }
}

delegate_registry!(@<A: App> Shell<A>);
delegate_dispatch2!(@<A: App> Shell<A>);
