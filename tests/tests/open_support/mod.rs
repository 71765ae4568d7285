//! A simulated laptop for the open and send tests (issue 20): a real `canopy-hostd` whose
//! command backend runs simulated VMs (tests/simvm.sh), each a process session with a real
//! `canopy-agent` and its own HOME in the test directory:
//!
//! - `docs` (work): the PDF VM, where links and files start;
//! - `web` (untrusted): the browser VM, with the apps `browser` (links) and `viewer` (PDFs, text,
//!   images);
//! - `mail` (personal): `mailer` for mailto: links, and the browser offered there too;
//! - `evil` (untrusted): `canopy-hostile-agent`, whose requests each test writes.
//!
//! Every app is a small recording program: it appends the argument it got to
//! `vms/VM/APP.log`. Programs "in" a VM run with that VM's HOME, XDG dirs and agent socket.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use canopy_tests::fixture::TIMEOUT;
use canopy_tests::{bin_path, simhost};
use serde_json::Value;

pub const VMS: [&str; 4] = ["docs", "web", "mail", "evil"];
/// The tests' policy: mail links denied, other links asked about (any VM), files from the app
/// VMs opened in the browser VM, the GUI VM's sends asked about.
pub const RULES: &str = r#"
[[open.rules]]
kind = "url"
schemes = ["mailto"]
action = "deny"
reason = "mail links stay in their VM"
[[open.rules]]
kind = "url"
action = "ask"
to = ["*"]
[[open.rules]]
from = ["docs", "evil", "mail"]
kind = "file"
action = "open"
to = ["web"]
[[open.rules]]
from = ["gui"]
intent = "send"
action = "ask"
to = ["*"]
"#;

/// The largest file the test hostd lets through (room for the transfer bench's 100 MiB).
pub const MAX_FILE: u64 = 128 << 20;

pub struct OpenHost {
    pub dir: tempfile::TempDir,
    hostd: Option<Child>,
}

