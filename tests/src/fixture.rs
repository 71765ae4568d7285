//! A real canopy compositor on the headless backend, per test, in its own runtime dir.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use canopy_ipc::{Cursor, Output, Request, Response, Window};
use serde_json::Value;

use crate::image::Image;

/// A binary of this workspace, next to the test executable's target dir (`target/debug`), or
/// in `$CANOPY_BIN_DIR` when it is there (figures taken with some parts built for release).
pub fn bin_path(name: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("CANOPY_BIN_DIR") {
        let path = Path::new(&dir).join(name);
        if path.exists() {
            return path;
        }
    }
    let exe = std::env::current_exe().expect("current exe");
    // target/debug/deps/test-xxxx -> target/debug
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let path = dir.join(name);
    assert!(path.exists(), "{} is not built; run `cargo build --workspace --bins` first", path.display());
    path
}

pub struct Compositor {
    child: Child,
    runtime: tempfile::TempDir,
    socket: String,
    ipc: PathBuf,
    log: PathBuf,
    clients: Vec<Child>,
    /// The command line and environment, to start it again after a crash.
    args: Vec<std::ffi::OsString>,
    env: Vec<(String, String)>,
    /// How many times it was started.
    starts: u32,
}

/// How long tests wait for something to happen before failing.
pub const TIMEOUT: Duration = Duration::from_secs(20);

impl Compositor {
    /// Start with a config (TOML text) and the default output (HEADLESS-1, 1280x800).
    pub fn start(config: &str) -> Compositor {
        Self::start_with(config, &[])
    }

    /// Start with a config and `--output` specs such as `HEADLESS-1:1280x800@1`.
    pub fn start_with(config: &str, outputs: &[&str]) -> Compositor {
        Self::start_with_env(config, outputs, &[])
    }

    /// As [`Self::start_with`], with these environment variables (such as the GUI VM's
    /// `DBUS_SESSION_BUS_ADDRESS`; without one the compositor gets none).
    pub fn start_with_env(config: &str, outputs: &[&str], env: &[(&str, &str)]) -> Compositor {
        let runtime = tempfile::Builder::new().prefix("canopy-test-").tempdir().expect("runtime dir");
        let config_path = runtime.path().join("canopy.toml");
        std::fs::write(&config_path, config).expect("writing config");
        let socket = "wayland-test".to_string();
        let log = runtime.path().join("canopy.log");
        let mut args: Vec<std::ffi::OsString> =
            vec!["--backend".into(), "headless".into(), "--socket".into(), socket.clone().into(), "--config".into()];
        args.push(config_path.into());
        for o in outputs {
            args.push("--output".into());
            args.push(o.into());
        }
        let ipc = runtime.path().join(format!("canopy-{socket}.sock"));
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let child = spawn_compositor(&args, &env, runtime.path(), &log);
        let c = Compositor { child, runtime, socket, ipc, log, clients: Vec::new(), args, env, starts: 1 };
        c.wait_until("the control socket answers", || c_try_version(&c.ipc));
        c
    }

    /// Kills the compositor the hard way (SIGKILL: no cleanup), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the compositor again on the same socket, runtime dir and config (after
    /// [`Compositor::kill`]); returns once its control socket answers. Its log goes to a file
    /// of its own (`canopy-N.log`), which [`Compositor::log`] reads from then on.
    pub fn restart(&mut self) -> Instant {
        self.starts += 1;
        self.log = self.runtime.path().join(format!("canopy-{}.log", self.starts));
        let started = Instant::now();
        self.child = spawn_compositor(&self.args, &self.env, self.runtime.path(), &self.log);
        self.wait_until("the restarted compositor's control socket", || c_try_version(&self.ipc));
        started
    }

