//! A desktop for the notification tests: the real compositor; the GUI VM's own session bus (a
//! private `dbus-daemon --session`) with the real `canopy-notifyd` on it; simulated app VMs
//! (tests/simvm.sh), each with its own private session bus and the real `canopy-notify-agent`.
//! Apps in a VM are Debian's `notify-send` on that VM's bus.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use canopy_notify::centre::{CentreProxyBlocking, CentreState};
use canopy_protocols::notify::{encode, read_frame_bytes, FromVm, ToVm, VERSION};

use crate::fixture::TIMEOUT;
use crate::image::Image;
use crate::{bin_path, simhost, Compositor};

pub struct NotifyDesktop {
    pub compositor: Compositor,
    pub dir: tempfile::TempDir,
    vms: Vec<String>,
    gui_bus: String,
    pub notifyd: u32,
    /// hostd's address for the programs [`Self::run`] starts (none: a socket that is not there).
    pub hostd: Option<String>,
}

/// Starts a private session bus at `path` (killed with the compositor) and returns its address.
pub fn spawn_bus(compositor: &mut Compositor, path: &Path) -> String {
    let (bus, address) = start_bus(path);
    compositor.adopt(bus);
    address
}

/// Starts a private `dbus-daemon` listening at `path`; returns it and its address once it listens.
pub fn start_bus(path: &Path) -> (Child, String) {
    let address = format!("unix:path={}", path.display());
    let mut bus = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
        .arg(format!("--address={address}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon (Debian package dbus-daemon)");
    // It prints its address once it listens.
    let mut line = String::new();
    BufReader::new(bus.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("unix:"), "dbus-daemon said {line:?}");
    (bus, address)
}

impl NotifyDesktop {
    /// The compositor with `compositor_config`; canopy-notifyd with `notifyd_config` and a
    /// listener for each VM of `vms` and of `raw`; the `vms` started, each with its agent
    /// connected (the `raw` ones are for a test to speak the protocol itself, see [`Self::raw`]).
    pub fn start(compositor_config: &str, vms: &[&str], raw: &[&str], notifyd_config: &str) -> NotifyDesktop {
        Self::start_on(&[], compositor_config, vms, raw, notifyd_config)
    }

    /// As [`Self::start`], with these `--output` specs; the compositor is on the GUI VM's
    /// session bus too (its messages go to canopy-notifyd).
    pub fn start_on(
        outputs: &[&str],
        compositor_config: &str,
        vms: &[&str],
        raw: &[&str],
        notifyd_config: &str,
    ) -> NotifyDesktop {
        let dir = tempfile::Builder::new().prefix("canopy-notify-").tempdir().unwrap();
        let d = &dir.path().to_path_buf();
        // The bus is started next; the compositor connects when it first has something to say.
        let address = format!("unix:path={}", d.join("gui-bus").display());
        let mut compositor =
            Compositor::start_with_env(compositor_config, outputs, &[("DBUS_SESSION_BUS_ADDRESS", &address)]);
        let gui_bus = spawn_bus(&mut compositor, &d.join("gui-bus"));
        let mut config = format!("{notifyd_config}\n");
        for vm in vms.iter().chain(raw) {
            config += &format!("[vms.{vm}]\nlisten = \"unix:{}\"\n", d.join(format!("notify-{vm}.sock")).display());
        }
        std::fs::write(d.join("notifyd.toml"), config).unwrap();
        let mut cmd = Command::new(bin_path("canopy-notifyd"));
        cmd.arg("--config")
            .arg(d.join("notifyd.toml"))
            .env("DBUS_SESSION_BUS_ADDRESS", &gui_bus)
            .env("RUST_LOG", "info")
            .stderr(std::fs::File::create(d.join("notifyd.log")).unwrap());
        compositor.client_env(&mut cmd);
        let child = cmd.spawn().expect("canopy-notifyd");
        let notifyd = child.id();
        compositor.adopt(child);
        let desktop = NotifyDesktop {
            compositor,
            dir,
            vms: vms.iter().map(|v| v.to_string()).collect(),
            gui_bus,
            notifyd,
            hostd: None,
        };
        desktop.wait_log("canopy-notifyd ready", |l| l.contains("canopy-notifyd ready"));
        simhost::prepare(d, vms);
        for vm in vms {
            simhost::enable_notifications(d, vm, &format!("unix:{}", d.join(format!("notify-{vm}.sock")).display()));
            simhost::start_vm(d, vm);
        }
        for vm in vms {
            desktop.wait_connected(vm, 1);
        }
        desktop
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("notifyd.log")).unwrap_or_default()
    }

    /// Waits until `vm`'s agent has connected `n` times in all.
    pub fn wait_connected(&self, vm: &str, n: usize) {
        let needle = format!("vm={vm}");
        self.wait_log(&format!("{vm} connected"), |l| {
            l.lines().filter(|l| l.contains("VM connected") && l.contains(&needle)).count() >= n
        });
    }

    pub fn wait_log(&self, what: &str, mut pred: impl FnMut(&str) -> bool) {
        self.wait_until(what, || pred(&self.log()));
    }

    pub fn logs(&self) -> String {
        let mut out = format!("--- notifyd\n{}", self.log());
        for vm in &self.vms {
            for f in ["notify-agent.log", "dbus.log"] {
                let text = std::fs::read_to_string(self.path(&format!("vms/{vm}/{f}"))).unwrap_or_default();
                out += &format!("--- {vm}/{f}\n{text}");
            }
        }
        // The GUI VM's programs a test started (panel, lock) and hostd, if any.
        for f in ["canopy-panel.log", "canopy-lock.log", "hostd.log"] {
            if let Ok(text) = std::fs::read_to_string(self.path(f)) {
                out += &format!("--- {f}\n{text}");
            }
        }
        out + &format!("--- compositor\n{}", self.compositor.log())
    }

    pub fn wait_until(&self, what: &str, mut cond: impl FnMut() -> bool) {
        let start = Instant::now();
        let mut pause = Duration::from_millis(2);
        while !cond() {
            assert!(start.elapsed() < TIMEOUT, "timed out waiting for {what}\n{}", self.logs());
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    /// `notify-send ARGS` in `vm` (None: a program of the GUI VM itself), not waited for.
    pub fn spawn_notify_send(&self, vm: Option<&str>, args: &[&str]) -> Child {
        self.in_vm(vm, "notify-send")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("notify-send (Debian package libnotify-bin)")
    }

    /// A program in `vm` (None: the GUI VM itself), on that VM's session bus.
    pub fn in_vm(&self, vm: Option<&str>, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let bus = match vm {
            Some(vm) => simhost::vm_bus(self.dir.path(), vm),
            None => self.gui_bus.clone(),
        };
        let mut cmd = Command::new(program);
        cmd.env("DBUS_SESSION_BUS_ADDRESS", bus).stdin(Stdio::null());
        cmd
    }

    /// `notify-send ARGS` in `vm`, to its end.
    pub fn notify_send(&self, vm: Option<&str>, args: &[&str]) -> Output {
        let out = self.spawn_notify_send(vm, args).wait_with_output().unwrap();
        assert!(out.status.success(), "notify-send {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    }

    /// A trusted program of the GUI VM (`canopy-panel`, `canopy-lock`) on the compositor and
    /// the GUI VM's session bus, with no hostd; its log is `PROGRAM.log`.
    pub fn run(&mut self, program: &str, args: &[&str]) {
        let mut cmd = Command::new(bin_path(program));
        cmd.args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.gui_bus)
            .env("CANOPY_HOSTD", self.hostd.clone().unwrap_or(format!("unix:{}", self.path("no-hostd.sock").display())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.path(&format!("{program}.log"))).unwrap());
        self.compositor.client_env(&mut cmd);
        let child = cmd.spawn().unwrap_or_else(|e| panic!("starting {program}: {e}"));
        self.compositor.adopt(child);
    }

    /// The notification centre's interface, as the panel uses it.
    pub fn centre_proxy(&self) -> CentreProxyBlocking<'static> {
        let conn = zbus::blocking::connection::Builder::address(self.gui_bus.as_str()).unwrap().build().unwrap();
        CentreProxyBlocking::new(&conn).unwrap()
    }

    /// The notification centre, as the panel sees it.
    pub fn centre(&self) -> CentreState {
        serde_json::from_str(&self.centre_proxy().state().unwrap()).unwrap()
    }

    pub fn wait_centre(&self, what: &str, mut pred: impl FnMut(&CentreState) -> bool) -> CentreState {
        let mut last = CentreState::default();
        self.wait_until(what, || {
            last = self.centre();
            pred(&last)
        });
        last
    }

    /// The GUI VM's session bus address (for the panel and the lock screen).
    pub fn gui_bus(&self) -> &str {
        &self.gui_bus
    }

    /// A connection to `vm`'s listener that has said its hello: the test is that VM's agent.
    pub fn raw(&self, vm: &str) -> UnixStream {
        let mut s = UnixStream::connect(self.path(&format!("notify-{vm}.sock"))).unwrap();
        s.write_all(&encode(&FromVm::hello()).unwrap()).unwrap();
        let welcome: ToVm = serde_json::from_slice(&read_frame_bytes(&mut s).unwrap()).unwrap();
        assert_eq!(welcome, ToVm::Welcome { version: VERSION });
        s
    }

    /// The daemon's CPU time so far (user + system), from /proc.
    pub fn notifyd_cpu(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.notifyd)).unwrap();
        // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<u64> = rest.split(' ').skip(11).take(2).map(|x| x.parse().unwrap()).collect();
        let tick = 100; // USER_HZ on Linux
        Duration::from_millis((f[0] + f[1]) * 1000 / tick)
    }

    /// The popups' corner of the 1280x800 output: `width` x `height` at the top right.
    pub fn corner(&self, width: u32, height: u32) -> Image {
        self.compositor.screenshot().crop(1280 - width, 0, width, height)
    }
}

impl Drop for NotifyDesktop {
    fn drop(&mut self) {
        for vm in &self.vms {
            simhost::stop_vm(self.dir.path(), vm);
        }
        if std::thread::panicking() {
            eprintln!("{}", self.logs());
        }
    }
}
