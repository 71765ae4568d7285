//! A hostile Wayland client for canopy's security tests: it breaks no protocol rule, but does
//! what an attacker in an app VM would try. It grabs the keyboard with an invisible popup the
//! moment it gets focus, maps again whenever it loses focus, sets giant cursors, places popups
//! over its own frame, draws transparent or oversized content, floods titles, app_ids and frame
//! callbacks, and maps thousands of windows. Like `canopy-test-client`, it prints what it
//! receives as JSON lines; more commands come as lines on stdin: `popup X Y W H [RRGGBB]`,
//! `cursor W H HOTSPOT_X HOTSPOT_Y`, `title TEXT`, `unmap`, `map`, `minimise`, `quit`.
//! (A little over 600 lines: every attack is a few lines of this one client, kept in one place
//! so that each test starts the same attacker with flags.)

use std::time::Duration;

use canopy_tests::client_kit::{emit, fill, paint, parse_colour, parse_point, parse_size, stdin_lines};
use clap::Parser;
use serde_json::json;
use smithay_client_toolkit::compositor::{CompositorHandler, CompositorState};
use smithay_client_toolkit::output::{OutputHandler, OutputState};
use smithay_client_toolkit::reexports::calloop::channel;
use smithay_client_toolkit::reexports::calloop::timer::{TimeoutAction, Timer};
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
use smithay_client_toolkit::shm::slot::{Buffer, SlotPool};
use smithay_client_toolkit::shm::{Shm, ShmHandler};
use smithay_client_toolkit::{delegate_registry, registry_handlers};
use wayland_client::globals::registry_queue_init;
use wayland_client::protocol::{wl_callback, wl_keyboard, wl_output, wl_pointer, wl_seat, wl_shm, wl_surface};
use wayland_client::{Connection, QueueHandle};
use wayland_protocols::xdg::shell::client::xdg_positioner::{Anchor, ConstraintAdjustment, Gravity};

#[derive(Debug, Parser)]
#[command(about = "A hostile (but protocol-valid) Wayland client for canopy's security tests")]
struct Args {
    #[arg(long, default_value = "hostile")]
    title: String,
    #[arg(long, default_value = "evil.hostile")]
    app_id: String,
    /// Window size, WIDTHxHEIGHT (until the compositor configures another).
    #[arg(long, default_value = "320x200", value_parser = parse_size)]
    size: (u32, u32),
    /// Colour RRGGBB of the pattern.
    #[arg(long, default_value = "c62828", value_parser = parse_colour)]
    color: [u8; 3],
    /// Alpha of every pixel of the window (0: fully transparent).
    #[arg(long, default_value_t = 255)]
    alpha: u8,
    /// Commit a buffer of this size, WIDTHxHEIGHT, whatever the compositor configured.
    #[arg(long, value_parser = parse_size)]
    buffer: Option<(u32, u32)>,
    #[arg(long)]
    fullscreen: bool,
    /// On keyboard focus, open an invisible 1x1 popup with a grab, using the enter serial.
    #[arg(long)]
    grab_on_focus: bool,
    /// On losing keyboard focus, open a popup with a grab using the last enter serial.
    #[arg(long)]
    grab_on_leave: bool,
    /// On losing keyboard focus, unmap (commit no buffer) and map again.
    #[arg(long)]
    remap_on_unfocus: bool,
    /// On pointer enter, set a cursor surface of this size, WIDTHxHEIGHT.
    #[arg(long, value_parser = parse_size)]
    cursor: Option<(u32, u32)>,
    /// The cursor's hotspot, X,Y.
    #[arg(long, default_value = "0,0", value_parser = parse_point)]
    hotspot: (i32, i32),
    #[arg(long, default_value = "00ff00", value_parser = parse_colour)]
    cursor_color: [u8; 3],
    /// Set this many titles per second (0: as fast as the socket takes them).
    #[arg(long)]
    title_flood: Option<u32>,
    /// Set this many app_ids per second (0: as fast as the socket takes them).
    #[arg(long)]
    app_id_flood: Option<u32>,
    /// Every millisecond, ask for this many frame callbacks and commit.
    #[arg(long)]
    frame_storm: Option<u32>,
    /// Map this many windows in all (the extra ones 64x48, sharing one buffer).
    #[arg(long, default_value_t = 1)]
    windows: usize,
}

/// A popup asked for on stdin: offset from the window geometry's top-left, size, colour.
#[derive(Debug, Clone, Copy)]
struct PopupSpec {
    at: (i32, i32),
    size: (u32, u32),
    colour: [u8; 3],
    grab: bool,
}

