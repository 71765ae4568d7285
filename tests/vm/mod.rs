//! The real-VM harness: QEMU guests under TCG (no KVM needed) booting Debian's kernel with a
//! busybox initramfs and the host's root shared read-only, real AF_VSOCK through
//! vhost-device-vsock, and `canopy-proxy relay` on the host joining an app VM to the GUI VM.
//! `build.sh` makes the boot pieces; `guest.sh` starts canopy's parts inside the guests.
//!
//! Everything a run of scenario NAME leaves is in `<target>/vm/`: `run/NAME/` (consoles, QEMU
//! and program logs, client events, timings) and `shots/NAME/` (the screendumps, numbered in
//! test order; `$CANOPY_VM_SHOTS` instead of `shots/`).

pub mod qemu;
pub mod qmp;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use qemu::{Paths, Vm, VmSpec};

/// The vsock port canopy-proxy gui listens on in the GUI VM, and the one the relay offers the
/// app VM on the host (CID 2).
pub const GUI_PORT: u32 = 5000;
pub const RELAY_PORT: u32 = 6000;
/// The guests' vsock CIDs (the host is 2).
const CIDS: [(&str, u32); 2] = [("gui", 3), ("app", 4)];

pub struct Lab {
    pub repo: PathBuf,
    pub cache: PathBuf,
    pub run: PathBuf,
    pub shots: PathBuf,
    pub bin: PathBuf,
    processes: Vec<Child>,
    /// The D-Bus address of the GUI VM's display, once started.
    bus: Option<String>,
    started: Instant,
    last: Instant,
    timings: Vec<(String, Duration)>,
    shot_count: u32,
}

impl Lab {
    /// Build (or reuse) the boot pieces, clear the run and shots folders of scenario `name`,
    /// and start the vsock device for both VMs.
    pub fn prepare(name: &str) -> Result<Lab> {
        let started = Instant::now();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().context("repo")?.to_path_buf();
        let bin = canopy_tests::bin_path("canopy").parent().context("bin dir")?.to_path_buf();
        let cache = bin.parent().context("target dir")?.join("vm");
        let status =
            Command::new(repo.join("tests/vm/build.sh")).arg(&cache).status().context("running tests/vm/build.sh")?;
        if !status.success() {
            bail!("tests/vm/build.sh failed ({status})");
        }
        let run = cache.join("run").join(name);
        let shots = std::env::var_os("CANOPY_VM_SHOTS").map(PathBuf::from).unwrap_or_else(|| cache.join("shots"));
        let shots = shots.join(name);
        for dir in [&run, &shots] {
            let _ = std::fs::remove_dir_all(dir);
            std::fs::create_dir_all(dir)?;
        }
        let mut lab = Lab {
            repo,
            cache,
            run,
            shots,
            bin,
            processes: Vec::new(),
            bus: None,
            started,
            last: started,
            timings: Vec::new(),
            shot_count: 0,
        };
        lab.step("tests/vm/build.sh (kernel, initramfs, vhost-device-vsock; cached after the first run)");
        lab.start_vsock_device()?;
        Ok(lab)
    }

    /// One vhost-device-vsock for both guests, in separate groups: like vhost-vsock on the
    /// laptop, it gives them no path to each other, only to the host.
    fn start_vsock_device(&mut self) -> Result<()> {
        let mut cmd = Command::new(self.cache.join("bin/vhost-device-vsock"));
        for (name, cid) in CIDS {
            let r = self.run.display();
            cmd.arg("--vm")
                .arg(format!("guest-cid={cid},socket={r}/{name}.vhost,uds-path={r}/{name}.vsock,groups={name}"));
        }
        let log = std::fs::File::create(self.run.join("vhost-device-vsock.log"))?;
        cmd.stdout(log.try_clone()?).stderr(log);
        self.processes.push(cmd.spawn().context("starting vhost-device-vsock")?);
        for (name, _) in CIDS {
            self.wait_for_path(&self.run.join(format!("{name}.vhost")), "vhost-device-vsock's socket")?;
        }
        Ok(())
    }

