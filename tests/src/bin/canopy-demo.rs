//! The canopy demo: the whole desktop on one machine. The compositor (in a window when a
//! display exists, headless otherwise), the panel, `canopy-hostd`, and five simulated
//! application VMs of different trust levels. hostd starts a VM through its command backend as
//! a process session running `canopy-proxy guest` and `canopy-agent`; each VM's windows come
//! through its own `canopy-proxy gui`. The demo asks hostd (through `canopy-ctl`) for four apps,
//! exactly as the launcher does; Super opens the launcher for more. Headless, it writes
//! `canopy-demo.png`. The compositor is supervised as its systemd unit is: when it crashes it
//! is started again at once, the panel with it, and the VMs' windows come back (`--crash`
//! shows that: it kills the compositor once and writes `canopy-demo-after-crash.png`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use canopy_ipc::{Rect, Request, Response, Window};
use clap::Parser;

#[derive(Debug, Parser)]
#[command(about = "Run the canopy desktop with applications from simulated VMs")]
struct Args {
    /// Render headless even when a display is available.
    #[arg(long)]
    headless: bool,
    /// Where the headless screenshot goes.
    #[arg(long, default_value = "canopy-demo.png")]
    screenshot: PathBuf,
    /// Kill the compositor (SIGKILL) once the apps are up, and show them coming back.
    #[arg(long)]
    crash: bool,
}

/// A simulated VM: a name, a trust level, and the one app its agent may start.
struct Vm {
    name: &'static str,
    trust: &'static str,
    app: &'static str,
    display_name: &'static str,
    icon: &'static str,
    command: Vec<String>,
    /// The app's argument kind in hostd's and the agent's config (TOML inline table).
    args: &'static str,
    /// What the demo starts it with; None: not started by the demo (the launcher can).
    start_with: Option<Vec<String>>,
}

/// hostd's command backend runs this simulated VM (a guest proxy and an agent in a session).
const VM_SCRIPT: &str = include_str!("../../simvm.sh");

