//! The agent's running apps: spawning configured commands, reaping them, stopping their
//! process groups, and telling watchers when one exits.

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use canopy_protocols::lifecycle::{
    activation_token_ok, AgentApp, AgentEvent, AgentReply, AppArg, Error, ExitStatus, MAX_ACTIVATION_TOKEN,
    MAX_INSTANCES,
};
use rustix::process::{Pid, Signal};

use super::config::{App, Config};
use crate::backoff::retry;
use crate::server::Subscribers;

/// Variables passed on from the agent's environment; everything else is left out so an app's
/// environment is what the config says.
const PASSED_ENV: [&str; 10] =
    ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "TZ", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"];

struct Proc {
    app: String,
    pid: u32,
    exit: Option<ExitStatus>,
    /// A start request is still waiting out the grace period; it removes the entry.
    starting: bool,
    stop_requested: bool,
}

#[derive(Default)]
struct Table {
    next: u64,
    procs: BTreeMap<u64, Proc>,
    watchers: Subscribers<AgentEvent>,
}

pub struct Apps {
    table: Mutex<Table>,
    changed: Condvar,
    spawner: Mutex<Sender<(Command, Sender<std::io::Result<Child>>)>>,
}

impl Apps {
    pub fn new() -> Arc<Apps> {
        let (tx, rx) = mpsc::channel::<(Command, Sender<std::io::Result<Child>>)>();
        // Apps are spawned from this one thread, which lives as long as the agent: the kernel
        // sends an app its parent-death signal when the *thread* that forked it ends.
        std::thread::Builder::new()
            .name("spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("spawner thread");
        Arc::new(Apps { table: Mutex::default(), changed: Condvar::new(), spawner: Mutex::new(tx) })
    }

    fn table(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Start app `name` with checked arguments. Waits out the app's grace period, so that an
    /// app that fails at once is reported in the reply.
    /// `activation_token` (from the launcher, through hostd) goes into the app's environment.
    pub fn start(
        self: &Arc<Self>,
        config: &Config,
        name: &str,
        args: &[AppArg],
        activation_token: Option<&str>,
    ) -> Result<AgentReply, Error> {
        let app = config.apps.get(name).ok_or_else(|| Error::UnknownApp { app: name.into() })?;
        app.args.check(args).map_err(Error::bad_request)?;
        if activation_token.is_some_and(|t| !activation_token_ok(t)) {
            return Err(Error::bad_request(format!(
                "the activation token is not 1 to {MAX_ACTIVATION_TOKEN} printable ASCII characters"
            )));
        }
        // hostd believes no agent that reports more (it would drop this one).
        if self.table().procs.len() >= MAX_INSTANCES {
            return Err(Error::Busy { reason: format!("{MAX_INSTANCES} apps are running already") });
        }
        if config.display_wait_secs > 0.0 {
            if let Some(path) = config.display_path(app) {
                let wait = Duration::from_secs_f64(config.display_wait_secs);
                let found = retry(Duration::from_millis(10), Duration::from_millis(200), wait, |_| {
                    if path.exists() {
                        Ok(())
                    } else {
                        Err(())
                    }
                });
                if found.is_err() {
                    return Err(Error::AppFailed {
                        app: name.into(),
                        reason: format!(
                            "the Wayland socket {} did not appear within {:.1} s (is canopy-proxy guest running?)",
                            path.display(),
                            wait.as_secs_f64()
                        ),
                        status: None,
                    });
                }
            }
        }
        let mut child = self.spawn(command(config, app, args, activation_token)).map_err(|e| Error::AppFailed {
            app: name.into(),
            reason: format!("cannot run {:?}: {e}", app.command[0]),
            status: None,
        })?;
        let pid = child.id();
        let id = {
            let mut t = self.table();
            t.next += 1;
            let id = t.next;
            t.procs.insert(id, Proc { app: name.into(), pid, exit: None, starting: true, stop_requested: false });
            id
        };
        tracing::info!("started {name} as instance {id} (pid {pid})");
        let me = self.clone();
        std::thread::Builder::new()
            .name(format!("wait {pid}"))
            .spawn(move || {
                let status = match child.wait() {
                    Ok(s) => ExitStatus::from(s),
                    Err(e) => {
                        tracing::error!("cannot wait for pid {pid}: {e}");
                        ExitStatus::Code(-1)
                    }
                };
                me.exited(id, status);
            })
            .map_err(|e| Error::AppFailed {
                app: name.into(),
                reason: format!("no thread to watch it: {e}"),
                status: None,
            })?;

        let t = self.table();
        let (mut t, _) = self
            .changed
            .wait_timeout_while(t, app.grace(), |t| t.procs.get(&id).is_some_and(|p| p.exit.is_none()))
            .unwrap_or_else(|e| e.into_inner());
        let p = t.procs.get_mut(&id).expect("kept while starting");
        p.starting = false;
        let exited = p.exit;
        if exited.is_some() {
            t.procs.remove(&id);
        }
        Ok(AgentReply::Started { instance: id, pid, exited })
    }

    fn spawn(&self, cmd: Command) -> std::io::Result<Child> {
        let (tx, rx) = mpsc::channel();
        let sent = self.spawner.lock().unwrap_or_else(|e| e.into_inner()).send((cmd, tx));
        sent.map_err(|_| std::io::Error::other("spawner thread is gone"))?;
        rx.recv().map_err(|_| std::io::Error::other("spawner thread is gone"))?
    }

    fn exited(&self, id: u64, status: ExitStatus) {
        let mut t = self.table();
        let Some(p) = t.procs.get_mut(&id) else { return };
        p.exit = Some(status);
        let ev = AgentEvent::Exited { instance: id, app: p.app.clone(), status, requested: p.stop_requested };
        tracing::info!("instance {id} ({}) {status}", p.app);
        if !p.starting {
            t.procs.remove(&id);
        }
        t.watchers.publish(&ev);
        self.changed.notify_all();
    }

    /// Stop an instance's process group: SIGTERM, then SIGKILL after `timeout`.
    pub fn stop(&self, id: u64, timeout: Duration) -> Result<AgentReply, Error> {
        let mut t = self.table();
        let p = t.procs.get_mut(&id).ok_or_else(|| Error::bad_request(format!("no running instance {id}")))?;
        if p.exit.is_some() {
            return Ok(AgentReply::Done);
        }
        p.stop_requested = true;
        let pid = p.pid;
        drop(t);
        if !self.signal_and_wait(id, pid, Signal::TERM, timeout) {
            tracing::warn!("instance {id} (pid {pid}) ignored SIGTERM for {:.1} s; killing it", timeout.as_secs_f64());
            self.signal_and_wait(id, pid, Signal::KILL, Duration::from_secs(5));
        }
        Ok(AgentReply::Done)
    }

    /// Signal the group; true when the instance has exited within `timeout`.
    fn signal_and_wait(&self, id: u64, pid: u32, sig: Signal, timeout: Duration) -> bool {
        if let Some(pid) = Pid::from_raw(pid as i32) {
            // The app leads its own process group (see `command`), so this reaches its children.
            let _ = rustix::process::kill_process_group(pid, sig);
        }
        let t = self.table();
        let (_t, res) = self
            .changed
            .wait_timeout_while(t, timeout, |t| t.procs.get(&id).is_some_and(|p| p.exit.is_none()))
            .unwrap_or_else(|e| e.into_inner());
        !res.timed_out()
    }

    /// Stop everything, as when the VM shuts down.
    pub fn stop_all(&self, timeout: Duration) {
        let ids: Vec<u64> = self.table().procs.keys().copied().collect();
        std::thread::scope(|s| {
            for id in ids {
                s.spawn(move || self.stop(id, timeout));
            }
        });
    }

    pub fn list(&self) -> Vec<AgentApp> {
        list(&self.table())
    }

    /// Tell the watchers (hostd) of `ev`; returns how many got it.
    pub fn publish(&self, ev: &AgentEvent) -> usize {
        self.table().watchers.publish(ev)
    }

    pub fn subscribe(&self) -> (Vec<AgentApp>, Receiver<AgentEvent>) {
        let mut t = self.table();
        (list(&t), t.watchers.subscribe())
    }
}

fn list(t: &Table) -> Vec<AgentApp> {
    t.procs
        .iter()
        .filter(|(_, p)| p.exit.is_none())
        .map(|(id, p)| AgentApp { instance: *id, app: p.app.clone(), pid: p.pid })
        .collect()
}

fn command(config: &Config, app: &App, args: &[AppArg], activation_token: Option<&str>) -> Command {
    let mut cmd = Command::new(&app.command[0]);
    cmd.args(&app.command[1..]).args(args.iter().map(AppArg::value));
    cmd.env_clear();
    for k in PASSED_ENV {
        if let Some(v) = std::env::var_os(k) {
            cmd.env(k, v);
        }
    }
    if let Some(dir) = &config.runtime_dir {
        cmd.env("XDG_RUNTIME_DIR", dir);
    }
    cmd.env("WAYLAND_DISPLAY", app.wayland_display.as_ref().unwrap_or(&config.wayland_display));
    cmd.envs(&config.env).envs(&app.env);
    // Wayland toolkits (GTK, Qt, SDL) activate their first window with XDG_ACTIVATION_TOKEN;
    // some older ones read the startup-notification name. Both are unset once read.
    if let Some(token) = activation_token {
        cmd.env("XDG_ACTIVATION_TOKEN", token).env("DESKTOP_STARTUP_ID", token);
    }
    if let Some(dir) = &app.working_dir {
        cmd.current_dir(dir);
    }
    cmd.stdin(Stdio::null());
    // Its own process group, so that stopping it reaches every process it started.
    cmd.process_group(0);
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            rustix::process::set_parent_process_death_signal(Some(Signal::TERM))?;
            Ok(())
        });
    }
    cmd
}
