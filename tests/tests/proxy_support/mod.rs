//! Shared by the proxy tests: an app VM simulated by a `canopy-proxy gui` / `canopy-proxy guest`
//! pair on one machine, connected over a Unix socket, and clients started behind it.

#![allow(dead_code)]

pub mod animate;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use canopy_ipc::Window;
use canopy_tests::fixture::TIMEOUT;
use canopy_tests::{bin_path, Client, Compositor};

/// The two proxy processes of one simulated app VM.
pub struct Vm {
    pub name: String,
    pub gui: Child,
    pub guest: Child,
    /// The address the GUI side listens on.
    pub listen: String,
    /// Wayland socket name (under the compositor's runtime dir) that the VM's apps use.
    pub display: String,
    pub gui_log: PathBuf,
    pub guest_log: PathBuf,
    runtime: PathBuf,
}

#[derive(Default)]
pub struct VmOptions<'a> {
    pub gui_args: &'a [&'a str],
    pub guest_args: &'a [&'a str],
    /// Environment of the guest side on top of the default (RUST_LOG=info).
    pub guest_env: &'a [(&'a str, &'a str)],
}

/// Waits until something accepts connections on `path`.
pub fn wait_for_socket(path: &Path, what: &str, log: &Path) {
    let start = Instant::now();
    while std::os::unix::net::UnixStream::connect(path).is_err() {
        if start.elapsed() > TIMEOUT {
            panic!("{what} never listened on {}\n{}", path.display(), std::fs::read_to_string(log).unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

impl Vm {
    pub fn start(c: &Compositor, name: &str) -> Vm {
        Self::start_with(c, name, VmOptions::default())
    }

    pub fn start_with(c: &Compositor, name: &str, o: VmOptions<'_>) -> Vm {
        let rt = c.runtime_dir().to_path_buf();
        let sock = rt.join(format!("gui-{name}.sock"));
        let listen = format!("unix:{}", sock.display());
        let gui_log = rt.join(format!("proxy-gui-{name}.log"));
        let gui = Command::new(bin_path("canopy-proxy"))
            .args(["gui", "--listen", &listen, "--vm", name, "--compositor", c.wayland_display()])
            .args(o.gui_args)
            .env("XDG_RUNTIME_DIR", &rt)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&gui_log).unwrap())
            .spawn()
            .expect("starting canopy-proxy gui");
        wait_for_socket(&sock, "canopy-proxy gui", &gui_log);
        let display = format!("guest-{name}");
        let guest_log = rt.join(format!("proxy-guest-{name}.log"));
        let guest = Command::new(bin_path("canopy-proxy"))
            .args(["guest", "--connect", &listen, "--socket", &display])
            .args(o.guest_args)
            .env("XDG_RUNTIME_DIR", &rt)
            .env("RUST_LOG", "info")
            .envs(o.guest_env.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&guest_log).unwrap())
            .spawn()
            .expect("starting canopy-proxy guest");
        wait_for_socket(&rt.join(&display), "canopy-proxy guest", &guest_log);
        Vm { name: name.into(), gui, guest, listen, display, gui_log, guest_log, runtime: rt }
    }

    /// A command whose Wayland display is this VM's guest socket.
    pub fn command(&self, program: &str) -> Command {
        let path = if program.starts_with("canopy") { bin_path(program) } else { PathBuf::from(program) };
        let mut cmd = Command::new(path);
        cmd.env("XDG_RUNTIME_DIR", &self.runtime)
            .env("WAYLAND_DISPLAY", &self.display)
            .env("GDK_BACKEND", "wayland")
            .env("GSK_RENDERER", "cairo")
            .env("NO_AT_BRIDGE", "1")
            .env("GTK_A11Y", "none")
            .env_remove("DISPLAY")
            .env_remove("CANOPY_SOCKET");
        cmd
    }

    pub fn spawn(&self, program: &str, args: &[&str]) -> Client {
        let mut cmd = self.command(program);
        cmd.args(args);
        Client::spawn(cmd)
    }

    pub fn gui_log(&self) -> String {
        std::fs::read_to_string(&self.gui_log).unwrap_or_default()
    }

    /// Waits for the GUI side's line closing a client for `rule` (it is written just after the
    /// socket closes) and returns it; the line names the VM.
    pub fn wait_log(&self, rule: &str) -> String {
        let start = Instant::now();
        loop {
            let log = self.gui_log();
            if let Some(l) = log.lines().find(|l| l.contains("closing VM client") && l.contains(rule)) {
                assert!(l.contains(&self.name), "the log line does not name the VM: {l}");
                return l.to_string();
            }
            assert!(start.elapsed() < TIMEOUT, "no log line closing a client for {rule:?}\n{log}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn guest_log(&self) -> String {
        std::fs::read_to_string(&self.guest_log).unwrap_or_default()
    }

    pub fn logs(&self) -> String {
        format!(
            "--- gui ---\n{}\n--- guest ---\n{}",
            self.gui_log(),
            std::fs::read_to_string(&self.guest_log).unwrap_or_default()
        )
    }

    pub fn kill_guest(&mut self) {
        let _ = self.guest.kill();
        let _ = self.guest.wait();
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        for c in [&mut self.guest, &mut self.gui] {
            let _ = c.kill();
            let _ = c.wait();
        }
        if std::thread::panicking() {
            eprintln!("--- proxy logs of {} ---\n{}", self.name, self.logs());
        }
    }
}

/// Windows of `vm`.
pub fn windows_of(c: &Compositor, vm: &str) -> Vec<Window> {
    c.windows().into_iter().filter(|w| w.vm.as_deref() == Some(vm)).collect()
}

/// Waits for a window whose raw title contains `title` and returns it.
pub fn wait_window(c: &Compositor, pred: impl Fn(&Window) -> bool) -> Window {
    let mut found = None;
    c.wait_until("a window", || {
        found = c.windows().into_iter().find(|w| pred(w) && w.geometry.is_some());
        found.is_some()
    });
    found.expect("found")
}

/// Our test client behind `vm`, drawn and given the keyboard as by the user's click; returns
/// it and its window.
pub fn open_test_client(c: &Compositor, vm: &Vm, args: &[&str]) -> (Client, Window) {
    open_client(c, vm, "canopy-test-client", args, true)
}

/// A client of ours behind `vm`, drawn; focused by `focus` (standing for the user's click)
/// when `focus` is true. Returns it and its window.
pub fn open_client(c: &Compositor, vm: &Vm, program: &str, args: &[&str], focus: bool) -> (Client, Window) {
    let before: Vec<u64> = c.windows().iter().map(|w| w.id).collect();
    let mut client = vm.spawn(program, args);
    client.wait_event("drawn", |_| true);
    let w = wait_window(c, |w| !before.contains(&w.id));
    if focus {
        c.msg(&["focus", &w.id.to_string()]);
    }
    (client, w)
}

/// Our hostile client behind `vm` (stdin piped for its commands), drawn; returns it and its
/// window, found by its title (`--title`, default `hostile`).
pub fn open_hostile(c: &Compositor, vm: &Vm, args: &[&str]) -> (Client, Window) {
    let title = args.windows(2).find(|a| a[0] == "--title").map(|a| a[1]).unwrap_or("hostile").to_string();
    let mut client = vm.spawn("canopy-hostile-client", args);
    client.wait_event("drawn", |_| true);
    let w = wait_window(c, |w| w.raw_title == title.as_str());
    (client, w)
}

/// Kills the compositor process (found as the peer of its Wayland socket).
pub fn kill_compositor(c: &Compositor) {
    let s = std::os::unix::net::UnixStream::connect(c.runtime_dir().join(c.wayland_display())).unwrap();
    let cred = rustix::net::sockopt::socket_peercred(&s).unwrap();
    rustix::process::kill_process(cred.pid, rustix::process::Signal::KILL).unwrap();
}
