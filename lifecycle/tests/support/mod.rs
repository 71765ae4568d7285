//! A lab of real processes for the lifecycle tests: `canopy-hostd` with the command backend, whose
//! "VMs" are process sessions started by `vm.sh` (each running a real `canopy-agent`), a GUI VM
//! agent, and `canopy-ctl`. Everything lives in a temporary directory and is stopped on drop.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use canopy_lifecycle::backoff::retry;
use canopy_lifecycle::{Address, HostClient};

pub const HOSTD: &str = env!("CARGO_BIN_EXE_canopy-hostd");
pub const AGENT: &str = env!("CARGO_BIN_EXE_canopy-agent");
pub const CTL: &str = env!("CARGO_BIN_EXE_canopy-ctl");

/// Longest wait for anything that should happen promptly.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The simulated VM that hostd's command backend runs (see tests/simvm.sh).
const VM_SCRIPT: &str = include_str!("../../../tests/simvm.sh");

/// The marker app: writes `PID|WAYLAND_DISPLAY|ARGS` to the log named by its $0, then runs.
fn marker(log: &Path) -> String {
    format!(r#"["/bin/sh", "-c", "echo \"$$|$WAYLAND_DISPLAY|$*\" >> \"$0\"; exec sleep 100000", "{}"]"#, log.display())
}

pub struct Lab {
    pub dir: tempfile::TempDir,
    hostd: Option<Child>,
    gui_agent: Option<Child>,
    pub config: String,
}

impl Lab {
    /// The standard lab, with hostd running.
    pub fn start() -> Lab {
        Self::start_with(|_, c| c)
    }

    /// The standard lab with its hostd config changed by `edit` (given the lab's directory).
    pub fn start_with(edit: impl FnOnce(&Path, String) -> String) -> Lab {
        let mut lab = Self::prepare();
        lab.config = edit(lab.dir.path(), lab.config.clone());
        lab.start_gui_agent();
        lab.start_hostd();
        lab
    }

    fn prepare() -> Lab {
        let dir = tempfile::Builder::new().prefix("canopy-lifecycle-").tempdir().unwrap();
        let d = dir.path();
        // Other users must reach the sockets (the "not allowed" test connects as nobody).
        std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        std::fs::write(d.join("vm.sh"), VM_SCRIPT).unwrap();
        for vm in ["web", "mute", "gui", "win"] {
            std::fs::create_dir_all(d.join("vms").join(vm)).unwrap();
        }
        std::fs::write(d.join("vms/mute/mode"), "noagent").unwrap();
        // Where the guest proxy's socket would be; these tests need no compositor behind it.
        std::fs::write(d.join("vms/web/wayland-web"), "").unwrap();
        std::fs::write(d.join("vms/win/mode"), "noagent").unwrap();
        let web = d.join("vms/web");
        let uid = rustix::process::getuid().as_raw();
        std::fs::write(
            web.join("agent.toml"),
            format!(
                r#"
listen = ["unix:{web}/agent.sock"]
wayland_display = "{web}/wayland-web"
display_wait_secs = 1
stop_timeout_secs = 0.5
[allow]
uids = [{uid}]
[apps.browser]
command = {browser}
args = {{ kind = "url" }}
startup_grace_ms = 0
[apps.viewer]
command = {viewer}
args = {{ kind = "file", min = 1 }}
startup_grace_ms = 0
[apps.broken]
command = ["/bin/sh", "-c", "echo 'broken: cannot open display' >&2; exit 3"]
startup_grace_ms = 10000
[apps.stubborn]
command = ["/bin/sh", "-c", "trap '' TERM; echo $$ >> \"$0\"; exec sleep 100000", "{web}/stubborn.log"]
startup_grace_ms = 0
"#,
                web = web.display(),
                browser = marker(&web.join("browser.log")),
                viewer = marker(&web.join("viewer.log")),
            ),
        )
        .unwrap();
        let gui = d.join("vms/gui");
        std::fs::write(
            gui.join("agent.toml"),
            format!(
                r#"
listen = ["unix:{gui}/agent.sock"]
wayland_display = "wayland-0"
display_wait_secs = 0
[allow]
uids = [{uid}]
[apps.win-display]
command = {display}
wayland_display = "canopy-win.sock"
startup_grace_ms = 0
"#,
                gui = gui.display(),
                display = marker(&gui.join("display.log")),
            ),
        )
        .unwrap();
        let vm_cmd = |action: &str| format!(r#"["/bin/sh", "{}/vm.sh", "{action}", "{{vm}}"]"#, d.display());
        let config = format!(
            r#"
listen = ["unix:{d}/hostd.sock"]
state_dir = "{d}/state"
audit_log = "{d}/audit.jsonl"
[allow]
uids = [{uid}]
[timeouts]
agent_ready_secs = 10
command_secs = 20
[default_backend]
kind = "command"
start = {start}
stop = {stop}
status = {status}
[power]
poweroff = ["/bin/sh", "-c", "echo poweroff >> {d}/power.log"]
reboot = ["/bin/sh", "-c", "echo 'reboot: permission denied' >&2; exit 1"]

[vms.web]
trust = "untrusted"
agent = "unix:{d}/vms/web/agent.sock"
[vms.mute]
trust = "work"
agent = "unix:{d}/vms/mute/agent.sock"
agent_ready_secs = 1
[vms.gui]
trust = "local"
managed = false
agent = "unix:{d}/vms/gui/agent.sock"
[vms.win]
trust = "untrusted"
needs_disk_image = true

[apps.browser]
display_name = "Browser"
vm = "web"
args = {{ kind = "url" }}
[apps.pdf]
display_name = "PDF viewer"
vm = "web"
agent_app = "viewer"
args = {{ kind = "file", min = 1 }}
[apps.broken]
display_name = "Broken"
vm = "web"
[apps.stubborn]
display_name = "Stubborn"
vm = "web"
[apps.ghost]
display_name = "Not in the agent's config"
vm = "web"
[apps.silent]
display_name = "In a VM whose agent never answers"
vm = "mute"
[apps.windows]
display_name = "Windows"
kind = "vm-display"
vm = "win"
display_vm = "gui"
display_app = "win-display"
"#,
            d = d.display(),
            start = vm_cmd("start"),
            stop = vm_cmd("stop"),
            status = vm_cmd("status"),
        );
        Lab { dir, hostd: None, gui_agent: None, config }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_default()
    }

    pub fn address(&self) -> Address {
        Address::Unix(self.path("hostd.sock"))
    }

    fn start_gui_agent(&mut self) {
        let log = std::fs::File::create(self.path("vms/gui/agent.log")).unwrap();
        let child = Command::new(AGENT)
            .arg("--config")
            .arg(self.path("vms/gui/agent.toml"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.gui_agent = Some(child);
    }

    /// (Re)start hostd with `self.config` and wait until it answers.
    pub fn start_hostd(&mut self) {
        self.stop_hostd();
        std::fs::write(self.path("hostd.toml"), &self.config).unwrap();
        let log = std::fs::File::options().create(true).append(true).open(self.path("hostd.log")).unwrap();
        let child = Command::new(HOSTD)
            .arg("--config")
            .arg(self.path("hostd.toml"))
            .env("CANOPY_AGENT_BIN", AGENT)
            // Programs a test puts in DIR/bin come first (a stand-in systemctl).
            .env("PATH", format!("{}:{}", self.path("bin").display(), std::env::var("PATH").unwrap_or_default()))
            .env("RUST_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.hostd = Some(child);
        let addr = self.address();
        retry(Duration::from_millis(5), Duration::from_millis(200), PATIENCE, |_| {
            HostClient::connect(&addr, "test", Some(PATIENCE))
        })
        .unwrap_or_else(|(e, _)| panic!("hostd does not answer: {e}\n{}", self.logs()));
    }

    pub fn stop_hostd(&mut self) {
        if let Some(mut c) = self.hostd.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn client(&self) -> HostClient {
        HostClient::connect(&self.address(), "test", Some(PATIENCE)).unwrap()
    }

    /// Run `canopy-ctl` against this lab's hostd.
    pub fn ctl(&self, args: &[&str]) -> Output {
        Command::new(CTL).args(args).env("CANOPY_HOSTD", self.address().to_string()).output().unwrap()
    }

    /// `canopy-ctl watch`, running in the background.
    /// `canopy-ctl watch`, once it is connected: its first lines are hostd's snapshot of every
    /// VM, so whatever the test does next comes after them (else a start issued while the watch
    /// is still connecting shows as the snapshot, and a test counting states miscounts).
    pub fn watch(&self) -> WatchLog {
        let watch = WatchLog::spawn(Command::new(CTL).arg("watch").env("CANOPY_HOSTD", self.address().to_string()));
        watch.wait_until("the watch's snapshot", |lines| !lines.is_empty());
        watch
    }

    /// Everything the daemons logged, for failure messages.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for f in ["hostd.log", "vms/web/agent.log", "vms/gui/agent.log"] {
            out += &format!("--- {f}\n{}\n", self.read(f));
        }
        out
    }

    /// Wait (with backoff) until `cond` holds.
    pub fn wait_for(&self, what: &str, mut cond: impl FnMut() -> bool) {
        let ok =
            retry(Duration::from_millis(5), Duration::from_millis(200), PATIENCE, |_| cond().then_some(()).ok_or(()));
        if ok.is_err() {
            panic!("timed out waiting for {what}\n{}", self.logs());
        }
    }

    /// Lines of a log the marker apps write (`PID|WAYLAND_DISPLAY|ARGS`), once there are `n`.
    pub fn marker_lines(&self, rel: &str, n: usize) -> Vec<String> {
        self.wait_for(&format!("{n} lines in {rel}"), || self.read(rel).lines().count() >= n);
        self.read(rel).lines().map(String::from).collect()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.stop_hostd();
        for vm in ["web", "mute", "win"] {
            let _ = Command::new("/bin/sh").arg(self.path("vm.sh")).args(["stop", vm]).status();
        }
        if let Some(mut c) = self.gui_agent.take() {
            let _ = rustix::process::kill_process(rustix::process::Pid::from_child(&c), rustix::process::Signal::TERM);
            let _ = c.wait();
        }
    }
}

/// Let any user connect to a socket (the peer check, not file permissions, must refuse them).
pub fn open_to_all(socket: &Path) {
    std::fs::set_permissions(socket, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
}

/// Whether a process runs (a zombie does not count).
pub fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')))
        .unwrap_or(false)
}

/// The output lines of a background process, collected as they come.
pub struct WatchLog {
    child: Child,
    lines: Arc<(Mutex<Vec<String>>, Condvar)>,
}

impl WatchLog {
    pub fn spawn(cmd: &mut Command) -> WatchLog {
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
        let out = child.stdout.take().unwrap();
        let lines = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let l = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                l.0.lock().unwrap().push(line);
                l.1.notify_all();
            }
        });
        WatchLog { child, lines }
    }

    /// Wait until a line equal to `line` has been printed; returns all lines so far.
    pub fn wait_line(&self, line: &str) -> Vec<String> {
        self.wait_lines(line, 1)
    }

    /// Wait until `line` has been printed `n` times (a state can recur).
    pub fn wait_lines(&self, line: &str, n: usize) -> Vec<String> {
        self.wait_until(line, |ls| ls.iter().filter(|l| *l == line).count() >= n)
    }

    pub fn wait_until(&self, what: &str, pred: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        let mut g = self.lines.0.lock().unwrap();
        while !pred(&g) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "timed out waiting for {what:?}; got:\n{}", g.join("\n"));
            g = self.lines.1.wait_timeout(g, left).unwrap().0;
        }
        g.clone()
    }

    pub fn lines(&self) -> Vec<String> {
        self.lines.0.lock().unwrap().clone()
    }
}

impl Drop for WatchLog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lines matching `prefix`, in order, with repeats removed: the sequence of states.
pub fn states(lines: &[String], prefix: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in lines.iter().filter_map(|l| l.strip_prefix(prefix)) {
        if out.last().map(String::as_str) != Some(l) {
            out.push(l.to_string());
        }
    }
    out
}
