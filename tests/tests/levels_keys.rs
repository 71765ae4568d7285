//! The laptop's level keys on the real compositor: XF86 volume, mute and microphone keys go
//! through `canopy-audiod` to real PipeWire and WirePlumber (as `wpctl` then shows), the
//! brightness keys write a stand-in backlight (a directory shaped like
//! `/sys/class/backlight/NAME`, given as `[levels.backlight] root`, through the real code path),
//! and each press shows the compositor's on-screen display, compared with reviewed images.

use canopy_common::transport::Address;
use canopy_levels::audio::AudioClient;
use canopy_protocols::audio::Target;
use canopy_tests::image::{wait_for_golden, Image};
use canopy_tests::sound::Sound;
use canopy_tests::Compositor;

/// Where the OSD is on the 1280x800 (logical) output: 300x64, centred, a fifth of the way up.
fn osd(shot: &Image, scale: u32) -> Image {
    shot.crop(490 * scale, 608 * scale, 300 * scale, 64 * scale)
}

/// The lock screen's backdrop (canopy-lock's), to know when it covers the output.
fn locked(shot: &Image) -> bool {
    let bg = canopy_themes::Theme::default().desktop.background.mix(canopy_themes::Rgba::rgb(0, 0, 0), 0.35);
    shot.pixel(5, 5) == canopy_tests::fixture::rgb(bg)
}

/// A stand-in for `/sys/class/backlight`: one raw device with 1000 levels, at 500.
fn standin_backlight(dir: &std::path::Path) -> std::path::PathBuf {
    let root = dir.join("standin-backlight");
    let dev = root.join("canopy-test-backlight");
    std::fs::create_dir_all(&dev).unwrap();
    for (file, value) in [("type", "raw"), ("max_brightness", "1000"), ("brightness", "500")] {
        std::fs::write(dev.join(file), format!("{value}\n")).unwrap();
    }
    root
}

/// The stand-in's raw brightness; None while a write is half done (sysfs' writes are atomic,
/// the stand-in's are a truncation and a write).
fn raw_brightness(root: &std::path::Path) -> Option<u32> {
    std::fs::read_to_string(root.join("canopy-test-backlight/brightness")).ok()?.trim().parse().ok()
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort();
    v[v.len() / 2]
}

/// The millisecond figures after `what` in the compositor's log lines that also contain `kind`.
fn figures(log: &str, kind: &[&str], what: &str) -> Vec<u64> {
    log.lines()
        .filter(|l| kind.iter().any(|k| l.contains(k)))
        .filter_map(|l| l.split(what).nth(1)?.split_whitespace().next()?.parse().ok())
        .collect()
}

