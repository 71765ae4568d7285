//! The compositor's state, split as `State { backend, canopy }`: the backend owns the renderer
//! and devices; `Canopy` owns the Wayland side and the desktop (windows, outputs, seat).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use smithay::desktop::{PopupManager, Space};
use smithay::input::keyboard::XkbConfig;
use smithay::input::pointer::CursorImageStatus;
use smithay::input::{Seat, SeatState};
use smithay::output::Output;
use smithay::reexports::calloop::generic::Generic;
use smithay::reexports::calloop::{Interest, LoopHandle, LoopSignal, Mode, PostAction};
use smithay::reexports::wayland_protocols_misc::server_decoration::server::org_kde_kwin_server_decoration_manager::Mode as KdeMode;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::{Display, DisplayHandle};
use smithay::utils::{Clock, Logical, Monotonic, Point, Rectangle};
use smithay::wayland::compositor::CompositorState;
use smithay::wayland::cursor_shape::CursorShapeManagerState;
use smithay::wayland::foreign_toplevel_list::ForeignToplevelListState;
use smithay::wayland::fractional_scale::FractionalScaleManagerState;
use smithay::wayland::output::OutputManagerState;
use smithay::wayland::presentation::PresentationState;
use smithay::wayland::relative_pointer::RelativePointerManagerState;
use smithay::wayland::security_context::SecurityContextState;
use smithay::wayland::selection::data_device::DataDeviceState;
use smithay::wayland::selection::ext_data_control::DataControlState;
use smithay::wayland::selection::primary_selection::PrimarySelectionState;
use smithay::wayland::session_lock::SessionLockManagerState;
use smithay::wayland::shell::kde::decoration::KdeDecorationState;
use smithay::wayland::shell::wlr_layer::WlrLayerShellState;
use smithay::wayland::shell::xdg::decoration::XdgDecorationState;
use smithay::wayland::shell::xdg::XdgShellState;
use smithay::wayland::shm::ShmState;
use smithay::wayland::single_pixel_buffer::SinglePixelBufferState;
use smithay::wayland::socket::ListeningSocketSource;
use smithay::wayland::text_input::TextInputManagerState;
use smithay::wayland::viewporter::ViewporterState;
use smithay::wayland::virtual_keyboard::VirtualKeyboardManagerState;
use smithay::wayland::xdg_activation::XdgActivationState;

use crate::backend::Backend;
use crate::client::{may_see_global, ClientState};
use crate::config::Config;
use crate::decorations::Fonts;
use crate::handlers::canopy_shell::CanopyShellState;
use crate::handlers::session_lock::LockState;
use crate::input::switcher::Switcher;
use crate::wm::window::WindowElement;

/// How many bytes of events a local client may have waiting before it is disconnected (a VM's
/// client keeps libwayland's 4 KiB).
pub const LOCAL_CLIENT_BUFFER: usize = 1 << 20;

pub struct State {
    pub backend: Backend,
    pub canopy: Canopy,
}

/// Per-output redraw bookkeeping.
#[derive(Debug, Default)]
pub struct OutputRedraw {
    /// Something on this output changed since the last frame.
    pub queued: bool,
    /// A frame is in flight (waiting for vblank or the frame timer).
    pub pending: bool,
    /// Frames rendered so far (`canopy msg outputs`), so tests see which outputs redraw.
    pub frames: u64,
}

pub fn output_redraw(output: &Output) -> &RefCell<OutputRedraw> {
    output.user_data().insert_if_missing(|| RefCell::new(OutputRedraw::default()));
    output.user_data().get::<RefCell<OutputRedraw>>().expect("just inserted")
}

pub struct Canopy {
    pub display_handle: DisplayHandle,
    pub loop_handle: LoopHandle<'static, State>,
    pub loop_signal: LoopSignal,
    pub clock: Clock<Monotonic>,
    pub start_time: Instant,
    pub socket_name: String,
    pub ipc_path: PathBuf,

    pub config: Config,
    pub fonts: Fonts,