struct Win {
    window: Window,
    size: (u32, u32),
    mapped: bool,
}

struct Hostile {
    args: Args,
    registry: RegistryState,
    seat: SeatState,
    output: OutputState,
    shm: Shm,
    compositor: CompositorState,
    xdg: XdgShell,
    pool: SlotPool,
    windows: Vec<Win>,
    /// The buffer every extra window shows.
    shared: Option<Buffer>,
    popup: Option<(Popup, PopupSpec)>,
    keyboard: Option<wl_keyboard::WlKeyboard>,
    pointer: Option<wl_pointer::WlPointer>,
    cursor_surface: Option<wl_surface::WlSurface>,
    last_enter: Option<u32>,
    last_pointer_enter: Option<u32>,
    exit: bool,
    titles_sent: u64,
    maps: u32,
    qh: QueueHandle<Hostile>,
}

impl Hostile {
    fn main_surface(&self) -> &wl_surface::WlSurface {
        self.windows[0].window.wl_surface()
    }

    fn which(&self, surface: &wl_surface::WlSurface) -> &'static str {
        if surface == self.main_surface() {
            "window"
        } else if self.popup.as_ref().is_some_and(|(p, _)| p.wl_surface() == surface) {
            "popup"
        } else {
            "other"
        }
    }

    fn draw_main(&mut self) {
        let (w, h) = self.args.buffer.unwrap_or(self.windows[0].size);
        let (buffer, canvas) =
            self.pool.create_buffer(w as i32, h as i32, w as i32 * 4, wl_shm::Format::Argb8888).expect("buffer");
        paint(canvas, w, h, self.args.color, self.args.alpha);
        let surface = self.windows[0].window.wl_surface().clone();
        surface.damage_buffer(0, 0, w as i32, h as i32);
        buffer.attach_to(&surface).expect("attach");
        surface.commit();
        if !std::mem::replace(&mut self.windows[0].mapped, true) {
            self.maps += 1;
        }
        // `maps` counts the times the window was mapped (again after each unmap).
        emit(json!({ "event": "drawn", "width": w, "height": h, "maps": self.maps }));
    }

    fn draw_extra(&mut self, i: usize) {
        if self.shared.is_none() {
            let (buffer, canvas) = self.pool.create_buffer(64, 48, 256, wl_shm::Format::Argb8888).expect("buffer");
            paint(canvas, 64, 48, self.args.color, 255);
            self.shared = Some(buffer);
        }
        let surface = self.windows[i].window.wl_surface();
        surface.attach(Some(self.shared.as_ref().expect("made above").wl_buffer()), 0, 0);
        surface.damage_buffer(0, 0, 64, 48);
        surface.commit();
        if !std::mem::replace(&mut self.windows[i].mapped, true) {
            let mapped = self.windows.iter().filter(|w| w.mapped).count();
            if mapped == self.windows.len() {
                emit(json!({ "event": "windows-drawn", "count": mapped }));
            }
        }
    }

    /// Unmap the main window (a null buffer) and start mapping it again at once.
    fn remap(&mut self) {
        let surface = self.main_surface().clone();
        surface.attach(None, 0, 0);
        surface.commit();
        self.windows[0].mapped = false;
        emit(json!({ "event": "unmapped" }));
        // A new initial commit, without a buffer: the compositor configures it again.
        surface.commit();
    }

    fn open_popup(&mut self, spec: PopupSpec, grab_serial: Option<u32>) {
        if let Some((old, _)) = self.popup.take() {
            drop(old);
        }
        let positioner = XdgPositioner::new(&self.xdg).expect("positioner");
        positioner.set_size(spec.size.0.max(1) as i32, spec.size.1.max(1) as i32);
        positioner.set_anchor_rect(spec.at.0, spec.at.1, 1, 1);
        positioner.set_anchor(Anchor::TopLeft);
        positioner.set_gravity(Gravity::BottomRight);
        positioner.set_constraint_adjustment(ConstraintAdjustment::None);
        let surface = self.compositor.create_surface(&self.qh);
        let popup =
            Popup::from_surface(Some(self.windows[0].window.xdg_surface()), &positioner, &self.qh, surface, &self.xdg)
                .expect("popup");
        if let (true, Some(serial), Some(seat)) = (spec.grab, grab_serial, self.seat.seats().next()) {
            popup.xdg_popup().grab(&seat, serial);
            emit(json!({ "event": "popup-grab", "serial": serial }));
        }
        popup.wl_surface().commit();
        self.popup = Some((popup, spec));
    }

    /// The invisible popup that takes the keyboard.
    fn grab(&mut self) {
        if self.popup.is_some() {
            return;
        }
        let spec = PopupSpec { at: (0, 0), size: (1, 1), colour: [0, 0, 0], grab: true };
        self.open_popup(spec, self.last_enter);
    }

    fn command(&mut self, line: &str) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["popup", x, y, w, h, rest @ ..] => {
                let n = |s: &str| s.parse::<i32>().expect("a number");
                let colour = rest.first().map(|c| parse_colour(c).expect("RRGGBB")).unwrap_or([0, 0xa0, 0]);
                let spec = PopupSpec { at: (n(x), n(y)), size: (n(w) as u32, n(h) as u32), colour, grab: false };
                self.open_popup(spec, None);
            }
            ["title", rest @ ..] => self.windows[0].window.set_title(rest.join(" ")),
            ["unmap"] => {
                let surface = self.main_surface().clone();
                surface.attach(None, 0, 0);
                surface.commit();
                self.windows[0].mapped = false;
                emit(json!({ "event": "unmapped" }));
            }
            ["map"] => self.main_surface().commit(),
            ["cursor", w, h, hx, hy] => {
                let n = |s: &str| s.parse::<i32>().expect("a number");
                self.args.cursor = Some((n(w) as u32, n(h) as u32));
                self.args.hotspot = (n(hx), n(hy));
                if let Some(old) = self.cursor_surface.take() {
                    old.destroy();
                }
                if let (Some(pointer), Some(serial)) = (self.pointer.clone(), self.last_pointer_enter) {
                    self.set_cursor(&pointer, serial);
                }
            }
            ["minimise"] => self.windows[0].window.set_minimized(),
            ["quit"] => self.exit = true,
            _ => emit(json!({ "event": "bad-command", "line": line })),
        }
    }

    fn set_cursor(&mut self, pointer: &wl_pointer::WlPointer, serial: u32) {
        let Some((w, h)) = self.args.cursor else { return };
        if self.cursor_surface.is_none() {
            let surface = self.compositor.create_surface(&self.qh);
            let (buffer, canvas) =
                self.pool.create_buffer(w as i32, h as i32, w as i32 * 4, wl_shm::Format::Argb8888).expect("cursor");
            fill(canvas, self.args.cursor_color);
            buffer.attach_to(&surface).expect("attach cursor");
            surface.damage_buffer(0, 0, w as i32, h as i32);
            surface.commit();
            self.cursor_surface = Some(surface);
        }
        let (hx, hy) = self.args.hotspot;
        pointer.set_cursor(serial, self.cursor_surface.as_ref(), hx, hy);
        emit(json!({ "event": "cursor-set", "width": w, "height": h }));
    }

    /// Send what the floods queued; a connection that is gone ends the client (a flood must not
    /// outlive its compositor).
    fn flush_or_exit(&mut self, conn: &Connection) {
        if conn.protocol_error().is_some() {
            self.exit = true;
            return;
        }
        if let Err(e) = conn.flush() {
            let would_block = matches!(&e, wayland_client::backend::WaylandError::Io(io) if io.kind() == std::io::ErrorKind::WouldBlock);
            if !would_block {
                self.exit = true;
            }
        }
    }

    /// One tick of the title/app_id floods and the frame-callback storm.
    fn flood(&mut self, per_tick: u32, title: bool) {
        for _ in 0..per_tick {
            self.titles_sent += 1;
            let text = format!("{} {}", self.args.title, self.titles_sent);
            if title {
                self.windows[0].window.set_title(text);
            } else {
                self.windows[0].window.set_app_id(text);
            }
        }
    }
}