    /// The process id of the running compositor.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn runtime_dir(&self) -> &Path {
        self.runtime.path()
    }

    pub fn wayland_display(&self) -> &str {
        &self.socket
    }

    pub fn ipc_socket(&self) -> &Path {
        &self.ipc
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Whether the compositor process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Send an IPC request, written as `canopy msg` takes it (`["windows"]`,
    /// `["pointer-move", "10", "20"]`, …), and return its reply or its error text.
    pub fn try_msg(&self, args: &[&str]) -> Result<Response, String> {
        canopy_ipc::socket::send(&self.ipc, &request(args), TIMEOUT).map_err(|e| e.to_string())?
    }

    pub fn msg(&self, args: &[&str]) -> Response {
        self.try_msg(args)
            .unwrap_or_else(|e| panic!("canopy msg {args:?}: {e}\n--- compositor log ---\n{}", self.log()))
    }

    pub fn windows(&self) -> Vec<Window> {
        match self.msg(&["windows"]) {
            Response::Windows(w) => w,
            other => panic!("windows answered {other:?}"),
        }
    }

    pub fn outputs(&self) -> Vec<Output> {
        outputs(self.msg(&["outputs"]))
    }

    pub fn cursor(&self) -> Cursor {
        match self.msg(&["cursor"]) {
            Response::Cursor(c) => c,
            other => panic!("cursor answered {other:?}"),
        }
    }

    pub fn window(&self, id: u64) -> Window {
        self.windows().into_iter().find(|w| w.id == id).unwrap_or_else(|| panic!("no window {id}"))
    }

    /// Wait until `n` windows exist and all have been drawn, and return them.
    pub fn wait_for_windows(&self, n: usize) -> Vec<Window> {
        let mut last = Vec::new();
        self.wait_until(&format!("{n} windows"), || {
            last = self.windows();
            last.len() == n
        });
        last
    }

    /// Poll `cond` until it holds; panic with the compositor log after [`TIMEOUT`].
    pub fn wait_until(&self, what: &str, mut cond: impl FnMut() -> bool) {
        let start = Instant::now();
        while !cond() {
            if start.elapsed() > TIMEOUT {
                panic!("timed out waiting for {what}\n--- compositor log ---\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn screenshot(&self) -> Image {
        self.screenshot_of(None)
    }

    /// A screenshot with the pointer drawn as on screen.
    pub fn screenshot_with_pointer(&self) -> Image {
        let path = self.runtime.path().join(format!("shot-{}.png", rand_suffix()));
        self.msg(&["screenshot", "--pointer", path.to_str().expect("utf-8 path")]);
        let img = Image::load(&path).expect("loading screenshot");
        let _ = std::fs::remove_file(&path);
        img
    }

    pub fn screenshot_of(&self, output: Option<&str>) -> Image {
        let path = self.runtime.path().join(format!("shot-{}.png", rand_suffix()));
        let p = path.to_str().expect("utf-8 path");
        match output {
            Some(o) => self.msg(&["screenshot", "--output", o, p]),
            None => self.msg(&["screenshot", p]),
        };
        let img = Image::load(&path).expect("loading screenshot");
        let _ = std::fs::remove_file(&path);
        img
    }

    /// Environment for a client of this compositor.
    pub fn client_env<'a>(&'a self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.env("XDG_RUNTIME_DIR", self.runtime.path())
            .env("WAYLAND_DISPLAY", &self.socket)
            .env("CANOPY_SOCKET", &self.ipc)
            .env("DBUS_SYSTEM_BUS_ADDRESS", system_bus(&self.env, self.runtime.path()))
            .env_remove("DISPLAY")
    }

    /// Start a local (trusted) client; it is killed when the compositor fixture drops.
    pub fn spawn(&mut self, program: &str, args: &[&str]) -> Client {
        let mut cmd = Command::new(resolve(program));
        cmd.args(args);
        self.client_env(&mut cmd);
        Client::spawn(cmd)
    }

    /// Start a client as a sandboxed client of `vm` (through a security context).
    pub fn spawn_in_vm(&mut self, vm: &str, program: &str, args: &[&str]) -> Client {
        let mut cmd = Command::new(bin_path("canopy-sandbox"));
        cmd.args(["--vm", vm, "--"]).arg(resolve(program)).args(args);
        self.client_env(&mut cmd);
        Client::spawn(cmd)
    }

    /// Keep a process alive as long as the compositor fixture.
    pub fn adopt(&mut self, child: Child) {
        self.clients.push(child);
    }
}

/// The system bus for the compositor and its clients: the one a test gives (the logind
/// stand-in's), else one that is not there, so a machine's own logind is never touched.
fn system_bus(env: &[(String, String)], runtime: &Path) -> String {
    env.iter()
        .find(|(k, _)| k == "DBUS_SYSTEM_BUS_ADDRESS")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| format!("unix:path={}/no-system-bus", runtime.display()))
}

fn spawn_compositor(args: &[std::ffi::OsString], env: &[(String, String)], runtime: &Path, log: &Path) -> Child {
    let mut cmd = Command::new(bin_path("canopy"));
    cmd.args(args)
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("DBUS_SYSTEM_BUS_ADDRESS", system_bus(env, runtime))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("XDG_RUNTIME_DIR", runtime)
        .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("DISPLAY")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("log file"));
    cmd.spawn().expect("starting canopy")
}

fn c_try_version(ipc: &Path) -> bool {
    matches!(canopy_ipc::socket::send(ipc, &Request::Version, TIMEOUT), Ok(Ok(Response::Version(_))))
}

/// The outputs an `outputs`, `output-add` or `output-remove` reply lists.
pub fn outputs(reply: Response) -> Vec<Output> {
    match reply {
        Response::Outputs(o) => o,
        other => panic!("expected outputs, got {other:?}"),
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// Our own binaries by name, everything else from PATH.
fn resolve(program: &str) -> PathBuf {
    if program.starts_with("canopy") {
        bin_path(program)
    } else {
        PathBuf::from(program)
    }
}

/// The request `canopy msg ARGS…` would send.
pub fn request(args: &[&str]) -> Request {
    #[derive(clap::Parser)]
    struct Msg {
        #[command(subcommand)]
        request: Request,
    }
    use clap::Parser;
    Msg::try_parse_from(std::iter::once("msg").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("canopy msg {args:?}: {e}"))
        .request
}

impl Drop for Compositor {
    fn drop(&mut self) {
        for c in &mut self.clients {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- compositor log ({}) ---\n{}", self.log.display(), self.log());
        }
    }
}

/// A client process whose stdout JSON lines (our test client's events) can be awaited, and
/// whose stdin takes our test client's commands.
pub struct Client {
    pub child: Child,
    events: Receiver<Value>,
    seen: Vec<Value>,
    roundtrips: u64,
}

impl Client {
    pub fn spawn(mut cmd: Command) -> Client {
        cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).stdin(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("starting {cmd:?}: {e}"));
        let stdout = child.stdout.take().expect("stdout");
        let events = pump(stdout);
        Client { child, events, seen: Vec::new(), roundtrips: 0 }
    }

    /// Write one command line to the client's stdin.
    pub fn send(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().expect("the client's stdin");
        writeln!(stdin, "{line}").expect("writing to the client");
        stdin.flush().expect("flushing to the client");
    }

    /// Waits until our test client has read everything the compositor sent it before now: it
    /// sends a wl_display.sync and says when the answer came, and events arrive in order. After
    /// an action's IPC reply, this is how a test knows the action sent the client nothing.
    pub fn roundtrip(&mut self) {
        self.roundtrips += 1;
        let n = self.roundtrips;
        self.send("roundtrip");
        self.wait_event("roundtrip", |e| e["n"] == n);
    }

    /// Wait for an event line whose `event` field is `name` and that satisfies `pred`.
    pub fn wait_event(&mut self, name: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.wait_json(&format!("event {name}"), |v| v["event"] == name && pred(v))
    }

    /// Wait for any JSON line on stdout that satisfies `pred`.
    pub fn wait_json(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        if let Some(v) = self.seen.iter().find(|v| pred(v)) {
            return v.clone();
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if pred(&v) {
                        return v;
                    }
                }
                Err(_) => panic!("timed out waiting for {what}; saw {:?}", self.seen),
            }
        }
    }

    /// A point in the event stream: take it before an action, then wait with
    /// [`Client::wait_event_since`] for what the action caused.
    pub fn mark(&mut self) -> usize {
        self.events();
        self.seen.len()
    }

    /// Wait for an event named `name` received after `mark`.
    pub fn wait_event_since(&mut self, mark: usize, name: &str) -> Value {
        let start = mark.min(self.seen.len());
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(v) = self.seen[start..].iter().find(|v| v["event"] == name) {
                return v.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(v) => self.seen.push(v),
                Err(_) => panic!("timed out waiting for a new {name} event; saw {:?}", self.seen),
            }
        }
    }

    /// How many events named `name` came so far, once there are at least `n` (so `n` = 0 does
    /// not wait). Fails when none came for [`TIMEOUT`]: a long count takes as long as it takes.
    pub fn wait_count(&mut self, name: &str, n: usize) -> usize {
        let mut count = self.events().iter().filter(|v| v["event"] == name).count();
        while count < n {
            match self.events.recv_timeout(TIMEOUT) {
                Ok(v) => {
                    count += usize::from(v["event"] == name);
                    self.seen.push(v);
                }
                Err(_) => panic!("no {name} event for {TIMEOUT:?}, at {count} of {n}"),
            }
        }
        count
    }

    /// Events received so far (without waiting).
    pub fn events(&mut self) -> &[Value] {
        while let Ok(v) = self.events.try_recv() {
            self.seen.push(v);
        }
        &self.seen
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.kill();
    }
}

