//! The panel's levels and VM menu against real parts: canopy-panel on the real headless
//! compositor (autostarted by it, with its `[levels]`), clicked with the compositor's own pointer; canopy-audiod in front of real
//! PipeWire and WirePlumber (null sinks, `canopy_tests::sound`), checked with `wpctl` as a user
//! at a terminal would; a stand-in backlight directory; and real hostd whose command backend
//! runs the test VM. Golden popovers and menus at scale 1 and 2 (one output each).

mod shell_support;

use canopy_tests::fixture::rgb;
use canopy_tests::image::{wait_for_golden, Image};
use canopy_tests::logind_standin::{Brightness, LogindStandIn};
use canopy_tests::sound::Sound;
use shell_support::{theme, vm_dot, vm_menu_card_x, vm_menu_row, Desktop, TIME};

/// Where the popover's card starts, in logical pixels of a 1280-wide output (levels_view:
/// 340 wide, 4 from the right edge when opened near it, 4 under the 32-pixel panel); its rows
/// start 10 further in.
const CARD_X: f64 = 1280.0 - 340.0 - 4.0;
const INNER_X: f64 = CARD_X + 10.0;
const INNER_Y: f64 = 32.0 + 4.0 + 10.0;
/// A row: heading 22, slider row 30 (mute toggle 28 wide, track from +40, 230 long).
const TRACK_X: f64 = INNER_X + 40.0;
const TRACK_W: f64 = 230.0;
/// The output's slider row, and the microphone's (after the two output devices, 24 each, and
/// 4 of space, its heading).
const OUTPUT_Y: f64 = INNER_Y + 22.0 + 15.0;
const MIC_Y: f64 = INNER_Y + 22.0 + 30.0 + 2.0 * 24.0 + 4.0 + 22.0 + 15.0;
/// The device rows under a slider row's middle: the first and second device.
const DEVICE_1: f64 = 15.0 + 12.0;
const DEVICE_2: f64 = DEVICE_1 + 24.0;
/// The first stream's slider row (after the two microphones, 4 of space, the "Programs" heading
/// and the stream's name).
const STREAM_Y: f64 = MIC_Y + 15.0 + 2.0 * 24.0 + 4.0 + 22.0 + 18.0 + 15.0;

fn standin_backlight(dir: &std::path::Path) -> std::path::PathBuf {
    let root = dir.join("backlight");
    let dev = root.join("canopy-test-backlight");
    std::fs::create_dir_all(&dev).unwrap();
    for (k, v) in [("type", "firmware"), ("max_brightness", "1000"), ("brightness", "490")] {
        std::fs::write(dev.join(k), format!("{v}\n")).unwrap();
    }
    root
}

/// A desktop whose compositor's `[levels]` name audiod's socket and the stand-in backlight, and
/// whose panel it autostarts as a session's config would (no battery, no hostd): the panel
/// takes its levels from the compositor, with no option of its own for them.
fn desktop_with_levels(outputs: &[&str], sound: &Sound) -> Desktop {
    desktop_with_audio(outputs, &sound.audiod_socket())
}

fn desktop_with_audio(outputs: &[&str], audiod: &std::path::Path) -> Desktop {
    desktop_with_backlight(outputs, audiod, None)
}

/// As [`desktop_with_audio`]; with `logind` (the stand-in, already serving a backlight root),
/// the compositor and its panel are on the stand-in's bus and change the backlight through its
/// `SetBrightness`.
fn desktop_with_backlight(
    outputs: &[&str],
    audiod: &std::path::Path,
    logind: Option<(&LogindStandIn, &std::path::Path)>,
) -> Desktop {
    let env: Vec<(&str, &str)> = logind.iter().map(|(l, _)| ("DBUS_SYSTEM_BUS_ADDRESS", l.address())).collect();
    let d = Desktop::start_with_env(outputs, &env, |dir| {
        let backlight = match logind {
            Some((_, root)) => root.to_path_buf(),
            None => standin_backlight(dir),
        };
        format!(
            r#"
[[autostart]]
command = ["{panel}", "--time", "{TIME}", "--power-supply", "{dir}/no-power-supply", "--hostd", "unix:{dir}/no-hostd.sock"]
[levels]
audio = "unix:{audio}"
[levels.backlight]
root = "{backlight}"
logind = {logind}
"#,
            panel = canopy_tests::bin_path("canopy-panel").display(),
            dir = dir.display(),
            audio = audiod.display(),
            backlight = backlight.display(),
            logind = logind.is_some(),
        )
    });
    d.wait_for_panels(&d.output_names());
    d
}

