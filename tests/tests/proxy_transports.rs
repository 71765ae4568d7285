//! The proxy's transports and start-up checks with real processes: the hybrid-vsock handshake
//! (`vsock-mux:`) against sockets that speak it as Firecracker and cloud-hypervisor do, the host
//! relay in between, and `canopy-proxy gui` refusing a compositor without security contexts.

mod proxy_support;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use canopy_tests::{bin_path, Compositor};
use proxy_support::{wait_for_socket, wait_window, Vm};

const CONFIG: &str = "[vms.work-vm]\ntrust = \"work\"\n";

/// A VMM's hybrid-vsock socket at `path`: answers `CONNECT PORT` with `OK`, then joins the
/// stream to the Unix socket `route(PORT)`. Records the ports asked for.
fn fake_vmm(path: PathBuf, route: impl Fn(u32) -> PathBuf + Send + 'static) -> Arc<Mutex<Vec<u32>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let listener = UnixListener::bind(&path).unwrap();
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(s) = s else { continue };
            let mut reader = BufReader::new(s.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let Some(port) = line.strip_prefix("CONNECT ").and_then(|p| p.trim().parse::<u32>().ok()) else {
                let _ = (&s).write_all(b"ERR\n");
                continue;
            };
            seen2.lock().unwrap().push(port);
            let Ok(peer) = UnixStream::connect(route(port)) else { continue };
            (&s).write_all(b"OK 1073741824\n").unwrap();
            splice(s, peer);
        }
    });
    seen
}

fn splice(a: UnixStream, b: UnixStream) {
    let (a2, b2) = (a.try_clone().unwrap(), b.try_clone().unwrap());
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut &a2, &mut &b2);
        let _ = b2.shutdown(std::net::Shutdown::Write);
    });
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut &b, &mut &a);
        let _ = a.shutdown(std::net::Shutdown::Write);
    });
}

fn spawn_proxy(rt: &Path, args: &[&str], log: &str) -> std::process::Child {
    Command::new(bin_path("canopy-proxy"))
        .args(args)
        .env("XDG_RUNTIME_DIR", rt)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(rt.join(log)).unwrap())
        .spawn()
        .unwrap()
}

struct Kill(Vec<std::process::Child>);

impl Drop for Kill {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[test]
fn app_reaches_the_gui_vm_over_vsock_mux_and_the_host_relay() {
    let c = Compositor::start(CONFIG);
    let rt = c.runtime_dir().to_path_buf();
    // GUI VM: its VMM delivers host connections for port 5000 to the gui's listener.
    let gui = spawn_proxy(
        &rt,
        &[
            "gui",
            "--listen",
            &format!("vsock-mux:{}:5000", rt.join("gui-vm.vsock").display()),
            "--vm",
            "work-vm",
            "--compositor",
            c.wayland_display(),
        ],
        "gui.log",
    );
    wait_for_socket(&rt.join("gui-vm.vsock_5000"), "gui", &rt.join("gui.log"));
    let rt2 = rt.clone();
    let gui_vmm = fake_vmm(rt.join("gui-vm-host.vsock"), move |port| rt2.join(format!("gui-vm.vsock_{port}")));
    // Host: the relay takes the app VM's connections to host port 6000 to the GUI VM's port 5000.
    let relay = spawn_proxy(
        &rt,
        &[
            "relay",
            "--listen",
            &format!("vsock-mux:{}:6000", rt.join("app-vm.vsock").display()),
            "--to",
            &format!("vsock-mux:{}:5000", rt.join("gui-vm-host.vsock").display()),
        ],
        "relay.log",
    );
    wait_for_socket(&rt.join("app-vm.vsock_6000"), "relay", &rt.join("relay.log"));
    // App VM: the guest's connection goes through the app VM's VMM socket.
    let rt3 = rt.clone();
    let app_vmm = fake_vmm(rt.join("app-vm-host.vsock"), move |port| rt3.join(format!("app-vm.vsock_{port}")));
    let guest = spawn_proxy(
        &rt,
        &[
            "guest",
            "--connect",
            &format!("vsock-mux:{}:6000", rt.join("app-vm-host.vsock").display()),
            "--socket",
            "guest-work",
        ],
        "guest.log",
    );
    let _procs = Kill(vec![gui, relay, guest]);
    wait_for_socket(&rt.join("guest-work"), "guest", &rt.join("guest.log"));

    let mut app = Command::new("weston-simple-shm")
        .env("XDG_RUNTIME_DIR", &rt)
        .env("WAYLAND_DISPLAY", "guest-work")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let w = wait_window(&c, |w| w.vm.as_deref() == Some("work-vm"));
    assert_eq!(w.title, "[work-vm] simple-shm");
    // (The readiness probe of the guest socket made one more connection.)
    let ports = app_vmm.lock().unwrap().clone();
    assert!(!ports.is_empty() && ports.iter().all(|&p| p == 6000), "{ports:?}");
    assert!(gui_vmm.lock().unwrap().contains(&5000));
    let _ = app.kill();
    let _ = app.wait();
}

#[test]
fn vsock_mux_refusal_is_a_clear_error_for_the_app() {
    // A VMM that refuses the port: the guest logs why and the app's connection closes.
    let dir = tempfile::tempdir().unwrap();
    let vmm = dir.path().join("vmm.vsock");
    let listener = UnixListener::bind(&vmm).unwrap();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let mut line = String::new();
            let _ = BufReader::new(s.try_clone().unwrap()).read_line(&mut line);
            let _ = (&s).write_all(b"FAILURE\n");
        }
    });
    let guest = spawn_proxy(
        dir.path(),
        &["guest", "--connect", &format!("vsock-mux:{}:7", vmm.display()), "--socket", "g"],
        "guest.log",
    );
    let _procs = Kill(vec![guest]);
    wait_for_socket(&dir.path().join("g"), "guest", &dir.path().join("guest.log"));
    let out = Command::new("weston-simple-shm")
        .env("XDG_RUNTIME_DIR", dir.path())
        .env("WAYLAND_DISPLAY", "g")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the app ran without a GUI side");
    let log = std::fs::read_to_string(dir.path().join("guest.log")).unwrap();
    assert!(log.contains("vsock-mux refused CONNECT 7"), "{log}");
}

#[test]
fn gui_refuses_a_compositor_without_security_contexts() {
    let c = Compositor::start(CONFIG);
    // A client inside a security context never sees the security-context global: connecting the
    // gui through another VM's listener is a real compositor connection without it.
    let vm = Vm::start(&c, "work-vm");
    let sandboxed = std::fs::read_dir(c.runtime_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("canopy-proxy-work-vm-"))
        .expect("the security-context listener dir")
        .join("wayland");
    let out = Command::new(bin_path("canopy-proxy"))
        .args(["gui", "--listen", &format!("unix:{}", c.runtime_dir().join("x.sock").display()), "--vm", "other"])
        .arg("--compositor")
        .arg(&sandboxed)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("offers no wp_security_context_manager_v1"), "{err}");
    drop(vm);
}

#[test]
fn gui_on_vsock_needs_allow_cid() {
    let out = Command::new(bin_path("canopy-proxy"))
        .args(["gui", "--listen", "vsock:any:5000", "--vm", "work-vm", "--compositor", "/nonexistent"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --allow-cid"));
}