    /// `canopy-proxy relay`: the app VM's connections to port RELAY_PORT of the host go to port
    /// GUI_PORT of the GUI VM (hybrid vsock: Unix sockets with a CONNECT handshake).
    pub fn start_relay(&mut self) -> Result<()> {
        let r = self.run.display();
        let log = std::fs::File::create(self.run.join("relay.log"))?;
        let child = Command::new(self.bin.join("canopy-proxy"))
            .args(["relay", "--listen", &format!("vsock-mux:{r}/app.vsock:{RELAY_PORT}")])
            .args(["--to", &format!("vsock-mux:{r}/gui.vsock:{GUI_PORT}")])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("starting canopy-proxy relay")?;
        self.processes.push(child);
        self.wait_for_path(&self.run.join(format!("app.vsock_{RELAY_PORT}")), "the relay's socket")
    }

    /// canopy-hostd on the host with `config` (written to `run/hostd.toml`; log `hostd.log`),
    /// once it listens on `run/SOCKET` (a vsock-mux listener's socket: `gui.vsock_PORT`).
    pub fn start_hostd(&mut self, config: &str, socket: &str) -> Result<()> {
        let path = self.run.join("hostd.toml");
        std::fs::write(&path, config)?;
        let log = std::fs::File::create(self.run.join("hostd.log"))?;
        let child = Command::new(self.bin.join("canopy-hostd"))
            .arg("--config")
            .arg(&path)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("starting canopy-hostd")?;
        self.processes.push(child);
        self.wait_for_path(&self.run.join(socket), "hostd's socket")
    }

    /// A private D-Bus daemon for QEMU's D-Bus display (`-display` value for the GUI VM):
    /// through it the test tells virtio-gpu that a monitor was plugged into a head, as a
    /// desktop viewer resizing its window would.
    pub fn start_display_bus(&mut self) -> Result<String> {
        let path = self.run.join("display.bus");
        let address = format!("unix:path={}", path.display());
        let log = std::fs::File::create(self.run.join("dbus-daemon.log"))?;
        let child = Command::new("dbus-daemon")
            .args(["--session", "--nofork", &format!("--address={address}")])
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting dbus-daemon")?;
        self.processes.push(child);
        self.wait_for_path(&path, "the D-Bus socket")?;
        self.bus = Some(address.clone());
        Ok(format!("dbus,addr={address}"))
    }