struct Demo {
    bin: PathBuf,
    dir: PathBuf,
    wayland: PathBuf,
    ipc: PathBuf,
    children: Vec<Child>,
    /// The compositor, how to start it again, and the panel that goes with it.
    canopy: Option<Child>,
    canopy_command: Option<Box<dyn Fn() -> Command>>,
    panel: Option<Child>,
    panel_command: Option<Box<dyn Fn() -> Command>>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        // Stop the VMs' process sessions, then everything the demo started itself.
        for vm in std::fs::read_dir(self.dir.join("vms")).into_iter().flatten().flatten().filter(|e| e.path().is_dir())
        {
            let _ = Command::new("/bin/sh").arg(self.dir.join("vm.sh")).arg("stop").arg(vm.file_name()).output();
        }
        for c in self.panel.iter_mut().chain(self.children.iter_mut().rev()).chain(self.canopy.iter_mut()) {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn have(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

fn wait_for(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) -> anyhow::Result<()> {
    let start = Instant::now();
    while !cond() {
        if start.elapsed() > timeout {
            bail!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

fn toml_list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", "))
}

impl Demo {
    fn hostd(&self) -> String {
        format!("unix:{}", self.dir.join("hostd.sock").display())
    }

    fn log(&self, name: &str) -> Stdio {
        Stdio::from(std::fs::File::create(self.dir.join(format!("{name}.log"))).expect("log file"))
    }

    fn spawn(&mut self, name: &str, cmd: &mut Command) -> anyhow::Result<()> {
        let child = self.start(name, cmd)?;
        self.children.push(child);
        Ok(())
    }

    fn start(&self, name: &str, cmd: &mut Command) -> anyhow::Result<Child> {
        cmd.stdin(Stdio::null())
            .stdout(self.log(name))
            .stderr(self.log(&format!("{name}.err")))
            .spawn()
            .with_context(|| format!("starting {name}"))
    }

    /// Starts the compositor (again) and waits until it answers.
    fn start_canopy(&mut self) -> anyhow::Result<()> {
        let mut cmd = (self.canopy_command.as_ref().context("no compositor command")?)();
        self.canopy = Some(self.start("canopy", &mut cmd)?);
        wait_for("the compositor", Duration::from_secs(20), || self.msg(Request::Version).is_ok())
    }

    fn start_panel(&mut self) -> anyhow::Result<()> {
        if let Some(mut old) = self.panel.take() {
            let _ = old.kill();
            let _ = old.wait();
        }
        let mut cmd = (self.panel_command.as_ref().context("no panel command")?)();
        self.panel = Some(self.start("panel", &mut cmd)?);
        Ok(())
    }

    /// As the systemd unit's Restart=on-failure: a compositor that crashed is started again,
    /// and the panel with it (the VMs' proxies restore their windows). `Ok(false)` once it
    /// ended normally.
    fn supervise(&mut self) -> anyhow::Result<bool> {
        let Some(status) = self.canopy.as_mut().context("no compositor")?.try_wait()? else { return Ok(true) };
        if status.success() {
            return Ok(false);
        }
        println!("canopy crashed ({status}); starting it again");
        self.start_canopy()?;
        self.start_panel()?;
        Ok(true)
    }

    fn drawn_windows(&self) -> usize {
        self.windows().map(|w| w.iter().filter(|w| w.geometry.is_some()).count()).unwrap_or(0)
    }

    fn msg(&self, request: Request) -> anyhow::Result<Response> {
        match canopy_ipc::socket::send(&self.ipc, &request, Duration::from_secs(20))? {
            Ok(r) => Ok(r),
            Err(e) => bail!("{e}"),
        }
    }

    fn windows(&self) -> anyhow::Result<Vec<Window>> {
        match self.msg(Request::Windows)? {
            Response::Windows(w) => Ok(w),
            other => bail!("windows answered {other:?}"),
        }
    }

    fn ctl(&self, args: &[String]) -> anyhow::Result<String> {
        let out = Command::new(self.bin.join("canopy-ctl")).args(["--connect", &self.hostd()]).args(args).output()?;
        if !out.status.success() {
            bail!("canopy-ctl {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The GUI VM side of each VM's proxy, the VM's agent config, and hostd's config.
    fn write_lifecycle(&mut self, vms: &[Vm]) -> anyhow::Result<()> {
        let uid = rustix::process::getuid().as_raw();
        std::fs::write(self.dir.join("vm.sh"), VM_SCRIPT)?;
        let script = |action: &str| format!(r#"["/bin/sh", "{}/vm.sh", "{action}", "{{vm}}"]"#, self.dir.display());
        let mut hostd = format!(
            "listen = [\"{hostd}\"]\nstate_dir = \"{d}/hostd-state\"\n\n[allow]\nuids = [{uid}]\n\n[default_backend]\nkind = \"command\"\nstart = {start}\nstop = {stop}\nstatus = {status}\n\n[power]\n# The demo only records what the power menu asks for.\npoweroff = [\"/bin/sh\", \"-c\", \"echo poweroff >> {d}/power.log\"]\nreboot = [\"/bin/sh\", \"-c\", \"echo reboot >> {d}/power.log\"]\nsuspend = [\"/bin/sh\", \"-c\", \"echo suspend >> {d}/power.log\"]\n",
            hostd = self.hostd(),
            d = self.dir.display(),
            start = script("start"),
            stop = script("stop"),
            status = script("status"),
        );
        for vm in vms {
            let vdir = self.dir.join("vms").join(vm.name);
            std::fs::create_dir_all(&vdir)?;
            std::fs::set_permissions(&vdir, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
            std::fs::write(
                vdir.join("gui"),
                format!("unix:{}", self.dir.join("vms").join(format!("{}.link", vm.name)).display()),
            )?;
            std::fs::write(vdir.join("guest-args"), "--compress lz4")?;
            std::fs::write(
                vdir.join("agent.toml"),
                format!(
                    "listen = [\"unix:{v}/agent.sock\"]\nwayland_display = \"{v}/wayland-canopy\"\nruntime_dir = \"{v}\"\n\n[allow]\nuids = [{uid}]\n\n[env]\nGDK_BACKEND = \"wayland\"\nGSK_RENDERER = \"cairo\"\nNO_AT_BRIDGE = \"1\"\n\n[apps.{app}]\ncommand = {cmd}\nargs = {args}\n",
                    v = vdir.display(),
                    app = vm.app,
                    cmd = toml_list(&vm.command),
                    args = vm.args,
                ),
            )?;
            hostd.push_str(&format!(
                "\n[vms.{name}]\ntrust = \"{trust}\"\nagent = \"unix:{v}/agent.sock\"\n\n[apps.{app}]\ndisplay_name = \"{dn}\"\nicon = \"{icon}\"\nvm = \"{name}\"\nargs = {args}\n",
                name = vm.name,
                trust = vm.trust,
                v = vdir.display(),
                app = vm.app,
                dn = vm.display_name,
                icon = vm.icon,
                args = vm.args,
            ));
            let link = self.dir.join("vms").join(format!("{}.link", vm.name));
            let mut gui = Command::new(self.bin.join("canopy-proxy"));
            gui.args(["gui", "--vm", vm.name, "--listen"])
                .arg(format!("unix:{}", link.display()))
                .arg("--compositor")
                .arg(&self.wayland);
            self.spawn(&format!("{}-gui-proxy", vm.name), &mut gui)?;
            wait_for("the GUI-side proxy", Duration::from_secs(10), || link.exists())?;
        }
        std::fs::write(self.dir.join("hostd.toml"), hostd)?;
        let mut cmd = Command::new(self.bin.join("canopy-hostd"));
        cmd.arg("--config")
            .arg(self.dir.join("hostd.toml"))
            .env("CANOPY_AGENT_BIN", self.bin.join("canopy-agent"))
            .env("CANOPY_PROXY_BIN", self.bin.join("canopy-proxy"));
        self.spawn("hostd", &mut cmd)?;
        wait_for("hostd", Duration::from_secs(10), || self.ctl(&["list".into()]).is_ok())
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let nested =
        !args.headless && (std::env::var_os("WAYLAND_DISPLAY").is_some() || std::env::var_os("DISPLAY").is_some());
    let bin = std::env::current_exe()?.parent().context("binary dir")?.to_path_buf();
    let dir = tempfile::Builder::new().prefix("canopy-demo-").tempdir()?.keep();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    // Nested, the compositor must find the host's Wayland socket in the host's runtime dir.
    let compositor_runtime = if nested {
        std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from).unwrap_or(dir.clone())
    } else {
        dir.clone()
    };
    let socket = format!("canopy-demo-{}", std::process::id());
    let mut demo = Demo {
        bin: bin.clone(),
        dir: dir.clone(),
        wayland: compositor_runtime.join(&socket),
        ipc: compositor_runtime.join(format!("canopy-{socket}.sock")),
        children: Vec::new(),
        canopy: None,
        canopy_command: None,
        panel: None,
        panel_command: None,
    };

    let pdf = dir.join("report.pdf");
    std::fs::write(
        &pdf,
        canopy_tests::pdf::text_pdf(&[
            "Travel expenses, Q3",
            "Opened in zathura inside zathura-vm.",
            "Its frame is amber: a personal VM.",
        ]),
    )?;
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let (browser_cmd, browser_args, browser_start) = if have("chromium") {
        let page = dir.join("page.html");
        std::fs::write(&page, "<html><body style='font:24px sans-serif;background:#fff3f0'><h1>Untrusted web</h1><p>This browser runs in <b>chromium-vm</b>. Whatever it draws, its frame stays red.</p></body></html>")?;
        let profile = dir.join("chromium-profile");
        (
            s(&[
                "chromium",
                "--ozone-platform=wayland",
                "--no-sandbox",
                "--test-type",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                &format!("--user-data-dir={}", profile.display()),
            ]),
            "{ kind = \"url\", schemes = [\"file\", \"https\", \"http\"] }",
            vec![format!("file://{}", page.display())],
        )
    } else {
        (s(&["gtk4-demo"]), "{ kind = \"none\" }", vec![])
    };
    let client = bin.join("canopy-test-client").display().to_string();
    let vms = vec![
        Vm {
            name: "work-vm",
            trust: "work",
            app: "terminal",
            display_name: "Terminal",
            icon: "terminal",
            command: s(&[
                "foot",
                "--title",
                "terminal",
                "sh",
                "-c",
                "echo 'work-vm: a terminal in the work VM'; echo; uname -a; exec sleep infinity",
            ]),
            args: "{ kind = \"none\" }",
            start_with: Some(vec![]),
        },
        Vm {
            name: "zathura-vm",
            trust: "personal",
            app: "pdf",
            display_name: "PDF viewer",
            icon: "pdf",
            command: s(&["zathura"]),
            args: "{ kind = \"file\" }",
            start_with: Some(vec![pdf.display().to_string()]),
        },
        Vm {
            name: "chromium-vm",
            trust: "untrusted",
            app: "browser",
            display_name: "Web browser",
            icon: "browser",
            command: browser_cmd,
            args: browser_args,
            start_with: Some(browser_start),
        },
        Vm {
            name: "admin-vm",
            trust: "trusted",
            app: "settings",
            display_name: "Settings",
            icon: "app",
            command: s(&[&client, "--title", "system settings", "--color", "2e8b57"]),
            args: "{ kind = \"none\" }",
            start_with: Some(vec![]),
        },
        Vm {
            name: "gala-vm",
            trust: "personal",
            app: "android",
            display_name: "Cloud Android",
            icon: "android",
            command: s(&[&client, "--title", "Cloud Android (simulated)", "--color", "a0c15a"]),
            args: "{ kind = \"none\" }",
            start_with: None,
        },
    ];

    let mut config = String::from("# canopy demo config\nidle_lock_seconds = 0\n");
    for vm in &vms {
        config.push_str(&format!("\n[vms.{}]\ntrust = \"{}\"\n", vm.name, vm.trust));
    }
    let config_path = dir.join("canopy.toml");
    std::fs::write(&config_path, config)?;
    let hostd = demo.hostd();
    let (canopy_bin, socket_arg) = (bin.join("canopy"), socket.clone());
    let (runtime, path) = (compositor_runtime.clone(), path_with(&bin));
    demo.canopy_command = Some(Box::new(move || {
        let mut canopy = Command::new(&canopy_bin);
        canopy
            .arg("--backend")
            .arg(if nested { "winit" } else { "headless" })
            .args(["--socket", &socket_arg, "--config"])
            .arg(&config_path);
        canopy.env("XDG_RUNTIME_DIR", &runtime).env("CANOPY_HOSTD", &hostd).env("PATH", &path);
        if !nested {
            canopy.args(["--output", "HEADLESS-1:1920x1080"]);
        }
        canopy
    }));
    demo.start_canopy()?;
    println!("canopy is running ({}); logs in {}", if nested { "nested" } else { "headless" }, dir.display());

    demo.write_lifecycle(&vms)?;
    let (panel_bin, wayland, ipc, panel_dir, hostd) =
        (bin.join("canopy-panel"), demo.wayland.clone(), demo.ipc.clone(), dir.clone(), demo.hostd());
    demo.panel_command = Some(Box::new(move || {
        let mut panel = Command::new(&panel_bin);
        panel
            .env("WAYLAND_DISPLAY", &wayland)
            .env("CANOPY_SOCKET", &ipc)
            .env("XDG_RUNTIME_DIR", &panel_dir)
            .env("CANOPY_HOSTD", &hostd);
        panel
    }));
    demo.start_panel()?;

    // Start the apps through hostd, as the launcher would: each VM is started on demand.
    let started: Vec<&Vm> = vms.iter().filter(|v| v.start_with.is_some()).collect();
    for vm in &started {
        let mut a = vec!["start".to_string(), "app".into(), vm.app.into()];
        a.extend(vm.start_with.clone().unwrap_or_default());
        demo.ctl(&a)?;
    }
    wait_for("the VM windows", Duration::from_secs(60), || demo.drawn_windows() >= started.len())?;

    // A 2×2 grid in the usable area (below the panel).
    let usable = match demo.msg(Request::Outputs)? {
        Response::Outputs(o) => o.first().map(|o| o.usable),
        _ => None,
    };
    let Rect { x: ux, y: uy, width: uw, height: uh } = usable.unwrap_or(Rect { x: 0, y: 0, width: 1280, height: 800 });
    let (cw, ch) = (uw / 2, uh / 2);
    let windows = demo.windows()?;
    for (i, vm) in started.iter().enumerate() {
        let Some(w) = windows.iter().find(|w| w.vm.as_deref() == Some(vm.name)) else { continue };
        let (col, row) = ((i % 2) as i32, (i / 2) as i32);
        demo.msg(Request::Move { id: w.id, x: ux + col * cw + 16, y: uy + row * ch + 42 })?;
        demo.msg(Request::Resize { id: w.id, width: cw - 32, height: ch - 58 })?;
    }
    if let Some(w) = windows.iter().find(|w| w.vm.as_deref() == Some("work-vm")) {
        demo.msg(Request::Focus { id: w.id })?;
    }

    if nested {
        println!("The desktop is in its own window. Super opens the launcher; close the window to stop.");
        loop {
            if !demo.supervise()? {
                println!("canopy exited");
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    // Let every client redraw at its new size before the picture is taken.
    std::thread::sleep(Duration::from_secs(3));
    let out = std::env::current_dir()?.join(&args.screenshot);
    demo.msg(Request::Screenshot { output: None, pointer: false, file: out.clone() })?;
    println!("wrote {}", out.display());
    print_windows(&demo)?;

    // The launcher, as Super opens it: apps from hostd with their VM's colour and state.
    demo.msg(Request::Key { chords: vec!["super".into()] })?;
    let launcher_up = || {
        std::process::Command::new("pgrep")
            .args(["-f", "canopy-launcher"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if wait_for("the launcher", Duration::from_secs(10), launcher_up).is_ok() {
        std::thread::sleep(Duration::from_secs(2));
        let stem = args.screenshot.file_stem().and_then(|s| s.to_str()).unwrap_or("canopy-demo");
        let out = std::env::current_dir()?.join(format!("{stem}-launcher.png"));
        demo.msg(Request::Screenshot { output: None, pointer: false, file: out.clone() })?;
        println!("wrote {} (the launcher, opened with Super)", out.display());
    }
    if args.crash {
        let windows = demo.drawn_windows();
        let pid = demo.canopy.as_ref().context("no compositor")?.id();
        println!("killing canopy (pid {pid}) with SIGKILL, as a crash would");
        rustix::process::kill_process(
            rustix::process::Pid::from_raw(pid as i32).context("pid")?,
            rustix::process::Signal::KILL,
        )?;
        let _ = demo.canopy.as_mut().context("no compositor")?.wait();
        let start = Instant::now();
        demo.supervise()?;
        wait_for("the windows to come back", Duration::from_secs(30), || demo.drawn_windows() >= windows)?;
        println!("{windows} windows back {} ms after the crash", start.elapsed().as_millis());
        std::thread::sleep(Duration::from_secs(1));
        let stem = args.screenshot.file_stem().and_then(|s| s.to_str()).unwrap_or("canopy-demo");
        let out = std::env::current_dir()?.join(format!("{stem}-after-crash.png"));
        demo.msg(Request::Screenshot { output: None, pointer: false, file: out.clone() })?;
        println!("wrote {} (after the compositor crashed and came back)", out.display());
        print_windows(&demo)?;
    }
    Ok(())
}

/// PATH with our binaries first, so the compositor's Super binding finds canopy-launcher.
fn path_with(bin: &Path) -> std::ffi::OsString {
    let mut paths = vec![bin.to_path_buf()];
    paths.extend(std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).unwrap_or_default());
    std::env::join_paths(paths).unwrap_or_default()
}

fn print_windows(demo: &Demo) -> anyhow::Result<()> {
    for w in demo.windows()? {
        println!("  {:<12} {:<10} {}", w.vm.as_deref().unwrap_or("(local)"), w.trust, w.title);
    }
    Ok(())
}