/// The left edge of the clock's text in a panel strip (device pixels): the indicators end 12
/// logical pixels left of it. Found from the right, past the power button.
fn clock_left(strip: &Image, scale: u32) -> f64 {
    let bg = rgb(theme().desktop.panel_background);
    let ink = |x: u32| (8 * scale..24 * scale).any(|y| strip.pixel(x, y) != bg);
    let mut x = strip.width - 30 * scale;
    while !ink(x) {
        x -= 1;
    }
    let mut gap = 0;
    while gap < 8 * scale {
        x -= 1;
        gap = if ink(x) { 0 } else { gap + 1 };
    }
    (x + gap) as f64 / scale as f64
}

/// Escape closes the popover (or menu) on `output`; waits until it is gone, so that the next
/// click lands on the panel and not on the overlay on its way out.
fn escape(d: &Desktop, output: &str) {
    d.compositor.msg(&["key", "Escape"]);
    let bg = rgb(theme().desktop.panel_background);
    let scale = if output == "HEADLESS-2" { 2 } else { 1 };
    d.wait_until("the popover to close", || {
        d.compositor.screenshot_of(Some(output)).pixel((CARD_X as u32 + 4) * scale, 60 * scale) != bg
    });
}

/// The popover's card, cropped from an output's screenshot.
fn card(d: &Desktop, output: &str, scale: u32, h: u32) -> Image {
    let img = d.compositor.screenshot_of(Some(output));
    img.crop((CARD_X as u32 - 4) * scale, 32 * scale, 348 * scale, h * scale)
}

