//! canopy across real VM boundaries, on a real KMS device: QEMU guests under TCG (tests/vm).
//!
//! The GUI VM runs `canopy --backend udev` on virtio-gpu with libinput on virtio input
//! devices, `canopy-proxy gui` on AF_VSOCK and the panel; the app VM runs `canopy-proxy guest`
//! and our test client, whose connection reaches the GUI VM through `canopy-proxy relay` on
//! the host. What the GUI VM's screen shows is taken with QMP `screendump` and compared with
//! the same scene rendered by the headless backend (tests/golden/vm-*.png). Also: QMP keys and
//! clicks reaching the app, VT switching, a monitor plugged into the second head and out again,
//! Debian's weston-simple-shm and foot in the app VM, the app VM killed, and the GLES renderer.
//! Scenarios of their own in `tests/vm/scenarios/`: pixels through an ivshmem region both guests
//! share (`shared-memory`), canopy killed and restarted in the GUI VM (`crash-recovery`).
//! Also the launcher booting the app VM through hostd on the host (`lifecycle`), and the lid
//! and sleep in the GUI VM (`lid`).
//!
//! Run alone: `cargo test -p canopy-tests --test vm_e2e -- --nocapture`. Screendumps go to
//! `target/vm/shots/SCENARIO/` (or $CANOPY_VM_SHOTS/SCENARIO/), logs and timings to
//! `target/vm/run/SCENARIO/`. With CANOPY_VM_WATCH=1 the GUI VM's screen is also written to
//! `live.png` there every second.

#[path = "../vm/mod.rs"]
mod vm;

#[path = "../vm/scenarios/crash_recovery.rs"]
mod crash_recovery;
#[path = "../vm/scenarios/lid.rs"]
mod lid;
#[path = "../vm/scenarios/lifecycle.rs"]
mod lifecycle;
#[path = "../vm/scenarios/shared_memory.rs"]
mod shared_memory;
mod shell_support;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use canopy_ipc::{Response, Window};
use canopy_tests::fixture::{geometry, outputs, rgb};
use canopy_tests::image::{assert_golden, golden_dir};
use canopy_tests::{Compositor, Image};
use canopy_themes::Theme;
use serde_json::Value;

use vm::qemu::{Vm, VmSpec};
use vm::Lab;

/// Keys come from QMP one event at a time into a guest under emulation, so on a busy host a
/// release can reach an app long after its press; a long repeat delay keeps that from reading
/// as a held key (foot repeats on its own timer).
const CONFIG: &str = "[vms.app-vm]\ntrust = \"untrusted\"\n[keyboard]\nrepeat_delay = 5000\n";
/// virtio-gpu's preferred mode, and the headless output of the reference scene.
const WIDTH: u32 = 1024;
const HEIGHT: u32 = 768;
const PANEL_HEIGHT: u32 = 32;
/// The panel shows this instead of the clock, in the VM and in the reference.
const PANEL_TIME: &str = "2026-11-26 14:05";
const CLIENT: &[&str] = &["--title", "report.pdf", "--color", "2f6fd0"];
/// The pointer waits on the desktop, away from the panel and the window.
const PARK: (u32, u32) = (1000, 740);
/// The connectors of virtio-gpu's two heads, and the monitor plugged into the second.
const HEAD1: &str = "Virtual-1";
const HEAD2: &str = "Virtual-2";
const HEAD2_SIZE: (u32, u32) = (800, 600);
/// Where the window goes on the second head (global coordinates of its client area).
const MOVE_TO: (i32, i32) = (WIDTH as i32 + 200, 150);

/// Waits until two screenshots of `output` in a row are the same, and returns the last one.
fn settled(c: &Compositor, output: &str) -> Image {
    let mut last = c.screenshot_of(Some(output));
    let mut same = 0;
    c.wait_until("the screen to settle", || {
        std::thread::sleep(Duration::from_millis(200));
        let now = c.screenshot_of(Some(output));
        same = if now == last { same + 1 } else { 0 };
        last = now;
        same >= 2
    });
    last
}

