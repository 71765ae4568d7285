//! The PipeWire backend: `pw-dump --monitor` keeps the graph (restarted with a backoff when it
//! ends: PipeWire went away), and WirePlumber's `wpctl` makes each change, on object ids the
//! graph holds, with arguments the daemon formats itself.
//!
//! Why `wpctl` rather than the PipeWire API: it is WirePlumber's own control tool, so volumes
//! go through WirePlumber's mixer (the cubic scale every PipeWire UI shows, all channels at once)
//! and default devices through its default-nodes policy (remembered, and streams follow), exactly
//! as the desktop's own settings would; it needs no C bindings or libclang at build time; and it
//! is small to reason about: three argv shapes with numbers in them. It costs a process per
//! change (about 25 ms here), which the keys and sliders never notice.

use std::io::BufReader;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use canopy_lifecycle::server::Subscribers;
use canopy_protocols::audio::{AudioState, Event};

use super::config::Config;
use super::graph::{Graph, Object};

/// How long one `wpctl` may run.
const WPCTL_TIME: Duration = Duration::from_secs(5);

/// The graph and what it means, shared by the monitor thread and the connections.
pub struct Sound {
    config: Config,
    shared: Mutex<Shared>,
    changed: Condvar,
    subscribers: Mutex<Subscribers<Event>>,
}

struct Shared {
    graph: Graph,
    /// None while PipeWire cannot be reached, with `down` saying why.
    state: Option<AudioState>,
    down: String,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sound {
    /// Start following the graph on a thread of its own.
    pub fn start(config: Config) -> Result<Arc<Sound>, String> {
        let sound = Arc::new(Sound {
            config,
            shared: Mutex::new(Shared {
                graph: Graph::default(),
                state: None,
                down: "not connected to PipeWire yet".into(),
            }),
            changed: Condvar::new(),
            subscribers: Mutex::new(Subscribers::default()),
        });
        let me = sound.clone();
        std::thread::Builder::new()
            .name("pw-dump".into())
            .spawn(move || me.follow())
            .map_err(|e| format!("cannot start a thread: {e}"))?;
        Ok(sound)
    }

    /// The state now, or why there is none.
    pub fn state(&self) -> Result<AudioState, String> {
        let s = lock(&self.shared);
        s.state.clone().ok_or_else(|| s.down.clone())
    }

    /// The state now (or why there is none) and every change from then on.
    pub fn subscribe(&self) -> (Result<AudioState, String>, std::sync::mpsc::Receiver<Event>) {
        // Both under the graph's lock, so no change falls between the snapshot and the stream.
        let s = lock(&self.shared);
        let rx = lock(&self.subscribers).subscribe();
        (s.state.clone().ok_or_else(|| s.down.clone()), rx)
    }

    /// Wait until the state satisfies `done` or `timeout` passes; the state then.
    pub fn wait_for(&self, timeout: Duration, done: impl Fn(&AudioState) -> bool) -> Result<AudioState, String> {
        let deadline = Instant::now() + timeout;
        let mut s = lock(&self.shared);
        loop {
            match &s.state {
                Some(state) if done(state) => return Ok(state.clone()),
                None => return Err(s.down.clone()),
                Some(_) => {}
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                tracing::debug!("the change did not show in the graph within {timeout:?}");
                return s.state.clone().ok_or_else(|| s.down.clone());
            }
            s = self.changed.wait_timeout(s, left).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    /// Run `wpctl` with these arguments (which the daemon made: a verb, an object id, a number).
    pub fn wpctl(&self, args: &[String]) -> Result<(), String> {
        let mut argv = vec![self.config.pipewire.wpctl.display().to_string()];
        argv.extend(args.iter().cloned());
        canopy_lifecycle::command::run_ok(&argv, &[], WPCTL_TIME)
    }

    /// Follow the graph for as long as the daemon runs.
    fn follow(&self) {
        let mut delay = Duration::from_millis(100);
        loop {
            let started = Instant::now();
            let why = self.follow_once();
            tracing::warn!("PipeWire: {why}");
            self.set_down(why);
            if started.elapsed() > Duration::from_secs(10) {
                delay = Duration::from_millis(100);
            }
            std::thread::sleep(delay);
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    /// One run of `pw-dump --monitor`; why it ended.
    fn follow_once(&self) -> String {
        let program = &self.config.pipewire.pw_dump;
        let mut cmd = Command::new(program);
        cmd.args(["--monitor", "--no-colors"]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        // SAFETY: only an async-signal-safe prctl between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::TERM))
                    .map_err(std::io::Error::from)
            });
        }
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => return format!("cannot run {}: {e}", program.display()),
        };
        let stdout = child.stdout.take().expect("piped");
        let batches = serde_json::Deserializer::from_reader(BufReader::new(stdout)).into_iter::<Vec<Object>>();
        let mut why = None;
        for batch in batches {
            match batch {
                Ok(objects) => self.update(objects),
                Err(e) => {
                    why = Some(format!("{} printed what is not its JSON: {e}", program.display()));
                    let _ = child.kill();
                    break;
                }
            }
        }
        let status = child.wait().map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
        let mut err = String::new();
        if let Some(mut stderr) = child.stderr.take() {
            use std::io::Read;
            let _ = (&mut stderr).take(4096).read_to_string(&mut err);
        }
        let err = canopy_protocols::text::sanitise(err.trim(), canopy_protocols::text::MESSAGE);
        why.unwrap_or_else(|| {
            format!(
                "{} ended ({status}){}",
                program.display(),
                if err.is_empty() { String::new() } else { format!(": {err}") }
            )
        })
    }

    fn update(&self, objects: Vec<Object>) {
        let mut s = lock(&self.shared);
        s.graph.apply(objects);
        let v = &self.config.volume;
        let state = s.graph.state(&self.config.stream_vms, v.max, v.step);
        if s.state.as_ref() != Some(&state) {
            if s.state.is_none() {
                tracing::info!("following PipeWire's graph");
            }
            s.state = Some(state.clone());
            self.changed.notify_all();
            lock(&self.subscribers).publish(&Event::State { state });
        }
    }

    fn set_down(&self, why: String) {
        let mut s = lock(&self.shared);
        s.graph.clear();
        let was_up = s.state.take().is_some();
        s.down = format!("PipeWire is not reachable: {why}");
        self.changed.notify_all();
        if was_up {
            lock(&self.subscribers).publish(&Event::Unavailable { reason: s.down.clone() });
        }
    }
}