#[test]
fn the_popover_changes_the_sink_and_lists_streams_with_their_vm() {
    let uid = rustix::process::getuid().as_raw();
    let mut sound = Sound::start(&format!("[[stream_vms]]\nvm = \"music-vm\"\nuid = {uid}\n"));
    let d = desktop_with_levels(&["HEADLESS-1:1280x800", "HEADLESS-2:2560x1600@2"], &sound);
    let speakers = sound.status_line("Test speakers").unwrap();
    let id: u32 = speakers.trim_start_matches(['*', ' ']).split('.').next().unwrap().trim().parse().unwrap();
    sound.wpctl(&["set-volume", &id.to_string(), "0.5"]);

    // The indicators, left of the clock; a click opens the popover under them.
    let left = clock_left(&d.panel_strip("HEADLESS-1", 1), 1);
    d.click_at(left - 24.0, 16.0, None);
    let panel_bg = rgb(theme().desktop.panel_background);
    d.wait_until("the popover", || d.compositor.screenshot().pixel(CARD_X as u32 + 4, 120) == panel_bg);
    wait_for_golden("shell-levels-popover@1", 2, 0, || card(&d, "HEADLESS-1", 1, 300));

    // The output slider at 30 %: WirePlumber's sink follows.
    d.click_at(TRACK_X + 0.3 * TRACK_W, OUTPUT_Y, None);
    d.wait_until("the speakers at 0.30", || sound.volume_of(id) == (0.3, false));
    // Dragged from there to 80 % in many small moves: where it stops is what the sink gets, and
    // the panel asks the audio VM far fewer times than the pointer moved (one change under way,
    // the latest value waiting).
    let asked = |sound: &Sound| sound.audiod_log().matches("set_volume: done").count();
    let before = asked(&sound);
    d.compositor.msg(&["button-down"]);
    for i in 0..=25 {
        let f = 0.3 + 0.5 * i as f64 / 25.0;
        d.compositor.msg(&["pointer-move", &(TRACK_X + f * TRACK_W).to_string(), &OUTPUT_Y.to_string()]);
    }
    d.compositor.msg(&["button-up"]);
    d.wait_until("the speakers at 0.80", || sound.volume_of(id) == (0.8, false));
    let requests = asked(&sound) - before;
    eprintln!("a drag of 26 moves: {requests} requests to the audio VM");
    assert!((1..26).contains(&requests), "{requests} requests for 26 moves");

    // The mute toggle, then the microphone's.
    d.click_at(INNER_X + 14.0, OUTPUT_Y, None);
    d.wait_until("the speakers muted", || sound.volume_of(id) == (0.8, true));
    assert!(sound.status_line("Test speakers").unwrap().ends_with("MUTED]"), "{}", sound.wpctl(&["status"]));
    let mic = sound.status_line("Test microphone").unwrap();
    let mic: u32 = mic.trim_start_matches(['*', ' ']).split('.').next().unwrap().trim().parse().unwrap();
    d.click_at(INNER_X + 14.0, MIC_Y, None);
    d.wait_until("the microphone muted", || sound.volume_of(mic).1);
    // The indicator carries the muted microphone's mark, in the danger colour.
    let danger = rgb(theme().desktop.danger);
    d.wait_until("the microphone mark", || {
        let strip = d.panel_strip("HEADLESS-1", 1);
        (left as u32 - 70..left as u32).any(|x| (8..24).any(|y| strip.pixel(x, y) == danger))
    });

    // A program starts playing: its stream shows, labelled with the VM audiod tells.
    sound.play();
    wait_for_golden("shell-levels-stream@1", 2, 0, || card(&d, "HEADLESS-1", 1, 420));
    escape(&d, "HEADLESS-1");

    // The same popover on the scale-2 output (right of the first), from its own panel.
    let left2 = clock_left(&d.panel_strip("HEADLESS-2", 2), 2);
    d.click_at(1280.0 + left2 - 24.0, 16.0, None);
    wait_for_golden("shell-levels-stream@2", 2, 0, || card(&d, "HEADLESS-2", 2, 420));
    escape(&d, "HEADLESS-2");

    // The stream's own slider and mute, then the device choice, as wpctl and pw-dump show.
    let stream = sound.stream_node("pw-play").expect("pw-play's stream in pw-dump");
    d.click_at(left - 24.0, 16.0, None);
    d.wait_until("the popover", || d.compositor.screenshot().pixel(CARD_X as u32 + 4, 120) == panel_bg);
    d.click_at(TRACK_X + 0.4 * TRACK_W, STREAM_Y, None);
    d.wait_until("pw-play's stream at 0.40", || sound.volume_of(stream) == (0.4, false));
    d.click_at(INNER_X + 14.0, STREAM_Y, None);
    d.wait_until("pw-play's stream muted", || sound.volume_of(stream) == (0.4, true));
    assert_eq!(sound.volume_of(id), (0.8, true), "the speakers as they were");
    d.click_at(INNER_X + 80.0, OUTPUT_Y + DEVICE_2, None);
    d.wait_until("the headphones the default output", || sound.is_default("Test headphones"));
    d.click_at(INNER_X + 80.0, MIC_Y + DEVICE_2, None);
    d.wait_until("the headset the default microphone", || sound.is_default("Test headset microphone"));
    // The popover follows: the headphones' level and the headset's (unmuted: no red mark).
    wait_for_golden("shell-levels-devices@1", 2, 0, || card(&d, "HEADLESS-1", 1, 420));
    // And back, for the sound server's restart below (WirePlumber remembers the choice, once
    // it has written it down).
    d.click_at(INNER_X + 80.0, OUTPUT_Y + DEVICE_1, None);
    d.wait_until("the speakers the default output again", || sound.is_default("Test speakers"));
    d.click_at(INNER_X + 80.0, MIC_Y + DEVICE_1, None);
    d.wait_until("the microphone the default again", || sound.is_default("Test microphone"));
    assert!(!sound.is_default("Test headphones") && !sound.is_default("Test headset microphone"));
    d.wait_until("WirePlumber to remember the speakers and the microphone", || {
        sound.remembered_default("audio.sink", "canopy-test-speakers")
            && sound.remembered_default("audio.source", "canopy-test-microphone")
    });
    escape(&d, "HEADLESS-1");

    // The sound server goes: the indicator says so, and comes back with it.
    sound.stop_players();
    let before = d.panel_strip("HEADLESS-1", 1);
    sound.stop_pipewire();
    let (l, r) = (left as u32 - 60, left as u32 - 12);
    d.wait_until("the unreachable indicator", || {
        let strip = d.panel_strip("HEADLESS-1", 1);
        (l..r).any(|x| (8..24).any(|y| strip.pixel(x, y) == danger && before.pixel(x, y) != danger))
    });
    d.click_at(left - 24.0, 16.0, None);
    // (Cropped above audiod's reason, which quotes how pw-dump ended.)
    wait_for_golden("shell-levels-unreachable@1", 2, 0, || card(&d, "HEADLESS-1", 1, 56));
    escape(&d, "HEADLESS-1");
    sound.start_pipewire();
    d.wait_until("the indicator back", || {
        let strip = d.panel_strip("HEADLESS-1", 1);
        (l..r).all(|x| (8..24).all(|y| strip.pixel(x, y) != danger || before.pixel(x, y) == danger))
    });
}