impl CompositorHandler for Hostile {
    fn scale_factor_changed(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &wl_surface::WlSurface, _: i32) {}
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

impl OutputHandler for Hostile {
    fn output_state(&mut self) -> &mut OutputState {
        &mut self.output
    }
    fn new_output(&mut self, _: &Connection, _: &QueueHandle<Self>, _: wl_output::WlOutput) {}
    fn update_output(&mut self, _: &Connection, _: &QueueHandle<Self>, _: wl_output::WlOutput) {}
    fn output_destroyed(&mut self, _: &Connection, _: &QueueHandle<Self>, _: wl_output::WlOutput) {}
}

impl WindowHandler for Hostile {
    fn request_close(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &Window) {
        emit(json!({ "event": "close-requested" }));
    }

    fn configure(&mut self, _: &Connection, _: &QueueHandle<Self>, window: &Window, c: WindowConfigure, _: u32) {
        let Some(i) = self.windows.iter().position(|w| &w.window == window) else { return };
        if let (Some(w), Some(h)) = c.new_size {
            self.windows[i].size = (w.get(), h.get());
        }
        if i == 0 {
            emit(json!({
                "event": "configure",
                "width": c.new_size.0.map(|v| v.get()),
                "height": c.new_size.1.map(|v| v.get()),
                "activated": c.is_activated(),
                "fullscreen": c.is_fullscreen(),
            }));
            self.draw_main();
        } else {
            self.draw_extra(i);
        }
    }
}

impl PopupHandler for Hostile {
    fn configure(&mut self, _: &Connection, _: &QueueHandle<Self>, popup: &Popup, c: PopupConfigure) {
        let Some((p, spec)) = &self.popup else { return };
        if p != popup {
            return;
        }
        let spec = *spec;
        let (w, h) = (c.width.max(1) as u32, c.height.max(1) as u32);
        let (buffer, canvas) =
            self.pool.create_buffer(w as i32, h as i32, w as i32 * 4, wl_shm::Format::Argb8888).expect("popup");
        if spec.grab {
            canvas.fill(0);
        } else {
            fill(canvas, spec.colour);
        }
        popup.wl_surface().damage_buffer(0, 0, w as i32, h as i32);
        buffer.attach_to(popup.wl_surface()).expect("attach popup");
        popup.wl_surface().commit();
        emit(json!({ "event": "popup-configure", "x": c.position.0, "y": c.position.1, "width": w, "height": h }));
    }

