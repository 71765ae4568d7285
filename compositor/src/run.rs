//! Starting the compositor: config first (a broken one stops us here), then the event loop,
//! the Wayland side, the backend with its outputs, the control socket, and autostart.

use anyhow::Context;
use smithay::reexports::calloop::EventLoop;
use smithay::reexports::wayland_server::Display;

use crate::backend::{headless::Headless, Backend};
use crate::cli::{BackendKind, RunArgs};
use crate::config::Config;
use crate::state::{Canopy, State};

pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

pub fn run(args: RunArgs) -> anyhow::Result<()> {
    init_logging();
    let config = Config::load(args.config.as_deref()).map_err(|e| anyhow::anyhow!("{e}"))?;
    if args.check_config {
        println!(
            "{}: ok",
            config.path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "built-in defaults".into())
        );
        return Ok(());
    }
    let mut session = Session::start(&args, config)?;
    session.state.canopy.supervisor = Some(crate::spawn::Supervisor::new(&session.event_loop.handle())?);
    session.state.autostart();
    session.state.restore_lock();
    session.state.idle_check();
    session.state.start_power();
    session.run()
}

/// A running compositor: its event loop and state. `canopy` runs one until it quits; the
/// benchmarks and the wlcs integration drive one step by step.
pub struct Session {
    pub event_loop: EventLoop<'static, State>,
    pub state: State,
}

impl Session {
    /// Everything up to being ready for clients: Wayland socket, backend, outputs, control socket.
    pub fn start(args: &RunArgs, config: Config) -> anyhow::Result<Session> {
        let kind = args.backend();
        let headless_outputs =
            if kind == BackendKind::Headless { headless_outputs(args, &config)? } else { Vec::new() };
        let event_loop: EventLoop<'static, State> = EventLoop::try_new().context("event loop")?;
        let display: Display<State> = Display::new().context("wayland display")?;
        let canopy = Canopy::new(display, event_loop.handle(), event_loop.get_signal(), config, args.socket.clone())?;

        let (backend, first_output) = match kind {
            BackendKind::Headless => (Backend::Headless(Headless::new()?), None),
            BackendKind::Winit => {
                let (w, output) = crate::backend::winit::Winit::new(&event_loop.handle(), 1.0)?;
                (Backend::Winit(Box::new(w)), Some(output))
            }
            BackendKind::Udev => (Backend::Udev(crate::backend::udev::Udev::new(&event_loop.handle())?), None),
        };
        let mut state = State { backend, canopy };
        for o in headless_outputs {
            state.add_headless_output(&o.name, o.size, o.scale);
        }
        if let Some(output) = first_output {
            state.canopy.add_output(output);
        }
        if let Backend::Udev(_) = state.backend {
            state.udev_start()?;
        }
        crate::ipc::server::listen(&state.canopy.ipc_path, &event_loop.handle())?;
        tracing::info!(
            wayland = state.canopy.socket_name,
            control = %state.canopy.ipc_path.display(),
            backend = state.backend.name(),
            "canopy ready"
        );
        Ok(Session { event_loop, state })
    }

    /// One turn of the loop: wait up to `timeout` for events, handle them, draw what changed.
    pub fn dispatch(&mut self, timeout: Option<std::time::Duration>) -> anyhow::Result<()> {
        self.event_loop.dispatch(timeout, &mut self.state).context("event loop")?;
        self.state.after_dispatch();
        Ok(())
    }

    pub fn run(mut self) -> anyhow::Result<()> {
        stop_on_signals(self.state.canopy.loop_signal.clone())?;
        self.event_loop.run(None, &mut self.state, |state| state.after_dispatch()).context("event loop")?;
        // Dropping the session closes the Wayland socket, which removes it and its lock file.
        let _ = std::fs::remove_file(&self.state.canopy.ipc_path);
        Ok(())
    }
}

/// SIGTERM (as systemd stops a service) and SIGINT end the loop like `quit`, so the sockets
/// are removed on the way out instead of left for `canopy msg` to trip on.
fn stop_on_signals(stop: smithay::reexports::calloop::LoopSignal) -> anyhow::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT]).context("signal handlers")?;
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            tracing::info!(signal, "stopping on a signal");
            stop.stop();
            stop.wakeup();
        }
    });
    Ok(())
}

impl State {
    /// Work after each batch of events: apply focus, give the pointer to what is now under it
    /// if the scene changed, redraw (refreshing the space once per frame), flush clients.
    pub fn after_dispatch(&mut self) {
        self.canopy.popups.cleanup();
        self.enforce_focus();
        if self.canopy.scene_dirty {
            self.refresh_pointer_focus();
        }
        self.redraw_queued();
        if let Err(e) = self.canopy.display_handle.flush_clients() {
            tracing::warn!("flushing clients: {e}");
        }
    }
}

/// `--output` values, or without them the config's outputs that have a mode.
fn headless_outputs(args: &RunArgs, config: &Config) -> anyhow::Result<Vec<crate::cli::HeadlessOutputSpec>> {
    if args.outputs.is_empty() && config.outputs.iter().any(|o| o.mode.is_some()) {
        return Ok(config
            .outputs
            .iter()
            .filter(|o| o.enabled)
            .filter_map(|o| {
                let (w, h, _) = crate::config::parse_mode(o.mode.as_deref()?).ok()?;
                Some(crate::cli::HeadlessOutputSpec {
                    name: o.name.clone(),
                    size: (w, h),
                    scale: o.scale.unwrap_or(1.0),
                })
            })
            .collect());
    }
    args.headless_outputs().map_err(anyhow::Error::msg)
}
