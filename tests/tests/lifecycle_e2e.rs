//! The whole lifecycle path, every part a real process: `canopy-ctl start app` asks hostd; hostd's
//! command backend starts the "VM" (a process session running `canopy-proxy guest` and
//! `canopy-agent`); the agent starts the app on the guest proxy's socket; the app's window comes
//! through `canopy-proxy gui` into the headless compositor, framed in the VM's colour. Stopping the
//! VM removes its windows.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use canopy_tests::fixture::{geometry, rgb, TIMEOUT};
use canopy_tests::{bin_path, simhost, Compositor};
use canopy_themes::Theme;

const COMPOSITOR_CONFIG: &str = "[vms.web]\ntrust = \"untrusted\"\n";

struct Desktop {
    compositor: Compositor,
    dir: tempfile::TempDir,
    hostd: Child,
}

impl Desktop {
    fn start() -> Desktop {
        let mut compositor = Compositor::start(COMPOSITOR_CONFIG);
        let dir = tempfile::Builder::new().prefix("canopy-lifecycle-e2e-").tempdir().unwrap();
        let d = dir.path();
        simhost::prepare(d, &["web"]);
        simhost::spawn_gui_proxy(&mut compositor, d, "web");
        simhost::write_hello_agent(d, "web");
        let vms = format!(
            r#"
[vms.web]
trust = "untrusted"
agent = "unix:{}/vms/web/agent.sock"
[apps.hello]
display_name = "Hello"
vm = "web"
"#,
            d.display()
        );
        std::fs::write(d.join("hostd.toml"), simhost::hostd_config_head(d) + &vms).unwrap();
        let hostd = simhost::spawn_hostd(d);
        let desktop = Desktop { compositor, dir, hostd };
        desktop.wait_until("hostd answers", || desktop.ctl(&["list"]).status.success());
        desktop
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn ctl(&self, args: &[&str]) -> Output {
        Command::new(bin_path("canopy-ctl"))
            .args(args)
            .env("CANOPY_HOSTD", format!("unix:{}", self.path("hostd.sock").display()))
            .output()
            .unwrap()
    }

    fn logs(&self) -> String {
        let mut out = String::new();
        for f in ["hostd.log", "proxy-gui.log", "vms/web/agent.log", "vms/web/proxy.log"] {
            out += &format!("--- {f}\n{}\n", std::fs::read_to_string(self.path(f)).unwrap_or_default());
        }
        out + &format!("--- compositor\n{}", self.compositor.log())
    }

    fn wait_until(&self, what: &str, mut cond: impl FnMut() -> bool) {
        let start = Instant::now();
        let mut pause = Duration::from_millis(5);
        while !cond() {
            assert!(start.elapsed() < TIMEOUT, "timed out waiting for {what}\n{}", self.logs());
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        let _ = self.hostd.kill();
        let _ = self.hostd.wait();
        simhost::stop_vm(self.dir.path(), "web");
    }
}

/// `canopy-ctl watch`, its lines collected as they come.
struct Watch {
    child: Child,
    lines: Arc<(Mutex<Vec<String>>, Condvar)>,
}

impl Watch {
    fn start(desktop: &Desktop) -> Watch {
        let mut child = Command::new(bin_path("canopy-ctl"))
            .arg("watch")
            .env("CANOPY_HOSTD", format!("unix:{}", desktop.path("hostd.sock").display()))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let lines = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let l = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                l.0.lock().unwrap().push(line);
                l.1.notify_all();
            }
        });
        Watch { child, lines }
    }

    fn wait_line(&self, line: &str) -> Vec<String> {
        self.wait_lines(line, 1)
    }

    /// Wait until `line` has been printed `n` times (a state can recur).
    fn wait_lines(&self, line: &str, n: usize) -> Vec<String> {
        let deadline = Instant::now() + TIMEOUT;
        let mut g = self.lines.0.lock().unwrap();
        while g.iter().filter(|l| *l == line).count() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "timed out waiting for {line:?}; got:\n{}", g.join("\n"));
            g = self.lines.1.wait_timeout(g, left).unwrap().0;
        }
        g.clone()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The VM's state changes in order, repeats removed.
fn vm_states(lines: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for s in lines.iter().filter_map(|l| l.strip_prefix("vm web ")) {
        if out.last() != Some(&s) {
            out.push(s);
        }
    }
    out
}

#[test]
fn an_app_started_in_a_stopped_vm_shows_its_window_in_the_vms_colour_until_the_vm_stops() {
    let theme = Theme::default();
    let desktop = Desktop::start();
    let watch = Watch::start(&desktop);
    watch.wait_line("vm web stopped");
    assert!(desktop.compositor.windows().is_empty());

    let out = desktop.ctl(&["start", "app", "hello"]);
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stderr), desktop.logs());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "started hello: instance 1\n");
    assert!(desktop.path("vms/web/wayland-canopy").exists(), "the guest proxy's socket");

    // The window arrives through both proxies, as a client of the web VM.
    let mut found = None;
    desktop.wait_until("the app's window", || {
        found = desktop.compositor.windows().into_iter().next().filter(|window| window.geometry.is_some());
        found.is_some()
    });
    let window = found.expect("found");
    assert_eq!(window.vm.as_deref(), Some("web"), "{window}");
    assert_eq!(window.title, "[web] hello from the web VM");
    let (x, y, w, h) = geometry(&window);
    let img = desktop.compositor.screenshot();
    // It opens without the keyboard, in the VM's unfocused shade, until the user clicks it.
    let frame = rgb(theme.colours("untrusted").unfocused);
    assert_eq!(img.pixel((x - 2) as u32, (y + h / 2) as u32), frame, "left border");
    assert_eq!(img.pixel((x + w / 2) as u32, (y + h + 1) as u32), frame, "bottom border");
    // The test client fills its top-left quarter with its colour.
    assert_eq!(img.pixel((x + w / 4) as u32, (y + h / 4) as u32), [0x2f, 0x6f, 0xd0], "the app's own pixels");

    let lines = watch.wait_line("app hello 1 web running");
    assert_eq!(vm_states(&lines), ["stopped", "starting", "running"], "{lines:#?}");

    // Stopping the VM takes its windows with it.
    let out = desktop.ctl(&["stop", "vm", "web"]);
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stderr), desktop.logs());
    desktop.wait_until("the window to go", || desktop.compositor.windows().is_empty());
    let lines = watch.wait_lines("vm web stopped", 2);
    assert!(lines.contains(&"app hello 1 web stopped".to_string()), "{lines:#?}");
    assert_eq!(vm_states(&lines), ["stopped", "starting", "running", "stopping", "stopped"]);

    // And it comes back on the next start.
    let out = desktop.ctl(&["start", "app", "hello"]);
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stderr), desktop.logs());
    desktop.compositor.wait_for_windows(1);
    assert_eq!(std::fs::read_to_string(desktop.path("vms/web/starts.log")).unwrap().lines().count(), 2);
}
