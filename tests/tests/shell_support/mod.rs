//! A desktop for the shell's end-to-end tests: the real headless compositor, the real shell
//! programs (panel, launcher, power menu, lock) as its clients, and optionally a real
//! `canopy-hostd` whose command backend runs a test "VM" (a process session with the guest
//! proxy and `canopy-agent`) and records power actions in a file.

#![allow(dead_code)]

pub mod lock;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use canopy_tests::fixture::TIMEOUT;
use canopy_tests::image::Image;
use canopy_tests::{bin_path, simhost, Compositor};

/// The time the shell programs show, so that screenshots do not depend on the clock.
pub const TIME: &str = "2026-11-26 14:05";
/// Height of the panel in logical pixels (its default).
pub const PANEL_H: u32 = 32;

/// A stand-in for the Windows VM (a VM with no agent, shown by a display client in the GUI
/// VM): like a real one it does not boot without its disk image, and it records the image it
/// was given.
const WINDOWS_VM_SCRIPT: &str = r#"#!/bin/sh
set -u
dir="$(dirname "$0")/vms/windows-vm"
alive() {
  [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null
}
case "$1" in
start)
  [ -f "${CANOPY_DISK_IMAGE:-}" ] || { echo "no disk image: ${CANOPY_DISK_IMAGE:-unset}" >&2; exit 1; }
  echo "$2" >> "$dir/starts.log"
  setsid sleep 100000 < /dev/null > /dev/null 2>&1 &
  echo $! > "$dir/pid" ;;
stop)
  alive && kill "$(cat "$dir/pid")"
  rm -f "$dir/pid" ;;
status)
  alive ;;
esac
"#;

pub struct Desktop {
    pub compositor: Compositor,
    pub dir: tempfile::TempDir,
    hostd: Option<Child>,
    /// hostd also manages a Windows VM, whose display client the GUI VM's agent starts.
    windows_vm: bool,
    gui_agent: Option<Child>,
    programs: Vec<(String, Child)>,
}

/// The compositor config: the test VM's trust level, our lock program with the test account,
/// and Super bound to our launcher; `power` adds keys to `[power]` (`$DIR` in it is the test's
/// directory).
fn compositor_config(dir: &Path, power: &str) -> String {
    format!(
        r#"
lock_command = ["{lock}", "--pam-service", "{service}", "--user", "{user}", "--time", "{TIME}"]
[power]
hostd = "unix:{dir}/hostd.sock"
{power}
[vms.web]
trust = "untrusted"
[vms.docs]
trust = "work"
[vms.windows-vm]
trust = "untrusted"

[keyboard]
layouts = [{{ layout = "us" }}, {{ layout = "de" }}]

[keybindings]
"Super" = {{ spawn = ["{launcher}", "--apps", "{apps}", "--hostd", "unix:{dir}/hostd.sock"] }}
"#,
        lock = bin_path("canopy-lock").display(),
        service = lock::SERVICE,
        user = lock::USER,
        launcher = bin_path("canopy-launcher").display(),
        apps = dir.join("launcher.toml").display(),
        dir = dir.display(),
        power = power.replace("$DIR", &dir.display().to_string()),
    )
}

/// The launcher's fallback app list.
pub const LAUNCHER_APPS: &str = r#"
[[app]]
name = "browser"
display_name = "Web browser"
icon = "browser"
vm = "web"
trust = "untrusted"

[[app]]
name = "pdf"
display_name = "PDF viewer"
icon = "pdf"
vm = "docs"
trust = "work"

[[app]]
name = "android"
display_name = "Cloud Android"
icon = "android"
vm = "gala-vm"
trust = "personal"

[[app]]
name = "windows"
display_name = "Windows"
icon = "windows"
vm = "windows-vm"
trust = "untrusted"
"#;

impl Desktop {
    /// A compositor with these `--output` specs (none: HEADLESS-1 1280x800), no hostd.
    pub fn start(outputs: &[&str]) -> Desktop {
        Self::launch(outputs, "", |_| String::new(), &[])
    }

    /// As [`Self::start`], with these lines added to the compositor's `[power]`.
    pub fn start_with_power(outputs: &[&str], power: &str) -> Desktop {
        Self::launch(outputs, power, |_| String::new(), &[])
    }

    /// As [`Self::start`], with more tables at the end of the compositor's config, written
    /// knowing the test's directory (such as `[[autostart]]` and `[levels]`).
    pub fn start_with(outputs: &[&str], tables: impl FnOnce(&Path) -> String) -> Desktop {
        Self::launch(outputs, "", tables, &[])
    }

    /// As [`Self::start_with`], with these environment variables for the compositor (and so
    /// for the programs it starts).
    pub fn start_with_env(outputs: &[&str], env: &[(&str, &str)], tables: impl FnOnce(&Path) -> String) -> Desktop {
        Self::launch(outputs, "", tables, env)
    }

