//! Running a shell program: connect, bind what its placement needs, create its first surfaces,
//! and loop until it exits.

use anyhow::Context;
use canopy_themes::Theme;
use smithay_client_toolkit::compositor::CompositorState;
use smithay_client_toolkit::output::OutputState;
use smithay_client_toolkit::reexports::calloop::EventLoop;
use smithay_client_toolkit::reexports::calloop_wayland_source::WaylandSource;
use smithay_client_toolkit::registry::RegistryState;
use smithay_client_toolkit::seat::keyboard::Modifiers;
use smithay_client_toolkit::seat::SeatState;
use smithay_client_toolkit::session_lock::SessionLockState;
use smithay_client_toolkit::shell::wlr_layer::LayerShell;
use smithay_client_toolkit::shm::Shm;
use wayland_client::globals::registry_queue_init;
use wayland_client::Connection;

use super::api::{Core, Shell};
use super::app::{App, Placement};
use super::scale::NoEvents;
use super::windows::WindowList;
use crate::draw::{Fonts, Icons};

/// Connects to the compositor and runs `app` until it exits; returns the exit code.
pub fn run<A: App>(app: A, theme: Theme) -> anyhow::Result<i32> {
    let fonts = Fonts::new(&theme.font);
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
        keyboard_surface: None,
        last_press: None,
        last_click: None,
        exit: None,
        started: false,
        locked_early: false,
        placed: None,
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
