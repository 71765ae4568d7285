//! logind in the GUI VM, against a stand-in logind on a private system bus (logind itself cannot
//! run here; see canopy_tests::logind_standin): the real headless compositor with two outputs
//! and the real canopy-lock takes its inhibitors at start; a `PrepareForSleep(true)` locks every
//! output and only then is the delay inhibitor closed (checked against the compositor's own
//! record of when the lock came to show everywhere); `PrepareForSleep(false)` counts a resume and
//! a new delay inhibitor is taken. The brightness keys go through the stand-in's
//! `Session.SetBrightness`; the power key, set to `lock`, locks. Prints the median time from
//! `PrepareForSleep(true)` to the inhibitor let go.

mod shell_support;

use std::time::{SystemTime, UNIX_EPOCH};

use canopy_ipc::{PowerState, Response};
use canopy_tests::fixture::{bin_path, Compositor};
use canopy_tests::logind_standin::LogindStandIn;
use shell_support::lock::{covered, test_account, PASSWORD, SERVICE, USER};

const OUTPUTS: [&str; 2] = ["HEADLESS-1:1280x800@1", "HEADLESS-2:1024x768@1"];

fn state(c: &Compositor) -> PowerState {
    match c.msg(&["power", "state"]) {
        Response::Power(s) => *s,
        other => panic!("power state: {other:?}"),
    }
}

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

/// A stand-in for `/sys/class/backlight`: one raw device with 1000 levels, at 500.
fn standin_backlight(dir: &std::path::Path) -> std::path::PathBuf {
    let root = dir.join("backlight");
    let dev = root.join("canopy-test-backlight");
    std::fs::create_dir_all(&dev).unwrap();
    for (file, value) in [("type", "raw"), ("max_brightness", "1000"), ("brightness", "500")] {
        std::fs::write(dev.join(file), format!("{value}\n")).unwrap();
    }
    root
}

