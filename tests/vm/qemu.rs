//! One QEMU guest under TCG: its command line, its serial console (the command channel that
//! tests/vm/init serves), and its QMP socket.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use super::qmp::{self, Qmp};

/// What makes one VM: the devices beyond the common ones (serial, 9p roots, vsock).
pub struct VmSpec {
    pub name: &'static str,
    pub memory_mib: u32,
    /// Display and input devices.
    pub devices: Vec<String>,
    /// QEMU's `-display`: `none`, or `dbus,addr=…` to plug and unplug heads at runtime.
    pub display: String,
    /// An `ivshmem-plain` device over this host file (`share=on`, its whole length): VMs given
    /// the same file share its memory (see `with_shared_memory`).
    pub shared_memory: Option<PathBuf>,
}

impl VmSpec {
    /// The GUI VM: virtio-gpu (KMS) with two heads, the first connected at `width`×`height`,
    /// a virtio keyboard and tablet for libinput. `display` is QEMU's display backend: with
    /// D-Bus, the second head can be plugged in and out (see `Lab::set_head`).
    pub fn gui(width: u32, height: u32, display: String) -> VmSpec {
        VmSpec {
            name: "gui",
            memory_mib: 1024,
            devices: vec![
                format!("virtio-gpu-pci,id={GPU},max_outputs=2,xres={width},yres={height}"),
                "virtio-keyboard-pci".into(),
                "virtio-tablet-pci".into(),
            ],
            display,
            shared_memory: None,
        }
    }

    /// An app VM: no display, no input; its windows go to the GUI VM over vsock. 1 GiB: the
    /// guest proxy mirrors each shm pool whole, and foot's is 512 MiB (guest RAM is only
    /// taken from the host as it is touched).
    pub fn app() -> VmSpec {
        VmSpec { name: "app", memory_mib: 1024, devices: Vec::new(), display: "none".into(), shared_memory: None }
    }

    /// With an `ivshmem-plain` device (PCI 1af4:1110, the memory in BAR 2) backed by `file`,
    /// which must exist with a power-of-two length: every VM given the same file sees the same
    /// memory, as the laptop's GUI VM and an app VM share a region for pixels.
    pub fn with_shared_memory(mut self, file: PathBuf) -> VmSpec {
        self.shared_memory = Some(file);
        self
    }
}

/// The id of the GUI VM's virtio-gpu device (for screendumps of its heads).
pub const GPU: &str = "gpu";

/// Serial console lines as they arrive, and whether QEMU has exited.
#[derive(Default)]
struct Console {
    lines: Vec<String>,
    closed: bool,
}

pub struct Vm {
    pub name: &'static str,
    child: Child,
    stdin: ChildStdin,
    console: Arc<(Mutex<Console>, Condvar)>,
    /// Lines before this index have been consumed by `wait_line` / `run`.
    cursor: usize,
    next_id: u64,
    qmp: Option<Qmp>,
    qmp_path: PathBuf,
    /// Prefix of guest.sh commands: `BIN=… sh …/guest.sh`.
    guest_sh: String,
}

/// Quote one word for the guest's /bin/sh.
pub fn sh_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

pub struct Paths<'a> {
    pub vmlinux: &'a Path,
    pub initramfs: &'a Path,
    /// Shared writable into the guest as /run/vm (logs, configs, client events).
    pub run: &'a Path,
    /// The vhost-user socket of this VM's vsock device.
    pub vhost_socket: &'a Path,
    /// The directory of canopy's binaries (target/debug), the same path inside the guest.
    pub bin: &'a Path,
    /// The workspace, the same path inside the guest.
    pub repo: &'a Path,
    /// tests/vm/guest.sh.
    pub guest_sh: &'a Path,
}