    fn done(&mut self, _: &Connection, _: &QueueHandle<Self>, popup: &Popup) {
        if self.popup.as_ref().is_some_and(|(p, _)| p == popup) {
            self.popup = None;
        }
        emit(json!({ "event": "popup-done" }));
    }
}

impl SeatHandler for Hostile {
    fn seat_state(&mut self) -> &mut SeatState {
        &mut self.seat
    }
    fn new_seat(&mut self, _: &Connection, _: &QueueHandle<Self>, _: wl_seat::WlSeat) {}
    fn new_capability(&mut self, _: &Connection, qh: &QueueHandle<Self>, seat: wl_seat::WlSeat, cap: Capability) {
        if cap == Capability::Keyboard && self.keyboard.is_none() {
            self.keyboard = self.seat.get_keyboard(qh, &seat, None).ok();
        }
        if cap == Capability::Pointer && self.pointer.is_none() {
            self.pointer = self.seat.get_pointer(qh, &seat).ok();
        }
    }
    fn remove_capability(&mut self, _: &Connection, _: &QueueHandle<Self>, _: wl_seat::WlSeat, _: Capability) {}
    fn remove_seat(&mut self, _: &Connection, _: &QueueHandle<Self>, _: wl_seat::WlSeat) {}
}

impl KeyboardHandler for Hostile {
    fn enter(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_keyboard::WlKeyboard,
        surface: &wl_surface::WlSurface,
        serial: u32,
        _: &[u32],
        _: &[Keysym],
    ) {
        let which = self.which(surface);
        emit(json!({ "event": "keyboard-enter", "surface": which }));
        if which == "window" {
            self.last_enter = Some(serial);
            if self.args.grab_on_focus {
                self.grab();
            }
        }
    }

    fn leave(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        _: &wl_keyboard::WlKeyboard,
        surface: &wl_surface::WlSurface,
        _: u32,
    ) {
        let which = self.which(surface);
        emit(json!({ "event": "keyboard-leave", "surface": which }));
        if which == "window" && self.args.grab_on_leave {
            self.grab();
        }
        if which == "window" && self.args.remap_on_unfocus {
            self.remap();
        }
    }

