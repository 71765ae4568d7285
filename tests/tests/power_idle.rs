//! The idle chain end to end on the real headless compositor (two outputs): dim, lock (the real
//! canopy-lock), screen off for the power source a sysfs-shaped directory says, any input waking
//! the screen; the local idle protocols through real clients (swayidle from Debian gets idle and
//! resumed; our small wlr-output-power client turns an output off and on); and idle inhibitors
//! of VM clients behind the real proxy pair, honoured only for a VM allowed to and only while
//! its window is shown on an unlocked screen. Every wait is for a fact the compositor reports
//! (`canopy msg power state`, `canopy msg outputs`) or a file a client wrote. Prints the median
//! time from each step's timeout to the step shown, from the state's own timestamps.

mod proxy_support;
mod shell_support;

use std::path::Path;
use std::process::Command;

use canopy_ipc::{PowerState, Response};
use canopy_tests::fixture::{bin_path, Compositor};
use proxy_support::{open_test_client, Vm};
use shell_support::lock::{test_account, PASSWORD, SERVICE, USER};

const OUTPUTS: [&str; 2] = ["HEADLESS-1:1280x800@1", "HEADLESS-2:1024x768@1"];

fn state(c: &Compositor) -> PowerState {
    match c.msg(&["power", "state"]) {
        Response::Power(s) => *s,
        other => panic!("expected the power state, got {other:?}"),
    }
}

fn powers(c: &Compositor) -> Vec<String> {
    c.outputs().into_iter().map(|o| o.power).collect()
}

fn frames(c: &Compositor) -> Vec<u64> {
    c.outputs().into_iter().map(|o| o.frames).collect()
}

/// A directory shaped like /sys/class/power_supply: mains online or not, a battery discharging.
fn supplies(root: &Path, ac_online: bool) {
    for (name, fields) in [
        ("AC", vec![("type", "Mains"), ("online", if ac_online { "1" } else { "0" })]),
        ("BAT0", vec![("type", "Battery"), ("status", if ac_online { "Charging" } else { "Discharging" })]),
    ] {
        std::fs::create_dir_all(root.join(name)).unwrap();
        for (k, v) in fields {
            std::fs::write(root.join(name).join(k), format!("{v}\n")).unwrap();
        }
    }
}