impl Vm {
    /// The QEMU command line of `spec` (stdio is the serial console; the caller sets where
    /// it goes).
    pub fn command(spec: &VmSpec, paths: &Paths) -> Result<Command> {
        let qmp_path = paths.run.join(format!("{}.qmp", spec.name));
        let _ = std::fs::remove_file(&qmp_path);
        let mem = spec.memory_mib;
        let mut cmd = Command::new("qemu-system-x86_64");
        cmd.args(["-name", spec.name, "-nodefaults", "-no-user-config", "-accel", "tcg"]);
        cmd.args(["-smp", "1", "-m", &format!("{mem}M"), "-no-reboot", "-serial", "stdio"]);
        cmd.args(["-display", &spec.display]);
        cmd.arg("-kernel").arg(paths.vmlinux).arg("-initrd").arg(paths.initramfs);
        // The workspace and the binaries are shared on their own as well: the guest puts tmpfs
        // on /tmp, /root and /run, which would hide a checkout there (as CI clones can be).
        let mut append = format!("console=ttyS0 quiet panic=-1 canopy.name={}", spec.name);
        for (tag, dir) in [("repo", paths.repo), ("bin", paths.bin)] {
            let dir = dir.canonicalize().with_context(|| format!("{}", dir.display()))?;
            let dir = dir.to_str().filter(|d| !d.contains(char::is_whitespace) && !d.contains(','));
            let dir = dir.context("the workspace path must not contain blanks or commas (kernel command line)")?;
            append += &format!(" canopy.share={tag}:{dir}");
            cmd.arg("-virtfs").arg(format!("local,path={dir},mount_tag={tag},security_model=none,readonly=on"));
        }
        cmd.args(["-append", &append]);
        // The host's root, read-only: the guest runs the host's programs and our binaries.
        cmd.args(["-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"]);
        cmd.arg("-virtfs").arg(format!("local,path={},mount_tag=vmrun,security_model=none", paths.run.display()));
        // vhost-user needs the guest's RAM shared with the device process.
        cmd.args(["-object", &format!("memory-backend-memfd,id=mem,size={mem}M,share=on"), "-numa", "node,memdev=mem"]);
        cmd.arg("-chardev").arg(format!("socket,id=vsock,path={}", paths.vhost_socket.display()));
        cmd.args(["-device", "vhost-user-vsock-pci,chardev=vsock"]);
        for d in &spec.devices {
            cmd.args(["-device", d]);
        }
        if let Some(file) = &spec.shared_memory {
            let size = std::fs::metadata(file).with_context(|| format!("{}", file.display()))?.len();
            let backend = format!("memory-backend-file,id=ivshmem,share=on,mem-path={},size={size}", file.display());
            cmd.args(["-object", &backend, "-device", "ivshmem-plain,memdev=ivshmem"]);
        }
        cmd.arg("-qmp").arg(format!("unix:{},server=on,wait=off", qmp_path.display()));
        // A second QMP socket for `watch` (a QMP socket serves one client at a time).
        cmd.arg("-qmp").arg(format!("unix:{},server=on,wait=off", qmp_path.with_extension("watch.qmp").display()));
        // A third for programs on the host (hostd's suspend command takes screendumps).
        cmd.arg("-qmp").arg(format!("unix:{},server=on,wait=off", qmp_path.with_extension("host.qmp").display()));
        Ok(cmd)
    }

    pub fn start(spec: &VmSpec, paths: &Paths) -> Result<Vm> {
        let qmp_path = paths.run.join(format!("{}.qmp", spec.name));
        let mut cmd = Self::command(spec, paths)?;
        let log = std::fs::File::create(paths.run.join(format!("{}-console.log", spec.name)))?;
        let stderr = std::fs::File::create(paths.run.join(format!("{}-qemu.log", spec.name)))?;
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(stderr);
        let mut child = cmd.spawn().context("starting qemu-system-x86_64")?;
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let console = Arc::new((Mutex::new(Console::default()), Condvar::new()));
        let c = console.clone();
        let started = Instant::now();
        std::thread::spawn(move || {
            let mut log = log;
            for line in BufReader::new(stdout).split(b'\n') {
                let Ok(line) = line else { break };
                let line = String::from_utf8_lossy(&line).trim_end_matches('\r').to_string();
                let _ = writeln!(log, "[{:7.2}] {line}", started.elapsed().as_secs_f64());
                c.0.lock().unwrap().lines.push(line);
                c.1.notify_all();
            }
            c.0.lock().unwrap().closed = true;
            c.1.notify_all();
        });
        let guest_sh = format!(
            "BIN={} sh {}",
            sh_quote(&paths.bin.display().to_string()),
            sh_quote(&paths.guest_sh.display().to_string())
        );
        Ok(Vm { name: spec.name, child, stdin, console, cursor: 0, next_id: 0, qmp: None, qmp_path, guest_sh })
    }

    /// Wait for a console line containing `needle`; return it.
    pub fn wait_line(&mut self, needle: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        let (lock, cond) = &*self.console;
        let mut console = lock.lock().unwrap();
        loop {
            while self.cursor < console.lines.len() {
                let line = &console.lines[self.cursor];
                self.cursor += 1;
                if line.contains(needle) {
                    return Ok(line.clone());
                }
                if line.contains("VM-FAILED") {
                    bail!("{}: {line}", self.name);
                }
            }
            if console.closed {
                bail!("{}: QEMU exited while waiting for {needle:?}", self.name);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!("{}: no {needle:?} on the console after {timeout:?}", self.name);
            }
            console = cond.wait_timeout(console, left).unwrap().0;
        }
    }

    /// Run a shell command in the guest (inside the chroot); return its exit code and output.
    pub fn run(&mut self, command: &str, timeout: Duration) -> Result<(i32, Vec<String>)> {
        self.next_id += 1;
        let id = self.next_id;
        let start = self.cursor;
        writeln!(self.stdin, "{id} {command}")?;
        self.stdin.flush()?;
        let done = self.wait_line(&format!("VM-DONE {id} "), timeout).with_context(|| format!("running {command}"))?;
        let rc = done.rsplit(' ').next().and_then(|r| r.parse().ok()).unwrap_or(-1);
        let lines = self.console.0.lock().unwrap().lines[start..self.cursor - 1].to_vec();
        Ok((rc, lines))
    }

