//! canopy-lock against the real compositor and PAM: every output covered (also one plugged in
//! while locked), nothing of the desktop visible or reachable, a wrong password refused and
//! said so, the right one unlocking, a killed lock program started again by the compositor. The test creates a user and a PAM service of its own
//! (CI runs as root).

mod shell_support;

use canopy_tests::fixture::rgb;
use canopy_tests::image::{wait_for_golden, Image};
use shell_support::lock::{covered, dots, test_account, PASSWORD, SERVICE, USER};
use shell_support::{theme, Desktop, TIME};

fn start_lock(d: &mut Desktop) -> u32 {
    d.run("canopy-lock", &["--pam-service", SERVICE, "--user", USER, "--time", TIME])
}

#[test]
fn lock_screen_matches_golden_at_scale_1_and_2() {
    test_account();
    for scale in [1u32, 2] {
        let spec = format!("HEADLESS-1:{}x{}@{scale}", 1280 * scale, 800 * scale);
        let mut d = Desktop::start(&[&spec]);
        start_lock(&mut d);
        d.wait_until("the lock screen", || covered(&d.compositor.screenshot()));
        // It may first draw at scale 1 and then again at the output's scale.
        wait_for_golden(&format!("shell-lock@{scale}"), 2, 0, || d.compositor.screenshot());
    }
}

#[test]
fn lock_covers_every_output_and_only_the_right_password_unlocks() {
    test_account();
    let mut d = Desktop::start(&["HEADLESS-1:1280x800", "HEADLESS-2:1024x768"]);
    let (mut client, window) = d.compositor.open(None, &["--title", "secret work", "--color", "10c020"]);
    let (x, y, w, h) = canopy_tests::fixture::geometry(&window);
    let app_pixel = (x as u32 + w as u32 / 4, y as u32 + h as u32 / 4);
    assert_eq!(d.compositor.screenshot_of(Some("HEADLESS-1")).pixel(app_pixel.0, app_pixel.1), [0x10, 0xc0, 0x20]);

    start_lock(&mut d);
    for o in ["HEADLESS-1", "HEADLESS-2"] {
        d.wait_until(&format!("{o} covered"), || covered(&d.compositor.screenshot_of(Some(o))));
    }
    let locked = d.compositor.screenshot_of(Some("HEADLESS-1"));
    assert_ne!(locked.pixel(app_pixel.0, app_pixel.1), [0x10, 0xc0, 0x20], "the window is hidden");

    // An output plugged in while locked is covered too.
    d.compositor.msg(&["output-add", "HEADLESS-3", "800x600"]);
    d.wait_until("HEADLESS-3 covered", || covered(&d.compositor.screenshot_of(Some("HEADLESS-3"))));

    // Typing goes to the lock screen, never to the window behind it.
    let keys_before = client.events().iter().filter(|e| e["event"] == "key").count();
    d.compositor.msg(&["type", "wrong password"]);
    d.compositor.msg(&["key", "Return"]);
    let danger = rgb(theme().desktop.danger);
    d.wait_until("\"Wrong password\"", || {
        let img = d.compositor.screenshot_of(Some("HEADLESS-1"));
        (560..720).any(|x| (495..520).any(|y| img.pixel(x, y) == danger))
    });
    assert!(d.is_running("canopy-lock"), "still locked after a wrong password");
    assert!(covered(&d.compositor.screenshot_of(Some("HEADLESS-2"))));
    client.roundtrip();
    assert_eq!(
        client.events().iter().filter(|e| e["event"] == "key").count(),
        keys_before,
        "no key reached the window"
    );

    d.compositor.msg(&["type", PASSWORD]);
    d.compositor.msg(&["key", "Return"]);
    d.wait_exit("canopy-lock");
    d.wait_until("the window to show again", || {
        d.compositor.screenshot_of(Some("HEADLESS-1")).pixel(app_pixel.0, app_pixel.1) == [0x10, 0xc0, 0x20]
    });
    for o in ["HEADLESS-2", "HEADLESS-3"] {
        assert!(!covered(&d.compositor.screenshot_of(Some(o))), "{o} uncovered");
    }
    // No notification daemon here: the wrong password is not lost, it is in the lock's log.
    let log = std::fs::read_to_string(d.path("canopy-lock.log")).unwrap();
    assert!(log.contains("wrong passwords while locked: 1; not shown as a notification"), "{log}");
}

#[test]
fn a_held_key_repeats_in_the_password_field() {
    test_account();
    let mut d = Desktop::start(&[]);
    start_lock(&mut d);
    d.wait_until("the lock screen", || covered(&d.compositor.screenshot()));
    d.compositor.msg(&["type", "x"]);
    d.wait_until("one dot", || dots(&d.compositor.screenshot()) == 1);
    d.compositor.msg(&["key-down", "a"]);
    d.wait_until("a held key to type several characters", || dots(&d.compositor.screenshot()) >= 6);
    d.compositor.msg(&["key-up", "a"]);
    // Released, it stops.
    let mut last = dots(&d.compositor.screenshot());
    d.wait_until("the dots to stop", || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        let now = dots(&d.compositor.screenshot());
        std::mem::replace(&mut last, now) == now
    });
    // One more key: once it shows, the lock has taken the release before it, and no repeat came
    // in between.
    d.compositor.msg(&["type", "x"]);
    d.wait_until("the next key's dot", || dots(&d.compositor.screenshot()) != last);
    assert_eq!(dots(&d.compositor.screenshot()), last + 1, "no repeats after the key went up");
    // A held BackSpace deletes them all again.
    d.compositor.msg(&["key-down", "BackSpace"]);
    d.wait_until("a held BackSpace to empty the field", || dots(&d.compositor.screenshot()) == 0);
    d.compositor.msg(&["key-up", "BackSpace"]);
    assert!(d.is_running("canopy-lock"));
}

#[test]
fn the_lock_holds_when_the_lock_program_dies_and_it_is_started_again() {
    test_account();
    let mut d = Desktop::start(&[]);
    let pid = start_lock(&mut d);
    d.wait_until("the lock screen", || covered(&d.compositor.screenshot()));
    // Kill the lock program the hard way: the compositor must keep everything hidden.
    let pid = rustix::process::Pid::from_raw(pid as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::KILL).expect("killing our canopy-lock");
    d.wait_exit("canopy-lock");
    // Its surfaces gone (the corners that showed its background turn black), the compositor
    // draws the opaque backdrop in their place.
    let black = |img: &Image, points: &[(u32, u32)]| points.iter().all(|&(x, y)| img.pixel(x, y) == [0, 0, 0]);
    let mut img = d.compositor.screenshot();
    d.wait_until("the lock surface to go", || {
        img = d.compositor.screenshot();
        black(&img, &[(5, 5), (img.width - 5, 5), (5, img.height - 5), (img.width - 5, img.height - 5)])
    });
    assert!(black(&img, &[(640, 400)]), "a dead locker leaves the outputs opaque");
    // The compositor starts its lock_command again (here our canopy-lock with the test
    // account), and the user unlocks as always.
    d.wait_until("the lock screen again", || covered(&d.compositor.screenshot()));
    assert!(d.compositor.log().contains("the lock program went while locked; starting it again"));
    d.compositor.msg(&["type", PASSWORD]);
    d.compositor.msg(&["key", "Return"]);
    d.wait_until("unlocked", || !covered(&d.compositor.screenshot()));
}