#[test]
fn a_read_only_backlight_shows_as_such_and_a_missing_one_too() {
    let sound = Sound::start("");
    let d = desktop_with_levels(&[], &sound);
    let left = clock_left(&d.panel_strip("HEADLESS-1", 1), 1);
    d.click_at(left - 24.0, 16.0, None);
    let panel_bg = rgb(theme().desktop.panel_background);
    d.wait_until("the popover", || d.compositor.screenshot().pixel(CARD_X as u32 + 4, 120) == panel_bg);
    // The brightness slider, under the sound part (two outputs, two microphones):
    // a click at 80 % writes the stand-in's file (perceived 80 % of 1000 is 640).
    let brightness_y = MIC_Y + 15.0 + 2.0 * 24.0 + 4.0 + 13.0 + 22.0 + 15.0;
    let file = d.path("backlight/canopy-test-backlight/brightness");
    d.click_at(TRACK_X + 0.8 * TRACK_W, brightness_y, None);
    d.wait_until("the backlight at 80 %", || std::fs::read_to_string(&file).unwrap().trim() == "640");
    escape(&d, "HEADLESS-1");

    // No user can write a directory where the file should be: the popover says read-only and
    // has no slider.
    std::fs::remove_file(&file).unwrap();
    std::fs::write(d.path("backlight/canopy-test-backlight/actual_brightness"), "640\n").unwrap();
    std::fs::create_dir(&file).unwrap();
    d.click_at(left - 24.0, 16.0, None);
    wait_for_golden("shell-levels-read-only@1", 2, 0, || card(&d, "HEADLESS-1", 1, 348));
    escape(&d, "HEADLESS-1");

    // And gone altogether.
    std::fs::remove_dir_all(d.path("backlight/canopy-test-backlight")).unwrap();
    d.click_at(left - 24.0, 16.0, None);
    // (Cropped above the next line, which names the test's temporary directory.)
    wait_for_golden("shell-levels-no-backlight@1", 2, 0, || card(&d, "HEADLESS-1", 1, 276));
}

/// The brightness slider where the session has logind (the laptop's usual case: the user may
/// not write sysfs): the panel's click goes to logind's `Session.SetBrightness` (the stand-in,
/// only because logind cannot run here, records the call and writes the file as logind would).
#[test]
fn the_brightness_slider_goes_through_logind() {
    let sound = Sound::start("");
    let bus_dir = tempfile::Builder::new().prefix("canopy-levels-logind-").tempdir().unwrap();
    let backlight = standin_backlight(bus_dir.path());
    let logind = LogindStandIn::start(bus_dir.path(), Some(&backlight));
    let d = desktop_with_backlight(&[], &sound.audiod_socket(), Some((&logind, &backlight)));
    let left = clock_left(&d.panel_strip("HEADLESS-1", 1), 1);
    d.click_at(left - 24.0, 16.0, None);
    let panel_bg = rgb(theme().desktop.panel_background);
    d.wait_until("the popover", || d.compositor.screenshot().pixel(CARD_X as u32 + 4, 120) == panel_bg);
    // As in the test above: a click at 80 % is perceived 80 % of 1000, 640.
    let brightness_y = MIC_Y + 15.0 + 2.0 * 24.0 + 4.0 + 13.0 + 22.0 + 15.0;
    d.click_at(TRACK_X + 0.8 * TRACK_W, brightness_y, None);
    d.wait_until("SetBrightness", || !logind.brightness_calls().is_empty());
    let want = Brightness { subsystem: "backlight".into(), name: "canopy-test-backlight".into(), value: 640 };
    assert_eq!(logind.brightness_calls(), vec![want]);
    let file = std::fs::read_to_string(backlight.join("canopy-test-backlight/brightness")).unwrap();
    assert_eq!(file.trim(), "640");
}