    /// Where mapped windows are, for smithay (outputs, hit-testing); its order mirrors the
    /// stack in `windows`.
    pub space: Space<WindowElement>,
    pub popups: PopupManager,
    /// Every toplevel, whether shown, minimised or without a buffer yet, with its state, the
    /// stacking order and the order of minimising.
    pub windows: crate::wm::windows::Windows<WindowElement>,
    /// Who has the keyboard, decided by the rules in `wm::focus`.
    pub focus: crate::wm::focus::Focus,
    /// Spots where windows' frames are, for placement.
    pub taken: crate::wm::stack::TakenSpots,
    /// Windows moved, appeared or went since the scene's last refresh.
    pub scene_dirty: bool,
    /// The windows among them, whose outputs must be worked out again.
    pub moved: HashSet<u64>,
    /// Windows must be told their primary output's scale again.
    pub primary_outputs_dirty: bool,
    /// Restarts the autostarted programs when they end.
    pub supervisor: Option<crate::spawn::Supervisor>,
    /// Window changes waiting for the next round of announcements.
    pub announcer: crate::wm::announce::Announcer,
    /// Rules VMs broke, logged with the VM's name.
    pub violations: crate::violation::Violations,
    /// Windows that committed since their last frame callbacks were sent.
    pub wants_frame: std::collections::HashSet<u64>,
    pub notices: Vec<crate::render::notice::Notice>,
    pub tell: crate::tell::Tell,
    /// The level keys' worker and the OSD.
    pub levels: crate::levels::Levels,
    /// Sleep and wake: the lock before every suspend.
    pub power: crate::power::Power,
    pub clipboard: crate::clipboard::ClipboardState,
    pub dnd: crate::dnd::DndState,
    /// When the last input event arrived.
    pub last_input: Instant,
    /// The idle chain (dim, screen off, lock, suspend) and the idle protocols.
    pub idle: crate::power::idle::Idle,
    /// Index of the active keyboard layout.
    pub layout_index: u32,
    /// Alt was released while the switcher was up.
    pub switcher_done: bool,
    pub next_window_id: u64,
    pub switcher: Option<Switcher>,
    /// Outputs in the order they were added; the first is the primary.
    pub outputs: Vec<Output>,

    pub compositor_state: CompositorState,
    pub xdg_shell_state: XdgShellState,
    pub xdg_decoration_state: XdgDecorationState,
    pub kde_decoration_state: KdeDecorationState,
    pub layer_shell_state: WlrLayerShellState,
    pub shm_state: ShmState,
    pub output_manager_state: OutputManagerState,
    pub seat_state: SeatState<State>,
    pub data_device_state: DataDeviceState,
    pub primary_selection_state: PrimarySelectionState,
    pub data_control_state: DataControlState,
    pub viewporter_state: ViewporterState,
    pub fractional_scale_state: FractionalScaleManagerState,
    pub presentation_state: PresentationState,
    pub xdg_activation_state: XdgActivationState,
    pub security_context_state: SecurityContextState,
    pub session_lock_state: SessionLockManagerState,
    pub single_pixel_buffer_state: SinglePixelBufferState,
    pub cursor_shape_state: CursorShapeManagerState,
    pub relative_pointer_state: RelativePointerManagerState,
    pub foreign_toplevel_list_state: ForeignToplevelListState,
    pub virtual_keyboard_state: VirtualKeyboardManagerState,
    pub text_input_state: TextInputManagerState,
    pub canopy_shell_state: CanopyShellState,
    pub screencopy_state: crate::handlers::screencopy::ScreencopyState,
    pub image_capture_source: crate::handlers::image_capture_source::ImageCaptureSourceState,
    pub image_copy_capture: crate::handlers::image_copy_capture::ImageCopyCaptureState,
    pub output_management: crate::handlers::output_management::OutputManagement,
    /// Who captured the screen lately (for the capture indicator).
    pub captures: crate::capture::Captures,
    /// The screenshot region overlay, while the user picks a region.
    pub region_pick: Option<crate::screenshot_region::RegionPick>,
    /// A button pressed on a notice with a button: its release is the compositor's too.
    pub notice_press: Option<u32>,

    pub seat: Seat<State>,
    pub cursor_status: CursorImageStatus,
    /// The compositor's own pointer shape while the pointer is over a frame or moves or
    /// resizes a window; it wins over `cursor_status` (a client's).
    pub frame_cursor: Option<smithay::input::pointer::CursorIcon>,
    pub lock: LockState,
    /// Keys whose press was taken by a keybinding, so their release is not sent to clients.
    pub suppressed_keys: HashSet<u32>,
    /// A bare modifier was pressed with no other key since (for `Super` alone).
    pub bare_modifier: Option<crate::config::Modifiers>,
    /// Last click on a title bar, for double-click detection.
    pub last_title_click: Option<(u64, Instant)>,
    /// The surface the pointer was last sent to and its origin, to notice when the scene
    /// changes under a pointer that did not move.
    pub pointer_target: Option<(WlSurface, Point<f64, Logical>)>,
    /// The surface each touch point went down on, to end touches whose surface goes away.
    pub touches: HashMap<smithay::backend::input::TouchSlot, WlSurface>,
    /// The popup grab in progress and the surface it belongs to.
    pub popup_grab: Option<(WlSurface, smithay::desktop::PopupGrab<State>)>,
    pub running: bool,
    /// Frames are rendered only when asked for (benchmarks time each render themselves).
    pub manual_frames: bool,
}