    fn launch(outputs: &[&str], power: &str, tables: impl FnOnce(&Path) -> String, env: &[(&str, &str)]) -> Desktop {
        let dir = tempfile::Builder::new().prefix("canopy-shell-e2e-").tempdir().unwrap();
        std::fs::write(dir.path().join("launcher.toml"), LAUNCHER_APPS).unwrap();
        // A battery for the panel to show, in a sysfs-like directory of our own.
        let bat = dir.path().join("power_supply/BAT0");
        std::fs::create_dir_all(&bat).unwrap();
        for (k, v) in [("type", "Battery"), ("capacity", "73"), ("status", "Charging")] {
            std::fs::write(bat.join(k), format!("{v}\n")).unwrap();
        }
        let config = compositor_config(dir.path(), power) + &tables(dir.path());
        let compositor = Compositor::start_with_env(&config, outputs, env);
        Desktop { compositor, dir, hostd: None, windows_vm: false, gui_agent: None, programs: Vec::new() }
    }

    /// As [`Self::start`], with hostd running: VM `web` (untrusted) offers app `hello`, which
    /// opens our test client through both proxies; VMs `docs` (work) and `gala` (personal)
    /// offer apps too but never get that far (no agent); power actions append to `power.log`.
    pub fn with_host(outputs: &[&str]) -> Desktop {
        let mut desktop = Self::start(outputs);
        desktop.start_hostd();
        desktop
    }

    /// As [`Self::with_host`], and hostd also offers app `windows` of kind `vm-display`: VM
    /// `windows-vm` needs a disk image that nobody has set yet (its start command fails
    /// without one and appends the image it got to `vms/windows-vm/starts.log`); the GUI VM's
    /// agent (a real `canopy-agent`) starts the display client, our test client titled
    /// "Windows 11", through a security-context socket for `windows-vm`, so the window is
    /// framed as that VM's.
    pub fn with_windows_vm(outputs: &[&str]) -> Desktop {
        let mut desktop = Self::start(outputs);
        desktop.windows_vm = true;
        desktop.start_gui_agent();
        desktop.start_hostd();
        desktop
    }

    fn start_gui_agent(&mut self) {
        let d = self.dir.path().to_path_buf();
        std::fs::create_dir_all(d.join("vms/windows-vm")).unwrap();
        std::fs::write(d.join("windows.sh"), WINDOWS_VM_SCRIPT).unwrap();
        let mut sandbox = Command::new(bin_path("canopy-sandbox"));
        sandbox.args(["--vm", "windows-vm", "--socket", "canopy-windows-vm.sock"]).stdout(Stdio::null());
        self.compositor.client_env(&mut sandbox);
        self.compositor.adopt(sandbox.spawn().expect("canopy-sandbox"));
        let display = self.compositor.runtime_dir().join("canopy-windows-vm.sock");
        self.wait_until("the windows-vm security context socket", || display.exists());
        std::fs::write(
            d.join("gui-agent.toml"),
            format!(
                r#"
listen = ["unix:{d}/gui-agent.sock"]
wayland_display = "{display}"
[allow]
uids = [{uid}]
[apps.windows-display]
command = ["{client}", "--title", "Windows 11", "--app-id", "org.example.windows-display", "--color", "0078d4"]
startup_grace_ms = 200
"#,
                d = d.display(),
                display = display.display(),
                uid = rustix::process::getuid().as_raw(),
                client = bin_path("canopy-test-client").display(),
            ),
        )
        .unwrap();
        let agent = Command::new(bin_path("canopy-agent"))
            .arg("--config")
            .arg(d.join("gui-agent.toml"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("gui-agent.log")).unwrap())
            .spawn()
            .expect("canopy-agent");
        self.gui_agent = Some(agent);
    }

