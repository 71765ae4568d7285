//! VM apps survive a compositor crash: real clients (foot, weston-simple-shm, zathura,
//! gtk4-demo, our test client) behind the real proxy pair; the compositor is killed with
//! SIGKILL and a new one started on the same socket; every app process lives on and every
//! window comes back with its title, VM colour, size and content; a popup open at the crash
//! was dismissed; typing reaches foot again. Three crashes in a row, the later ones while
//! clients stream frames. A crash while locked comes back locked.

mod proxy_support;
mod shell_support;

use std::collections::BTreeMap;
use std::process::{Child, Stdio};

use canopy_ipc::Window;
use canopy_tests::fixture::{geometry, rgb};
use canopy_tests::{bin_path, Client, Compositor, Image};
use canopy_themes::Theme;
use proxy_support::{open_test_client, windows_of, Vm};
use shell_support::lock::{covered, test_account, PASSWORD, SERVICE, USER};

const CONFIG: &str = "[vms.work-vm]\ntrust = \"work\"\n";

/// The windows of the VM by raw title: (title, trust, width, height).
fn shown(c: &Compositor) -> BTreeMap<String, (String, String, i32, i32)> {
    windows_of(c, "work-vm")
        .into_iter()
        .filter(|w| w.geometry.is_some())
        .map(|w| {
            let (_, _, width, height) = geometry(&w);
            let raw = w.raw_title.as_str().to_string();
            (raw, (w.title.as_str().into(), w.trust.as_str().into(), width, height))
        })
        .collect()
}

fn window(c: &Compositor, title: &str) -> Window {
    windows_of(c, "work-vm").into_iter().find(|w| w.raw_title == title).unwrap_or_else(|| panic!("no {title}"))
}

/// The content of a window (inside its frame).
fn content(c: &Compositor, w: &Window) -> Image {
    let (x, y, width, height) = geometry(w);
    c.screenshot().crop(x as u32, y as u32, width as u32, height as u32)
}

/// Raises and focuses a window, as the user does choosing it.
fn focus(c: &Compositor, w: &Window) {
    let id = w.id;
    c.msg(&["focus", &id.to_string()]);
    c.wait_until("the window to have focus", || c.window(id).focused);
}

