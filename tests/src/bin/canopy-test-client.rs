//! A deterministic Wayland test client: one toplevel showing four quadrants of a colour, so a
//! screenshot shows where it is, how big, and whether it is scaled or cut. It prints what it
//! receives (configures, focus, keys, pointer, clipboard and drag-and-drop) as JSON lines on stdout
//! for tests to read. It can also play a hostile VM: read every drag offer on enter, ignore the
//! sizes it is configured to. Commands come on stdin (`roundtrip`, `token`, `activate TOKEN`).
//! With `--activate-from-env` it activates its window with `XDG_ACTIVATION_TOKEN` once shown,
//! as toolkits do for an app started with a token.

use std::io::Write;
use std::time::Duration;

use canopy_tests::client_kit::{self, emit, parse_colour, parse_size};
use clap::{Parser, ValueEnum};
use serde_json::json;
use smithay_client_toolkit::compositor::{CompositorHandler, CompositorState};
use smithay_client_toolkit::output::{OutputHandler, OutputState};
use smithay_client_toolkit::reexports::calloop::EventLoop;
use smithay_client_toolkit::reexports::calloop_wayland_source::WaylandSource;
use smithay_client_toolkit::registry::{ProvidesRegistryState, RegistryState};
use smithay_client_toolkit::seat::keyboard::{KeyEvent, KeyboardHandler, Keysym, Modifiers, RawModifiers};
use smithay_client_toolkit::seat::pointer::{PointerEvent, PointerEventKind, PointerHandler};
use smithay_client_toolkit::seat::{Capability, SeatHandler, SeatState};
use smithay_client_toolkit::shell::xdg::popup::{Popup, PopupConfigure, PopupHandler};
use smithay_client_toolkit::shell::xdg::window::{Window, WindowConfigure, WindowDecorations, WindowHandler};
use smithay_client_toolkit::shell::xdg::{XdgPositioner, XdgShell, XdgSurface};
use smithay_client_toolkit::shell::WaylandSurface;
use smithay_client_toolkit::shm::slot::SlotPool;
use smithay_client_toolkit::shm::{Shm, ShmHandler};
use smithay_client_toolkit::{delegate_registry, registry_handlers};
use wayland_client::globals::registry_queue_init;
use wayland_client::protocol::{wl_keyboard, wl_output, wl_pointer, wl_seat, wl_shm, wl_surface};
use wayland_client::{Connection, QueueHandle};
use wayland_protocols::xdg::shell::client::xdg_positioner::{Anchor, ConstraintAdjustment, Gravity};

use smithay_client_toolkit::data_device_manager::data_device::{DataDevice, DataDeviceHandler};
use smithay_client_toolkit::data_device_manager::data_offer::{DataOfferHandler, DragOffer};
use smithay_client_toolkit::data_device_manager::data_source::{CopyPasteSource, DataSourceHandler, DragSource};
use smithay_client_toolkit::data_device_manager::{DataDeviceManagerState, ReadPipe, WritePipe};
use wayland_client::protocol::wl_data_device::WlDataDevice;
use wayland_client::protocol::wl_data_device_manager::DndAction;
use wayland_client::protocol::wl_data_source::WlDataSource;

/// Keys that drive the clipboard in tests: F6 copies `--copy` text, F5 pastes.
const COPY_KEY: u32 = 0xffc3;
const PASTE_KEY: u32 = 0xffc2;
const TEXT_MIME: &str = "text/plain;charset=utf-8";
const BTN_LEFT: u32 = 0x110;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Decorations {
    /// Ask for server-side decorations.
    Server,
    /// Ask for client-side decorations (a VM asking this still gets a frame).
    Client,
    /// Don't use xdg-decoration at all.
    None,
}