    /// The hostd config's part for the Windows VM and the GUI VM that shows it.
    fn windows_config(&self) -> String {
        let d = self.dir.path().display();
        let cmd = |action: &str| format!(r#"["/bin/sh", "{d}/windows.sh", "{action}", "{{disk_image}}"]"#);
        format!(
            r#"
[vms.gui]
trust = "local"
managed = false
agent = "unix:{d}/gui-agent.sock"
[vms.windows-vm]
trust = "untrusted"
needs_disk_image = true
backend = {{ kind = "command", start = {start}, stop = {stop}, status = {status} }}
[apps.windows]
display_name = "Windows"
icon = "windows"
kind = "vm-display"
vm = "windows-vm"
display_vm = "gui"
display_app = "windows-display"
"#,
            start = cmd("start"),
            stop = cmd("stop"),
            status = cmd("status"),
        )
    }

    /// Stops hostd and starts it again with the same config and state directory.
    pub fn restart_hostd(&mut self) {
        let mut old = self.hostd.take().expect("hostd runs");
        let _ = old.kill();
        let _ = old.wait();
        self.spawn_hostd();
    }

    /// Runs `canopy-ctl` against our hostd.
    pub fn ctl(&self, args: &[&str]) -> std::process::Output {
        Command::new(bin_path("canopy-ctl"))
            .args(["--connect", &self.hostd_address()])
            .args(args)
            .output()
            .expect("canopy-ctl")
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn hostd_address(&self) -> String {
        format!("unix:{}", self.path("hostd.sock").display())
    }

    fn start_hostd(&mut self) {
        let d = self.dir.path().to_path_buf();
        let vm = d.join("vms/web");
        simhost::prepare(&d, &["web", "docs", "gala"]);
        // Only the web VM shows windows: a guest proxy towards its GUI-side proxy, and an app.
        simhost::spawn_gui_proxy(&mut self.compositor, &d, "web");
        simhost::write_hello_agent(&d, "web");
        let power = |what: &str| format!(r#"["/bin/sh", "-c", "echo {what} >> {}/power.log"]"#, d.display());
        std::fs::write(
            d.join("hostd.toml"),
            simhost::hostd_config_head(&d)
                + &format!(
                    r#"
[power]
poweroff = {poweroff}
reboot = {reboot}
suspend = {suspend}
[vms.web]
trust = "untrusted"
agent = "unix:{vm}/agent.sock"
[vms.docs]
trust = "work"
agent = "unix:{d}/vms/docs/agent.sock"
[vms.gala]
trust = "personal"
agent = "unix:{d}/vms/gala/agent.sock"
[apps.hello]
display_name = "Hello"
icon = "browser"
vm = "web"
[apps.pdf]
display_name = "PDF viewer"
icon = "pdf"
vm = "docs"
[apps.android]
display_name = "Cloud Android"
icon = "android"
vm = "gala"
{windows}"#,
                    d = d.display(),
                    vm = vm.display(),
                    poweroff = power("poweroff"),
                    reboot = power("reboot"),
                    suspend = power("suspend"),
                    windows = if self.windows_vm { self.windows_config() } else { String::new() },
                ),
        )
        .unwrap();
        self.spawn_hostd();
    }

    fn spawn_hostd(&mut self) {
        let d = self.dir.path().to_path_buf();
        self.hostd = Some(simhost::spawn_hostd(&d));
        self.wait_until("hostd answers", || self.ctl(&["list"]).status.success());
    }

    /// Starts one of our programs as a local client of the compositor (stderr to NAME.log).
    pub fn run(&mut self, program: &str, args: &[&str]) -> u32 {
        let mut cmd = Command::new(bin_path(program));
        cmd.args(args).stdin(Stdio::null()).stdout(Stdio::null());
        cmd.stderr(std::fs::File::create(self.path(&format!("{program}.log"))).unwrap());
        self.compositor.client_env(&mut cmd);
        if self.hostd.is_some() {
            cmd.env("CANOPY_HOSTD", self.hostd_address());
        } else {
            // No hostd: point at a socket that does not exist, never at a real one.
            cmd.env("CANOPY_HOSTD", format!("unix:{}", self.path("no-hostd.sock").display()));
        }
        let child = cmd.spawn().unwrap_or_else(|e| panic!("starting {program}: {e}"));
        let pid = child.id();
        self.programs.push((program.to_string(), child));
        pid
    }

    /// The panel with a fixed time and our battery directory.
    pub fn panel(&mut self) -> u32 {
        let supply = self.path("power_supply");
        let pid = self.run("canopy-panel", &["--time", TIME, "--power-supply", supply.to_str().unwrap()]);
        self.wait_for_panels(&self.output_names());
        pid
    }

    pub fn output_names(&self) -> Vec<String> {
        self.compositor.outputs().into_iter().map(|o| o.name).collect()
    }

    /// The area each output keeps free of windows, as the compositor reports it.
    pub fn usable_y(&self, output: &str) -> i64 {
        let o = self.compositor.outputs().into_iter().find(|o| o.name == output).unwrap();
        (o.usable.y - o.logical.y).into()
    }

    /// Waits until every named output has a panel: its exclusive zone is reserved and its
    /// strip is drawn in the panel's background colour.
    pub fn wait_for_panels(&self, outputs: &[String]) {
        let bg = panel_background();
        for o in outputs {
            self.wait_until(&format!("a panel on {o}"), || {
                self.usable_y(o) == PANEL_H as i64 && self.compositor.screenshot_of(Some(o)).pixel(600, 2) == bg
            });
        }
    }

    /// The panel strip of an output, in device pixels.
    pub fn panel_strip(&self, output: &str, scale: u32) -> Image {
        let img = self.compositor.screenshot_of(Some(output));
        img.crop(0, 0, img.width, PANEL_H * scale)
    }

    /// Whether a program we started is still running.
    pub fn is_running(&mut self, program: &str) -> bool {
        self.programs.iter_mut().filter(|(p, _)| p == program).any(|(_, c)| matches!(c.try_wait(), Ok(None)))
    }

    pub fn wait_exit(&mut self, program: &str) {
        let start = Instant::now();
        while self.is_running(program) {
            assert!(start.elapsed() < TIMEOUT, "{program} did not exit\n{}", self.logs());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn logs(&self) -> String {
        let mut out = String::new();
        for entry in std::fs::read_dir(self.dir.path()).unwrap().flatten() {
            let p = entry.path();
            if p.extension().is_some_and(|e| e == "log") {
                out += &format!("--- {}\n{}\n", p.display(), std::fs::read_to_string(&p).unwrap_or_default());
            }
        }
        out + &format!("--- compositor\n{}", self.compositor.log())
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

    /// Moves the pointer to a global logical position and clicks `button` (left by default).
    pub fn click_at(&self, x: f64, y: f64, button: Option<&str>) {
        self.compositor.msg(&["pointer-move", &x.to_string(), &y.to_string()]);
        match button {
            Some(b) => self.compositor.msg(&["click", b]),
            None => self.compositor.msg(&["click"]),
        };
    }

    /// Lines of the power actions hostd ran.
    pub fn power_log(&self) -> Vec<String> {
        std::fs::read_to_string(self.path("power.log")).unwrap_or_default().lines().map(str::to_string).collect()
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        for (_, c) in &mut self.programs {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(h) = &mut self.hostd {
            let _ = h.kill();
            let _ = h.wait();
            for vm in ["web", "docs", "gala"] {
                simhost::stop_vm(self.dir.path(), vm);
            }
        }
        if let Some(agent) = &mut self.gui_agent {
            let _ = agent.kill();
            let _ = agent.wait();
            let _ = Command::new("/bin/sh").arg(self.dir.path().join("windows.sh")).args(["stop", ""]).status();
        }
        if std::thread::panicking() {
            eprintln!("{}", self.logs());
        }
    }
}

pub fn theme() -> canopy_themes::Theme {
    canopy_themes::Theme::default()
}

pub fn panel_background() -> [u8; 3] {
    canopy_tests::fixture::rgb(theme().desktop.panel_background)
}

/// Left edges (device x) of the VM-colour squares that mark window buttons in a panel strip.
pub fn window_markers(strip: &Image, colour: [u8; 3], scale: u32) -> Vec<u32> {
    let y = PANEL_H * scale / 2;
    let mut xs = Vec::new();
    let mut run = 0;
    for x in 0..strip.width {
        if strip.pixel(x, y) == colour {
            run += 1;
        } else {
            // The marker is a 10-logical-pixel square (rows 11..=20). VM status dots are
            // round and smaller, so their rows 4 above the middle are not solid colour.
            let x0 = x - run;
            if run >= 8 * scale && run <= 11 * scale && strip.pixel(x0 + run / 2, y - 4 * scale) == colour {
                xs.push(x0);
            }
            run = 0;
        }
    }
    xs
}

/// Left edge (logical x) of the first VM status mark in `colour` in a panel strip, right of the
/// window list: a running VM's filled dot, or a failed VM's warning sign (in the danger colour).
pub fn vm_dot(strip: &Image, colour: [u8; 3], scale: u32) -> Option<f64> {
    (strip.width / 2..strip.width)
        .find(|&x| strip.pixel(x, 16 * scale) == colour && strip.pixel(x, 12 * scale) != colour)
        .map(|x| (x / scale) as f64)
}

/// The VM menu opened by a click at `chip_x` on a 1280-wide output: its card's left edge (260
/// wide, centred on the click, kept 4 from the right edge), and the middle of its `i`th item
/// (Start, Stop…, Restart…) under the 32-pixel panel.
pub fn vm_menu_card_x(chip_x: f64) -> f64 {
    (chip_x - 130.0).round().min(1280.0 - 264.0)
}

pub fn vm_menu_row(i: f64) -> f64 {
    PANEL_H as f64 + 4.0 + 6.0 + 30.0 + 1.0 + 6.0 + 30.0 * i + 15.0
}

/// Whether the window button whose marker starts at `marker` (as [`window_markers`] finds it)
/// has the bar in `colour` under it that marks the focused window (at scale 1: rows 25..28 of
/// the strip, from 4 px left of the marker to 4 px before the button's end).
pub fn focus_bar(strip: &Image, colour: [u8; 3], marker: u32) -> bool {
    (25..28).any(|y| (marker + 12..marker + 36).all(|x| strip.pixel(x, y) == colour))
}