/// hostd's word on a VM (`canopy-ctl list vms`: "web  untrusted  running …").
fn vm_listed(d: &Desktop, vm: &str, state: &str) -> bool {
    let list = String::from_utf8_lossy(&d.ctl(&["list", "vms"]).stdout).into_owned();
    list.lines().any(|l| l.split_whitespace().next() == Some(vm) && l.contains(state))
}

/// How many times the simulated VM was started (its `starts.log`).
fn starts(d: &Desktop, vm: &str) -> usize {
    std::fs::read_to_string(d.path(&format!("vms/{vm}/starts.log"))).unwrap_or_default().lines().count()
}

#[test]
fn the_vm_menu_starts_stops_and_restarts_through_hostd_and_says_when_it_cannot() {
    let mut d = Desktop::with_host(&["HEADLESS-1:1280x800", "HEADLESS-2:2560x1600@2"]);
    d.panel();
    assert!(d.ctl(&["start", "app", "hello"]).status.success(), "{}", d.logs());
    let web_window = |d: &Desktop| d.compositor.windows().iter().any(|w| w.vm.as_deref() == Some("web"));
    d.wait_until("the web VM's window", || web_window(&d));
    let web = rgb(theme().colours("untrusted").focused);
    let chip = |output: &str, scale: u32| {
        let mut dot = None;
        d.wait_until("web's running dot", || {
            dot = vm_dot(&d.panel_strip(output, scale), web, scale);
            dot.is_some()
        });
        dot.unwrap() + 10.0
    };
    let card_x = vm_menu_card_x;
    let shot = |d: &Desktop, output: &str, scale: u32, x: f64| {
        d.compositor.screenshot_of(Some(output)).crop((x as u32 - 4) * scale, 32 * scale, 268 * scale, 180 * scale)
    };

    // On the scale-2 output (right of the first) first, then closed.
    let chip2 = chip("HEADLESS-2", 2);
    d.click_at(1280.0 + chip2, 16.0, None);
    wait_for_golden("shell-vm-menu@2", 2, 0, || shot(&d, "HEADLESS-2", 2, card_x(chip2)));
    d.compositor.msg(&["key", "Escape"]);
    let bg = rgb(theme().desktop.panel_background);
    let inside = (card_x(chip2) as u32 + 8) * 2;
    d.wait_until("the menu to close", || d.compositor.screenshot_of(Some("HEADLESS-2")).pixel(inside, 120) != bg);

    // The chips keep their places whatever their state, so web's is found once, running.
    let chip_x = chip("HEADLESS-1", 1);
    let card_x = card_x(chip_x);
    let shot = |d: &Desktop| shot(d, "HEADLESS-1", 1, card_x);
    let open_menu = |d: &Desktop| {
        d.click_at(chip_x, 16.0, None);
        d.wait_until("the VM menu", || d.compositor.screenshot().pixel(card_x as u32 + 8, 60) == bg);
    };
    open_menu(&d);
    wait_for_golden("shell-vm-menu@1", 2, 0, || shot(&d));

    // Stop asks first, naming the window that will close; nothing stops until confirmed.
    let row = vm_menu_row;
    d.click_at(card_x + 60.0, row(1.0), None);
    wait_for_golden("shell-vm-menu-stop@1", 2, 0, || shot(&d));
    assert!(web_window(&d), "asked, not yet stopped");
    let buttons = 32.0 + 4.0 + 6.0 + 30.0 + 1.0 + 6.0 + 3.0 * 18.0 + 6.0 + 13.0;
    let go = card_x + 6.0 + 121.0 + 6.0 + 60.0;
    d.click_at(go, buttons, None);
    d.wait_until("the web VM's windows to close", || !web_window(&d));
    // The windows go as the VM's processes end; hostd says stopped once its stop command is done.
    d.wait_until("hostd to report web stopped", || vm_listed(&d, "web", "stopped"));

    // Start does not ask: the VM boots through hostd's command backend.
    let booted = starts(&d, "web");
    open_menu(&d);
    d.click_at(card_x + 60.0, row(0.0), None);
    d.wait_until("hostd to report web running", || vm_listed(&d, "web", "running"));
    assert_eq!(starts(&d, "web"), booted + 1, "one start");

    // Restart, with the keyboard alone: Down to Stop…, Down to Restart…, Return asks (naming the
    // window), Down twice to the go-ahead, Return. The window closes and the VM boots again.
    assert!(d.ctl(&["start", "app", "hello"]).status.success(), "{}", d.logs());
    d.wait_until("the web VM's window again", || web_window(&d));
    open_menu(&d);
    for key in ["Down", "Down", "Return", "Down", "Down"] {
        d.compositor.msg(&["key", key]);
    }
    wait_for_golden("shell-vm-menu-restart@1", 2, 0, || shot(&d));
    d.compositor.msg(&["key", "Return"]);
    d.wait_until("the web VM's windows to close on restart", || !web_window(&d));
    d.wait_until("web booted again", || starts(&d, "web") == booted + 2);
    d.wait_until("hostd to report web running again", || vm_listed(&d, "web", "running"));

    // The VM does not stop: the user is told, not only the log (here without a notification
    // daemon: the corner notice; with one, notify_system shows the notification).
    std::fs::write(d.path("vms/web/stop-fails"), "the VM is stuck\n").unwrap();
    open_menu(&d);
    d.click_at(card_x + 60.0, row(1.0), None);
    // No window is open now, so the question is a line shorter. (The go-ahead button's top edge,
    // where the menu had empty space.)
    let buttons = buttons - 18.0;
    d.wait_until("the question", || d.compositor.screenshot().pixel(go as u32, buttons as u32 - 13) != bg);
    d.click_at(go, buttons, None);
    // The notice in the corner; cropped above its reason, which names the test's directory
    // (hostd's "stopping VM web failed: `/bin/sh …/vm.sh stop web` exited with status 1").
    let corner = |d: &Desktop, h: u32| d.compositor.screenshot().crop(1280 - 420, 32, 420, h);
    wait_for_golden("shell-vm-menu-stop-failed@1", 2, 0, || corner(&d, 44));
    assert!(vm_listed(&d, "web", "failed"), "hostd marks it failed");
    let panel_log = std::fs::read_to_string(d.path("canopy-panel.log")).unwrap();
    assert!(panel_log.contains("Stop web: ") && panel_log.contains("exited with status 1"), "{panel_log}");

    // hostd refuses: web needs a disk image that nobody set (hostd restarted with that config,
    // the VM stopped meanwhile); Start is refused at once and the user told why.
    canopy_tests::simhost::stop_vm(d.dir.path(), "web");
    let config = std::fs::read_to_string(d.path("hostd.toml")).unwrap();
    let config = config.replacen("[vms.web]\n", "[vms.web]\nneeds_disk_image = true\n", 1);
    std::fs::write(d.path("hostd.toml"), config).unwrap();
    let panel_connections = |d: &Desktop| {
        let log = std::fs::read_to_string(d.path("hostd.log")).unwrap_or_default();
        log.lines().filter(|l| l.contains("connected") && l.contains("canopy-panel")).count()
    };
    let before = panel_connections(&d);
    d.restart_hostd();
    assert!(vm_listed(&d, "web", "stopped"), "hostd finds web stopped");
    // The panel's watch comes back (its list, then its watch), and web's chip is grey.
    d.wait_until("the panel's watch on the new hostd", || panel_connections(&d) >= before + 2);
    let t = theme();
    let grey = rgb(t.desktop.panel_text.mix(t.desktop.panel_background, 0.6));
    let text = rgb(t.desktop.panel_text);
    d.wait_until("the panel to show web stopped", || {
        let strip = d.panel_strip("HEADLESS-1", 1);
        let name = || (chip_x as u32 + 2..chip_x as u32 + 24).flat_map(|x| (8..24).map(move |y| (x, y)));
        name().any(|(x, y)| strip.pixel(x, y) == grey) && name().all(|(x, y)| strip.pixel(x, y) != text)
    });
    open_menu(&d);
    d.click_at(card_x + 60.0, row(0.0), None);
    wait_for_golden("shell-vm-menu-start-refused@1", 2, 0, || corner(&d, 120));
    assert!(d.logs().contains("Start web: "), "and a log line");
    assert_eq!(starts(&d, "web"), booted + 2, "nothing started");
}

