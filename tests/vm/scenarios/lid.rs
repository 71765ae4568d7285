//! Lid and sleep in the GUI VM: a uinput `SW_LID` switch made inside the guest
//! (`canopy-lid-switch`) reaches canopy through the kernel, udev and libinput; closing it shows
//! canopy-lock on the real screen (= the headless golden) before canopy-hostd on the host, reached
//! over AF_VSOCK, runs its suspend command; opening it shows the lock again with the output on;
//! the lid flapping 100 times shows no unlocked frame once the lock is up, and every suspend hostd
//! ran came after the lock. Then the idle chain's screen-off (DPMS on virtio-gpu) and a key
//! waking it.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use canopy_ipc::{PowerState, Response};
use canopy_tests::fixture::{bin_path, outputs, rgb};
use canopy_tests::image::assert_golden;
use canopy_tests::{Compositor, Image};
use canopy_themes::Theme;
use serde_json::Value;

use super::shell_support::lock::{test_account, PASSWORD, SERVICE, USER};
use super::vm::qemu::{Vm, VmSpec};
use super::vm::Lab;
use super::{golden, pointer_to, settled, wait_for_screen, CONFIG, HEAD1, HEIGHT, PANEL_TIME, PARK, WIDTH};

/// hostd's port on the host (CID 2), as on the laptop.
const HOSTD_PORT: u32 = 7100;
const LID_CYCLES: usize = 3;
const FLAPS: u32 = 100;
/// Between two changes of the flapping lid: 10 closes a second.
const FLAP_MS: u32 = 50;

/// The compositor's config: the VM scene's, our lock screen with the test account and a fixed
/// time, hostd at `hostd`, and a battery idle chain that only turns the screen off (the VM has
/// no battery: the test switches the source).
fn config(hostd: &str) -> String {
    let lock = [
        bin_path("canopy-lock").display().to_string(),
        "--pam-service".into(),
        SERVICE.into(),
        "--user".into(),
        USER.into(),
        "--time".into(),
        PANEL_TIME.into(),
    ];
    // canopy-lock starts slowly under emulation: the compositor's lock-out must not beat it.
    format!(
        "lock_command = {lock:?}\nidle_lock_seconds = 0\n{CONFIG}[power]\nhostd = \"{hostd}\"\nlock_timeout_ms = 30000\n[power.battery]\nscreen_off_seconds = 1\n"
    )
}

/// The lock screen of the VM scene on the headless backend (tests/golden/vm-lock.png).
#[test]
fn headless_reference_of_the_lid_scene() {
    test_account();
    let mut c = Compositor::start_with(&config("unix:/run/no-hostd.sock"), &[&format!("{HEAD1}:{WIDTH}x{HEIGHT}")]);
    let no_battery = c.runtime_dir().join("no-power-supply");
    std::fs::create_dir_all(&no_battery).unwrap();
    let no_battery = no_battery.to_str().unwrap().to_string();
    let _panel = c.spawn(
        "canopy-panel",
        &["--time", PANEL_TIME, "--hostd", "unix:/run/no-hostd.sock", "--power-supply", &no_battery],
    );
    c.wait_until("the panel", || c.screenshot().diff_count(&golden("vm-desktop"), 0) == 0);
    c.msg(&["power", "lid-close"]);
    c.wait_until("the lock", || power_of(c.msg(&["power", "state"])).every_output_locked);
    assert_golden("vm-lock", &settled(&c, HEAD1), 0, 0);
}

fn power_of(r: Response) -> PowerState {
    match r {
        Response::Power(p) => *p,
        other => panic!("power answered {other:?}"),
    }
}

fn power(gui: &mut Vm) -> Result<PowerState> {
    match gui.msg(&["power", "state"])? {
        Response::Power(p) => Ok(*p),
        other => bail!("power state answered {other:?}"),
    }
}

/// The guest's wall clock against the host's: `(lo, hi)` bounds of guest minus host, from the
/// `date` round trip over the serial console that took least time of five.
fn clock_offset(gui: &mut Vm) -> Result<(f64, f64)> {
    let mut best: Option<(f64, f64)> = None;
    for _ in 0..5 {
        let t0 = now();
        let (rc, out) = gui.run("date +%s.%N", Duration::from_secs(30))?;
        let t1 = now();
        ensure!(rc == 0, "date in the guest failed: {out:?}");
        let g: f64 = out.iter().find_map(|l| l.trim().parse().ok()).with_context(|| format!("date printed {out:?}"))?;
        let bounds = (g - t1, g - t0);
        if best.is_none_or(|b| bounds.1 - bounds.0 < b.1 - b.0) {
            best = Some(bounds);
        }
    }
    Ok(best.expect("five tries"))
}