#[derive(Debug, Parser)]
#[command(about = "A deterministic Wayland test client for canopy's tests")]
struct Args {
    #[arg(long, default_value = "test client")]
    title: String,
    #[arg(long, default_value = "canopy.test-client")]
    app_id: String,
    /// Initial size, WIDTHxHEIGHT.
    #[arg(long, default_value = "320x200")]
    size: String,
    /// Base colour RRGGBB of the pattern.
    #[arg(long, default_value = "3c78d8")]
    color: String,
    /// Paint the whole window in the colour, without the pattern.
    #[arg(long)]
    solid: bool,
    #[arg(long, value_enum, default_value = "server")]
    decorations: Decorations,
    /// Open a popup at (20, 20) of the window once it is shown.
    #[arg(long)]
    popup: bool,
    #[arg(long)]
    maximize: bool,
    #[arg(long)]
    fullscreen: bool,
    /// Paint a band this wide in pure green outside the declared window geometry, as a hostile
    /// client drawing over its frame would.
    #[arg(long, default_value_t = 0)]
    overdraw: u32,
    /// Redraw every frame with a bar moving across the window (for benchmarks).
    #[arg(long)]
    animate: bool,
    /// Open a popup with a grab when the window is clicked.
    #[arg(long)]
    grab_popup: bool,
    /// Set a cursor surface of its own (16×16 magenta) whenever the pointer enters.
    #[arg(long)]
    custom_cursor: bool,
    /// MIME type F6 offers the copied text as, and --drag drags as (default:
    /// text/plain;charset=utf-8 and text/plain).
    #[arg(long)]
    copy_mime: Option<String>,
    /// Text that F6 copies to the clipboard (F5 pastes and prints what arrived).
    #[arg(long)]
    copy: Option<String>,
    /// Declare this window geometry (WIDTHxHEIGHT), whatever is drawn, as a hostile client may.
    #[arg(long)]
    declare_geometry: Option<String>,
    /// Scale the buffer to this surface size (WIDTHxHEIGHT) with wp_viewporter.
    #[arg(long)]
    viewport: Option<String>,
    /// Exit after this many seconds.
    #[arg(long)]
    exit_after: Option<f64>,
    /// Start a drag of this text when the window is pressed with the left button.
    #[arg(long)]
    drag: Option<String>,
    /// Make the dragged payload this many bytes long (the --drag text repeated).
    #[arg(long)]
    drag_bytes: Option<usize>,
    /// Read every type of every drag offer as soon as it enters, as a hostile VM would.
    #[arg(long)]
    read_offers: bool,
    /// Keep the size it started with whatever configures ask, as a hostile VM may.
    #[arg(long)]
    ignore_configure_size: bool,
    /// Once the window is first drawn, activate it with $XDG_ACTIVATION_TOKEN (if set).
    #[arg(long)]
    activate_from_env: bool,
    /// Ask that the screen stay on while the window is shown (zwp_idle_inhibit_manager_v1);
    /// prints `idle-inhibit`, or `no-idle-inhibit` when the global is not offered.
    #[arg(long)]
    inhibit_idle: bool,
    /// With `--inhibit-idle`: this many inhibitors on the window's surface.
    #[arg(long, default_value_t = 1)]
    idle_inhibitors: u32,
}

/// `--solid`: the pattern is one colour.
static SOLID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The kit's opaque pattern, or with `--solid` one colour.
fn paint(canvas: &mut [u8], w: u32, h: u32, c: [u8; 3]) {
    if SOLID.load(std::sync::atomic::Ordering::Relaxed) {
        client_kit::fill(canvas, c);
    } else {
        client_kit::paint(canvas, w, h, c, 255);
    }
}

struct Client {
    registry: RegistryState,
    seat: SeatState,
    output: OutputState,
    shm: Shm,
    compositor: CompositorState,
    xdg: XdgShell,
    pool: SlotPool,
    window: Window,
    popup: Option<Popup>,
    want_popup: bool,
    colour: [u8; 3],
    size: (u32, u32),
    drawn: Option<(u32, u32)>,
    data_manager: Option<DataDeviceManagerState>,
    data_device: Option<DataDevice>,
    copy_text: Option<String>,
    copy_mime: Option<String>,
    grab_popup: bool,
    custom_cursor: bool,
    cursor_surface: Option<wl_surface::WlSurface>,
    sources: Vec<CopyPasteSource>,
    /// Frame counter of `--animate`; None when not animating.
    phase: Option<u32>,
    exit: bool,
    overdraw: u32,
    declare_geometry: Option<(i32, i32)>,
    keyboard: Option<wl_keyboard::WlKeyboard>,
    pointer: Option<wl_pointer::WlPointer>,
    /// The payload of `--drag`, and the source of the drag in progress.
    drag_payload: Option<std::sync::Arc<Vec<u8>>>,
    drag_source: Option<DragSource>,
    read_offers: bool,
    ignore_configure_size: bool,
    /// The token `--activate-from-env` uses once the window is drawn.
    activate_with: Option<String>,
    /// The serial of the last keyboard enter, key press or button press, for `token`.
    last_serial: Option<u32>,
    conn: Connection,
}