#[test]
fn logind_sleeps_only_after_the_lock_shows_on_every_output() {
    test_account();
    let dir = tempfile::Builder::new().prefix("canopy-logind-").tempdir().unwrap();
    let backlight = standin_backlight(dir.path());
    let logind = LogindStandIn::start(dir.path(), Some(&backlight));
    let config = format!(
        "lock_command = [\"{lock}\", \"--pam-service\", \"{SERVICE}\", \"--user\", \"{USER}\"]\nidle_lock_seconds = 0\n\
         [power]\nhostd = \"unix:{d}/no-hostd.sock\"\npower_key = \"lock\"\n[levels.backlight]\nroot = \"{root}\"\n",
        lock = bin_path("canopy-lock").display(),
        d = dir.path().display(),
        root = backlight.display(),
    );
    let mut c = Compositor::start_with_env(&config, &OUTPUTS, &[("DBUS_SYSTEM_BUS_ADDRESS", logind.address())]);
    let _w = c.spawn("canopy-test-client", &["--title", "secret work"]);
    c.wait_until("the window", || c.windows().len() == 1);

    // At start: a delay inhibitor on sleep, and the keys taken from logind.
    c.wait_until("the inhibitors", || state(&c).logind.delay_held && state(&c).logind.keys_taken);
    assert_eq!(state(&c).logind.status, "present");
    let taken = logind.inhibitors();
    assert_eq!(taken.len(), 2, "{taken:?}");
    assert_eq!((taken[0].what.as_str(), taken[0].who.as_str(), taken[0].mode.as_str()), ("sleep", "canopy", "delay"));
    assert_eq!(
        (taken[1].what.as_str(), taken[1].mode.as_str()),
        ("handle-lid-switch:handle-power-key:handle-suspend-key", "block")
    );
    assert!(taken.iter().all(|i| i.closed_at.is_none()));

    let (mut release_ms, mut after_lock_ms) = (Vec::new(), Vec::new());
    for n in 0..5 {
        // The delay inhibitor held now: the first, then the one taken after each resume.
        let delay = if n == 0 { 0 } else { n + 1 };
        assert!(!state(&c).locked);
        let asked = now();
        logind.prepare_for_sleep(true);
        c.wait_until("the delay inhibitor let go", || logind.inhibitors()[delay].closed_at.is_some());
        let closed = logind.inhibitors()[delay].closed_at.unwrap();
        let st = state(&c);
        assert!(st.every_output_locked, "{st:?}");
        let everywhere = st.locked_everywhere_at.unwrap();
        assert!(
            closed >= everywhere,
            "the inhibitor was let go ({closed}) before the lock showed everywhere ({everywhere})"
        );
        assert!(everywhere >= asked);
        for o in ["HEADLESS-1", "HEADLESS-2"] {
            assert!(covered(&c.screenshot_of(Some(o))), "{o} shows the lock screen");
        }
        assert!(logind.inhibitors()[1].closed_at.is_none(), "the keys stay taken");
        release_ms.push((closed - asked) * 1000.0);
        after_lock_ms.push((closed - everywhere) * 1000.0);

        // The wake: counted, and a new delay inhibitor taken for the next sleep.
        let wakes = st.wakes;
        logind.prepare_for_sleep(false);
        c.wait_until("the resume and a new inhibitor", || {
            let st = state(&c);
            st.wakes > wakes && st.logind.delay_held && logind.inhibitors().len() == n + 3
        });
        assert_eq!(logind.inhibitors()[n + 2].mode, "delay");
        assert!(state(&c).locked, "the laptop wakes onto the lock screen");
        c.msg(&["type", PASSWORD]);
        c.msg(&["key", "Return"]);
        c.wait_until("the unlock", || !state(&c).locked);
    }
    assert_eq!(state(&c).logind.sleeps, 5);
    release_ms.sort_by(f64::total_cmp);
    after_lock_ms.sort_by(f64::total_cmp);
    println!(
        "PrepareForSleep(true) → delay inhibitor let go, lock on both outputs (headless, debug, median of 5): {:.1} ms, of which after the lock showed everywhere: {:.1} ms",
        release_ms[2], after_lock_ms[2]
    );

    // Brightness through logind's Session.SetBrightness: the stand-in records the call and
    // writes the value, as logind writes sysfs.
    c.msg(&["key", "XF86MonBrightnessUp"]);
    c.wait_until("SetBrightness", || !logind.brightness_calls().is_empty());
    let calls = logind.brightness_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!((calls[0].subsystem.as_str(), calls[0].name.as_str()), ("backlight", "canopy-test-backlight"));
    assert!(calls[0].value > 500 && calls[0].value <= 1000, "{calls:?}");
    let file = std::fs::read_to_string(backlight.join("canopy-test-backlight/brightness")).unwrap();
    assert_eq!(file.trim(), calls[0].value.to_string());
    c.msg(&["key", "XF86MonBrightnessDown"]);
    c.wait_until("the second SetBrightness", || logind.brightness_calls().len() == 2);
    assert!(logind.brightness_calls()[1].value < calls[0].value);

    // The power key set to `lock` (logind leaves it to canopy): locks every output, no sleep.
    c.msg(&["key", "XF86PowerOff"]);
    c.wait_until("the lock on every output", || state(&c).every_output_locked);
    let st = state(&c);
    assert_eq!((st.requests_sent, st.logind.sleeps, st.waiting.local.as_deref()), (0, 5, None), "{st:?}");
}

/// No logind on the bus (only a bus): logged once, and canopy's own events still lock first.
#[test]
fn without_logind_canopy_runs_on_its_own_events() {
    let dir = tempfile::Builder::new().prefix("canopy-nologind-").tempdir().unwrap();
    let (mut bus, address) = canopy_tests::notify::start_bus(&dir.path().join("bus"));
    let config = format!("[power]\nhostd = \"unix:{}/no-hostd.sock\"\n", dir.path().display());
    let c = Compositor::start_with_env(&config, &OUTPUTS[..1], &[("DBUS_SYSTEM_BUS_ADDRESS", &address)]);
    c.wait_until("logind found absent", || state(&c).logind.status.starts_with("absent"));
    let st = state(&c).logind;
    assert!(!st.keys_taken && !st.delay_held, "{st:?}");
    assert_eq!(c.log().matches("canopy's own events alone drive sleep").count(), 1);
    let _ = bus.kill();
    let _ = bus.wait();
}