fn now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64()
}

/// hostd's audit lines of request type `kind`.
fn audit(lab: &Lab, kind: &str) -> Vec<Value> {
    std::fs::read_to_string(lab.run_file("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["request"]["type"] == kind)
        .collect()
}

/// How many times hostd's suspend command ran.
fn suspends(lab: &Lab) -> usize {
    std::fs::read_to_string(lab.run_file("suspends.log")).unwrap_or_default().lines().count()
}

fn wait_for(what: &str, timeout: Duration, mut cond: impl FnMut() -> Result<bool>) -> Result<()> {
    let start = Instant::now();
    while !cond()? {
        if start.elapsed() > timeout {
            bail!("no {what} after {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// Every suspend hostd audited from number `from` on came after the compositor's record of the
/// lock shown everywhere (`locked_at`, the guest's clock). The clocks are related only within
/// `offset` (the bounds of guest minus host, tens of ms): a suspend fails the check when it was
/// certainly audited before the lock, and the smallest margin it certainly came after is
/// returned in ms (negative when the bounds cannot tell).
fn suspends_after_lock(lab: &Lab, from: usize, locked_at: f64, offset: (f64, f64)) -> Result<f64> {
    let audited = audit(lab, "suspend");
    let mut margin = f64::INFINITY;
    for (n, line) in audited.iter().enumerate().skip(from) {
        ensure!(line["ok"] == true, "hostd's suspend {n} failed: {line}");
        let at = line["time"].as_f64().context("audit time")?;
        // The lock, in host time, was drawn between these two.
        let (earliest, latest) = (locked_at - offset.1, locked_at - offset.0);
        margin = margin.min((at - latest) * 1000.0);
        ensure!(
            at >= earliest,
            "hostd audited suspend {n} at {at:.3} (host clock), before the lock shown at {locked_at:.3} (guest clock; guest minus host within {offset:?})"
        );
    }
    Ok(margin)
}

/// A locked screen: the lock screen, or the compositor's black cover while the lock
/// program's surface is not drawn yet.
fn locked(shot: &Image, lock: &Image) -> bool {
    shot.diff_count(lock, 0) == 0 || black(shot)
}

fn black(shot: &Image) -> bool {
    shot.count_colour(0, 0, shot.width, shot.height, [0, 0, 0]) == (shot.width * shot.height) as usize
}

/// What the screen showed as hostd ran its suspends number `from..to`: locked, each one.
fn suspends_showed_the_lock(lab: &Lab, from: usize, to: usize) -> Result<()> {
    let lock = golden("vm-lock");
    for n in from..to {
        let path = lab.shots.join(format!("suspend-{n}.png"));
        let shot = Image::load(&path)?;
        ensure!(
            locked(&shot, &lock),
            "when hostd ran suspend {n}, the GUI VM's screen was not locked: {}",
            path.display()
        );
    }
    Ok(())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Type the test account's password into canopy-lock and wait for the desktop.
fn unlock(lab: &mut Lab, gui: &mut Vm, long: Duration) -> Result<()> {
    gui.type_text(PASSWORD)?;
    gui.keys(&["ret"])?;
    wait_for_screen(lab, gui, 0, "vm-desktop", long).context("the desktop after the password")?;
    ensure!(!power(gui)?.locked, "the compositor still says locked");
    Ok(())
}

pub fn lid(lab: &mut Lab) -> Result<()> {
    let long = Duration::from_secs(180);
    test_account();
    let run = lab.run.display().to_string();
    std::fs::write(lab.run_file("canopy.toml"), config(&format!("vsock:2:{HOSTD_PORT}")))?;
    let uid = rustix::process::getuid().as_raw();
    // hostd's suspend command: what the GUI VM's screen shows as the host gets the request
    // (suspend-N.png in the shots folder, through QEMU's QMP socket for host programs), then a
    // line in suspends.log.
    std::fs::write(
        lab.run_file("suspend.sh"),
        format!(
            "set -e\nn=$(cat {run}/suspends.log 2>/dev/null | wc -l)\n{shot} {run}/gui.host.qmp {shots}/suspend-$n.png\ndate +%s.%N >> {run}/suspends.log\n",
            shot = bin_path("canopy-qmp-screendump").display(),
            shots = lab.shots.display(),
        ),
    )?;
    lab.start_hostd(
        &format!(
            r#"listen = ["vsock-mux:{run}/gui.vsock:{HOSTD_PORT}"]
state_dir = "{run}/hostd-state"
audit_log = "{run}/audit.jsonl"
[allow]
uids = [{uid}]
[power]
suspend = ["/bin/sh", "{run}/suspend.sh"]
[vms]
"#
        ),
        &format!("gui.vsock_{HOSTD_PORT}"),
    )?;
    let mut gui = lab.boot(&VmSpec::gui(WIDTH, HEIGHT, "none".into()))?;
    lab.watch(&gui);
    gui.wait_line("VM-READY", long)?;
    lab.step("boot the GUI VM");
    gui.guest("udev", &[], long)?;
    gui.guest("compositor", &[], long)?;
    gui.guest("panel", &[], long)?;
    gui.guest("lid", &[], long)?;
    pointer_to(&mut gui, PARK.0, PARK.1)?;
    wait_for_screen(lab, &mut gui, 0, "vm-desktop", long).context("the panel on the screen")?;
    wait_for("the compositor watching hostd over vsock", long, || Ok(power(&mut gui)?.hostd_watching))?;
    let offset = clock_offset(&mut gui)?;
    lab.step("GUI VM: canopy, panel, uinput lid switch; hostd watched over AF_VSOCK");

    // Close, lock, suspend, open, unlock: a few times for the median.
    let (mut shown_ms, mut compositor_ms) = (Vec::new(), Vec::new());
    for n in 0..LID_CYCLES {
        let t0 = Instant::now();
        gui.guest("lid-do", &["close"], long)?;
        wait_for_screen(lab, &mut gui, 0, "vm-lock", long).context("the lock screen after the lid closed")?;
        shown_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        wait_for("hostd's suspend", long, || Ok(suspends(lab) > n && audit(lab, "suspend").len() > n))?;
        let st = power(&mut gui)?;
        ensure!(st.locked && st.every_output_locked, "not locked at the suspend: {st:?}");
        compositor_ms.push(st.last_lock_ms.context("last_lock_ms")?);
        suspends_after_lock(lab, n, st.locked_everywhere_at.context("locked_everywhere_at")?, offset)?;
        suspends_showed_the_lock(lab, n, n + 1)?;
        wait_for("hostd's resume", long, || Ok(power(&mut gui)?.wakes > 2 * n as u64))?;
        gui.guest("lid-do", &["open"], long)?;
        wait_for("the lid open", long, || Ok(power(&mut gui)?.lid == "open"))?;
        wait_for_screen(lab, &mut gui, 0, "vm-lock", long).context("the lock screen after the lid opened")?;
        let power_on = outputs(gui.msg(&["outputs"])?).iter().all(|o| o.power == "on");
        ensure!(power_on, "an output is off after the lid opened");
        unlock(lab, &mut gui, long)?;
    }
    let figures = format!(
        "lid close -> lock screen in the VM (median of {LID_CYCLES}): {:.0} ms on the host (uinput command to screendump), {:.0} ms in the compositor (switch event to lock drawn)",
        median(&mut shown_ms),
        median(&mut compositor_ms)
    );
    eprintln!("{figures}");
    std::fs::write(lab.run_file("figures.txt"), format!("{figures}\n"))?;
    lab.step(&format!("lid closed and opened {LID_CYCLES} times: lock (= headless golden), then hostd's suspend"));

    // The lid flapping: screendumps all along; once the lock shows, no frame is unlocked.
    let before = suspends(lab);
    let asked_before = power(&mut gui)?.requests_sent;
    let (desktop, lock) = (golden("vm-desktop"), golden("vm-lock"));
    gui.guest("lid-do", &["flap", &FLAPS.to_string(), &FLAP_MS.to_string()], long)?;
    let flap_done = |lab: &Lab| {
        std::fs::read_to_string(lab.run_file("lid.log"))
            .unwrap_or_default()
            .contains(&format!("flap {FLAPS} {FLAP_MS} "))
    };
    let path = lab.shot_path("flap");
    let (mut shots, mut locked_shots, mut covered_shots, mut first_lock) = (0, 0, 0, None);
    let start = Instant::now();
    while !flap_done(lab) || shots == 0 {
        ensure!(start.elapsed() < long, "the lid switch did not finish flapping");
        let shot = gui.screendump(&path, 0)?;
        shots += 1;
        if locked(&shot, &lock) {
            let black = black(&shot);
            locked_shots += usize::from(!black);
            covered_shots += usize::from(black);
            first_lock.get_or_insert(shots);
        } else if first_lock.is_some() {
            let bad = lab.shot_path("flap-unlocked");
            std::fs::copy(&path, &bad)?;
            bail!(
                "screendump {shots} during the flapping is not the lock screen after the lock showed: {}",
                bad.display()
            );
        } else {
            ensure!(
                shot.diff_count(&desktop, 0) == 0,
                "screendump {shots} before the lock is neither desktop nor locked"
            );
        }
    }
    wait_for("every suspend asked for to have run", long, || {
        let st = power(&mut gui)?;
        Ok(!st.suspend_in_flight
            && (suspends(lab) - before) as u64 == st.requests_sent - asked_before
            && audit(lab, "suspend").len() == suspends(lab))
    })?;
    let st = power(&mut gui)?;
    ensure!(st.locked && st.lid == "open", "after the flapping: {st:?}");
    // The guest's clock may drift from the host's under emulation: the bounds measured before
    // and now, together.
    let now_offset = clock_offset(&mut gui)?;
    let offset = (offset.0.min(now_offset.0), offset.1.max(now_offset.1));
    let margin = suspends_after_lock(lab, before, st.locked_everywhere_at.context("locked_everywhere_at")?, offset)?;
    suspends_showed_the_lock(lab, before, suspends(lab))?;
    wait_for_screen(lab, &mut gui, 0, "vm-lock", long).context("the lock screen after the flapping")?;
    let flapped = format!(
        "lid flapping {FLAPS} times ({FLAP_MS} ms apart): {shots} screendumps, {locked_shots} of the lock screen, {covered_shots} of the compositor's black cover (locked, the lock screen not drawn yet), none unlocked after the first; {} suspends, each finding the screen locked, none audited before the lock (clocks related within {:.0} ms; certainly after it by {margin:.0} ms or more)",
        suspends(lab) - before,
        (offset.1 - offset.0) * 1000.0
    );
    eprintln!("{flapped}");
    std::fs::write(lab.run_file("figures.txt"), format!("{figures}\n{flapped}\n"))?;
    unlock(lab, &mut gui, long)?;
    lab.step(&format!("lid flapped {FLAPS} times: no unlocked frame, every suspend after the lock"));

    // The idle chain's screen off: DPMS on virtio-gpu; a key wakes it.
    gui.msg(&["power", "source", "battery"])?;
    wait_for("the output off", long, || Ok(outputs(gui.msg(&["outputs"])?).iter().all(|o| o.power == "off")))?;
    // With the scanout off QEMU shows its placeholder: black with "Display output is not
    // active." in the middle, as a monitor without signal shows its own message.
    let path = lab.shot_path("screen-off");
    let background = rgb(Theme::default().desktop.background);
    wait_for("a black screendump", long, || {
        let shot = gui.screendump(&path, 0)?;
        let all = (shot.width * shot.height) as usize;
        let black = shot.count_colour(0, 0, shot.width, shot.height, [0, 0, 0]);
        Ok(black * 100 >= all * 99 && shot.count_colour(0, 0, shot.width, shot.height, background) == 0)
    })?;
    gui.msg(&["power", "source", "ac"])?;
    gui.keys(&["shift"])?;
    wait_for("the output on", long, || Ok(outputs(gui.msg(&["outputs"])?).iter().all(|o| o.power == "on")))?;
    // The desktop as before, but for the pointer: after the head comes back on, canopy draws it
    // into the frame instead of on the cursor plane until it moves (screendumps leave out only
    // the cursor plane).
    let desktop = golden("vm-desktop");
    let path = lab.shot_path("screen-on");
    let near_pointer = |x: u32, y: u32| x + 8 >= PARK.0 && x < PARK.0 + 32 && y + 8 >= PARK.1 && y < PARK.1 + 32;
    wait_for("the desktop after a key woke the screen", long, || {
        let shot = gui.screendump(&path, 0)?;
        Ok(shot.width == desktop.width
            && shot.height == desktop.height
            && (0..shot.height)
                .all(|y| (0..shot.width).all(|x| near_pointer(x, y) || shot.pixel(x, y) == desktop.pixel(x, y))))
    })?;
    // Once the pointer moves it is back on the cursor plane: the screen is the golden again.
    pointer_to(&mut gui, PARK.0 - 100, PARK.1 - 100)?;
    pointer_to(&mut gui, PARK.0, PARK.1)?;
    wait_for_screen(lab, &mut gui, 0, "vm-desktop", long).context("the desktop after the pointer moved")?;
    lab.step("idle screen off: output off and black, a key brings the desktop back");
    Ok(())
}