fn pump(stdout: ChildStdout) -> Receiver<Value> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                if tx.send(v).is_err() {
                    break;
                }
            }
        }
    });
    rx
}

impl Compositor {
    /// Start our test client (locally, or in `vm` through a security context), wait until its
    /// window is mapped and drawn, give it the keyboard as the user would (`focus`, which
    /// stands for a click: a VM's window does not take the keyboard by mapping), and return the
    /// client and its entry in `windows`.
    pub fn open(&mut self, vm: Option<&str>, args: &[&str]) -> (Client, Window) {
        let (client, w) = self.open_unfocused(vm, args);
        self.msg(&["focus", &w.id.to_string()]);
        (client, self.window(w.id))
    }

    /// As [`Compositor::open`], leaving focus to the compositor's rules.
    pub fn open_unfocused(&mut self, vm: Option<&str>, args: &[&str]) -> (Client, Window) {
        let before: Vec<u64> = self.windows().iter().map(|w| w.id).collect();
        let mut client = match vm {
            Some(vm) => self.spawn_in_vm(vm, "canopy-test-client", args),
            None => self.spawn("canopy-test-client", args),
        };
        client.wait_event("drawn", |_| true);
        let mut found = None;
        self.wait_until("the new window", || {
            found = self.windows().into_iter().find(|w| !before.contains(&w.id) && w.geometry.is_some());
            found.is_some()
        });
        (client, found.expect("found"))
    }
}

/// `geometry` of a window entry as (x, y, width, height).
pub fn geometry(w: &Window) -> (i32, i32, i32, i32) {
    let g = w.geometry.unwrap_or_else(|| panic!("window {} has no geometry: {w:?}", w.id));
    (g.x, g.y, g.width, g.height)
}

/// An RGB triple of a theme colour.
pub fn rgb(c: canopy_themes::Rgba) -> [u8; 3] {
    [c.r, c.g, c.b]
}