impl Canopy {
    pub fn new(
        display: Display<State>,
        loop_handle: LoopHandle<'static, State>,
        loop_signal: LoopSignal,
        config: Config,
        socket_name: Option<String>,
    ) -> anyhow::Result<Canopy> {
        let fonts = Fonts::new(&config.theme.font);
        crate::wm::window::sizes::set(&config.theme);
        let dh = display.handle();
        let clock = Clock::<Monotonic>::new();

        let compositor_state = CompositorState::new::<State>(&dh);
        let xdg_shell_state = XdgShellState::new::<State>(&dh);
        let xdg_decoration_state = XdgDecorationState::new::<State>(&dh);
        let kde_decoration_state = KdeDecorationState::new_with_filter::<State, _>(&dh, KdeMode::Server, |c| {
            may_see_global(c, "org_kde_kwin_server_decoration_manager")
        });
        let layer_shell_state =
            WlrLayerShellState::new_with_filter::<State, _>(&dh, |c| may_see_global(c, "zwlr_layer_shell_v1"));
        // Beyond the required Argb8888/Xrgb8888: the byte order tiny-skia and pixman draw in.
        let shm_state = ShmState::new::<State>(
            &dh,
            vec![
                smithay::reexports::wayland_server::protocol::wl_shm::Format::Abgr8888,
                smithay::reexports::wayland_server::protocol::wl_shm::Format::Xbgr8888,
            ],
        );
        let output_manager_state = OutputManagerState::new_with_xdg_output::<State>(&dh);
        let mut seat_state = SeatState::new();
        let data_device_state = DataDeviceState::new::<State>(&dh);
        let primary_selection_state = PrimarySelectionState::new::<State>(&dh);
        let data_control_state = DataControlState::new::<State, _>(&dh, Some(&primary_selection_state), |c| {
            may_see_global(c, "ext_data_control_manager_v1")
        });
        let viewporter_state = ViewporterState::new::<State>(&dh);
        let fractional_scale_state = FractionalScaleManagerState::new::<State>(&dh);
        let presentation_state = PresentationState::new::<State>(&dh, clock.id() as u32);
        let xdg_activation_state = XdgActivationState::new::<State>(&dh);
        let security_context_state =
            SecurityContextState::new::<State, _>(&dh, |c| may_see_global(c, "wp_security_context_manager_v1"));
        let session_lock_state =
            SessionLockManagerState::new::<State, _>(&dh, |c| may_see_global(c, "ext_session_lock_manager_v1"));
        let single_pixel_buffer_state = SinglePixelBufferState::new::<State>(&dh);
        let cursor_shape_state = CursorShapeManagerState::new::<State>(&dh);
        let relative_pointer_state = RelativePointerManagerState::new::<State>(&dh);
        let foreign_toplevel_list_state = ForeignToplevelListState::new_with_filter::<State>(&dh, |c| {
            may_see_global(c, "ext_foreign_toplevel_list_v1")
        });
        let virtual_keyboard_state =
            VirtualKeyboardManagerState::new::<State, _>(&dh, |c| may_see_global(c, "zwp_virtual_keyboard_manager_v1"));
        let text_input_state = TextInputManagerState::new::<State>(&dh);
        let canopy_shell_state = CanopyShellState::new(&dh);
        let screencopy_state = crate::handlers::screencopy::ScreencopyState::new(&dh);
        let image_capture_source = crate::handlers::image_capture_source::ImageCaptureSourceState::new(&dh);
        let image_copy_capture = crate::handlers::image_copy_capture::ImageCopyCaptureState::new(&dh);
        let output_management = crate::handlers::output_management::OutputManagement::new(&dh);

        let mut seat = seat_state.new_wl_seat(&dh, "seat0");
        let kb = &config.keyboard;
        let (layouts, variants) = kb.xkb_layouts();
        seat.add_keyboard(
            XkbConfig {
                rules: &kb.rules,
                model: &kb.model,
                layout: &layouts,
                variant: &variants,
                options: kb.options.clone(),
            },
            kb.repeat_delay,
            kb.repeat_rate,
        )
        .map_err(|e| anyhow::anyhow!("keyboard layout {layouts} ({variants}): {e:?}"))?;
        seat.add_pointer();
        seat.add_touch();

        // The Wayland socket and the control socket.
        let source = match &socket_name {
            Some(name) => ListeningSocketSource::with_name(name)?,
            None => ListeningSocketSource::new_auto()?,
        };
        let socket_name = source.socket_name().to_string_lossy().into_owned();
        loop_handle
            .insert_source(source, |stream, _, state| {
                match state.canopy.display_handle.insert_client(stream, Arc::new(ClientState::local())) {
                    // The GUI VM's own programs (the panel) may fall behind reading without
                    // being dropped: what VMs cause them to be told is rate-limited anyway.
                    Ok(client) => client.set_max_buffer_size(&state.canopy.display_handle, LOCAL_CLIENT_BUFFER),
                    Err(e) => tracing::warn!("could not add a client: {e}"),
                }
            })
            .map_err(|e| anyhow::anyhow!("wayland socket source: {e}"))?;
        loop_handle
            .insert_source(Generic::new(display, Interest::READ, Mode::Level), |_, display, state| {
                // Safety: the display is not dropped while the source is alive.
                unsafe {
                    display.get_mut().dispatch_clients(state).expect("dispatching clients");
                }
                Ok(PostAction::Continue)
            })
            .map_err(|e| anyhow::anyhow!("display source: {e}"))?;
        let ipc_path = crate::ipc::socket_path(&socket_name);
        let levels = crate::levels::Levels::new(&loop_handle, config.levels.clone());
        let tell = crate::tell::Tell::new(&loop_handle);
        let power = crate::power::Power::new(&config.power);
        let idle = crate::power::idle::Idle::new(
            smithay::wayland::idle_notify::IdleNotifierState::new(&dh, loop_handle.clone()),
            smithay::wayland::idle_inhibit::IdleInhibitManagerState::new::<State>(&dh),
            crate::handlers::output_power::OutputPowerManager::new(&dh),
        );

        Ok(Canopy {
            display_handle: dh,
            loop_handle,
            loop_signal,
            clock,
            start_time: Instant::now(),
            socket_name,
            ipc_path,
            config,
            fonts,
            space: Space::default(),
            popups: PopupManager::default(),
            windows: Default::default(),
            focus: Default::default(),
            taken: Default::default(),
            scene_dirty: true,
            moved: HashSet::new(),
            primary_outputs_dirty: true,
            wants_frame: HashSet::new(),
            violations: Default::default(),
            announcer: Default::default(),
            supervisor: None,
            notices: Vec::new(),
            tell,
            power,
            levels,
            clipboard: Default::default(),
            dnd: Default::default(),
            last_input: Instant::now(),
            idle,
            layout_index: 0,
            switcher_done: false,
            next_window_id: 1,
            switcher: None,
            outputs: Vec::new(),
            compositor_state,
            xdg_shell_state,
            xdg_decoration_state,
            kde_decoration_state,
            layer_shell_state,
            shm_state,
            output_manager_state,
            seat_state,
            data_device_state,
            primary_selection_state,
            data_control_state,
            viewporter_state,
            fractional_scale_state,
            presentation_state,
            xdg_activation_state,
            security_context_state,
            session_lock_state,
            single_pixel_buffer_state,
            cursor_shape_state,
            relative_pointer_state,
            foreign_toplevel_list_state,
            virtual_keyboard_state,
            text_input_state,
            canopy_shell_state,
            screencopy_state,
            image_capture_source,
            image_copy_capture,
            output_management,
            captures: Default::default(),
            region_pick: None,
            notice_press: None,
            seat,
            cursor_status: CursorImageStatus::default_named(),
            frame_cursor: None,
            lock: LockState::default(),
            suppressed_keys: HashSet::new(),
            bare_modifier: None,
            last_title_click: None,
            pointer_target: None,
            touches: HashMap::new(),
            popup_grab: None,
            running: true,
            manual_frames: false,
        })
    }