/// A stand-in for a broken or hostile audio VM on `socket`: canopy-audiod's protocol (the real
/// handshake and request loop), answering a watch with numbers no slider can show — speakers at
/// 7.3, a stream at -0.5, a step of 0.9.
fn lying_audiod(socket: &std::path::Path) {
    use canopy_lifecycle::server::{listen, reply, serve};
    use canopy_protocols::audio::{AudioState, Device, Direction, Reply, Request, Stream};
    use canopy_protocols::lifecycle::{Error, Response};
    let device = |id, name: &str, volume| Device { id, name: name.into(), volume, muted: false };
    let state = AudioState {
        outputs: vec![device(1, "Lying speakers", 7.3)],
        inputs: vec![device(2, "Microphone", 0.5)],
        default_output: Some(1),
        default_input: Some(2),
        streams: vec![Stream {
            id: 3,
            app: "player".into(),
            vm: None,
            direction: Direction::Playback,
            volume: -0.5,
            muted: false,
        }],
        max_volume: 1.0,
        step: 0.9,
    };
    let addr = format!("unix:{}", socket.display()).parse().unwrap();
    listen(
        &addr,
        "the lying audio VM ",
        4,
        |_| true,
        move |stream, peer| {
            serve::<Request, Reply>(
                &stream,
                &peer,
                "canopy-audiod",
                Ok(()),
                |_| {},
                |_| {},
                |req| {
                    let answer = match req {
                        Request::Watch => Reply::Watching { state: state.clone() },
                        _ => Reply::State { state: state.clone() },
                    };
                    reply(&stream, &Response::<Reply>::from(Ok::<_, Error>(answer)))
                },
            )
        },
    )
    .unwrap();
}