/// The scene on the headless backend, step by step as in the VMs; each step's screen is the
/// golden image the VM's screen is compared with.
#[test]
fn headless_reference_of_the_vm_scene() {
    let mut c = Compositor::start_with(CONFIG, &[&format!("{HEAD1}:{WIDTH}x{HEIGHT}")]);
    let no_battery = c.runtime_dir().join("no-power-supply");
    std::fs::create_dir_all(&no_battery).unwrap();
    let no_battery = no_battery.to_str().unwrap().to_string();
    let panel_args = ["--time", PANEL_TIME, "--hostd", "unix:/run/no-hostd.sock", "--power-supply", &no_battery];
    let _panel = c.spawn("canopy-panel", &panel_args);
    let background = rgb(Theme::default().desktop.background);
    let has_panel =
        |c: &Compositor, output: &str| c.screenshot_of(Some(output)).pixel(100, PANEL_HEIGHT / 2) != background;
    c.wait_until("the panel", || has_panel(&c, HEAD1));
    assert_golden("vm-desktop", &settled(&c, HEAD1), 0, 0);

    let (_client, w) = c.open(Some("app-vm"), CLIENT);
    assert_eq!(w.title, "[app-vm] report.pdf");
    assert_golden("vm-app-window", &settled(&c, HEAD1), 0, 0);

    c.msg(&["output-add", HEAD2, &format!("{}x{}", HEAD2_SIZE.0, HEAD2_SIZE.1)]);
    c.wait_until("the panel on the second head", || has_panel(&c, HEAD2));
    c.msg(&["move", &w.id.to_string(), &MOVE_TO.0.to_string(), &MOVE_TO.1.to_string()]);
    assert_golden("vm-head2-window", &settled(&c, HEAD2), 0, 0);

    c.msg(&["output-remove", HEAD2]);
    c.wait_until("the window back on the first head", || c.windows()[0].output.as_deref() == Some(HEAD1));
    // Back in the middle of the first head, as it opened.
    assert_golden("vm-app-window", &settled(&c, HEAD1), 0, 0);

    // Plugged in again: a panel, nothing else.
    c.msg(&["output-add", HEAD2, &format!("{}x{}", HEAD2_SIZE.0, HEAD2_SIZE.1)]);
    c.wait_until("the panel on the second head", || has_panel(&c, HEAD2));
    assert_golden("vm-head2-again", &settled(&c, HEAD2), 0, 0);
}

fn golden(name: &str) -> Image {
    Image::load(&golden_dir().join(format!("{name}.png"))).expect("golden image")
}