struct Apps {
    children: Vec<(&'static str, Child)>,
}

impl Apps {
    fn all_alive(&mut self) {
        for (name, child) in &mut self.children {
            assert!(child.try_wait().unwrap().is_none(), "{name} exited: {:?}", child.try_wait());
        }
    }
}

impl Drop for Apps {
    fn drop(&mut self) {
        for (_, c) in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Waits for `n` windows of the VM, drawn.
fn wait_windows(c: &Compositor, n: usize) -> BTreeMap<String, (String, String, i32, i32)> {
    let mut last = BTreeMap::new();
    c.wait_until(&format!("{n} windows of the VM"), || {
        last = shown(c);
        last.len() == n
    });
    last
}

/// Kills the compositor, starts a new one on the same socket, and waits for the VM's `n`
/// windows to be back and drawn; checks the frame colour of the focused one.
fn crash_and_wait(c: &mut Compositor, vm: &Vm, n: usize) -> BTreeMap<String, (String, String, i32, i32)> {
    c.kill();
    c.restart();
    let back = wait_windows(c, n);
    let theme = Theme::default();
    if let Some(w) = windows_of(c, "work-vm").into_iter().find(|w| w.focused) {
        let (x, y, _, h) = geometry(&w);
        assert_eq!(c.screenshot().pixel((x - 2) as u32, (y + h / 2) as u32), rgb(theme.colours("work").focused));
    }
    assert!(vm.gui_log().contains("client restored on the new compositor"), "{}", vm.logs());
    back
}

#[test]
fn vm_apps_survive_three_compositor_crashes() {
    let mut c = Compositor::start(CONFIG);
    let vm = Vm::start(&c, "work-vm");
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("report.pdf");
    std::fs::write(&pdf, canopy_tests::pdf::text_pdf(&["Crash report", "This page survives the compositor."])).unwrap();
    let typed = dir.path().join("typed.txt");
    let script = format!("cat > {}", typed.display());
    let spawn = |program: &str, args: &[&str]| {
        let mut cmd = vm.command(program);
        cmd.args(args).stdout(Stdio::null()).stderr(Stdio::null());
        cmd.spawn().unwrap_or_else(|e| panic!("{program}: {e}"))
    };
    let mut apps = Apps {
        children: vec![
            ("foot", spawn("foot", &["--title", "typing", "sh", "-c", &script])),
            ("weston-simple-shm", spawn("weston-simple-shm", &[])),
            ("zathura", spawn("zathura", &[pdf.to_str().unwrap()])),
            ("gtk4-demo", spawn("gtk4-demo", &[])),
        ],
    };
    let args = ["--title", "survivor", "--size", "300x200", "--color", "d04a2f", "--popup"];
    let mut test_client: Client = vm.spawn("canopy-test-client", &args);
    test_client.wait_event("popup-configure", |_| true);
    wait_windows(&c, 5);
    // The PDF viewer was resized by the user: it comes back at that size, not its default.
    let zathura = windows_of(&c, "work-vm").into_iter().find(|w| w.raw_title.as_str().contains("report.pdf"));
    let zathura = zathura.unwrap().id;
    c.msg(&["resize", &zathura.to_string(), "640", "420"]);
    c.wait_until("zathura at its new size", || geometry(&c.window(zathura)).2 == 640);
    let before = wait_windows(&c, 5);
    for (title, part) in [("typing", "typing"), ("simple-shm", "simple-shm"), ("survivor", "survivor")] {
        assert!(before.contains_key(title), "{part} missing: {before:?}");
    }
    assert!(before.keys().any(|t| t.contains("report.pdf")) && before.keys().any(|t| t.contains("GTK Demo")));

    // Text typed into foot, on screen and in its pty.
    focus(&c, &window(&c, "typing"));
    c.msg(&["type", "typed before the crash"]);
    c.msg(&["key", "Return"]);
    c.wait_until("the line in foot", || std::fs::read_to_string(&typed).is_ok_and(|s| s.ends_with("crash\n")));
    // Let foot draw the line (it draws on its next frame), then look at it.
    let mut foot_before = content(&c, &window(&c, "typing"));
    c.wait_until("foot to settle", || {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let now = content(&c, &window(&c, "typing"));
        std::mem::replace(&mut foot_before, now.clone()).diff_count(&now, 0) == 0
    });

    // Crash 1: everything comes back as it was.
    let after = crash_and_wait(&mut c, &vm, 5);
    apps.all_alive();
    assert!(test_client.child.try_wait().unwrap().is_none(), "the test client exited");
    assert_eq!(after, before, "windows after the crash differ");
    test_client.wait_event("popup-done", |_| true);
    let foot = window(&c, "typing");
    focus(&c, &foot);
    let mut foot_after = content(&c, &foot);
    c.wait_until("foot to show what it showed before the crash", || {
        foot_after = content(&c, &window(&c, "typing"));
        foot_after.diff_count(&foot_before, 0) == 0
    });
    c.msg(&["type", "typed after the crash"]);
    c.msg(&["key", "Return"]);
    c.wait_until("the second line in foot", || {
        std::fs::read_to_string(&typed).is_ok_and(|s| s == "typed before the crash\ntyped after the crash\n")
    });

    // Crashes 2 and 3 while clients stream frames: weston-simple-shm redraws every frame, and
    // the test client moves a bar across 800×500 pixels (commits half sent, pool data mid-way).
    let mut animated = vm.spawn("canopy-test-client", &["--title", "streaming", "--size", "800x500", "--animate"]);
    animated.wait_event("drawn", |_| true);
    let before = wait_windows(&c, 6);
    for round in [2, 3] {
        let mark = animated.mark();
        animated.wait_event_since(mark, "drawn");
        let after = crash_and_wait(&mut c, &vm, 6);
        assert_eq!(after, before, "windows after crash {round} differ");
        apps.all_alive();
        // The animation goes on: frames are drawn again after the restore.
        let mark = animated.mark();
        animated.wait_event_since(mark, "drawn");
    }
    assert!(animated.child.try_wait().unwrap().is_none() && test_client.child.try_wait().unwrap().is_none());
}

/// The session was locked when the compositor died: the new one starts locked (every output
/// covered, its lock program started), the VM's window is restored behind the lock and gets
/// no key, and unlocking shows it again, with the panel (autostart) back.
#[test]
fn a_crash_while_locked_comes_back_locked() {
    test_account();
    let lock = bin_path("canopy-lock");
    let lock_args = ["--pam-service", SERVICE, "--user", USER, "--time", shell_support::TIME];
    let argv: Vec<String> = std::iter::once(lock.display().to_string()).chain(lock_args.map(String::from)).collect();
    let panel = bin_path("canopy-panel").display().to_string();
    let config = format!("lock_command = {argv:?}\nautostart = [[{panel:?}]]\n\n[vms.work-vm]\ntrust = \"work\"\n");
    let mut c = Compositor::start(&config);
    c.wait_until("the panel", || usable_y(&c) > 0);
    let vm = Vm::start(&c, "work-vm");
    let (mut client, w) = open_test_client(&c, &vm, &["--title", "secret work", "--color", "10c020"]);
    let (x, y, width, height) = geometry(&w);
    let app = ((x + width / 4) as u32, (y + height / 4) as u32);
    assert_eq!(c.screenshot().pixel(app.0, app.1), [0x10, 0xc0, 0x20]);
    let _locker = c.spawn("canopy-lock", &lock_args);
    c.wait_until("the lock screen", || covered(&c.screenshot()));

    c.kill();
    c.restart();
    // Before anything else: the restored window exists, and nothing of it shows.
    let id = wait_windows(&c, 1).len();
    assert_eq!(id, 1);
    let img = c.screenshot();
    assert_ne!(img.pixel(app.0, app.1), [0x10, 0xc0, 0x20], "the desktop showed after a crash while locked");
    // The new compositor started the lock program, which covers the output.
    c.wait_until("the lock screen of the new compositor", || covered(&c.screenshot()));
    let keys = client.events().iter().filter(|e| e["event"] == "key").count();
    c.msg(&["type", PASSWORD]);
    c.msg(&["key", "Return"]);
    c.wait_until("the window to show again", || c.screenshot().pixel(app.0, app.1) == [0x10, 0xc0, 0x20]);
    client.roundtrip();
    assert_eq!(client.events().iter().filter(|e| e["event"] == "key").count(), keys, "a key reached the VM");
    assert!(client.child.try_wait().unwrap().is_none());
    // The trusted shell came back with the compositor.
    c.wait_until("the panel again", || usable_y(&c) > 0);
}

/// Where the usable area of the first output starts (below a panel).
fn usable_y(c: &Compositor) -> i64 {
    c.outputs()[0].usable.y.into()
}