#[test]
fn numbers_from_the_audio_vm_no_slider_can_show_are_clamped_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("lying-audiod.sock");
    lying_audiod(&socket);
    let d = desktop_with_audio(&[], &socket);
    // The panel takes the state (no red indicator: nothing was refused), shows each number in
    // range, and says what it changed.
    for line in ["a device volume of 7.3 shown as 1", "a stream volume of -0.5 shown as 0", "a volume step of 0.9"] {
        d.wait_until(line, || d.compositor.log().contains(line));
    }
    let strip = d.panel_strip("HEADLESS-1", 1);
    let left = clock_left(&strip, 1);
    let danger = rgb(theme().desktop.danger);
    assert!((left as u32 - 60..left as u32).all(|x| (8..24).all(|y| strip.pixel(x, y) != danger)), "not refused");
    d.click_at(left - 24.0, 16.0, None);
    let panel_bg = rgb(theme().desktop.panel_background);
    d.wait_until("the popover", || d.compositor.screenshot().pixel(CARD_X as u32 + 4, 120) == panel_bg);
    // The speakers' slider is full: its knob at the track's end, in the accent colour.
    let accent = rgb(theme().desktop.panel_accent);
    d.wait_until("the speakers' slider full", || {
        d.compositor.screenshot().pixel((TRACK_X + TRACK_W - 2.0) as u32, OUTPUT_Y as u32) == accent
    });
}