impl Client {
    fn draw(&mut self, qh: &QueueHandle<Self>) {
        let (w, h) = self.size;
        if self.drawn == Some((w, h)) {
            self.window.commit();
            return;
        }
        let n = self.overdraw;
        let (bw, bh) = (w + 2 * n, h + 2 * n);
        let (buffer, canvas) =
            self.pool.create_buffer(bw as i32, bh as i32, bw as i32 * 4, wl_shm::Format::Argb8888).expect("buffer");
        if n > 0 {
            for px in canvas.chunks_exact_mut(4) {
                px.copy_from_slice(&[0, 255, 0, 255]);
            }
            let mut inner = vec![0u8; (w * h * 4) as usize];
            paint(&mut inner, w, h, self.colour);
            let row_bytes = (w * 4) as usize;
            for row in 0..h as usize {
                let dst = ((row + n as usize) * bw as usize + n as usize) * 4;
                canvas[dst..dst + row_bytes].copy_from_slice(&inner[row * row_bytes..(row + 1) * row_bytes]);
            }
            self.window.xdg_surface().set_window_geometry(n as i32, n as i32, w as i32, h as i32);
        } else {
            paint(canvas, w, h, self.colour);
        }
        if let Some((gw, gh)) = self.declare_geometry {
            self.window.xdg_surface().set_window_geometry(0, 0, gw, gh);
        }
        if let Some(phase) = self.phase {
            // A white bar 16 px wide, moving 8 px a frame.
            let x0 = (phase * 8) % bw.max(1);
            for row in 0..bh as usize {
                for x in x0..(x0 + 16).min(bw) {
                    let i = (row * bw as usize + x as usize) * 4;
                    canvas[i..i + 4].copy_from_slice(&[255, 255, 255, 255]);
                }
            }
            self.window
                .wl_surface()
                .frame(qh, smithay_client_toolkit::compositor::FrameCallbackData(self.window.wl_surface().clone()));
        }
        let surface = self.window.wl_surface();
        surface.damage_buffer(0, 0, bw as i32, bh as i32);
        buffer.attach_to(surface).expect("attach");
        self.window.commit();
        self.drawn = Some((w, h));
        emit(json!({ "event": "drawn", "width": w, "height": h }));
        if let Some(token) = self.activate_with.take() {
            self.activate(&token);
        }
        if self.want_popup && self.popup.is_none() {
            self.open_popup(qh);
        }
    }

    fn open_popup(&mut self, qh: &QueueHandle<Self>) {
        self.open_popup_with_grab(qh, None);
    }

    /// A popup; with `grab` (seat and the serial of the click), grabbed before its first commit
    /// as xdg-shell requires.
    fn open_popup_with_grab(&mut self, qh: &QueueHandle<Self>, grab: Option<(wl_seat::WlSeat, u32)>) {
        let positioner = XdgPositioner::new(&self.xdg).expect("positioner");
        positioner.set_size(120, 80);
        positioner.set_anchor_rect(20, 20, 1, 1);
        positioner.set_anchor(Anchor::TopLeft);
        positioner.set_gravity(Gravity::BottomRight);
        positioner.set_constraint_adjustment(
            ConstraintAdjustment::SlideX | ConstraintAdjustment::SlideY | ConstraintAdjustment::FlipY,
        );
        let surface = self.compositor.create_surface(qh);
        let popup =
            Popup::from_surface(Some(self.window.xdg_surface()), &positioner, qh, surface, &self.xdg).expect("popup");
        if let Some((seat, serial)) = grab {
            popup.xdg_popup().grab(&seat, serial);
            emit(json!({ "event": "popup-grab" }));
        }
        popup.wl_surface().commit();
        self.popup = Some(popup);
    }
}