/// Take screendumps of head `head` of the GUI VM until one matches the golden image `name`;
/// keep the last one in the shots folder. Fails after `timeout` with the number of differing
/// pixels.
fn wait_for_screen(lab: &mut Lab, gui: &mut Vm, head: u32, name: &str, timeout: Duration) -> Result<Image> {
    let expected = golden(name);
    let path = lab.shot_path(name);
    let start = Instant::now();
    loop {
        let shot = gui.screendump(&path, head)?;
        let diff = shot.diff_count(&expected, 0);
        if diff == 0 {
            return Ok(shot);
        }
        if start.elapsed() > timeout {
            bail!(
                "head {head} of the GUI VM ({}) differs from tests/golden/{name}.png in {}",
                path.display(),
                if diff == usize::MAX { "size".to_string() } else { format!("{diff} pixels") }
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The test client's event lines so far (it writes them to the run directory from the app VM).
fn client_events(lab: &Lab) -> Vec<Value> {
    std::fs::read_to_string(lab.run_file("client.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn wait_for_event(lab: &Lab, what: &str, pred: impl Fn(&Value) -> bool) -> Result<()> {
    let start = Instant::now();
    while !client_events(lab).iter().any(&pred) {
        if start.elapsed() > Duration::from_secs(60) {
            bail!("the app never saw {what}; its events: {:?}", client_events(lab));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// Put the tablet's pointer at (x, y) and wait until the compositor has it there. Events sent
/// before libinput has opened the device are lost, so the move is repeated until it arrives.
fn pointer_to(gui: &mut Vm, x: u32, y: u32) -> Result<()> {
    let start = Instant::now();
    loop {
        gui.pointer_to(x, y, WIDTH, HEIGHT)?;
        let (px, py) = match gui.msg(&["cursor"])? {
            Response::Cursor(at) => (at.x, at.y),
            other => bail!("cursor answered {other:?}"),
        };
        if (px - x as f64).abs() <= 1.0 && (py - y as f64).abs() <= 1.0 {
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(60) {
            bail!("the pointer is at ({px}, {py}), not at ({x}, {y})");
        }
    }
}

fn windows(gui: &mut Vm) -> Result<Vec<Window>> {
    match gui.msg(&["windows"])? {
        Response::Windows(w) => Ok(w),
        other => bail!("windows answered {other:?}"),
    }
}

fn wait_for_windows(gui: &mut Vm, n: usize, timeout: Duration) -> Result<Vec<Window>> {
    let start = Instant::now();
    loop {
        let w = windows(gui)?;
        if w.len() == n && w.iter().all(|w| w.geometry.is_some()) {
            return Ok(w);
        }
        if start.elapsed() > timeout {
            bail!("expected {n} windows in the GUI VM, have {w:?}");
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// How many pixels of the panel strip have `colour` (the window buttons' trust markers).
fn panel_pixels(img: &Image, colour: [u8; 3]) -> usize {
    img.count_colour(0, 0, img.width, PANEL_HEIGHT, colour)
}

/// Like assert_eq!, but an error of the scenario, so that the logs are shown.
macro_rules! check_eq {
    ($a:expr, $b:expr, $what:expr) => {{
        let (a, b) = (&$a, &$b);
        ensure!(a == b, "{}: {:?}, expected {:?}", $what, a, b);
    }};
}
// For the scenario files (`use super::*`).
use check_eq;

/// One VM scenario at a time: each keeps a core busy while it runs.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Run a scenario in its own lab; on failure, show the ends of every log.
fn run_scenario(name: &str, scenario: fn(&mut Lab) -> Result<()>) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut lab = Lab::prepare(name).expect("preparing the VM lab");
    let result = scenario(&mut lab);
    eprintln!("VM scenario {name}, timings:\n{}", lab.report());
    if let Err(e) = result {
        let logs: Vec<String> = [
            "gui-console.log",
            "gui-compositor.log",
            "gui-compositor-supervised.log",
            "gui-proxy-gui.log",
            "gui-panel.log",
            "gui-context-client.log",
            "app-console.log",
            "app-proxy-guest.log",
            "app-client.log",
            "relay.log",
            "vhost-device-vsock.log",
            "hostd.log",
            "gui-lid.log",
            "lid.log",
            "gui-launcher.log",
            "app-boot.log",
            "app-agent.log",
            "app-backend.log",
            "app-qemu.log",
            "app-power-button.log",
        ]
        .iter()
        .filter(|f| lab.run_file(f).exists())
        .map(|f| lab.tail(f, 25))
        .collect();
        panic!("{e:#}\n{}\nlogs: {}\nscreendumps: {}", logs.join("\n"), lab.run.display(), lab.shots.display());
    }
}

#[test]
fn canopy_on_real_vms_shows_an_app_vm_window_in_its_trust_colour() {
    run_scenario("two-vms", two_vms);
}

/// The GLES renderer (GBM buffers, EGL; Mesa's llvmpipe on virtio-gpu without virgl) draws
/// the same screen as pixman, the pointer on the cursor plane.
#[test]
fn gles_on_virtio_gpu_draws_the_same_screen() {
    run_scenario("gles", gles);
}

/// Pixels through an ivshmem region both guests map; the stream carries none (scenario file).
#[test]
fn shared_memory_between_guests_carries_the_pixels() {
    run_scenario("shared-memory", shared_memory::shared_memory);
}

/// canopy killed in the GUI VM and restarted; the app VM's window comes back (scenario file).
#[test]
fn crash_recovery_across_vms_brings_the_window_back() {
    run_scenario("crash-recovery", crash_recovery::crash_recovery);
}

/// Apps started from the launcher across VMs (tests/vm/scenarios/lifecycle.rs).
#[test]
fn the_launcher_boots_the_app_vm_through_hostd_and_stop_powers_it_off() {
    run_scenario("lifecycle", lifecycle::lifecycle);
}

/// Lid and sleep in the GUI VM (tests/vm/scenarios/lid.rs).
#[test]
fn a_lid_closed_in_the_gui_vm_locks_before_the_host_suspends() {
    run_scenario("lid", lid::lid);
}

fn gles(lab: &mut Lab) -> Result<()> {
    let long = Duration::from_secs(240);
    std::fs::write(lab.run_file("canopy.toml"), CONFIG)?;
    let mut gui = lab.boot(&VmSpec::gui(WIDTH, HEIGHT, "none".into()))?;
    lab.watch(&gui);
    gui.wait_line("VM-READY", long)?;
    lab.step("boot the GUI VM");
    gui.guest("udev", &[], long)?;
    gui.guest("compositor", &["gles"], long)?;
    let log = std::fs::read_to_string(lab.run_file("gui-compositor.log"))?;
    let opened = plain(&log).lines().find(|l| l.contains("GPU opened")).map(str::to_string).unwrap_or_default();
    if !opened.contains("renderer=\"gles\"") {
        bail!("canopy did not render with GLES: {opened:?}");
    }
    lab.step("GUI VM: udev, canopy --backend udev with GLES ready");
    gui.guest("panel", &[], long)?;
    pointer_to(&mut gui, PARK.0, PARK.1)?;
    wait_for_screen(lab, &mut gui, 0, "vm-desktop", long).context("the panel on the screen")?;
    lab.step("screen shows the panel (= headless golden)");
    let mut args = vec!["app-vm"];
    args.extend_from_slice(CLIENT);
    gui.guest("context-client", &args, long)?;
    let w = wait_for_windows(&mut gui, 1, long)?.remove(0);
    check_eq!((w.vm.as_deref(), Some(w.title.as_str())), (Some("app-vm"), Some("[app-vm] report.pdf")), "VM and title");
    gui.msg(&["focus", &w.id.to_string()])?; // as the user's click would (see two_vms)
    wait_for_screen(lab, &mut gui, 0, "vm-app-window", long).context("the window on the screen")?;
    ipc_screenshot_matches(lab, &mut gui, "vm-app-window")?;
    lab.step("screen shows the window (= headless golden)");
    wait_for_event(lab, "keyboard focus", |e| e["event"] == "keyboard-enter")?;
    gui.keys(&["g"])?;
    wait_for_event(lab, "the key g", |e| e["event"] == "key" && e["utf8"] == "g")?;
    lab.step("QMP key reaches the app");
    Ok(())
}

/// `text` without the colour escapes of tracing's log lines.
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn two_vms(lab: &mut Lab) -> Result<()> {
    let long = Duration::from_secs(180);
    std::fs::write(lab.run_file("canopy.toml"), CONFIG)?;
    lab.start_relay()?;
    let display = lab.start_display_bus()?;
    let (mut gui, mut app) = lab.boot_both(&VmSpec::gui(WIDTH, HEIGHT, display), &VmSpec::app())?;

    gui.guest("udev", &[], long)?;
    lab.step("GUI VM: udevd, trigger, settle");
    gui.guest("compositor", &[], long)?;
    lab.step("GUI VM: canopy --backend udev ready");
    let outputs = outputs(gui.msg(&["outputs"])?);
    let names: Vec<&str> = outputs.iter().map(|o| o.name.as_str()).collect();
    check_eq!(names, [HEAD1], "the connected head only");
    check_eq!(outputs[0].mode.map(|m| m.width), Some(WIDTH as i32), "the mode's width");
    gui.guest("proxy-gui", &[], long)?;
    gui.guest("panel", &[], long)?;
    app.guest("proxy-guest", &[], long)?;
    lab.step("GUI VM: proxy and panel; app VM: guest proxy");
    pointer_to(&mut gui, PARK.0, PARK.1)?;
    lab.step("the tablet moves the pointer");

    let theme = Theme::default();
    let untrusted = rgb(theme.colours("untrusted").focused);
    let desktop = wait_for_screen(lab, &mut gui, 0, "vm-desktop", long).context("the panel on the screen")?;
    check_eq!(panel_pixels(&desktop, untrusted), 0, "no window button yet");
    lab.step("screen shows the panel (= headless golden)");

    app.guest("client", CLIENT, long)?;
    let w = wait_for_windows(&mut gui, 1, long)?.remove(0);
    check_eq!(w.title, "[app-vm] report.pdf", "the title");
    check_eq!((w.vm.as_deref(), Some(w.trust.as_str())), (Some("app-vm"), Some("untrusted")), "VM and trust");
    let id = w.id.to_string();
    lab.step("app VM's client mapped in the GUI VM");
    // A VM's window does not take the keyboard by mapping: give it, as the user's click would.
    gui.msg(&["focus", &id])?;
    let shot = wait_for_screen(lab, &mut gui, 0, "vm-app-window", long).context("the window on the screen")?;
    let (x, y, width, height) = geometry(&w);
    check_eq!(shot.pixel((x - 2) as u32, (y + height / 2) as u32), untrusted, "the border in the VM's colour");
    check_eq!(shot.pixel((x + 5) as u32, (y + 5) as u32), [0x2f, 0x6f, 0xd0], "the client's own pixels");
    ensure!(panel_pixels(&shot, untrusted) > 0, "the panel lists the window in the VM's colour");
    ipc_screenshot_matches(lab, &mut gui, "vm-app-window")?;
    lab.step("screen shows the window (= headless golden)");

    // Keys typed on the GUI VM's virtio keyboard reach the focused app in the other VM.
    wait_for_event(lab, "keyboard focus", |e| e["event"] == "keyboard-enter")?;
    for key in ["v", "m"] {
        gui.keys(&[key])?;
    }
    for key in ["v", "m"] {
        wait_for_event(lab, &format!("the key {key}"), |e| e["event"] == "key" && e["utf8"] == key)?;
    }
    // And the tablet's pointer: a click in the window.
    pointer_to(&mut gui, (x + width / 2) as u32, (y + height / 2) as u32)?;
    wait_for_event(lab, "the pointer", |e| e["event"] == "pointer-enter")?;
    gui.click()?;
    wait_for_event(lab, "a click", |e| e["event"] == "button" && e["pressed"] == true)?;
    pointer_to(&mut gui, PARK.0, PARK.1)?;
    lab.step("QMP keys and click reach the app");

    // Ctrl+Alt+F2: the kernel's text console takes the screen, and what is typed there does
    // not reach the app; Ctrl+Alt+F1 brings the desktop back as it was.
    gui.keys(&["ctrl", "alt", "f2"])?;
    let path = lab.shot_path("vt2");
    let start = Instant::now();
    while gui.screendump(&path, 0)?.count_colour(0, 0, WIDTH, HEIGHT, untrusted) > 0 {
        if start.elapsed() > long {
            bail!("the desktop stayed on the screen after Ctrl+Alt+F2 ({})", path.display());
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    gui.keys(&["x"])?;
    gui.keys(&["ctrl", "alt", "f1"])?;
    wait_for_screen(lab, &mut gui, 0, "vm-app-window", long).context("the desktop after switching back")?;
    gui.keys(&["k"])?;
    wait_for_event(lab, "the key k after switching back", |e| e["event"] == "key" && e["utf8"] == "k")?;
    ensure!(
        !client_events(lab).iter().any(|e| e["event"] == "key" && e["utf8"] == "x"),
        "a key typed on another VT reached the app"
    );
    lab.step("VT switch away and back");

    // A monitor plugged into the second head: canopy drives it, the panel appears there and the
    // window can go there; unplugged, the window comes back to the first head.
    lab.set_head(1, Some(HEAD2_SIZE))?;
    wait_for_outputs(&mut gui, &[HEAD1, HEAD2], long)?;
    lab.step("second head plugged in: a new output");
    gui.msg(&["move", &id, &MOVE_TO.0.to_string(), &MOVE_TO.1.to_string()])?;
    wait_for_screen(lab, &mut gui, 1, "vm-head2-window", long).context("the window on the second head")?;
    lab.step("window moved to the second head (= headless golden)");
    lab.set_head(1, None)?;
    wait_for_outputs(&mut gui, &[HEAD1], long)?;
    check_eq!(windows(&mut gui)?[0].output.clone(), Some(HEAD1.to_string()), "the window came back to the first head");
    wait_for_screen(lab, &mut gui, 0, "vm-app-window", long).context("the window back on the first head")?;
    lab.step("second head unplugged: window back (= headless golden)");
    lab.set_head(1, Some(HEAD2_SIZE))?;
    wait_for_outputs(&mut gui, &[HEAD1, HEAD2], long)?;
    wait_for_screen(lab, &mut gui, 1, "vm-head2-again", long).context("the second head plugged in again")?;
    lab.set_head(1, None)?;
    wait_for_outputs(&mut gui, &[HEAD1], long)?;
    lab.step("second head plugged in and out again (= headless golden)");

    // A program from Debian in the app VM: its window comes through the same way.
    app.guest("app", &["weston-simple-shm"], long)?;
    let all = wait_for_windows(&mut gui, 2, long)?;
    let shm = all.iter().find(|other| other.id != w.id).context("the second window")?;
    check_eq!(shm.title, "[app-vm] simple-shm", "the title");
    check_eq!(shm.trust, "untrusted", "the trust level");
    let (x, y, _, height) = geometry(shm);
    let border = |shot: &Image| shot.pixel((x - 2) as u32, (y + height / 2) as u32);
    let path = lab.shot_path("weston-simple-shm");
    let start = Instant::now();
    while border(&gui.screendump(&path, 0)?) != untrusted {
        ensure!(start.elapsed() < long, "no trust-coloured border around weston-simple-shm ({})", path.display());
        std::thread::sleep(Duration::from_millis(300));
    }
    lab.step("weston-simple-shm from the app VM framed in its colour");

    // foot with a shell in the app VM: a command typed on the GUI VM's keyboard runs there
    // (and leaves a file in the run folder, which the host sees).
    app.guest("app", &["foot", "sh"], long)?;
    let all = wait_for_windows(&mut gui, 3, long)?;
    let foot = all.iter().find(|w| w.app_id == "foot").context("foot's window")?;
    check_eq!((Some(foot.trust.as_str()), Some(foot.focused)), (Some("untrusted"), Some(true)), "foot");
    gui.type_text("touch /run/vm/typed-in-foot\n")?;
    let start = Instant::now();
    while !lab.run_file("typed-in-foot").exists() {
        if start.elapsed() > long {
            let shot = lab.shot_path("foot-typed");
            gui.screendump(&shot, 0)?;
            bail!("the command typed into foot did not run in the app VM (screen: {})", shot.display());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    gui.screendump(&lab.shot_path("foot"), 0)?;
    lab.step("a command typed into foot runs in the app VM");

    // The app VM dies: its windows go, the desktop is as before.
    app.kill();
    wait_for_windows(&mut gui, 0, long).context("the window of the killed VM")?;
    lab.step("app VM killed: window removed");
    let after = wait_for_screen(lab, &mut gui, 0, "vm-desktop", long).context("the desktop after the VM died")?;
    check_eq!(panel_pixels(&after, untrusted), 0, "the window's button left the panel");
    lab.step("screen back to the desktop (= headless golden)");
    Ok(())
}

/// `canopy msg screenshot` in the GUI VM (the compositor renders the output afresh, without
/// the pointer) must show what the screen shows.
fn ipc_screenshot_matches(lab: &Lab, gui: &mut Vm, golden_name: &str) -> Result<()> {
    gui.msg(&["screenshot", "/run/vm/ipc-screenshot.png"])?;
    let shot = Image::load(&lab.run_file("ipc-screenshot.png"))?;
    let diff = shot.diff_count(&golden(golden_name), 0);
    ensure!(diff == 0, "canopy msg screenshot differs from tests/golden/{golden_name}.png in {diff} pixels");
    Ok(())
}

fn wait_for_outputs(gui: &mut Vm, names: &[&str], timeout: Duration) -> Result<()> {
    let start = Instant::now();
    loop {
        let outputs = outputs(gui.msg(&["outputs"])?);
        let now: Vec<&str> = outputs.iter().map(|o| o.name.as_str()).collect();
        if now == names {
            return Ok(());
        }
        if start.elapsed() > timeout {
            bail!("the GUI VM has outputs {now:?}, not {names:?}");
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}
