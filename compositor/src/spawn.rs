//! Starting programs from keybindings and autostart, with the session's environment (the
//! Wayland and control sockets, and `[levels]` for the panel's indicators). The
//! autostarted ones (the panel) are supervised: when one ends, for whatever reason, it is
//! started again, 1 s later, waiting twice as long each time it ends within a minute of
//! starting (up to a minute), so a program that cannot start does not spin.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use smithay::reexports::calloop::channel::{self, Sender};
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::LoopHandle;

use crate::state::{Canopy, State};

const FIRST_RETRY: Duration = Duration::from_secs(1);
const LONGEST_RETRY: Duration = Duration::from_secs(60);
/// A program that ran this long before it ended is started again after [`FIRST_RETRY`].
const HEALTHY: Duration = Duration::from_secs(60);

/// Run `argv` (no shell) with the session's environment; reaped on a thread.
pub fn spawn(argv: &[String], canopy: &Canopy) {
    if let Some(mut child) = start(argv, canopy) {
        let prog = argv[0].clone();
        std::thread::spawn(move || {
            if let Ok(status) = child.wait() {
                if !status.success() {
                    tracing::info!(program = prog, %status, "exited");
                }
            }
        });
    }
}

/// Start `argv` (no shell) with WAYLAND_DISPLAY, CANOPY_SOCKET and the current `[levels]`
/// (`canopy_levels::config::ENV`) set.
pub(crate) fn start(argv: &[String], canopy: &Canopy) -> Option<Child> {
    let (prog, args) = argv.split_first()?;
    let mut cmd = Command::new(prog);
    cmd.args(args)
        .env("WAYLAND_DISPLAY", &canopy.socket_name)
        .env("CANOPY_SOCKET", &canopy.ipc_path)
        .env_remove("DISPLAY")
        .stdin(Stdio::null());
    match canopy.config.levels.to_env() {
        Some(levels) => cmd.env(canopy_levels::config::ENV, levels),
        None => {
            tracing::warn!(program = prog, "[levels] names a path that is not UTF-8; not passed on");
            cmd.env_remove(canopy_levels::config::ENV)
        }
    };
    match cmd.spawn() {
        Ok(child) => {
            tracing::info!(program = prog, pid = child.id(), "spawned");
            Some(child)
        }
        Err(e) => {
            tracing::warn!(program = prog, "cannot start: {e}");
            None
        }
    }
}

/// A supervised program that ended (or could not start).
struct Ended {
    argv: Vec<String>,
    started: Instant,
    /// How long it waited before this start.
    waited: Duration,
    status: String,
}

/// Where supervised programs report their end.
pub struct Supervisor {
    tx: Sender<Ended>,
}

impl Supervisor {
    /// Listen for supervised programs ending, on the compositor's loop.
    pub fn new(handle: &LoopHandle<'static, State>) -> anyhow::Result<Supervisor> {
        let (tx, rx) = channel::channel::<Ended>();
        handle
            .insert_source(rx, |event, _, state| {
                if let channel::Event::Msg(ended) = event {
                    state.restart_later(ended);
                }
            })
            .map_err(|e| anyhow::anyhow!("supervisor channel: {e}"))?;
        Ok(Supervisor { tx })
    }
}

impl State {
    /// Start the config's autostart programs; those with `restart` are kept running.
    pub fn autostart(&mut self) {
        for a in self.canopy.config.autostart.clone() {
            if a.restart {
                self.supervise(a.command, Duration::ZERO);
            } else {
                spawn(&a.command, &self.canopy);
            }
        }
    }

    fn supervise(&mut self, argv: Vec<String>, waited: Duration) {
        let started = Instant::now();
        let Some(tx) = self.canopy.supervisor.as_ref().map(|s| s.tx.clone()) else { return };
        match start(&argv, &self.canopy) {
            Some(mut child) => {
                std::thread::spawn(move || {
                    let status = child.wait().map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
                    let _ = tx.send(Ended { argv, started, waited, status });
                });
            }
            None => self.restart_later(Ended { argv, started, waited, status: "could not start".into() }),
        }
    }

    fn restart_later(&mut self, ended: Ended) {
        if !self.canopy.running {
            return;
        }
        let wait = if ended.started.elapsed() >= HEALTHY {
            FIRST_RETRY
        } else {
            (ended.waited * 2).clamp(FIRST_RETRY, LONGEST_RETRY)
        };
        tracing::warn!(
            program = ended.argv[0],
            status = ended.status,
            "a supervised program ended; starting it again in {} s",
            wait.as_secs()
        );
        let mut ended = Some(ended);
        let _ = self.canopy.loop_handle.insert_source(Timer::from_duration(wait), move |_, _, state| {
            if let Some(e) = ended.take() {
                state.supervise(e.argv, wait);
            }
            TimeoutAction::Drop
        });
    }
}