/// A lock program that never locks (a shell loop that ends with the compositor): logind's sleep waits until the compositor's own
/// lock-out covers both outputs after the lock's bound, and only then is the inhibitor let go.
#[test]
fn logind_waits_for_the_lockout_when_the_lock_program_never_locks() {
    let dir = tempfile::Builder::new().prefix("canopy-logind-lockout-").tempdir().unwrap();
    let logind = LogindStandIn::start(dir.path(), None);
    let config = format!(
        "lock_command = [\"/bin/sh\", \"-c\", \"while kill -0 $PPID 2>/dev/null; do sleep 0.2; done\"]\nidle_lock_seconds = 0\n\
         [power]\nhostd = \"unix:{}/no-hostd.sock\"\nlock_timeout_ms = 400\n",
        dir.path().display()
    );
    let c = Compositor::start_with_env(&config, &OUTPUTS, &[("DBUS_SYSTEM_BUS_ADDRESS", logind.address())]);
    c.wait_until("the delay inhibitor", || state(&c).logind.delay_held);
    let asked = now();
    logind.prepare_for_sleep(true);
    c.wait_until("the delay inhibitor let go", || logind.inhibitors()[0].closed_at.is_some());
    let closed = logind.inhibitors()[0].closed_at.unwrap();
    let st = state(&c);
    assert!(st.locked_out && st.every_output_locked, "{st:?}");
    assert!(closed >= st.locked_everywhere_at.unwrap());
    assert!(closed - asked >= 0.4, "let go after {:.3} s, before the lock's bound", closed - asked);
    for o in ["HEADLESS-1", "HEADLESS-2"] {
        let img = c.screenshot_of(Some(o));
        assert_eq!(img.pixel(img.width / 2, img.height / 2), [0, 0, 0], "{o} covered by the lock-out");
    }
}

/// logind restarting (`systemctl restart systemd-logind`: its name leaves the bus and comes
/// back on a new connection that knows no inhibitors) and the system bus itself dying and coming
/// back: each time canopy takes both inhibitors again from the new logind, and that logind's
/// sleep still waits for the lock on every output.
#[test]
fn logind_and_the_bus_coming_back_get_the_inhibitors_taken_again() {
    let dir = tempfile::Builder::new().prefix("canopy-logind-again-").tempdir().unwrap();
    let mut logind = LogindStandIn::start(dir.path(), None);
    let config = format!(
        "lock_command = [\"/bin/sh\", \"-c\", \"while kill -0 $PPID 2>/dev/null; do sleep 0.2; done\"]\nidle_lock_seconds = 0\n\
         [power]\nhostd = \"unix:{}/no-hostd.sock\"\nlock_timeout_ms = 400\n",
        dir.path().display()
    );
    let c = Compositor::start_with_env(&config, &OUTPUTS, &[("DBUS_SYSTEM_BUS_ADDRESS", logind.address())]);
    let held = |c: &Compositor| {
        let l = state(c).logind;
        l.status == "present" && l.delay_held && l.keys_taken
    };
    c.wait_until("the inhibitors", || held(&c));
    assert_eq!(logind.inhibitors().len(), 2);

    // Each comeback: the old pair let go, a new delay and block pair held, nothing more.
    let taken_again = |logind: &LogindStandIn, first: usize| {
        let all = logind.inhibitors();
        assert_eq!(all.len(), first + 2, "{all:?}");
        assert!(all[..first].iter().all(|i| i.closed_at.is_some()), "the old ones let go: {all:?}");
        assert_eq!((all[first].mode.as_str(), all[first + 1].mode.as_str()), ("delay", "block"), "{all:?}");
        assert!(all[first..].iter().all(|i| i.closed_at.is_none()), "{all:?}");
    };
    logind.restart_logind();
    c.wait_until("the inhibitors from the restarted logind", || logind.inhibitors().len() == 4 && held(&c));
    taken_again(&logind, 2);
    assert!(c.log().contains("logind left the system bus"), "{}", c.log());

    logind.restart_bus();
    c.wait_until("the inhibitors on the new bus", || logind.inhibitors().len() == 6 && held(&c));
    taken_again(&logind, 4);

    // The new logind's sleep waits for the lock-out on both outputs, as the first one's did.
    logind.prepare_for_sleep(true);
    c.wait_until("the delay inhibitor let go", || logind.inhibitors()[4].closed_at.is_some());
    let st = state(&c);
    assert!(st.every_output_locked && st.logind.sleeps == 1, "{st:?}");
    assert!(logind.inhibitors()[4].closed_at.unwrap() >= st.locked_everywhere_at.unwrap());
}