#[test]
fn level_keys_change_sound_and_backlight_and_show_the_osd() {
    let mut sound = Sound::start("");
    let backlight = standin_backlight(sound.dir());
    let config = format!(
        "[levels]\naudio = \"unix:{}\"\n[levels.backlight]\nroot = \"{}\"\nlogind = false\n\
         [keybindings]\n\"Super+F11\" = \"volume-down\"\n",
        sound.audiod_socket().display(),
        backlight.display()
    );
    let mut c = Compositor::start(&config);
    let addr = Address::Unix(sound.audiod_socket());
    let mut audio = AudioClient::connect(&addr, "levels-keys-test").unwrap();
    let state = audio.state().unwrap();
    let speakers = state.default_output.unwrap();
    let mic = state.default_input.unwrap();
    audio.set_volume(Target::Output, 0.5).unwrap();

    // Volume up: WirePlumber shows the new level, and the OSD shows a bar at 55 %.
    c.msg(&["key", "XF86AudioRaiseVolume"]);
    sound.wait_until("the speakers at 0.55", || sound.volume_of(speakers) == (0.55, false));
    assert!(sound.status_line("Test speakers").unwrap().ends_with("[vol: 0.55]"));
    wait_for_golden("osd-volume@1", 2, 40, || osd(&c.screenshot(), 1));

    // Mute, then the microphone.
    c.msg(&["key", "XF86AudioMute"]);
    sound.wait_until("the speakers muted", || sound.volume_of(speakers) == (0.55, true));
    wait_for_golden("osd-volume-muted@1", 2, 40, || osd(&c.screenshot(), 1));
    c.msg(&["key", "XF86AudioMicMute"]);
    sound.wait_until("the microphone muted", || sound.volume_of(mic).1);
    wait_for_golden("osd-microphone-muted@1", 2, 40, || osd(&c.screenshot(), 1));
    // Raising the volume unmutes.
    c.msg(&["key", "XF86AudioRaiseVolume"]);
    sound.wait_until("the speakers unmuted at 0.6", || sound.volume_of(speakers) == (0.6, false));

    // A rebound key acts like the default one.
    c.msg(&["key", "super+F11"]);
    sound.wait_until("the speakers at 0.55 again", || sound.volume_of(speakers) == (0.55, false));

    // Held, the key repeats at the keyboard's rate; released, it stops: the mute pressed after
    // the release is handled after every repeat, and the unmute after it finds the same level.
    c.msg(&["key-down", "XF86AudioLowerVolume"]);
    sound.wait_until("the held key to repeat", || sound.volume_of(speakers).0 <= 0.35);
    c.msg(&["key-up", "XF86AudioLowerVolume"]);
    c.msg(&["key", "XF86AudioMute"]);
    sound.wait_until("the speakers muted", || sound.volume_of(speakers).1);
    let held = sound.volume_of(speakers).0;
    c.msg(&["key", "XF86AudioMute"]);
    sound.wait_until("the speakers unmuted", || !sound.volume_of(speakers).1);
    assert_eq!(sound.volume_of(speakers).0, held, "the volume moved after the key came up");

    // Brightness: 500 of 1000 is 71 % perceived; down goes to 65 % (423 raw), up twice to 75 %.
    c.msg(&["key", "XF86MonBrightnessDown"]);
    c.wait_until("the backlight at 423", || raw_brightness(&backlight) == Some(423));
    wait_for_golden("osd-brightness@1", 2, 40, || osd(&c.screenshot(), 1));
    c.msg(&["key", "XF86MonBrightnessUp", "XF86MonBrightnessUp"]);
    c.wait_until("the backlight at 563", || raw_brightness(&backlight) == Some(563));
    // Never black by key: the floor is 5 % perceived (3 raw of 1000).
    for _ in 0..4 {
        c.msg(&[
            "key",
            "XF86MonBrightnessDown",
            "XF86MonBrightnessDown",
            "XF86MonBrightnessDown",
            "XF86MonBrightnessDown",
        ]);
    }
    c.wait_until("the backlight at its floor", || raw_brightness(&backlight) == Some(3));

    // On the lock screen the level keys still act, and their OSD is drawn over it.
    let lock_log = sound.dir().join("canopy-lock.log");
    let mut lock = std::process::Command::new(canopy_tests::bin_path("canopy-lock"));
    lock.args(["--time", "2026-11-26 14:05"]).stdout(std::process::Stdio::null());
    lock.stderr(std::fs::File::create(&lock_log).unwrap());
    let mut lock = c.client_env(&mut lock).spawn().unwrap();
    c.wait_until("the lock screen", || {
        let gone = lock.try_wait().unwrap();
        assert!(gone.is_none(), "canopy-lock ended: {}", std::fs::read_to_string(&lock_log).unwrap());
        locked(&c.screenshot())
    });
    c.adopt(lock);
    audio.set_volume(Target::Output, 0.5).unwrap();
    c.msg(&["key", "XF86AudioRaiseVolume"]);
    sound.wait_until("the speakers at 0.55 under the lock", || sound.volume_of(speakers) == (0.55, false));
    wait_for_golden("osd-volume-locked@1", 2, 40, || osd(&c.screenshot(), 1));
    assert!(locked(&c.screenshot()), "still locked");

    // At scale 2, the same OSDs drawn at twice the pixels.
    let mut c2 = Compositor::start_with(&config, &["HEADLESS-1:2560x1600@2"]);
    audio.set_volume(Target::Output, 0.5).unwrap();
    c2.msg(&["key", "XF86AudioRaiseVolume"]);
    wait_for_golden("osd-volume@2", 2, 160, || osd(&c2.screenshot(), 2));
    std::fs::write(backlight.join("canopy-test-backlight/brightness"), "500\n").unwrap();
    c2.msg(&["key", "XF86MonBrightnessDown"]);
    wait_for_golden("osd-brightness@2", 2, 160, || osd(&c2.screenshot(), 2));

    // The OSD goes to the focused window's output, though the pointer is on another.
    c2.msg(&["output-add", "EXTRA", "1280x800@1"]);
    c2.msg(&["pointer-move", "1400", "100"]);
    let (_window, w) = c2.open(None, &["--size", "200x100"]);
    assert_eq!(w.output.as_deref(), Some("EXTRA"));
    c2.msg(&["pointer-move", "100", "100"]);
    std::fs::write(backlight.join("canopy-test-backlight/brightness"), "500\n").unwrap();
    c2.msg(&["key", "XF86MonBrightnessDown"]);
    wait_for_golden("osd-brightness@1", 2, 40, || osd(&c2.screenshot_of(Some("EXTRA")), 1));
    let desktop = canopy_tests::fixture::rgb(canopy_themes::Theme::default().desktop.background);
    c2.wait_until("no OSD on the pointer's output", || {
        osd(&c2.screenshot_of(Some("HEADLESS-1")), 2).pixel(300, 64) == desktop
    });

    // The sound server gone: the key says so on screen.
    sound.stop_pipewire();
    c.msg(&["key", "XF86AudioRaiseVolume"]);
    wait_for_golden("osd-audio-unavailable@1", 2, 60, || osd(&c.screenshot(), 1));

    // Figures for the note: from the press (in the compositor) to the level applied and to the
    // OSD drawn, over every press above.
    let log = c.log();
    let audio = figures(&log, &["levels: Volume", "levels: Mute", "levels: MicMute"], "applied ");
    let light = figures(&log, &["levels: Brightness"], "applied ");
    let audio_drawn = figures(&log, &["OSD for Volume", "OSD for Microphone"], "drawn ");
    let light_drawn = figures(&log, &["OSD for Brightness"], "drawn ");
    assert!(audio.len() >= 8 && light.len() >= 3 && audio_drawn.len() >= 5, "{audio:?} {light:?} {audio_drawn:?}");
    eprintln!(
        "level keys, press to level applied: audio median {} ms (n={}), backlight median {} ms (n={}); \
         press to OSD drawn: audio median {} ms (n={}), backlight median {} ms (n={})",
        median(audio.clone()),
        audio.len(),
        median(light.clone()),
        light.len(),
        median(audio_drawn.clone()),
        audio_drawn.len(),
        median(light_drawn.clone()),
        light_drawn.len(),
    );
}