    fn press_key(&mut self, _: &Connection, _: &QueueHandle<Self>, _: &wl_keyboard::WlKeyboard, _: u32, e: KeyEvent) {
        emit(json!({ "event": "key", "keysym": e.keysym.raw(), "utf8": e.utf8 }));
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
        _: u32,
    ) {
    }
}

impl PointerHandler for Hostile {
    fn pointer_frame(
        &mut self,
        _: &Connection,
        _: &QueueHandle<Self>,
        pointer: &wl_pointer::WlPointer,
        events: &[PointerEvent],
    ) {
        for e in events {
            match e.kind {
                PointerEventKind::Enter { serial } => {
                    self.last_pointer_enter = Some(serial);
                    emit(json!({ "event": "pointer-enter", "surface": self.which(&e.surface) }));
                    self.set_cursor(pointer, serial);
                }
                PointerEventKind::Leave { .. } => emit(json!({ "event": "pointer-leave" })),
                PointerEventKind::Press { button, .. } => emit(json!({ "event": "button", "button": button })),
                _ => {}
            }
        }
    }
}

impl ShmHandler for Hostile {
    fn shm_state(&mut self) -> &mut Shm {
        &mut self.shm
    }
}

delegate_registry!(Hostile);

impl ProvidesRegistryState for Hostile {
    fn registry(&mut self) -> &mut RegistryState {
        &mut self.registry
    }
    registry_handlers![OutputState, SeatState];
}

smithay_client_toolkit::delegate_dispatch2!(Hostile);
wayland_client::delegate_noop!(Hostile: ignore wl_callback::WlCallback);

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let conn = Connection::connect_to_env()?;
    let (globals, queue) = registry_queue_init(&conn)?;
    let qh = queue.handle();
    let mut event_loop: EventLoop<Hostile> = EventLoop::try_new()?;
    WaylandSource::new(conn.clone(), queue).insert(event_loop.handle()).map_err(|e| anyhow::anyhow!("{e}"))?;

    let compositor = CompositorState::bind(&globals, &qh)?;
    let xdg = XdgShell::bind(&globals, &qh)?;
    let shm = Shm::bind(&globals, &qh)?;
    let mut windows = Vec::new();
    for i in 0..args.windows.max(1) {
        let window = xdg.create_window(compositor.create_surface(&qh), WindowDecorations::RequestServer, &qh);
        window.set_title(if i == 0 { args.title.clone() } else { format!("{} {i}", args.title) });
        window.set_app_id(args.app_id.clone());
        if i == 0 && args.fullscreen {
            window.set_fullscreen(None);
        }
        window.commit();
        let size = if i == 0 { args.size } else { (64, 48) };
        windows.push(Win { window, size, mapped: false });
    }
    let (w, h) = args.buffer.unwrap_or(args.size);
    let pool = SlotPool::new((w * h * 4) as usize + 64 * 48 * 4, &shm)?;
    let mut client = Hostile {
        registry: RegistryState::new(&globals),
        seat: SeatState::new(&globals, &qh),
        output: OutputState::new(&globals, &qh),
        shm,
        compositor,
        xdg,
        pool,
        windows,
        shared: None,
        popup: None,
        keyboard: None,
        pointer: None,
        cursor_surface: None,
        last_enter: None,
        last_pointer_enter: None,
        exit: false,
        titles_sent: 0,
        maps: 0,
        qh: qh.clone(),
        args,
    };

    // Commands on stdin, one per line.
    event_loop
        .handle()
        .insert_source(stdin_lines(), |e, _, client| {
            if let channel::Event::Msg(line) = e {
                client.command(&line);
            }
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    // Floods: a tick every 10 ms sends a hundredth of the rate (0: as many as 2000 a tick).
    for (rate, title) in [(client.args.title_flood, true), (client.args.app_id_flood, false)] {
        let Some(rate) = rate else { continue };
        let per_tick = if rate == 0 { 2000 } else { rate.div_ceil(100) };
        let conn = conn.clone();
        event_loop
            .handle()
            .insert_source(Timer::from_duration(Duration::from_millis(10)), move |_, _, client| {
                if client.windows[0].mapped {
                    client.flood(per_tick, title);
                    client.flush_or_exit(&conn);
                    // How many went out so far, about once a second.
                    if client.titles_sent % (per_tick as u64 * 100) < per_tick as u64 {
                        emit(json!({ "event": "flood-sent", "count": client.titles_sent }));
                    }
                }
                TimeoutAction::ToDuration(Duration::from_millis(10))
            })
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        emit(json!({ "event": "flood", "per_tick": per_tick }));
    }
    if let Some(n) = client.args.frame_storm {
        let conn = conn.clone();
        event_loop
            .handle()
            .insert_source(Timer::from_duration(Duration::from_millis(1)), move |_, _, client| {
                if client.windows[0].mapped {
                    let surface = client.main_surface().clone();
                    for _ in 0..n {
                        surface.frame(&client.qh, ());
                    }
                    surface.commit();
                    client.flush_or_exit(&conn);
                }
                TimeoutAction::ToDuration(Duration::from_millis(1))
            })
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }

    while !client.exit {
        if let Err(e) = event_loop.dispatch(Duration::from_millis(100), &mut client) {
            emit(json!({ "event": "disconnected", "error": e.to_string() }));
            break;
        }
        if conn.protocol_error().is_some() {
            emit(json!({ "event": "disconnected" }));
            break;
        }
    }
    emit(json!({ "event": "exit" }));
    Ok(())
}