impl CompositorHandler for Client {
    fn scale_factor_changed(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &wl_surface::WlSurface, f: i32) {
        emit(json!({ "event": "scale", "factor": f }));
    }
    fn transform_changed(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_surface::WlSurface,
        _: wl_output::Transform,
    ) {
    }
    fn frame(&mut self, _: &Connection, qh: &QueueHandle<Self>, _: &wl_surface::WlSurface, _: u32) {
        if let Some(p) = self.phase.as_mut() {
            *p += 1;
            self.drawn = None;
            self.draw(qh);
        }
    }
    fn surface_enter(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_surface::WlSurface,
        _: &wl_output::WlOutput,
    ) {
        emit(json!({ "event": "surface-enter" }));
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

impl OutputHandler for Client {
    fn output_state(&mut self) -> &mut OutputState {
        &mut self.output
    }
    fn new_output(&mut self, _: &Connection, _: &QueueHandle<Self>, _: wl_output::WlOutput) {}
    fn update_output(&mut self, _: &Connection, _: &QueueHandle<Self>, _: wl_output::WlOutput) {}
    fn output_destroyed(&mut self, _: &Connection, _: &QueueHandle<Self>, _: wl_output::WlOutput) {}
}

impl WindowHandler for Client {
    fn request_close(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &Window) {
        emit(json!({ "event": "close-requested" }));
        self.exit = true;
    }

    fn configure(&mut self, _: &Connection, qh: &QueueHandle<Self>, _: &Window, c: WindowConfigure, _: u32) {
        if let (Some(w), Some(h), false) = (c.new_size.0, c.new_size.1, self.ignore_configure_size) {
            self.size = (w.get(), h.get());
        }
        emit(json!({
            "event": "configure",
            "width": c.new_size.0.map(|v| v.get()),
            "height": c.new_size.1.map(|v| v.get()),
            "decorations": format!("{:?}", c.decoration_mode),
            "activated": c.is_activated(),
            "maximized": c.is_maximized(),
            "fullscreen": c.is_fullscreen(),
            "resizing": c.is_resizing(),
        }));
        self.draw(qh);
    }
}

impl PopupHandler for Client {
    fn configure(&mut self, _: &Connection, _: &QueueHandle<Self>, popup: &Popup, c: PopupConfigure) {
        let (w, h) = (c.width.max(1) as u32, c.height.max(1) as u32);
        let (buffer, canvas) =
            self.pool.create_buffer(w as i32, h as i32, w as i32 * 4, wl_shm::Format::Argb8888).expect("popup buffer");
        let inv = [255 - self.colour[0], 255 - self.colour[1], 255 - self.colour[2]];
        paint(canvas, w, h, inv);
        popup.wl_surface().damage_buffer(0, 0, w as i32, h as i32);
        buffer.attach_to(popup.wl_surface()).expect("attach popup");
        popup.wl_surface().commit();
        emit(json!({ "event": "popup-configure", "x": c.position.0, "y": c.position.1, "width": w, "height": h }));
    }

    fn done(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &Popup) {
        emit(json!({ "event": "popup-done" }));
        self.popup = None;
    }
}

impl SeatHandler for Client {
    fn seat_state(&mut self) -> &mut SeatState {
        &mut self.seat
    }
    fn new_seat(&mut self, _: &Connection, _: &QueueHandle<Self>, _: wl_seat::WlSeat) {}
    fn new_capability(&mut self, _: &Connection, qh: &QueueHandle<Self>, seat: wl_seat::WlSeat, cap: Capability) {
        if cap == Capability::Keyboard && self.keyboard.is_none() {
            self.keyboard = self.seat.get_keyboard(qh, &seat, None).ok();
            if let Some(m) = &self.data_manager {
                self.data_device = Some(m.get_data_device(qh, &seat));
            }
        }
        if cap == Capability::Pointer && self.pointer.is_none() {
            self.pointer = self.seat.get_pointer(qh, &seat).ok();
        }
    }
    fn remove_capability(&mut self, _: &Connection, _: &QueueHandle<Self>, _: wl_seat::WlSeat, _: Capability) {}
    fn remove_seat(&mut self, _: &Connection, _: &QueueHandle<Self>, _: wl_seat::WlSeat) {}
}

impl KeyboardHandler for Client {
    fn enter(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_keyboard::WlKeyboard,
        _: &wl_surface::WlSurface,
        serial: u32,
        _: &[u32],
        _: &[Keysym],
    ) {
        self.last_serial = Some(serial);
        emit(json!({ "event": "keyboard-enter" }));
    }
    fn leave(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_keyboard::WlKeyboard,
        _: &wl_surface::WlSurface,
        _: u32,
    ) {
        emit(json!({ "event": "keyboard-leave" }));
    }
    fn press_key(
        &mut self,
        _: &Connection,
        qh: &QueueHandle<Self>,
        _: &wl_keyboard::WlKeyboard,
        serial: u32,
        e: KeyEvent,
    ) {
        self.last_serial = Some(serial);
        emit(json!({ "event": "key", "keysym": e.keysym.raw(), "utf8": e.utf8 }));
        if e.keysym.raw() == COPY_KEY {
            self.copy(qh, serial);
        } else if e.keysym.raw() == PASTE_KEY {
            self.paste();
        }
    }
    fn repeat_key(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &wl_keyboard::WlKeyboard, _: u32, _: KeyEvent) {}
    fn release_key(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &wl_keyboard::WlKeyboard, _: u32, _: KeyEvent) {
    }
    #[allow(clippy::too_many_arguments)]
    fn update_modifiers(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_keyboard::WlKeyboard,
        _: u32,
        _: Modifiers,
        _: RawModifiers,
        layout: u32,
    ) {
        emit(json!({ "event": "modifiers", "layout": layout }));
    }
}

impl PointerHandler for Client {
    fn pointer_frame(
        &mut self,
        _: &Connection,
        qh: &QueueHandle<Self>,
        pointer: &wl_pointer::WlPointer,
        events: &[PointerEvent],
    ) {
        for e in events {
            match e.kind {
                PointerEventKind::Enter { serial } => {
                    emit(json!({ "event": "pointer-enter", "x": e.position.0, "y": e.position.1 }));
                    if self.custom_cursor {
                        self.set_cursor(qh, pointer, serial);
                    }
                }
                PointerEventKind::Leave { .. } => emit(json!({ "event": "pointer-leave" })),
                PointerEventKind::Press { button, serial, .. } => {
                    self.last_serial = Some(serial);
                    emit(
                        json!({ "event": "button", "button": button, "pressed": true, "x": e.position.0, "y": e.position.1 }),
                    );
                    if self.grab_popup && self.popup.is_none() {
                        let seat = self.seat.seats().next();
                        self.open_popup_with_grab(qh, seat.map(|s| (s, serial)));
                    }
                    if button == BTN_LEFT {
                        self.start_drag(qh, serial);
                    }
                }
                PointerEventKind::Axis { horizontal, vertical, .. } => emit(json!({
                    "event": "axis",
                    "vertical": vertical.absolute,
                    "vertical_v120": vertical.value120,
                    "horizontal": horizontal.absolute,
                    "horizontal_v120": horizontal.value120,
                })),
                PointerEventKind::Release { button, .. } => {
                    emit(json!({ "event": "button", "button": button, "pressed": false }))
                }
                _ => {}
            }
        }
    }
}

impl ShmHandler for Client {
    fn shm_state(&mut self) -> &mut Shm {
        &mut self.shm
    }
}

delegate_registry!(Client);

impl ProvidesRegistryState for Client {
    fn registry(&mut self) -> &mut RegistryState {
        &mut self.registry
    }
    registry_handlers![OutputState, SeatState];
}

smithay_client_toolkit::delegate_dispatch2!(Client);

wayland_client::delegate_noop!(Client: wayland_protocols::wp::viewporter::client::wp_viewporter::WpViewporter);
wayland_client::delegate_noop!(Client: ignore wayland_protocols::wp::viewporter::client::wp_viewport::WpViewport);
wayland_client::delegate_noop!(Client: wayland_protocols::wp::idle_inhibit::zv1::client::zwp_idle_inhibit_manager_v1::ZwpIdleInhibitManagerV1);
wayland_client::delegate_noop!(Client: ignore wayland_protocols::wp::idle_inhibit::zv1::client::zwp_idle_inhibitor_v1::ZwpIdleInhibitorV1);

/// Commands on stdin, one per line. `size W H` draws the window at that size. `roundtrip` sends a wl_display.sync and prints
/// `{"event": "roundtrip", "n": N}` (N counts the roundtrips) when its answer comes: events
/// arrive in order, so everything the compositor sent before it has been printed by then. Tests
/// send it after an action's IPC reply to know that the action sent this client nothing.
fn commands_from_stdin(
    event_loop: &EventLoop<Client>,
    conn: &Connection,
    qh: &QueueHandle<Client>,
) -> anyhow::Result<()> {
    use smithay_client_toolkit::reexports::calloop::channel;
    let (display, qh) = (conn.display(), qh.clone());
    let mut syncs = 0u64;
    event_loop
        .handle()
        .insert_source(client_kit::stdin_lines(), move |event, _, client: &mut Client| {
            let channel::Event::Msg(line) = event else { return };
            match line.trim().split_once(' ').unwrap_or((line.trim(), "")) {
                ("roundtrip", _) => {
                    syncs += 1;
                    display.sync(&qh, Roundtrip(syncs));
                }
                ("token", app_id) => client.token((!app_id.is_empty()).then_some(app_id)),
                ("activate", token) => client.activate(token),
                ("size", wh) => {
                    // Draw at this size, as an app resizing its own window does.
                    let Some((w, h)) = wh.split_once(' ').and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
                    else {
                        return emit(json!({ "event": "bad-command", "line": line }));
                    };
                    client.size = (w, h);
                    client.draw(&qh);
                    emit(json!({ "event": "sized", "width": w, "height": h }));
                }
                ("minimize", _) => {
                    client.window.set_minimized();
                    client.window.commit();
                    emit(json!({ "event": "minimize" }));
                }
                _ => emit(json!({ "event": "bad-command", "line": line })),
            }
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// The number of a `roundtrip` command, on its wl_callback.
struct Roundtrip(u64);

impl wayland_client::Dispatch<wayland_client::protocol::wl_callback::WlCallback, Roundtrip> for Client {
    fn event(
        _: &mut Self,
        _: &wayland_client::protocol::wl_callback::WlCallback,
        event: wayland_client::protocol::wl_callback::Event,
        n: &Roundtrip,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wayland_client::protocol::wl_callback::Event::Done { .. } = event {
            emit(json!({ "event": "roundtrip", "n": n.0 }));
        }
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    SOLID.store(args.solid, std::sync::atomic::Ordering::Relaxed);
    let conn = Connection::connect_to_env()?;
    let (globals, queue) = registry_queue_init(&conn)?;
    let qh = queue.handle();
    let mut event_loop: EventLoop<Client> = EventLoop::try_new()?;
    WaylandSource::new(conn.clone(), queue).insert(event_loop.handle()).map_err(|e| anyhow::anyhow!("{e}"))?;

    let compositor = CompositorState::bind(&globals, &qh)?;
    let xdg = XdgShell::bind(&globals, &qh)?;
    let shm = Shm::bind(&globals, &qh)?;
    let decorations = match args.decorations {
        Decorations::Server => WindowDecorations::RequestServer,
        Decorations::Client => WindowDecorations::RequestClient,
        Decorations::None => WindowDecorations::ClientOnly,
    };
    let window = xdg.create_window(compositor.create_surface(&qh), decorations, &qh);
    window.set_title(args.title.clone());
    window.set_app_id(args.app_id.clone());
    if args.maximize {
        window.set_maximized();
    }
    if args.fullscreen {
        window.set_fullscreen(None);
    }
    if let Some(v) = &args.viewport {
        let (w, h) = v.split_once('x').expect("WIDTHxHEIGHT");
        let viewporter: wayland_protocols::wp::viewporter::client::wp_viewporter::WpViewporter =
            globals.bind(&qh, 1..=1, ())?;
        let viewport = viewporter.get_viewport(window.wl_surface(), &qh, ());
        viewport.set_destination(w.parse()?, h.parse()?);
    }
    if args.inhibit_idle {
        use wayland_protocols::wp::idle_inhibit::zv1::client::zwp_idle_inhibit_manager_v1::ZwpIdleInhibitManagerV1;
        match globals.bind::<ZwpIdleInhibitManagerV1, _, _>(&qh, 1..=1, ()) {
            Ok(m) => {
                // Kept for the client's life: dropping the proxy does not destroy it.
                for _ in 0..args.idle_inhibitors {
                    let _inhibitor = m.create_inhibitor(window.wl_surface(), &qh, ());
                }
                emit(json!({ "event": "idle-inhibit" }));
            }
            Err(_) => emit(json!({ "event": "no-idle-inhibit" })),
        }
    }
    window.commit();
    let size = parse_size(&args.size).map_err(anyhow::Error::msg)?;
    let pool = SlotPool::new((size.0 * size.1 * 4) as usize, &shm)?;
    let mut client = Client {
        registry: RegistryState::new(&globals),
        seat: SeatState::new(&globals, &qh),
        output: OutputState::new(&globals, &qh),
        shm,
        compositor,
        xdg,
        pool,
        window,
        popup: None,
        want_popup: args.popup,
        colour: parse_colour(&args.color).map_err(anyhow::Error::msg)?,
        size,
        drawn: None,
        data_manager: DataDeviceManagerState::bind(&globals, &qh).ok(),
        data_device: None,
        copy_text: args.copy.clone(),
        copy_mime: args.copy_mime.clone(),
        grab_popup: args.grab_popup,
        custom_cursor: args.custom_cursor,
        cursor_surface: None,
        sources: Vec::new(),
        phase: args.animate.then_some(0),
        exit: false,
        overdraw: args.overdraw,
        declare_geometry: args.declare_geometry.as_deref().map(|g| {
            let (w, h) = g.split_once('x').expect("WIDTHxHEIGHT");
            (w.parse().expect("width"), h.parse().expect("height"))
        }),
        keyboard: None,
        pointer: None,
        drag_payload: args.drag.as_ref().map(|t| {
            let bytes = t.as_bytes();
            let n = args.drag_bytes.unwrap_or(bytes.len());
            std::sync::Arc::new(bytes.iter().copied().cycle().take(n).collect())
        }),
        drag_source: None,
        read_offers: args.read_offers,
        ignore_configure_size: args.ignore_configure_size,
        activate_with: if args.activate_from_env { std::env::var("XDG_ACTIVATION_TOKEN").ok() } else { None },
        last_serial: None,
        conn: conn.clone(),
    };
    commands_from_stdin(&event_loop, &conn, &qh)?;
    let deadline = args.exit_after.map(|s| std::time::Instant::now() + Duration::from_secs_f64(s));
    while !client.exit && deadline.is_none_or(|d| std::time::Instant::now() < d) {
        event_loop.dispatch(Duration::from_millis(100), &mut client)?;
    }
    emit(json!({ "event": "exit" }));
    Ok(())
}

impl Client {
    fn copy(&mut self, qh: &QueueHandle<Self>, serial: u32) {
        let (Some(m), Some(d), Some(_)) = (&self.data_manager, &self.data_device, &self.copy_text) else { return };
        let types = match &self.copy_mime {
            Some(m) => vec![m.as_str()],
            None => vec![TEXT_MIME, "text/plain"],
        };
        let source = m.create_copy_paste_source(qh, types);
        source.set_selection(d, serial);
        self.sources.push(source);
        emit(json!({ "event": "copied" }));
    }

    /// Read the current selection offer's text on a thread and print it.
    fn paste(&mut self) {
        let offer = self.data_device.as_ref().and_then(|d| d.data().selection_offer());
        let Some(offer) = offer else {
            emit(json!({ "event": "pasted", "text": null }));
            return;
        };
        let mime = offer
            .with_mime_types(|m| m.iter().find(|t| t.as_str() == TEXT_MIME || t.as_str() == "text/plain").cloned());
        let Some(mime) = mime else {
            emit(json!({ "event": "pasted", "text": null }));
            return;
        };
        match offer.receive(mime) {
            Ok(mut pipe) => {
                std::thread::spawn(move || {
                    use std::io::Read;
                    let mut text = Vec::new();
                    let _ = pipe.read_to_end(&mut text);
                    emit(json!({ "event": "pasted", "text": String::from_utf8_lossy(&text), "bytes": text.len() }));
                });
            }
            Err(_) => emit(json!({ "event": "pasted", "text": null })),
        }
    }
}

impl Client {
    /// `token [APP_ID]`: a token from the last input serial, on this window; prints it (null
    /// when the compositor refused: it then answers a token it will not honour, or none).
    fn token(&mut self, app_id: Option<&str>) {
        let seat = self.seat.seats().next();
        let serial = self.last_serial.zip(seat.as_ref());
        let token =
            canopy_common::activation::request_token(&self.conn, serial, Some(self.window.wl_surface()), app_id);
        emit(json!({ "event": "token", "token": token.ok() }));
    }

    /// Asks the compositor to activate this window with `token`, then prints `activate-sent`
    /// once the request has been answered by a roundtrip.
    fn activate(&mut self, token: &str) {
        let sent = canopy_common::activation::activate(&self.conn, token, self.window.wl_surface());
        emit(json!({ "event": "activate-sent", "ok": sent.is_ok() }));
    }

    fn set_cursor(&mut self, qh: &QueueHandle<Self>, pointer: &wl_pointer::WlPointer, serial: u32) {
        if self.cursor_surface.is_none() {
            let surface = self.compositor.create_surface(qh);
            let Ok((buffer, canvas)) = self.pool.create_buffer(16, 16, 64, wl_shm::Format::Argb8888) else { return };
            for px in canvas.chunks_exact_mut(4) {
                px.copy_from_slice(&[255, 0, 255, 255]);
            }
            let _ = buffer.attach_to(&surface);
            surface.damage_buffer(0, 0, 16, 16);
            surface.commit();
            self.cursor_surface = Some(surface);
        }
        pointer.set_cursor(serial, self.cursor_surface.as_ref(), 0, 0);
        emit(json!({ "event": "cursor-set" }));
    }
}

impl Client {
    /// `--drag`: start dragging the payload from the window, with the press's serial.
    fn start_drag(&mut self, qh: &QueueHandle<Self>, serial: u32) {
        let (Some(m), Some(d), Some(_)) = (&self.data_manager, &self.data_device, &self.drag_payload) else { return };
        let types = match &self.copy_mime {
            Some(m) => vec![m.as_str()],
            None => vec![TEXT_MIME, "text/plain"],
        };
        let source = m.create_drag_and_drop_source(qh, types, DndAction::Copy | DndAction::Move);
        source.start_drag(d, self.window.wl_surface(), None, serial);
        self.drag_source = Some(source);
        emit(json!({ "event": "drag-started" }));
    }

    fn is_drag_source(&self, source: &WlDataSource) -> bool {
        self.drag_source.as_ref().is_some_and(|d| d.inner() == source)
    }
}

/// Read a pipe to its end on a thread, then print `event` with what arrived.
fn read_then_emit(pipe: ReadPipe, event: &'static str, mime: String, then: impl FnOnce() + Send + 'static) {
    std::thread::spawn(move || {
        use std::io::Read;
        let mut data = Vec::new();
        let mut f = std::fs::File::from(std::os::fd::OwnedFd::from(pipe));
        let _ = f.read_to_end(&mut data);
        then();
        let text = (data.len() <= 256).then(|| String::from_utf8_lossy(&data).into_owned());
        emit(json!({ "event": event, "mime": mime, "bytes": data.len(), "text": text }));
    });
}

impl DataDeviceHandler for Client {
    fn enter(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &WlDataDevice,
        x: f64,
        y: f64,
        _: &wl_surface::WlSurface,
    ) {
        let offer = self.data_device.as_ref().and_then(|d| d.data().drag_offer());
        let types = offer.as_ref().map(|o| o.with_mime_types(|m| m.to_vec()));
        emit(json!({ "event": "dnd-enter", "x": x, "y": y, "mime_types": types }));
        let Some(offer) = offer else { return };
        if self.read_offers {
            // What a hostile VM does: read everything offered, without waiting for a drop.
            for mime in types.unwrap_or_default() {
                if let Ok(pipe) = offer.receive(mime.clone()) {
                    read_then_emit(pipe, "offer-read", mime, || {});
                }
            }
        }
        let text = offer
            .with_mime_types(|m| m.iter().find(|t| t.as_str() == TEXT_MIME || t.as_str() == "text/plain").cloned());
        offer.accept_mime_type(offer.serial, text);
        offer.set_actions(DndAction::Copy | DndAction::Move, DndAction::Copy);
    }
    fn leave(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &WlDataDevice) {
        emit(json!({ "event": "dnd-leave" }));
    }
    fn motion(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &WlDataDevice, _: f64, _: f64) {}
    fn selection(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &WlDataDevice) {
        let offer = self.data_device.as_ref().and_then(|d| d.data().selection_offer());
        let types = offer.map(|o| o.with_mime_types(|m| m.to_vec()));
        emit(json!({ "event": "selection", "mime_types": types }));
    }
    fn drop_performed(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &WlDataDevice) {
        let Some(offer) = self.data_device.as_ref().and_then(|d| d.data().drag_offer()) else { return };
        emit(json!({ "event": "dnd-drop" }));
        let text = offer
            .with_mime_types(|m| m.iter().find(|t| t.as_str() == TEXT_MIME || t.as_str() == "text/plain").cloned());
        let Some(mime) = text else { return };
        if let Ok(pipe) = offer.receive(mime.clone()) {
            let finish = offer.clone();
            read_then_emit(pipe, "dropped", mime, move || finish.finish());
        }
    }
}

impl DataOfferHandler for Client {
    fn source_actions(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &mut DragOffer, _: DndAction) {}
    fn selected_action(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &mut DragOffer, _: DndAction) {}
}

impl DataSourceHandler for Client {
    fn accept_mime(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &WlDataSource, _: Option<String>) {}
    fn send_request(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        source: &WlDataSource,
        mime: String,
        fd: WritePipe,
    ) {
        let data = if self.is_drag_source(source) {
            emit(json!({ "event": "drag-send", "mime": mime }));
            self.drag_payload.clone().unwrap_or_default()
        } else {
            emit(json!({ "event": "send-request", "mime": mime }));
            std::sync::Arc::new(self.copy_text.clone().unwrap_or_default().into_bytes())
        };
        std::thread::spawn(move || {
            let mut f = std::fs::File::from(std::os::fd::OwnedFd::from(fd));
            let _ = f.write_all(&data);
        });
    }
    fn cancelled(&mut self, _: &Connection, _: &QueueHandle<Self>, source: &WlDataSource) {
        if self.is_drag_source(source) {
            emit(json!({ "event": "drag-cancelled" }));
            self.drag_source = None;
            return;
        }
        emit(json!({ "event": "source-cancelled" }));
        self.sources.retain(|s| s.inner() != source);
        source.destroy();
    }
    fn dnd_dropped(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &WlDataSource) {
        emit(json!({ "event": "drag-drop-performed" }));
    }
    fn dnd_finished(&mut self, _: &Connection, _: &QueueHandle<Self>, source: &WlDataSource) {
        emit(json!({ "event": "drag-finished" }));
        if self.is_drag_source(source) {
            self.drag_source = None;
        }
    }
    fn action(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &WlDataSource, action: DndAction) {
        let name = match action {
            DndAction::Copy => "copy",
            DndAction::Move => "move",
            DndAction::Ask => "ask",
            _ => "none",
        };
        emit(json!({ "event": "drag-action", "action": name }));
    }
}
