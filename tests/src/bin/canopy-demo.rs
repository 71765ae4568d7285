//! The canopy demo: the compositor (in a window when a display exists, headless otherwise),
//! the panel, and four simulated application VMs of different trust levels. Each VM is a
//! `canopy-proxy guest` with its own runtime dir, connected to its own `canopy-proxy gui`,
//! running a real Debian application. Headless, it writes `canopy-demo.png`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use serde_json::Value;

#[derive(Debug, Parser)]
#[command(about = "Run the canopy desktop with applications from simulated VMs")]
struct Args {
    /// Render headless even when a display is available.
    #[arg(long)]
    headless: bool,
    /// Where the headless screenshot goes.
    #[arg(long, default_value = "canopy-demo.png")]
    screenshot: PathBuf,
}

struct Vm {
    name: &'static str,
    trust: &'static str,
    app: Vec<String>,
}

struct Demo {
    bin: PathBuf,
    runtime: PathBuf,
    wayland: PathBuf,
    ipc: PathBuf,
    children: Vec<Child>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        for c in self.children.iter_mut().rev() {
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

impl Demo {
    fn log(&self, name: &str) -> Stdio {
        Stdio::from(std::fs::File::create(self.runtime.join(format!("{name}.log"))).expect("log file"))
    }

    fn spawn(&mut self, name: &str, cmd: &mut Command) -> anyhow::Result<()> {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(self.log(name))
            .stderr(self.log(&format!("{name}.err")))
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        self.children.push(child);
        Ok(())
    }

    fn msg(&self, request: Value) -> anyhow::Result<Value> {
        use std::io::{BufRead, BufReader, Write};
        let mut s = std::os::unix::net::UnixStream::connect(&self.ipc)?;
        writeln!(s, "{request}")?;
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line)?;
        let reply: Value = serde_json::from_str(&line)?;
        match reply.get("error") {
            Some(e) => bail!("{e}"),
            None => Ok(reply["ok"].clone()),
        }
    }

    /// One simulated VM: its GUI-side proxy, its guest proxy in a runtime dir of its own, and
    /// its application behind the guest proxy.
    fn start_vm(&mut self, vm: &Vm) -> anyhow::Result<()> {
        let link = self.runtime.join(format!("{}.link", vm.name));
        let vm_dir = self.runtime.join(vm.name);
        std::fs::create_dir_all(&vm_dir)?;
        let mut gui = Command::new(self.bin.join("canopy-proxy"));
        gui.args(["gui", "--vm", vm.name, "--listen"])
            .arg(format!("unix:{}", link.display()))
            .arg("--compositor")
            .arg(&self.wayland);
        self.spawn(&format!("{}-gui-proxy", vm.name), &mut gui)?;
        wait_for("the GUI-side proxy", Duration::from_secs(10), || link.exists())?;
        let mut guest = Command::new(self.bin.join("canopy-proxy"));
        guest
            .args(["guest", "--compress", "lz4", "--socket", "wayland-0", "--connect"])
            .arg(format!("unix:{}", link.display()))
            .env("XDG_RUNTIME_DIR", &vm_dir);
        self.spawn(&format!("{}-guest-proxy", vm.name), &mut guest)?;
        wait_for("the guest proxy's socket", Duration::from_secs(10), || vm_dir.join("wayland-0").exists())?;
        let mut app = Command::new(&vm.app[0]);
        app.args(&vm.app[1..])
            .env("XDG_RUNTIME_DIR", &vm_dir)
            .env("WAYLAND_DISPLAY", "wayland-0")
            .env("GDK_BACKEND", "wayland")
            .env("GSK_RENDERER", "cairo")
            .env("NO_AT_BRIDGE", "1")
            .env_remove("DISPLAY");
        self.spawn(vm.name, &mut app)
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let nested =
        !args.headless && (std::env::var_os("WAYLAND_DISPLAY").is_some() || std::env::var_os("DISPLAY").is_some());
    let bin = std::env::current_exe()?.parent().context("binary dir")?.to_path_buf();
    let runtime = tempfile::Builder::new().prefix("canopy-demo-").tempdir()?.keep();
    std::fs::set_permissions(&runtime, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    // Nested, the compositor must find the host's Wayland socket in the host's runtime dir.
    let compositor_runtime = if nested {
        std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from).unwrap_or(runtime.clone())
    } else {
        runtime.clone()
    };
    let socket = format!("canopy-demo-{}", std::process::id());
    let mut demo = Demo {
        bin: bin.clone(),
        runtime: runtime.clone(),
        wayland: compositor_runtime.join(&socket),
        ipc: compositor_runtime.join(format!("canopy-{socket}.sock")),
        children: Vec::new(),
    };

    let pdf = runtime.join("report.pdf");
    std::fs::write(
        &pdf,
        canopy_tests::pdf::text_pdf(&[
            "Travel expenses, Q3",
            "Opened in zathura inside zathura-vm.",
            "Its frame is amber: a personal VM.",
        ]),
    )?;
    let browser = if have("chromium") {
        let page = runtime.join("page.html");
        std::fs::write(&page, "<html><body style='font:24px sans-serif;background:#fff3f0'><h1>Untrusted web</h1><p>This browser runs in <b>chromium-vm</b>. Whatever it draws, its frame stays red.</p></body></html>")?;
        let profile = runtime.join("chromium-profile");
        vec![
            "chromium".into(),
            "--ozone-platform=wayland".into(),
            "--no-sandbox".into(),
            "--test-type".into(),
            "--disable-gpu".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            format!("--user-data-dir={}", profile.display()),
            format!("file://{}", page.display()),
        ]
    } else {
        vec!["gtk4-demo".into()]
    };
    let vms = [
        Vm {
            name: "work-vm",
            trust: "work",
            app: vec![
                "foot".into(),
                "--title".into(),
                "terminal".into(),
                "sh".into(),
                "-c".into(),
                "echo 'work-vm: a terminal in the work VM'; echo; uname -a; exec sleep infinity".into(),
            ],
        },
        Vm { name: "zathura-vm", trust: "personal", app: vec!["zathura".into(), pdf.display().to_string()] },
        Vm { name: "chromium-vm", trust: "untrusted", app: browser },
        Vm {
            name: "admin-vm",
            trust: "trusted",
            app: vec![
                bin.join("canopy-test-client").display().to_string(),
                "--title".into(),
                "system settings".into(),
                "--color".into(),
                "2e8b57".into(),
            ],
        },
    ];
    let mut config = String::from("# canopy demo config\n");
    for vm in &vms {
        config.push_str(&format!("\n[vms.{}]\ntrust = \"{}\"\n", vm.name, vm.trust));
    }
    let config_path = runtime.join("canopy.toml");
    std::fs::write(&config_path, config)?;

    let mut canopy = Command::new(bin.join("canopy"));
    canopy
        .arg("--backend")
        .arg(if nested { "winit" } else { "headless" })
        .args(["--socket", &socket, "--config"])
        .arg(&config_path)
        .env("XDG_RUNTIME_DIR", &compositor_runtime);
    if !nested {
        canopy.args(["--output", "HEADLESS-1:1920x1080"]);
    }
    demo.spawn("canopy", &mut canopy)?;
    wait_for("the compositor", Duration::from_secs(20), || {
        demo.msg(serde_json::json!({"command": "version"})).is_ok()
    })?;
    println!("canopy is running ({}); logs in {}", if nested { "nested" } else { "headless" }, runtime.display());

    let mut panel = Command::new(bin.join("canopy-panel"));
    panel.env("WAYLAND_DISPLAY", &demo.wayland).env("CANOPY_SOCKET", &demo.ipc).env("XDG_RUNTIME_DIR", &runtime);
    demo.spawn("panel", &mut panel)?;

    for vm in &vms {
        demo.start_vm(vm)?;
    }
    wait_for("the four VM windows", Duration::from_secs(60), || {
        demo.msg(serde_json::json!({"command": "windows"}))
            .ok()
            .and_then(|w| w.as_array().map(|a| a.iter().filter(|w| w["geometry"].is_object()).count()))
            .unwrap_or(0)
            >= vms.len()
    })?;

    // A 2×2 grid in the usable area (below the panel).
    let outputs = demo.msg(serde_json::json!({"command": "outputs"}))?;
    let usable = &outputs[0]["usable"];
    let (ux, uy, uw, uh) = (
        usable["x"].as_i64().unwrap_or(0),
        usable["y"].as_i64().unwrap_or(0),
        usable["width"].as_i64().unwrap_or(1280),
        usable["height"].as_i64().unwrap_or(800),
    );
    let (cw, ch) = (uw / 2, uh / 2);
    let windows = demo.msg(serde_json::json!({"command": "windows"}))?;
    for (i, vm) in vms.iter().enumerate() {
        let Some(w) = windows.as_array().and_then(|a| a.iter().find(|w| w["vm"] == vm.name)) else { continue };
        let (col, row) = ((i % 2) as i64, (i / 2) as i64);
        let (x, y) = (ux + col * cw + 4 + 12, uy + row * ch + 30 + 12);
        let (width, height) = (cw - 8 - 24, ch - 34 - 24);
        demo.msg(serde_json::json!({"command": "move", "id": w["id"], "x": x, "y": y}))?;
        demo.msg(serde_json::json!({"command": "resize", "id": w["id"], "width": width, "height": height}))?;
    }
    if let Some(w) = windows.as_array().and_then(|a| a.iter().find(|w| w["vm"] == "work-vm")) {
        demo.msg(serde_json::json!({"command": "focus", "id": w["id"]}))?;
    }

    if nested {
        println!("The desktop is in its own window. Super opens the launcher; close the window to stop.");
        loop {
            if let Some(status) = demo.children[0].try_wait()? {
                println!("canopy exited ({status})");
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    // Let every client redraw at its new size before the picture is taken.
    std::thread::sleep(Duration::from_secs(3));
    let out = std::env::current_dir()?.join(&args.screenshot);
    demo.msg(serde_json::json!({"command": "screenshot", "file": out}))?;
    println!("wrote {}", out.display());
    print_windows(&demo)?;
    Ok(())
}

fn print_windows(demo: &Demo) -> anyhow::Result<()> {
    let windows = demo.msg(serde_json::json!({"command": "windows"}))?;
    for w in windows.as_array().into_iter().flatten() {
        println!(
            "  {:<12} {:<10} {}",
            w["vm"].as_str().unwrap_or("(local)"),
            w["trust"].as_str().unwrap_or(""),
            w["title"].as_str().unwrap_or("")
        );
    }
    let _ = Path::new("");
    Ok(())
}