    /// Connect a `width`×`height` monitor to head `head` of the GUI VM's virtio-gpu, or
    /// disconnect it with None: the guest sees a connector change (hotplug).
    pub fn set_head(&self, head: u32, size: Option<(u32, u32)>) -> Result<()> {
        let bus = self.bus.as_ref().context("no display bus")?;
        let (w, h) = size.unwrap_or((0, 0));
        // SetUIInfo(width_mm, height_mm, x, y, width, height); about 96 dpi.
        let out = Command::new("dbus-send")
            .arg(format!("--bus={bus}"))
            .args(["--print-reply", "--dest=org.qemu", &format!("/org/qemu/Display1/Console_{head}")])
            .arg("org.qemu.Display1.Console.SetUIInfo")
            .arg(format!("uint16:{}", w * 254 / 960))
            .arg(format!("uint16:{}", h * 254 / 960))
            .args(["int32:0", "int32:0", &format!("uint32:{w}"), &format!("uint32:{h}")])
            .output()
            .context("running dbus-send")?;
        if !out.status.success() {
            bail!("SetUIInfo on head {head}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    }

    fn wait_for_path(&self, path: &Path, what: &str) -> Result<()> {
        let start = Instant::now();
        while !path.exists() {
            if start.elapsed() > Duration::from_secs(10) {
                bail!("no {what} at {} after 10 s", path.display());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    pub fn boot(&self, spec: &VmSpec) -> Result<Vm> {
        self.with_paths(spec, |paths| Vm::start(spec, paths))
    }

    /// Write `run/NAME.qemu.sh`, which boots the VM of `spec` when something other than the
    /// harness starts it (hostd's backend, through tests/vm/vmctl.sh); its arguments are
    /// appended to QEMU's. The VM runs `run/NAME-boot.sh` at boot (see tests/vm/init).
    pub fn write_boot_command(&self, spec: &VmSpec) -> Result<PathBuf> {
        let cmd = self.with_paths(spec, |paths| Vm::command(spec, paths))?;
        let mut script = format!("exec {}", qemu::sh_quote(&cmd.get_program().to_string_lossy()));
        for a in cmd.get_args() {
            script += &format!(" {}", qemu::sh_quote(a.to_str().context("a QEMU argument that is not UTF-8")?));
        }
        let path = self.run.join(format!("{}.qemu.sh", spec.name));
        std::fs::write(&path, script + " \"$@\"\n")?;
        Ok(path)
    }

    fn with_paths<T>(&self, spec: &VmSpec, f: impl FnOnce(&Paths) -> T) -> T {
        let vhost_socket = self.run.join(format!("{}.vhost", spec.name));
        f(&Paths {
            vmlinux: &self.cache.join("vmlinux"),
            initramfs: &self.cache.join("initramfs.cpio"),
            run: &self.run,
            vhost_socket: &vhost_socket,
            bin: &self.bin,
            repo: &self.repo,
            guest_sh: &self.repo.join("tests/vm/guest.sh"),
        })
    }

    /// Boot the GUI VM (watched, see `watch`) and an app VM together and wait for both to
    /// serve commands: one step.
    pub fn boot_both(&mut self, gui: &VmSpec, app: &VmSpec) -> Result<(Vm, Vm)> {
        let long = Duration::from_secs(180);
        let mut g = self.boot(gui)?;
        self.watch(&g);
        let mut a = self.boot(app)?;
        g.wait_line("VM-READY", long)?;
        a.wait_line("VM-READY", long)?;
        self.step("boot both VMs to their command loop");
        Ok((g, a))
    }

    /// With CANOPY_VM_WATCH set, keep `shots/NAME/live.png` showing the VM's screen (every
    /// second, or every CANOPY_VM_WATCH seconds when it is a number).
    pub fn watch(&self, vm: &Vm) {
        let Some(every) = std::env::var("CANOPY_VM_WATCH").ok() else { return };
        let every = every.parse::<f64>().ok().filter(|s| *s >= 0.1).unwrap_or(1.0);
        vm.watch(self.shots.join("live.png"), Duration::from_secs_f64(every));
    }

    /// Note how long the step that just ended took.
    pub fn step(&mut self, what: &str) {
        let now = Instant::now();
        self.timings.push((what.to_string(), now - self.last));
        self.last = now;
    }

    /// The timings so far, one line per step, also written to run/timings.txt.
    pub fn report(&self) -> String {
        let mut s = String::new();
        for (what, d) in &self.timings {
            s.push_str(&format!("{:>7.1} s  {what}\n", d.as_secs_f64()));
        }
        s.push_str(&format!("{:>7.1} s  total\n", self.started.elapsed().as_secs_f64()));
        let _ = std::fs::write(self.run.join("timings.txt"), &s);
        s
    }

    /// The next numbered screendump file: shots/NN-NAME.png.
    pub fn shot_path(&mut self, name: &str) -> PathBuf {
        self.shot_count += 1;
        self.shots.join(format!("{:02}-{name}.png", self.shot_count))
    }

    /// A file of the run directory (the guests' /run/vm).
    pub fn run_file(&self, name: &str) -> PathBuf {
        self.run.join(name)
    }

    /// The end of a log of the run directory, for failure messages.
    pub fn tail(&self, name: &str, lines: usize) -> String {
        let text = std::fs::read_to_string(self.run.join(name)).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        format!("--- {name} ---\n{}", all[all.len().saturating_sub(lines)..].join("\n"))
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for p in &mut self.processes {
            let _ = p.kill();
            let _ = p.wait();
        }
        // VMs that hostd's backend started (tests/vm/vmctl.sh keeps their pids in run/NAME.pid).
        for entry in std::fs::read_dir(&self.run).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "pid") {
                if let Some(pid) = std::fs::read_to_string(&path).ok().and_then(|p| p.trim().parse::<i32>().ok()) {
                    let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
                }
            }
        }
    }
}