    pub fn queue_redraw(&self, output: &Output) {
        output_redraw(output).borrow_mut().queued = true;
    }

    pub fn queue_redraw_all(&self) {
        for o in &self.outputs {
            self.queue_redraw(o);
        }
    }

    /// Redraw the outputs `area` (global) touches; whether it touched any.
    pub fn queue_redraw_area(&self, area: Rectangle<i32, Logical>) -> bool {
        let mut any = false;
        for o in &self.outputs {
            if self.space.output_geometry(o).is_some_and(|g| g.overlaps(area)) {
                self.queue_redraw(o);
                any = true;
            }
        }
        any
    }

    /// Redraw the outputs that show `w` (its frame and popups). A window on no output
    /// (minimised, not yet mapped, off screen) redraws them all, as before, so frame callbacks
    /// keep coming to a client that waits for them.
    pub fn queue_redraw_window(&self, w: &WindowElement) {
        if !self.bbox_of(w).is_some_and(|b| self.queue_redraw_area(b)) {
            self.queue_redraw_all();
        }
    }

    /// Redraw the outputs the cursor may show on: around the pointer, as far as its image reaches.
    pub fn queue_redraw_cursor(&self) {
        self.queue_redraw_around_pointer(self.cursor_reach());
    }

    /// How far from the pointer the cursor image may reach: a client's cursor surface wherever
    /// its hotspot puts it, else a named cursor.
    pub fn cursor_reach(&self) -> i32 {
        // Larger than any named cursor canopy draws, at any scale, in logical pixels.
        const NAMED_REACH: i32 = 128;
        let CursorImageStatus::Surface(s) = &self.cursor_status else { return NAMED_REACH };
        let hotspot = smithay::wayland::compositor::with_states(s, |states| {
            let data = states.data_map.get::<smithay::input::pointer::CursorImageSurfaceData>();
            data.map(|d| d.lock().unwrap().hotspot).unwrap_or_default()
        });
        let b = smithay::desktop::utils::bbox_from_surface_tree(s, (0, 0));
        let (l, t) = (b.loc.x.saturating_sub(hotspot.x), b.loc.y.saturating_sub(hotspot.y));
        let far = [l, t, l.saturating_add(b.size.w), t.saturating_add(b.size.h)].map(|v| v.saturating_abs());
        far.into_iter().max().unwrap_or(0).clamp(NAMED_REACH, 1 << 20)
    }

