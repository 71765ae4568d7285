//! A simulated host for end-to-end tests: a real `canopy-hostd` whose command backend starts
//! "VMs" that are process sessions (tests/simvm.sh) running `canopy-proxy guest` and
//! `canopy-agent`, with each VM's windows arriving through its own `canopy-proxy gui`.
//! Everything lives in one test directory `dir`: `vm.sh`, `vms/VM/`, `hostd.toml`, the logs.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::{bin_path, Compositor};

/// The simulated VM that hostd's command backend runs.
pub const VM_SCRIPT: &str = include_str!("../simvm.sh");

/// Write `vm.sh` and make `vms/NAME/` for each VM.
pub fn prepare(dir: &Path, vms: &[&str]) {
    for vm in vms {
        std::fs::create_dir_all(dir.join("vms").join(vm)).unwrap();
    }
    std::fs::write(dir.join("vm.sh"), VM_SCRIPT).unwrap();
}

/// Start the GUI-side proxy of `vm` next to the compositor (log: `proxy-gui.log`), and tell the
/// VM's guest proxy where it listens.
pub fn spawn_gui_proxy(compositor: &mut Compositor, dir: &Path, vm: &str) {
    let listen = format!("unix:{}", dir.join(format!("gui-{vm}.sock")).display());
    std::fs::write(dir.join("vms").join(vm).join("gui"), &listen).unwrap();
    let mut gui = Command::new(bin_path("canopy-proxy"));
    gui.args(["gui", "--vm", vm, "--listen", &listen])
        .arg("--compositor")
        .arg(compositor.runtime_dir().join(compositor.wayland_display()))
        .stderr(std::fs::File::create(dir.join("proxy-gui.log")).unwrap());
    compositor.client_env(&mut gui);
    compositor.adopt(gui.spawn().expect("canopy-proxy gui"));
}

/// The agent config of `vm`: one app, `hello`, our test client with a known title and colour,
/// which activates its window with the token it was started with (as toolkits do).
pub fn write_hello_agent(dir: &Path, vm: &str) {
    let vm_dir = dir.join("vms").join(vm);
    std::fs::write(
        vm_dir.join("agent.toml"),
        format!(
            r#"
listen = ["unix:{vm}/agent.sock"]
wayland_display = "{vm}/wayland-canopy"
runtime_dir = "{vm}"
[allow]
uids = [{uid}]
[apps.hello]
command = ["{client}", "--title", "hello from the {name} VM", "--app-id", "org.example.hello", "--color", "2f6fd0", "--activate-from-env"]
startup_grace_ms = 200
"#,
            vm = vm_dir.display(),
            name = vm,
            uid = rustix::process::getuid().as_raw(),
            client = bin_path("canopy-test-client").display(),
        ),
    )
    .unwrap();
}

/// Make `vm`'s agent the hostile one (`canopy-hostile-agent`), listening on `vms/VM/agent.sock`
/// and behaving as `behaviour` (the rest of its TOML config) says.
pub fn write_hostile_agent(dir: &Path, vm: &str, behaviour: &str) {
    let vm_dir = dir.join("vms").join(vm);
    std::fs::create_dir_all(&vm_dir).unwrap();
    let config = format!("listen = {:?}\n{behaviour}", vm_dir.join("agent.sock").display().to_string());
    std::fs::write(vm_dir.join("agent.toml"), config).unwrap();
    std::fs::write(vm_dir.join("agent-bin"), bin_path("canopy-hostile-agent").display().to_string()).unwrap();
}

/// The start of a hostd config: its socket and state under `dir`, this uid allowed, and the
/// command backend running `vm.sh`. The caller appends power commands, VMs and apps.
pub fn hostd_config_head(dir: &Path) -> String {
    let vm_cmd = |action: &str| format!(r#"["/bin/sh", "{}/vm.sh", "{action}", "{{vm}}"]"#, dir.display());
    format!(
        r#"
listen = ["unix:{d}/hostd.sock"]
state_dir = "{d}/state"
[allow]
uids = [{uid}]
[default_backend]
kind = "command"
start = {start}
stop = {stop}
status = {status}
"#,
        d = dir.display(),
        uid = rustix::process::getuid().as_raw(),
        start = vm_cmd("start"),
        stop = vm_cmd("stop"),
        status = vm_cmd("status"),
    )
}

/// Start hostd on `dir/hostd.toml`, appending to `dir/hostd.log` (a restarted hostd keeps the
/// earlier lines).
pub fn spawn_hostd(dir: &Path) -> Child {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("hostd.log")).unwrap();
    Command::new(bin_path("canopy-hostd"))
        .arg("--config")
        .arg(dir.join("hostd.toml"))
        .env("CANOPY_AGENT_BIN", bin_path("canopy-agent"))
        .env("CANOPY_PROXY_BIN", bin_path("canopy-proxy"))
        .env("CANOPY_NOTIFY_AGENT_BIN", bin_path("canopy-notify-agent"))
        .env("RUST_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("canopy-hostd")
}

/// Start a simulated VM as hostd's command backend would, without hostd (the notification
/// tests need no lifecycle).
pub fn start_vm(dir: &Path, vm: &str) {
    let status = Command::new("/bin/sh")
        .arg(dir.join("vm.sh"))
        .args(["start", vm])
        .env("CANOPY_AGENT_BIN", bin_path("canopy-agent"))
        .env("CANOPY_PROXY_BIN", bin_path("canopy-proxy"))
        .env("CANOPY_NOTIFY_AGENT_BIN", bin_path("canopy-notify-agent"))
        .status()
        .expect("vm.sh start");
    assert!(status.success(), "vm.sh start {vm}");
}

/// Give `vm` its own session bus with canopy-notify-agent delivering to `listen` (the VM's
/// listener in the GUI VM's canopy-notifyd). Its bus is [`vm_bus`] once it runs.
pub fn enable_notifications(dir: &Path, vm: &str, listen: &str) {
    std::fs::write(dir.join("vms").join(vm).join("notify"), listen).unwrap();
}

/// `DBUS_SESSION_BUS_ADDRESS` inside the simulated VM `vm`.
pub fn vm_bus(dir: &Path, vm: &str) -> String {
    format!("unix:path={}", dir.join("vms").join(vm).join("bus").display())
}

/// Stop a simulated VM whatever state it is in (for Drop impls: no VM outlives its test).
pub fn stop_vm(dir: &Path, vm: &str) {
    let _ = std::fs::remove_file(dir.join("vms").join(vm).join("stop-fails"));
    let _ = Command::new("/bin/sh").arg(dir.join("vm.sh")).args(["stop", vm]).status();
}