fn lock_program() -> String {
    test_account();
    format!(
        "lock_command = [{:?}, \"--pam-service\", {SERVICE:?}, \"--user\", {USER:?}]\n",
        bin_path("canopy-lock").display().to_string()
    )
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn the_chain_dims_locks_and_turns_off_per_power_source_and_input_wakes_it() {
    let sys = tempfile::tempdir().unwrap();
    supplies(sys.path(), true);
    let config = format!(
        "{}idle_lock_seconds = 0\n[power]\npower_supply = {:?}\n\
         [power.ac]\ndim_seconds = 0.4\nlock_seconds = 0.8\nscreen_off_seconds = 2.0\n\
         [power.battery]\ndim_seconds = 0.3\nlock_seconds = 0\nscreen_off_seconds = 0.6\n",
        lock_program(),
        sys.path().display().to_string()
    );
    let mut c = Compositor::start_with(&config, &OUTPUTS);
    let _w = c.spawn("canopy-test-client", &["--title", "work", "--solid", "--color", "d04a2f"]);
    c.wait_until("the window", || c.windows().len() == 1);
    let st = state(&c);
    assert_eq!((st.idle.source.as_str(), st.idle.source_from.as_str()), ("ac", "sysfs"));
    assert_eq!((st.idle.dim_s, st.idle.lock_s, st.idle.screen_off_s), (Some(0.4), Some(0.8), Some(2.0)));

    let (mut dim_ms, mut lock_ms, mut off_ms) = (Vec::new(), Vec::new(), Vec::new());
    for cycle in 0..3 {
        // Dim: drawn on both outputs, the window seen through it at half brightness.
        c.wait_until("the dim drawn", || state(&c).idle.dim_shown_at.is_some());
        let w = c.windows()[0].clone();
        let g = w.geometry.unwrap();
        let px = c.screenshot().pixel((g.x + 10) as u32, (g.y + 10) as u32);
        assert!(px.iter().zip([0xd0u8, 0x4a, 0x2f]).all(|(a, b)| a.abs_diff(b / 2) <= 2), "dimmed: {px:?}");
        // Lock: the real lock program's surface on both outputs.
        c.wait_until("the lock on every output", || state(&c).every_output_locked);
        // Screen off: both outputs report it; nothing is drawn there.
        c.wait_until("the screen off", || powers(&c) == ["off", "off"]);
        let st = state(&c);
        let since = st.idle.idle_since;
        dim_ms.push((st.idle.dim_shown_at.unwrap() - since - 0.4) * 1000.0);
        lock_ms.push((st.locked_everywhere_at.unwrap() - since - 0.8) * 1000.0);
        off_ms.push((st.idle.screen_off_at.unwrap() - since - 2.0) * 1000.0);
        assert!(st.idle.screen_off && st.idle.dimmed && st.locked);
        assert_eq!(st.idle.wakes, cycle);

        // Any input wakes the screen: on, undimmed, drawn again; still locked.
        let before = frames(&c);
        c.msg(&["pointer-move", "100", "100"]);
        c.wait_until("the screen on", || powers(&c) == ["on", "on"]);
        c.wait_until("a frame on each output", || frames(&c).iter().zip(&before).all(|(n, b)| n > b));
        let st = state(&c);
        assert!(!st.idle.dimmed && !st.idle.screen_off && st.locked, "{:?}", st.idle);
        assert_eq!(st.idle.wakes, cycle + 1);
        c.msg(&["type", PASSWORD]);
        c.msg(&["key", "Return"]);
        c.wait_until("the unlock", || !state(&c).locked);
    }
    eprintln!(
        "idle timeout to shown, median of 3 (ms): dim {:.1}, lock {:.1}, screen off {:.1}",
        median(&mut dim_ms),
        median(&mut lock_ms),
        median(&mut off_ms)
    );

    // The mains unplugged: the battery's steps, as sysfs says; the override wins over it.
    supplies(sys.path(), false);
    let st = state(&c);
    assert_eq!((st.idle.source.as_str(), st.idle.source_from.as_str()), ("battery", "sysfs"));
    assert_eq!((st.idle.dim_s, st.idle.lock_s, st.idle.screen_off_s), (Some(0.3), None, Some(0.6)));
    c.msg(&["power", "source", "ac"]);
    let st = state(&c);
    assert_eq!((st.idle.source.as_str(), st.idle.source_from.as_str(), st.idle.lock_s), ("ac", "override", Some(0.8)));
    c.msg(&["power", "source", "auto"]);
    assert_eq!(state(&c).idle.source, "battery");
    assert!(c.try_msg(&["power", "source", "mains"]).unwrap_err().contains("not one of ac, battery, auto"));
    // On battery the chain goes dark without locking (its lock step is off).
    c.msg(&["pointer-move", "120", "100"]);
    c.wait_until("the screen off on battery", || powers(&c) == ["off", "off"]);
    let st = state(&c);
    assert!(!st.locked && st.idle.lock_asked_at.is_none(), "{:?}", st.idle);
}

/// Local clients: swayidle's timeout and resume commands run; a wlr-output-power client turns
/// one output off and on. A lock program that never locks, asked by the idle lock, is covered
/// by the compositor's lock-out after the bound.
#[test]
fn swayidle_and_output_power_work_and_a_lock_program_that_never_locks_is_covered() {
    // A lock program that never locks, and ends with the compositor (no process left behind).
    let config = "lock_command = [\"/bin/sh\", \"-c\", \"while kill -0 $PPID 2>/dev/null; do sleep 0.2; done\"]\n\
                  idle_lock_seconds = 0\n\
                  [power]\npower_supply = \"/nonexistent/power_supply\"\nlock_timeout_ms = 300\n\
                  [power.ac]\nlock_seconds = 1.5\n";
    let mut c = Compositor::start_with(config, &OUTPUTS);
    let dir = tempfile::tempdir().unwrap();
    let (idle, resumed) = (dir.path().join("idle"), dir.path().join("resumed"));
    let mut swayidle = Command::new("swayidle");
    swayidle.args([
        "-w",
        "timeout",
        "1",
        &format!("touch {}", idle.display()),
        "resume",
        &format!("touch {}", resumed.display()),
    ]);
    // Its complaints about the absent system bus (logind) are not ours to read.
    c.client_env(&mut swayidle).stderr(std::process::Stdio::null());
    c.adopt(swayidle.spawn().expect("swayidle (Debian package swayidle)"));
    c.wait_until("swayidle's idle command", || idle.exists());
    assert!(!resumed.exists());
    c.msg(&["pointer-move", "300", "300"]);
    c.wait_until("swayidle's resume command", || resumed.exists());

    // No readable power supply: AC, said once in the log.
    let st = state(&c);
    assert_eq!((st.idle.source.as_str(), st.idle.source_from.as_str()), ("ac", "default"));
    assert!(c.log().contains("power source unknown"));

    // wlr-output-power-management: one output off, reported; then on and drawn again.
    let run = |args: &[&str]| {
        let mut cmd = Command::new(bin_path("canopy-output-power"));
        cmd.args(args);
        c.client_env(&mut cmd);
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(run(&["HEADLESS-2", "off"]).contains("\"mode\":\"off\""));
    assert_eq!(powers(&c), ["on", "off"]);
    let before = frames(&c);
    assert!(run(&["HEADLESS-2", "on"]).contains("\"mode\":\"on\""));
    assert_eq!(powers(&c), ["on", "on"]);
    c.wait_until("HEADLESS-2 drawn again", || frames(&c)[1] > before[1]);

    // The idle lock with a lock program that never locks: the lock-out covers after 300 ms.
    c.wait_until("the idle lock's lock-out", || state(&c).locked_out);
    let st = state(&c);
    assert!(st.locked && st.idle.lock_asked_at.is_some());
    assert!(c.log().contains("the lock program did not lock in time"));
    c.wait_until("the lock-out drawn on every output", || state(&c).every_output_locked);
}

/// Idle inhibitors of VM clients behind the real proxy: the web VM's (not allowed) is ignored
/// and the chain dims; the media VM's (allowed) holds it while its window is shown, not on the
/// locked screen (the lid closed), not while wholly covered, and not once minimised. The idle
/// protocols for local clients are not offered to VMs; the inhibit manager is.
#[test]
fn a_vm_idle_inhibitor_holds_the_chain_only_when_allowed_and_shown() {
    let config = format!(
        "{}idle_lock_seconds = 0\n[power]\nlid = \"lock\"\n[power.ac]\ndim_seconds = 0.5\n\
         [vms.media-vm]\ntrust = \"work\"\nidle_inhibit = true\n[vms.web-vm]\ntrust = \"untrusted\"\n",
        lock_program()
    );
    let c = Compositor::start(&config);
    let web = Vm::start(&c, "web-vm");
    let media = Vm::start(&c, "media-vm");

    let mut globals = web.spawn("canopy-globals", &[]);
    let list: Vec<String> = serde_json::from_value(globals.wait_json("the globals", |v| v.is_array())).unwrap();
    assert!(list.contains(&"zwp_idle_inhibit_manager_v1".to_string()), "{list:?}");
    for hidden in ["ext_idle_notifier_v1", "zwlr_output_power_manager_v1"] {
        assert!(!list.contains(&hidden.to_string()), "a VM sees {hidden}: {list:?}");
    }

    // Not allowed: ignored, the chain dims; input during the dim undims it. Of its 20
    // inhibitors only 16 are looked at (each costs a look at the windows whenever the chain
    // checks); the other 4 are logged and dropped.
    let (mut web_client, _) =
        open_test_client(&c, &web, &["--inhibit-idle", "--idle-inhibitors", "20", "--title", "ad"]);
    web_client.wait_event("idle-inhibit", |_| true);
    c.wait_until("the web VM's inhibitors ignored and the dim", || {
        let s = state(&c);
        s.idle.inhibitors_ignored.len() >= 16 && s.idle.dim_shown_at.is_some()
    });
    // The proxy may pass the 20 requests on in more than one read: wait for the last of them.
    let surplus = || c.log().matches("too many idle inhibitors from one client").count();
    c.wait_until("the 4 surplus inhibitors logged", || surplus() >= 4);
    assert_eq!(surplus(), 4);
    let ignored = state(&c).idle.inhibitors_ignored;
    assert_eq!(ignored, vec!["web-vm: not allowed".to_string(); 16]);
    c.msg(&["pointer-move", "10", "10"]);
    let st = state(&c);
    assert!(!st.idle.dimmed && st.idle.wakes == 1, "{:?}", st.idle);
    web_client.kill();

    // Allowed and shown: the chain is held past twice its dim time, never dimming.
    let (mut video, _) = open_test_client(&c, &media, &["--inhibit-idle", "--title", "video"]);
    video.wait_event("idle-inhibit", |_| true);
    c.msg(&["pointer-move", "20", "10"]);
    let t0 = state(&c).idle.idle_since;
    c.wait_until("the chain held past 2× the dim time", || {
        let s = state(&c);
        s.idle.inhibited_by == ["media-vm"] && s.idle.idle_since > t0 + 1.0
    });
    let st = state(&c);
    assert!(!st.idle.dimmed && st.idle.dim_shown_at.is_none(), "{:?}", st.idle);

    // The lid closes: locked whatever the video says, and the chain goes on over the lock.
    c.msg(&["power", "lid-close"]);
    c.wait_until("locked, the inhibitor ignored, the lock dimmed", || {
        let s = state(&c);
        s.every_output_locked && s.idle.inhibitors_ignored == ["media-vm: locked"] && s.idle.dim_shown_at.is_some()
    });
    c.msg(&["power", "lid-open"]);
    c.msg(&["type", PASSWORD]);
    c.msg(&["key", "Return"]);
    c.wait_until("the unlock, the video holding again", || {
        let s = state(&c);
        !s.locked && s.idle.inhibited_by == ["media-vm"] && !s.idle.dimmed
    });

    // Wholly behind an opaque VM window (maximised over it): not shown, so the chain dims;
    // shown again once that window goes, it holds again.
    let (mut cover, _) = open_test_client(&c, &web, &["--maximize", "--title", "cover"]);
    c.wait_until("the covered video ignored and the dim", || {
        let s = state(&c);
        s.idle.inhibitors_ignored == ["media-vm: covered"] && s.idle.dim_shown_at.is_some()
    });
    cover.kill();
    c.wait_until("the video holding again, undimmed", || {
        let s = state(&c);
        s.idle.inhibited_by == ["media-vm"] && !s.idle.dimmed
    });

    // Minimised: no longer shown, so the chain dims.
    video.send("minimize");
    c.wait_until("the minimised video ignored and the dim", || {
        let s = state(&c);
        s.idle.inhibitors_ignored == ["media-vm: minimised"] && s.idle.dim_shown_at.is_some()
    });
}