/// The agent config of a simulated VM: its opener socket, and the recording apps.
fn agent_config(vm_dir: &Path) -> String {
    let record =
        |app: &str| format!(r#"["/bin/sh", "-c", "printf '%s\n' \"$1\" >> \"$0\"", "{}/{app}.log"]"#, vm_dir.display());
    format!(
        r#"
listen = ["unix:{d}/agent.sock"]
wayland_display = "{d}/wayland-canopy"
display_wait_secs = 0
[allow]
uids = [{uid}]
[opener]
listen = ["unix:{d}/open.sock"]
uids = [{uid}]
[apps.browser]
command = {browser}
args = {{ kind = "url" }}
startup_grace_ms = 100
[apps.viewer]
command = {viewer}
args = {{ kind = "file" }}
startup_grace_ms = 100
[apps.mailer]
command = {mailer}
args = {{ kind = "url", schemes = ["mailto"] }}
startup_grace_ms = 100
"#,
        d = vm_dir.display(),
        uid = rustix::process::getuid().as_raw(),
        browser = record("browser"),
        viewer = record("viewer"),
        mailer = record("mailer"),
    )
}

impl OpenHost {
    /// hostd with the VMs above, the choice timeout given, and `rules` (TOML `[[open.rules]]`
    /// tables) as its policy; `evil` behaves as `evil` says (canopy-hostile-agent's config).
    pub fn start(choice_timeout_secs: f64, rules: &str, evil: &str) -> OpenHost {
        let dir = tempfile::Builder::new().prefix("canopy-open-").tempdir().unwrap();
        let d = dir.path();
        simhost::prepare(d, &VMS);
        for vm in ["docs", "web", "mail"] {
            let vm_dir = d.join("vms").join(vm);
            std::fs::write(vm_dir.join("agent.toml"), agent_config(&vm_dir)).unwrap();
            std::fs::create_dir_all(vm_dir.join("home")).unwrap();
        }
        simhost::write_hostile_agent(d, "evil", evil);
        let agent = |vm: &str| format!("agent = \"unix:{}/vms/{vm}/agent.sock\"", d.display());
        let config = format!("audit_log = \"{}/audit.jsonl\"\n", d.display())
            + &simhost::hostd_config_head(d)
            + &format!(
                r#"
[open]
max_file_bytes = {MAX_FILE}
choice_timeout_secs = {choice_timeout_secs}
transfer_timeout_secs = 60
{rules}
[vms.gui]
trust = "local"
managed = false
agent = "unix:{d}/vms/gui/agent.sock"
[vms.docs]
trust = "work"
{docs}
[vms.web]
trust = "untrusted"
{web}
[vms.mail]
trust = "personal"
{mail}
[vms.evil]
trust = "untrusted"
{evil}
[apps.browser]
display_name = "Web browser"
icon = "browser"
vm = "web"
other_vms = ["mail"]
args = {{ kind = "url" }}
[apps.viewer]
display_name = "Viewer"
icon = "pdf"
vm = "web"
args = {{ kind = "file" }}
opens = ["application/pdf", "text/plain", "image/*"]
[apps.mailer]
display_name = "Mail"
icon = "app"
vm = "mail"
args = {{ kind = "url", schemes = ["mailto"] }}
"#,
                d = d.display(),
                docs = agent("docs"),
                web = agent("web"),
                mail = agent("mail"),
                evil = agent("evil"),
            );
        std::fs::write(d.join("hostd.toml"), config).unwrap();
        let mut host = OpenHost { dir, hostd: None };
        host.hostd = Some(simhost::spawn_hostd(host.dir.path()));
        host.wait_until("hostd answers", || host.ctl(&["list"]).status.success());
        host
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_default()
    }

    pub fn hostd_address(&self) -> String {
        format!("unix:{}", self.path("hostd.sock").display())
    }

    pub fn ctl(&self, args: &[&str]) -> Output {
        Command::new(bin_path("canopy-ctl")).args(args).env("CANOPY_HOSTD", self.hostd_address()).output().unwrap()
    }

    /// Start VM `vm` (and wait until its agent answers hostd).
    pub fn start_vm(&self, vm: &str) {
        let out = self.ctl(&["start", "vm", vm]);
        assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stderr), self.logs());
    }

    /// The HOME of a VM.
    pub fn home(&self, vm: &str) -> PathBuf {
        self.path(&format!("vms/{vm}/home"))
    }

    /// A command run inside VM `vm`: its HOME and XDG dirs (nothing of the test machine's),
    /// its agent's opener socket, our binaries first on PATH, and a Wayland display set so that
    /// xdg-open takes it for a graphical session.
    pub fn in_vm(&self, vm: &str, program: &str) -> Command {
        let vm_dir = self.path(&format!("vms/{vm}"));
        let share = vm_dir.join("share");
        let etc = vm_dir.join("etc-xdg");
        std::fs::create_dir_all(&share).unwrap();
        std::fs::create_dir_all(&etc).unwrap();
        let bin = bin_path("canopy-open").parent().unwrap().to_path_buf();
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("HOME", self.home(vm))
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .env("XDG_DATA_DIRS", &share)
            .env("XDG_CONFIG_DIRS", &etc)
            .env("XDG_RUNTIME_DIR", &vm_dir)
            .env("WAYLAND_DISPLAY", "wayland-canopy")
            .env("CANOPY_OPENER", format!("unix:{}/open.sock", vm_dir.display()))
            .current_dir(self.home(vm))
            .stdin(Stdio::null());
        cmd
    }

    /// Install canopy-open as VM `vm`'s default opener, as the README says: the desktop entry in
    /// the user's applications folder and mimeapps.list in the user's config folder.
    pub fn install_opener(&self, vm: &str) {
        let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/desktop");
        let home = self.home(vm);
        let apps = home.join(".local/share/applications");
        std::fs::create_dir_all(&apps).unwrap();
        std::fs::copy(assets.join("canopy-open.desktop"), apps.join("canopy-open.desktop")).unwrap();
        std::fs::create_dir_all(home.join(".config")).unwrap();
        std::fs::copy(assets.join("mimeapps.list"), home.join(".config/mimeapps.list")).unwrap();
    }

    /// What the recording app `app` of VM `vm` got, once it has got `n` arguments.
    pub fn recorded(&self, vm: &str, app: &str, n: usize) -> Vec<String> {
        let rel = format!("vms/{vm}/{app}.log");
        self.wait_until(&format!("{n} lines in {rel}"), || self.read(&rel).lines().count() >= n);
        self.read(&rel).lines().map(String::from).collect()
    }

    /// The audit lines so far.
    pub fn audit(&self) -> Vec<Value> {
        self.read("audit.jsonl").lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    /// The audit lines of requests from VM `vm`, once there are `n`.
    pub fn audit_of(&self, vm: &str, n: usize) -> Vec<Value> {
        let of = |a: &Vec<Value>| a.iter().filter(|l| l["vm"] == vm).cloned().collect::<Vec<_>>();
        self.wait_until(&format!("{n} audit lines of {vm}"), || of(&self.audit()).len() >= n);
        of(&self.audit())
    }

    /// Every file under a VM's HOME, relative to it, sorted.
    pub fn files_in_home(&self, vm: &str) -> Vec<String> {
        fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = e.path();
                if e.file_type().unwrap().is_dir() {
                    walk(&p, base, out);
                } else {
                    out.push(p.strip_prefix(base).unwrap().display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.home(vm), &self.home(vm), &mut out);
        out.sort();
        out
    }

    pub fn logs(&self) -> String {
        let mut out = format!("--- hostd.log\n{}\n", self.read("hostd.log"));
        for vm in VMS {
            out += &format!("--- {vm}/agent.log\n{}\n", self.read(&format!("vms/{vm}/agent.log")));
        }
        out
    }

    pub fn wait_until(&self, what: &str, mut cond: impl FnMut() -> bool) {
        let start = Instant::now();
        let mut pause = Duration::from_millis(5);
        while !cond() {
            assert!(start.elapsed() < TIMEOUT, "timed out waiting for {what}\n{}", self.logs());
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }
}

impl Drop for OpenHost {
    fn drop(&mut self) {
        if let Some(mut h) = self.hostd.take() {
            let _ = h.kill();
            let _ = h.wait();
        }
        for vm in VMS {
            simhost::stop_vm(self.dir.path(), vm);
        }
        if std::thread::panicking() {
            eprintln!("{}", self.logs());
        }
    }
}

/// A program's output as text.
pub fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// `canopy-ctl watch`, its lines collected as they come.
pub struct Watch {
    child: Child,
    lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Watch {
    pub fn open(host: &OpenHost) -> Watch {
        use std::io::BufRead;
        let mut child = Command::new(bin_path("canopy-ctl"))
            .arg("watch")
            .env("CANOPY_HOSTD", host.hostd_address())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let l = lines.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                l.lock().unwrap().push(line);
            }
        });
        let watch = Watch { child, lines };
        // Its first lines are hostd's snapshot (every VM): after them, no event is missed.
        watch.wait_lines("hostd's snapshot", |l| l.len() >= VMS.len());
        watch
    }

    fn wait_lines(&self, what: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        let start = Instant::now();
        loop {
            let lines = self.lines.lock().unwrap().clone();
            if done(&lines) {
                return lines;
            }
            assert!(start.elapsed() < TIMEOUT, "no {what} in {lines:#?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// All lines so far, once one of them is `line`.
    pub fn lines_until(&self, line: &str) -> Vec<String> {
        self.wait_lines(line, |lines| lines.iter().any(|l| l == line))
    }

    /// The `n`th `choose …` line (from 1), once it has come.
    pub fn nth_choose(&self, n: usize) -> String {
        let lines = self.wait_lines("choose line", |l| l.iter().filter(|l| l.starts_with("choose ")).count() >= n);
        lines.into_iter().filter(|l| l.starts_with("choose ")).nth(n - 1).unwrap()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
