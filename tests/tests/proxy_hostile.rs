//! A hostile app VM: raw bytes written straight to `canopy-proxy gui` by a fake guest. Each
//! violation closes only that connection, with a log line naming the VM and the rule, while the
//! VM's other clients, other VMs and the compositor keep working.
//!
//! The fake guest encodes the wire format by hand here (see protocols/src/wire.rs), so these
//! tests also pin the format down independently of the proxy's own encoder.

mod proxy_support;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use canopy_tests::Compositor;
use proxy_support::{open_test_client, windows_of, Vm, VmOptions};

const CONFIG: &str = "[vms.work-vm]\ntrust = \"work\"\n\n[vms.web-vm]\ntrust = \"untrusted\"\n";

fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = (payload.len() as u32).to_le_bytes().to_vec();
    f.extend_from_slice(&[kind, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

fn hello() -> Vec<u8> {
    frame(1, &[1, 0, 0, 0])
}

fn wayland(msgs: &[u8]) -> Vec<u8> {
    frame(2, msgs)
}

fn fd_shm_pool(mem: u32, size: u32) -> Vec<u8> {
    frame(3, &[mem.to_le_bytes(), size.to_le_bytes()].concat())
}

/// A Wayland message of plain words.
fn msg(object: u32, opcode: u16, words: &[u32]) -> Vec<u8> {
    let size = 8 + 4 * words.len() as u32;
    let mut m = object.to_ne_bytes().to_vec();
    m.extend_from_slice(&((size << 16) | u32::from(opcode)).to_ne_bytes());
    for w in words {
        m.extend_from_slice(&w.to_ne_bytes());
    }
    m
}

/// wl_registry.bind(name, interface, version, id).
fn bind(name: u32, interface: &str, version: u32, id: u32) -> Vec<u8> {
    let mut s = interface.as_bytes().to_vec();
    s.push(0);
    let len = s.len() as u32;
    while !s.len().is_multiple_of(4) {
        s.push(0);
    }
    let mut body = name.to_ne_bytes().to_vec();
    body.extend_from_slice(&len.to_ne_bytes());
    body.extend_from_slice(&s);
    body.extend_from_slice(&version.to_ne_bytes());
    body.extend_from_slice(&id.to_ne_bytes());
    let size = 8 + body.len() as u32;
    let mut m = 2u32.to_ne_bytes().to_vec();
    m.extend_from_slice(&(size << 16).to_ne_bytes());
    m.extend_from_slice(&body);
    m
}

/// A fake guest connected to the GUI side, past the hello.
struct FakeGuest {
    s: UnixStream,
    buf: Vec<u8>,
}

impl FakeGuest {
    fn connect(vm: &Vm) -> FakeGuest {
        let path = vm.listen.strip_prefix("unix:").unwrap();
        let mut s = UnixStream::connect(path).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(&hello()).unwrap();
        FakeGuest { s, buf: Vec::new() }
    }

    fn send(&mut self, bytes: &[u8]) {
        // The GUI side may already have closed: that is what most cases expect.
        let _ = self.s.write_all(bytes);
    }

    /// Reads Wayland messages from the GUI side until `until` holds for one of them.
    fn read_until(&mut self, mut until: impl FnMut(u32, u16, &[u8]) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            while self.buf.len() >= 8 {
                let len = u32::from_le_bytes(self.buf[..4].try_into().unwrap()) as usize;
                if self.buf.len() < 8 + len {
                    break;
                }
                let kind = self.buf[4];
                let payload: Vec<u8> = self.buf[8..8 + len].to_vec();
                self.buf.drain(..8 + len);
                if kind != 2 {
                    continue;
                }
                let mut at = 0;
                while at + 8 <= payload.len() {
                    let object = u32::from_ne_bytes(payload[at..at + 4].try_into().unwrap());
                    let word = u32::from_ne_bytes(payload[at + 4..at + 8].try_into().unwrap());
                    let size = (word >> 16) as usize;
                    if until(object, (word & 0xffff) as u16, &payload[at + 8..at + size]) {
                        return;
                    }
                    at += size;
                }
            }
            assert!(Instant::now() < deadline, "the GUI side never answered");
            let mut chunk = [0u8; 65536];
            let n = self.s.read(&mut chunk).expect("reading from the GUI side");
            assert!(n > 0, "the GUI side closed a well-behaved connection");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// get_registry + sync; returns the advertised (name, interface, version) triples.
    fn globals(&mut self) -> Vec<(u32, String, u32)> {
        self.send(&wayland(&[msg(1, 1, &[2]), msg(1, 0, &[3])].concat()));
        let mut globals = Vec::new();
        self.read_until(|object, opcode, args| {
            if object == 2 && opcode == 0 {
                let name = u32::from_ne_bytes(args[..4].try_into().unwrap());
                let len = u32::from_ne_bytes(args[4..8].try_into().unwrap()) as usize;
                let iface = String::from_utf8_lossy(&args[8..8 + len - 1]).into_owned();
                let at = 8 + len.div_ceil(4) * 4;
                let version = u32::from_ne_bytes(args[at..at + 4].try_into().unwrap());
                globals.push((name, iface, version));
            }
            object == 3 && opcode == 0
        });
        globals
    }

    fn bind_global(&mut self, globals: &[(u32, String, u32)], iface: &str, id: u32) {
        let (name, _, _) = globals.iter().find(|g| g.1 == iface).unwrap_or_else(|| panic!("no {iface}"));
        self.send(&wayland(&bind(*name, iface, 1, id)));
    }

    /// True once the GUI side has closed this connection (within 10 s).
    fn closed(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut chunk = [0u8; 65536];
        while Instant::now() < deadline {
            match self.s.read(&mut chunk) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
                Err(_) => return false,
            }
        }
        false
    }
}

/// The hostile cases: what the fake guest does, and the rule the GUI side must name.
/// (case, what the fake guest does, the rule named in the log)
type Case = (&'static str, Box<dyn Fn(&mut FakeGuest)>, &'static str);

fn cases() -> Vec<Case> {
    vec![
        ("truncated header", Box::new(|g| g.send(&wayland(&[1, 0, 0, 0, 1, 0]))), "truncated message header"),
        (
            "length too small",
            Box::new(|g| {
                let mut m = msg(1, 1, &[2]);
                m[4..8].copy_from_slice(&((4u32 << 16) | 1).to_ne_bytes());
                g.send(&wayland(&m))
            }),
            "smaller than its header",
        ),
        (
            "length too large",
            Box::new(|g| {
                let mut m = msg(1, 1, &[2]);
                m[4..8].copy_from_slice(&((0x2000u32 << 16) | 1).to_ne_bytes());
                m.resize(0x2000, 0);
                g.send(&wayland(&m))
            }),
            "exceeds the limit",
        ),
        ("unknown object id", Box::new(|g| g.send(&wayland(&msg(4242, 0, &[])))), "unknown object id 4242"),
        ("opcode out of range", Box::new(|g| g.send(&wayland(&msg(1, 9, &[])))), "opcode 9 out of range"),
        (
            "wrong fd count",
            Box::new(|g| {
                let globals = g.globals();
                g.bind_global(&globals, "wl_shm", 4);
                g.send(&wayland(&msg(4, 0, &[5, 4096])));
            }),
            "needs 1 fds, 0 announced",
        ),
        (
            "buffer beyond its pool",
            Box::new(|g| {
                let globals = g.globals();
                g.bind_global(&globals, "wl_shm", 4);
                g.send(&[fd_shm_pool(1, 4096), wayland(&msg(4, 0, &[5, 4096]))].concat());
                g.send(&wayland(&msg(5, 0, &[6, 0, 64, 64, 256, 0])));
            }),
            "beyond its pool",
        ),
        (
            "negative stride",
            Box::new(|g| {
                let globals = g.globals();
                g.bind_global(&globals, "wl_shm", 4);
                g.send(&[fd_shm_pool(1, 65536), wayland(&msg(4, 0, &[5, 65536]))].concat());
                g.send(&wayland(&msg(5, 0, &[6, 0, 16, 16, (-64i32) as u32, 0])));
            }),
            "stride -64",
        ),
        (
            "huge stride",
            Box::new(|g| {
                let globals = g.globals();
                g.bind_global(&globals, "wl_shm", 4);
                g.send(&[fd_shm_pool(1, 65536), wayland(&msg(4, 0, &[5, 65536]))].concat());
                g.send(&wayland(&msg(5, 0, &[6, 0, 16, 16, 0x7fff_0000, 0])));
            }),
            "beyond its pool",
        ),
        ("huge pool", Box::new(|g| g.send(&fd_shm_pool(1, 0x7fff_0000))), "limit"),
        (
            "binding a global that was not advertised",
            Box::new(|g| {
                let globals = g.globals();
                let hidden = [
                    "zwlr_layer_shell_v1",
                    "zwp_linux_dmabuf_v1",
                    "zwlr_screencopy_manager_v1",
                    "zwlr_output_manager_v1",
                    "ext_image_copy_capture_manager_v1",
                    "ext_output_image_capture_source_manager_v1",
                ];
                assert!(!globals.iter().any(|(_, i, _)| hidden.contains(&i.as_str())), "{globals:?}");
                g.send(&wayland(&bind(999_999, "wl_seat", 1, 4)));
            }),
            "never advertised",
        ),
        (
            "100 000 objects",
            Box::new(|g| {
                let globals = g.globals();
                g.bind_global(&globals, "wl_compositor", 4);
                g.send(&wayland(&msg(4, 0, &[5]))); // wl_compositor.create_surface
                let mut batch = Vec::new();
                // Client ids must come in order (libwayland refuses gaps). Frame callbacks are
                // under no per-interface cap and stay pending without a commit.
                for id in 6..6 + 100_000 {
                    batch.extend_from_slice(&msg(5, 3, &[id])); // wl_surface.frame
                    if batch.len() > 30_000 {
                        g.send(&wayland(&batch));
                        batch.clear();
                    }
                }
                g.send(&wayland(&batch));
            }),
            "objects exceed the limit",
        ),
        (
            "too many surfaces",
            Box::new(|g| {
                let globals = g.globals();
                g.bind_global(&globals, "wl_compositor", 4);
                let all: Vec<u8> = (5..5 + 5000).flat_map(|id| msg(4, 0, &[id])).collect();
                for batch in all.chunks(12 * 2000) {
                    g.send(&wayland(batch));
                }
            }),
            "more than 4096 wl_surface objects in one client",
        ),
        (
            "buffer wider than the limit",
            Box::new(|g| {
                let globals = g.globals();
                g.bind_global(&globals, "wl_shm", 4);
                g.send(&[fd_shm_pool(1, 80_000), wayland(&msg(4, 0, &[5, 80_000]))].concat());
                g.send(&wayland(&msg(5, 0, &[6, 0, 20_000, 1, 80_000, 0])));
            }),
            "buffer of 20000x1 (limit 16384)",
        ),
        (
            "viewport destination of 2e9 px",
            Box::new(|g| {
                let globals = g.globals();
                g.bind_global(&globals, "wl_compositor", 4);
                g.bind_global(&globals, "wp_viewporter", 5);
                g.send(&wayland(&[msg(4, 0, &[6]), msg(5, 1, &[7, 6]), msg(7, 2, &[2_000_000_000, 100])].concat()));
            }),
            "viewport destination of 2000000000x100 (limit 16384",
        ),
        (
            // KDE's server-decoration protocol is let through and checked like the others.
            "kde decoration for an object that is not a surface",
            Box::new(|g| {
                let globals = g.globals();
                g.bind_global(&globals, "org_kde_kwin_server_decoration_manager", 4);
                g.send(&wayland(&msg(4, 0, &[5, 4]))); // create(id 5, surface: the manager)
            }),
            "object 4 is a org_kde_kwin_server_decoration_manager, not a wl_surface",
        ),
        (
            "an idle inhibitor on something not a surface",
            Box::new(|g| {
                let globals = g.globals();
                g.bind_global(&globals, "wl_compositor", 4);
                g.bind_global(&globals, "zwp_idle_inhibit_manager_v1", 5);
                g.send(&wayland(&msg(5, 1, &[6, 4]))); // create_inhibitor(id 6, surface = the compositor)
            }),
            "zwp_idle_inhibit_manager_v1.create_inhibitor: object 4 is a wl_compositor, not a wl_surface",
        ),
        ("unknown frame kind", Box::new(|g| g.send(&frame(77, &[]))), "unknown frame kind 77"),
        (
            "stream ends inside a frame",
            Box::new(|g| {
                let f = wayland(&msg(1, 1, &[2]));
                g.send(&f[..f.len() - 2]);
                let _ = g.s.shutdown(std::net::Shutdown::Write);
            }),
            "stream ended inside a frame",
        ),
    ]
}

#[test]
fn each_violation_closes_only_its_connection() {
    let c = Compositor::start(CONFIG);
    let work = Vm::start(&c, "work-vm");
    let web = Vm::start(&c, "web-vm");
    let (_a, _) = open_test_client(&c, &work, &["--title", "work app"]);
    let (_b, _) = open_test_client(&c, &web, &["--title", "web app"]);
    // A well-behaved connection of the same VM, open all along.
    let mut honest = FakeGuest::connect(&work);
    let honest_globals = honest.globals();

    for (name, act, rule) in cases() {
        let mut g = FakeGuest::connect(&work);
        act(&mut g);
        assert!(g.closed(), "{name}: the connection stayed open");
        eprintln!("{name}: {}", work.wait_log(rule));
        // Everything else keeps working.
        assert_eq!(windows_of(&c, "work-vm").len(), 1, "{name}");
        assert_eq!(windows_of(&c, "web-vm").len(), 1, "{name}");
    }
    // The honest connection still gets answers, and new clients of the VM still work.
    honest.send(&wayland(&msg(1, 0, &[4])));
    honest.read_until(|object, opcode, _| object == 4 && opcode == 0);
    assert!(!honest_globals.is_empty());
    let (_c2, w) = open_test_client(&c, &work, &["--title", "after the attacks"]);
    assert_eq!(w.title, "[work-vm] after the attacks");
    assert!(matches!(c.msg(&["version"]), canopy_ipc::Response::Version(_)));
}

/// The caps count all clients of the VM together: the client that goes over is closed, the
/// others keep their surfaces and keep working, and places come back when a client leaves.
#[test]
fn vm_wide_caps_close_the_client_that_goes_over() {
    let c = Compositor::start(CONFIG);
    let work =
        Vm::start_with(&c, "work-vm", VmOptions { gui_args: &["--cap", "wl_surface=100:150"], ..Default::default() });
    // Client ids come in order (libwayland refuses gaps): surfaces from 5, then the syncs.
    let surfaces = |g: &mut FakeGuest, ids: std::ops::Range<u32>| {
        let globals = g.globals();
        g.bind_global(&globals, "wl_compositor", 4);
        let m: Vec<u8> = ids.flat_map(|id| msg(4, 0, &[id])).collect();
        g.send(&wayland(&m));
    };
    let mut a = FakeGuest::connect(&work);
    surfaces(&mut a, 5..85);
    a.send(&wayland(&msg(1, 0, &[85])));
    a.read_until(|object, opcode, _| object == 85 && opcode == 0);
    let mut b = FakeGuest::connect(&work);
    surfaces(&mut b, 5..85);
    assert!(b.closed(), "the client going over the VM's cap stayed open");
    work.wait_log("more than 150 wl_surface objects in the VM");
    // The first client is untouched, and a real client of the VM still opens its window.
    a.send(&wayland(&msg(1, 0, &[86])));
    a.read_until(|object, opcode, _| object == 86 && opcode == 0);
    let (_t, w) = open_test_client(&c, &work, &["--title", "within the cap"]);
    assert_eq!(w.title, "[work-vm] within the cap");
    // When the first client leaves, its places are free again (counted out before the line
    // saying it left): another client may hold its own cap of 100.
    // (The sockets' readiness probes left such lines already: wait for one more.)
    let left = || work.gui_log().matches("VM client disconnected").count();
    let before = left();
    drop(a);
    let start = Instant::now();
    while left() == before {
        assert!(start.elapsed() < Duration::from_secs(10), "{}", work.gui_log());
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut e = FakeGuest::connect(&work);
    surfaces(&mut e, 5..105);
    e.send(&wayland(&msg(1, 0, &[105])));
    e.read_until(|object, opcode, _| object == 105 && opcode == 0);
}

/// Our test client asking, through the proxy, for a surface 2 000 000 000 px wide with
/// wp_viewport is closed by the GUI side before the compositor sees the size; the VM's other
/// windows stay.
#[test]
fn a_giant_viewport_closes_the_client_before_the_compositor_sees_it() {
    let c = Compositor::start(CONFIG);
    let work = Vm::start(&c, "work-vm");
    let (_ok, _) = open_test_client(&c, &work, &["--title", "stays"]);
    let _evil = work.spawn("canopy-test-client", &["--title", "giant", "--viewport", "2000000000x100"]);
    work.wait_log("viewport destination of 2000000000x100 (limit 16384");
    c.wait_until("only the window that stays", || {
        let titles: Vec<String> = windows_of(&c, "work-vm").iter().map(|w| w.title.clone()).collect();
        titles == ["[work-vm] stays"]
    });
    // The compositor still answers and draws new windows of the VM.
    let (_after, w) = open_test_client(&c, &work, &["--title", "after the giant"]);
    assert_eq!(w.title, "[work-vm] after the giant");
}