    /// Run `guest.sh PART ARGS…` and fail with its output unless it succeeds.
    pub fn guest(&mut self, part: &str, args: &[&str], timeout: Duration) -> Result<Vec<String>> {
        let mut command = format!("{} {part}", self.guest_sh);
        for a in args {
            command.push(' ');
            command.push_str(&sh_quote(a));
        }
        let (rc, out) = self.run(&command, timeout)?;
        if rc != 0 {
            bail!("{}: guest.sh {part} failed ({rc}):\n{}", self.name, out.join("\n"));
        }
        Ok(out)
    }

    /// `canopy msg ARGS…` in the GUI VM, read as the reply to that request.
    pub fn msg(&mut self, args: &[&str]) -> Result<canopy_ipc::Response> {
        let out = self.guest("msg", args, Duration::from_secs(60))?;
        let text: String = out.join("\n");
        let start = text.find(['[', '{']).with_context(|| format!("no JSON in {text:?}"))?;
        let ok =
            serde_json::from_str(&text[start..]).with_context(|| format!("canopy msg {args:?} printed {text:?}"))?;
        canopy_tests::fixture::request(args).decode(ok).with_context(|| format!("canopy msg {args:?} printed {text:?}"))
    }

    pub fn qmp(&mut self, command: &str, arguments: Value) -> Result<Value> {
        if self.qmp.is_none() {
            self.qmp = Some(Qmp::connect(&self.qmp_path, Duration::from_secs(30))?);
        }
        self.qmp.as_mut().expect("connected").execute(command, arguments)
    }

    /// The scanout of head `head` of the GUI VM's virtio-gpu.
    pub fn screendump(&mut self, file: &Path, head: u32) -> Result<canopy_tests::Image> {
        self.qmp("screendump", json!({ "filename": file, "format": "png", "device": GPU, "head": head }))?;
        canopy_tests::Image::load(file)
    }

    /// Type `text` (lower-case letters, digits, space, `/-.` and newline) key by key.
    pub fn type_text(&mut self, text: &str) -> Result<()> {
        for c in text.chars() {
            let code = qmp::qcode(c).with_context(|| format!("no key types {c:?}"))?;
            self.keys(&[&code])?;
            // At a fast typist's pace: QMP can send keys far faster, and while the emulated
            // compositor is busy drawing, the guest kernel's evdev buffer (64 events, about 16
            // keys) overflows and libinput drops what it holds.
            std::thread::sleep(Duration::from_millis(40));
        }
        Ok(())
    }

    /// Press the keys in order and release them in reverse (a chord such as ctrl alt f2).
    pub fn keys(&mut self, chord: &[&str]) -> Result<()> {
        for k in chord {
            self.qmp("input-send-event", json!({ "events": qmp::key_event(k, true) }))?;
        }
        for k in chord.iter().rev() {
            self.qmp("input-send-event", json!({ "events": qmp::key_event(k, false) }))?;
        }
        Ok(())
    }

    /// Move the tablet's pointer to (x, y) of a `width`×`height` screen. libinput maps the
    /// tablet's 0..=0x7fff to `value * size / 0x8000`; this is the smallest value landing on v.
    pub fn pointer_to(&mut self, x: u32, y: u32, width: u32, height: u32) -> Result<()> {
        let scale = |v: u32, size: u32| ((v as u64 * 0x8000).div_ceil(size as u64)).min(0x7fff) as u32;
        self.qmp("input-send-event", json!({ "events": qmp::abs_event(scale(x, width), scale(y, height)) }))?;
        Ok(())
    }

    pub fn click(&mut self) -> Result<()> {
        self.qmp("input-send-event", json!({ "events": qmp::button_event(true) }))?;
        self.qmp("input-send-event", json!({ "events": qmp::button_event(false) }))?;
        Ok(())
    }

    /// Write a screendump of the first head to `file` every `every` while the VM runs, for a
    /// person watching the test (an image viewer that reloads the file).
    pub fn watch(&self, file: PathBuf, every: Duration) {
        let socket = self.qmp_path.with_extension("watch.qmp");
        std::thread::spawn(move || {
            let Ok(mut qmp) = Qmp::connect(&socket, Duration::from_secs(30)) else { return };
            let tmp = file.with_extension("tmp.png");
            while qmp.execute("screendump", json!({ "filename": tmp, "format": "png" })).is_ok() {
                let _ = std::fs::rename(&tmp, &file);
                std::thread::sleep(every);
            }
        });
    }

    /// Pull the plug: the VM stops at once, as a crashed or killed VM would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        self.kill();
    }
}