    /// Redraw the outputs within `reach` of the pointer (all of them if none is).
    pub fn queue_redraw_around_pointer(&self, reach: i32) {
        let p = self.pointer_location().to_i32_round::<i32>();
        let area = Rectangle::new((p.x - reach, p.y - reach).into(), (2 * reach, 2 * reach).into());
        if !self.queue_redraw_area(area) {
            self.queue_redraw_all();
        }
    }

    /// A frame somewhere, for work done once per frame (announcing window changes to the
    /// panels), where nothing on screen changed.
    pub fn queue_a_frame(&self) {
        if let Some(o) = self.outputs.first() {
            self.queue_redraw(o);
        }
    }

    /// The usable area of an output in global coordinates: the output minus the exclusive
    /// zones of layer-shell surfaces such as the panel.
    pub fn usable_area(&self, output: &Output) -> Rectangle<i32, Logical> {
        let Some(geo) = self.space.output_geometry(output) else {
            return Rectangle::default();
        };
        let mut zone = self.usable_zone(output);
        zone.loc += geo.loc;
        zone
    }

    pub fn output_by_name(&self, name: &str) -> Option<&Output> {
        self.outputs.iter().find(|o| o.name() == name)
    }

    pub fn pointer_location(&self) -> Point<f64, Logical> {
        self.seat.get_pointer().map(|p| p.current_location()).unwrap_or_default()
    }

    /// The output under the pointer, or the primary one.
    pub fn active_output(&self) -> Option<Output> {
        let p = self.pointer_location();
        self.space.output_under(p).next().cloned().or_else(|| self.outputs.first().cloned())
    }

    /// The output the user works on: the focused window's, else the one under the pointer.
    pub fn focused_output(&self) -> Option<Output> {
        self.focused_window().and_then(|w| self.output_of_window(&w)).or_else(|| self.active_output())
    }

    pub fn now_ms(&self) -> u32 {
        self.start_time.elapsed().as_millis() as u32
    }

    pub fn frame_interval(&self, output: &Output) -> Duration {
        let hz = output.current_mode().map(|m| m.refresh).filter(|r| *r > 0).unwrap_or(60_000);
        Duration::from_micros(1_000_000_000 / hz as u64)
    }
}
