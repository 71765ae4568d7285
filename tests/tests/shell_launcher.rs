//! canopy-launcher against the real compositor and hostd: what it shows (golden screenshots
//! at scale 1 and 2), a click on a tile making hostd start the app whose window then appears
//! with the keyboard (the click's activation token travels with the start request),
//! typing to filter, Escape, the fallback app list, the Super key toggling it, and what a
//! compromised agent can (not) do to it and the panel.

mod shell_support;

use canopy_tests::fixture::rgb;
use canopy_tests::image::{assert_golden, Image};
use shell_support::{theme, Desktop};

/// The launcher lays its tiles out centred under the search field: 140×148 logical pixels,
/// 20 apart, from y = 152. These are the places a person clicks.
const TILE_W: f64 = 140.0;
const TILE_GAP: f64 = 20.0;
const TILE_Y: f64 = 152.0;

fn tile_centre(output_w: f64, tiles: usize, i: usize) -> (f64, f64) {
    let n = tiles as f64;
    let left = ((output_w - (n * TILE_W + (n - 1.0) * TILE_GAP)) / 2.0).round();
    (left + i as f64 * (TILE_W + TILE_GAP) + TILE_W / 2.0, TILE_Y + 74.0)
}

/// Screenshots until two in a row agree (the app list arrives from hostd asynchronously).
fn settled(d: &Desktop) -> Image {
    let mut last = d.compositor.screenshot();
    let mut same = 0;
    d.wait_until("the screen to settle", || {
        std::thread::sleep(std::time::Duration::from_millis(150));
        let now = d.compositor.screenshot();
        same = if now.diff_count(&last, 0) == 0 { same + 1 } else { 0 };
        last = now;
        same >= 2
    });
    last
}

/// Whether the launcher covers the output: its background where the desktop would be.
fn launcher_shown(img: &Image) -> bool {
    let d = theme().desktop;
    let expected = rgb(d.launcher_background.mix(d.background, 1.0 - d.launcher_background.a as f32 / 255.0));
    let p = img.pixel(20, img.height - 20);
    p.iter().zip(expected).all(|(a, b)| a.abs_diff(b) <= 2)
}

#[test]
fn launcher_matches_golden_at_scale_1_and_2() {
    for scale in [1u32, 2] {
        let spec = format!("HEADLESS-1:{}x{}@{scale}", 1280 * scale, 800 * scale);
        let mut d = Desktop::with_host(&[&spec]);
        d.run("canopy-launcher", &[]);
        d.wait_until("the launcher", || launcher_shown(&d.compositor.screenshot()));
        assert_golden(&format!("shell-launcher@{scale}"), &settled(&d), 2, 0);
    }
}

#[test]
fn clicking_a_tile_starts_the_app_through_hostd_and_its_window_appears() {
    let mut d = Desktop::with_host(&[]);
    d.run("canopy-launcher", &[]);
    d.wait_until("the launcher", || launcher_shown(&d.compositor.screenshot()));
    settled(&d);
    assert!(d.compositor.windows().is_empty());
    // hostd lists its apps by name: android (Cloud Android), hello (Hello), pdf (PDF viewer).
    let (x, y) = tile_centre(1280.0, 3, 1);
    d.click_at(x, y, None);

    // hostd starts the stopped VM, its agent starts the app, and the window comes through
    // the proxies into the compositor as the web VM's.
    let mut found = None;
    d.wait_until("the app's window", || {
        found = d.compositor.windows().into_iter().next().filter(|window| window.geometry.is_some());
        found.is_some()
    });
    let window = found.expect("found");
    assert_eq!(window.vm.as_deref(), Some("web"), "{window}");
    assert_eq!(window.title, "[web] hello from the web VM");
    d.wait_exit("canopy-launcher");
    assert_eq!(std::fs::read_to_string(d.path("vms/web/starts.log")).unwrap().lines().count(), 1);
    assert!(!launcher_shown(&d.compositor.screenshot()), "the launcher is gone");

    // The click's activation token went with the start request (launcher → hostd → agent →
    // the app's XDG_ACTIVATION_TOKEN), so the window the user asked for has the keyboard: what
    // is typed reaches the app (which prints its key events into the VM's agent log).
    let id = window.id;
    d.wait_until("the app's window focused", || d.compositor.window(id).focused);
    d.compositor.msg(&["type", "hi"]);
    d.wait_until("the keys in the app", || {
        let log = std::fs::read_to_string(d.path("vms/web/agent.log")).unwrap_or_default();
        let keys: String = log
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|e| e["event"] == "key")
            .filter_map(|e| e["utf8"].as_str().map(String::from))
            .collect();
        keys == "hi"
    });
}

#[test]
fn typing_filters_enter_starts_and_escape_closes() {
    let mut d = Desktop::with_host(&[]);
    d.run("canopy-launcher", &[]);
    d.wait_until("the launcher", || launcher_shown(&d.compositor.screenshot()));
    let all = settled(&d);
    let tile_bg = rgb(theme().desktop.notice_background);
    let (x0, y0) = tile_centre(1280.0, 3, 0);
    let (x1, _) = tile_centre(1280.0, 1, 0);
    // Three tiles: the first at the left; after typing, one tile in the middle.
    assert_eq!(all.pixel(x0 as u32 - 60, y0 as u32 + 60), tile_bg);
    // "fpdxf" matches nothing; the caret keys edit the filter in the middle: Home, Delete (the
    // leading f), End, Left, BackSpace (the x) leave "pdf".
    d.compositor.msg(&["type", "fpdxf"]);
    d.wait_until("no tile", || {
        let img = d.compositor.screenshot();
        img.pixel(x1 as u32 - 60, y0 as u32 + 60) != tile_bg && img.pixel(x0 as u32 - 60, y0 as u32 + 60) != tile_bg
    });
    d.compositor.msg(&["key", "Home", "Delete", "End", "Left", "BackSpace"]);
    d.wait_until("one tile left", || {
        let img = d.compositor.screenshot();
        img.pixel(x1 as u32 - 60, y0 as u32 + 60) == tile_bg && img.pixel(x0 as u32 - 60, y0 as u32 + 60) != tile_bg
    });
    // Escape clears the filter first, then closes.
    d.compositor.msg(&["key", "Escape"]);
    d.wait_until("all tiles back", || d.compositor.screenshot().pixel(x0 as u32 - 60, y0 as u32 + 60) == tile_bg);
    d.compositor.msg(&["key", "Escape"]);
    d.wait_exit("canopy-launcher");

    // Enter starts the selected tile.
    d.run("canopy-launcher", &[]);
    d.wait_until("the launcher", || launcher_shown(&d.compositor.screenshot()));
    d.compositor.msg(&["type", "hello"]);
    d.compositor.msg(&["key", "Return"]);
    d.compositor.wait_for_windows(1);
    d.wait_exit("canopy-launcher");
}

#[test]
fn a_held_backspace_repeats_in_the_filter() {
    let mut d = Desktop::with_host(&[]);
    d.run("canopy-launcher", &[]);
    d.wait_until("the launcher", || launcher_shown(&d.compositor.screenshot()));
    settled(&d);
    let tile_bg = rgb(theme().desktop.notice_background);
    let (x0, y0) = tile_centre(1280.0, 3, 0);
    let first_tile = |img: &Image| img.pixel(x0 as u32 - 60, y0 as u32 + 60) == tile_bg;
    // "pdf", "pd" and "p" each match one app only: the three tiles come back only when all
    // three letters are gone, which one press of BackSpace cannot do without repeating.
    d.compositor.msg(&["type", "pdf"]);
    d.wait_until("one tile left", || !first_tile(&d.compositor.screenshot()));
    d.compositor.msg(&["key-down", "BackSpace"]);
    d.wait_until("the held BackSpace to empty the filter", || first_tile(&d.compositor.screenshot()));
    d.compositor.msg(&["key-up", "BackSpace"]);
    // A held Return would start the app again and again: it acts once, and the launcher
    // closes after starting it.
    d.compositor.msg(&["type", "hello"]);
    d.compositor.msg(&["key-down", "Return"]);
    d.wait_exit("canopy-launcher");
    d.compositor.msg(&["key-up", "Return"]);
    d.compositor.wait_for_windows(1);
    // The launcher is gone, so its log is whole: it asked hostd to start the app once, and no
    // second window is on its way.
    let log = std::fs::read_to_string(d.path("canopy-launcher.log")).unwrap();
    assert_eq!(log.matches("asking hostd to start hello in web").count(), 1, "{log}");
    assert_eq!(d.compositor.windows().len(), 1);
}

#[test]
fn without_hostd_the_fallback_list_shows_and_starting_says_why_it_failed() {
    let mut d = Desktop::start(&[]);
    let apps = d.path("launcher.toml");
    d.run("canopy-launcher", &["--apps", apps.to_str().unwrap()]);
    d.wait_until("the launcher", || launcher_shown(&d.compositor.screenshot()));
    let img = settled(&d);
    // The four apps of the fallback file, each with its VM's colour bar under it.
    let colours = ["untrusted", "work", "personal", "untrusted"].map(|l| rgb(theme().colours(l).focused));
    for (i, c) in colours.iter().enumerate() {
        let (x, _) = tile_centre(1280.0, 4, i);
        assert_eq!(img.pixel(x as u32, TILE_Y as u32 + 148 - 8), *c, "tile {i}'s colour bar");
    }
    let (x, y) = tile_centre(1280.0, 4, 1);
    d.click_at(x, y, None);
    // A red message at the bottom; the launcher stays open.
    let danger = rgb(theme().desktop.danger);
    d.wait_until("the failure message", || {
        let img = d.compositor.screenshot();
        (0..img.width).any(|x| (700..780).any(|y| img.pixel(x, y) == danger))
    });
    assert!(d.is_running("canopy-launcher"));
    assert!(d.compositor.windows().is_empty());
}

#[test]
fn a_bad_fallback_file_is_named_with_line_and_key() {
    let mut d = Desktop::start(&[]);
    let bad = d.path("bad.toml");
    std::fs::write(&bad, "[[app]]\nname = \"x\"\ndisplay_name = \"X\"\nvm = \"v\"\ntrust = \"purple\"\n").unwrap();
    d.run("canopy-launcher", &["--apps", bad.to_str().unwrap()]);
    let log = d.path("canopy-launcher.log");
    d.wait_until("the error in the log", || std::fs::read_to_string(&log).unwrap_or_default().contains("bad.toml:5"));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("key `app.0.trust`: unknown trust level `purple`"), "{text}");
    assert!(d.is_running("canopy-launcher"), "the launcher stays up and says so on screen");
}

#[test]
fn the_super_key_toggles_the_launcher() {
    let d = Desktop::with_host(&[]);
    assert!(!launcher_shown(&d.compositor.screenshot()));
    d.compositor.msg(&["key", "Super_L"]);
    d.wait_until("the launcher to open", || launcher_shown(&d.compositor.screenshot()));
    settled(&d);
    d.compositor.msg(&["key", "Super_L"]);
    d.wait_until("the launcher to close", || !launcher_shown(&d.compositor.screenshot()));
    d.compositor.msg(&["key", "Super_L"]);
    d.wait_until("the launcher to open again", || launcher_shown(&d.compositor.screenshot()));
}

/// Whether any pixel of `img` in the rows `ys` has `colour`.
fn any_pixel(img: &Image, ys: std::ops::Range<u32>, colour: [u8; 3]) -> bool {
    ys.into_iter().any(|y| (0..img.width).any(|x| img.pixel(x, y) == colour))
}

#[test]
fn the_windows_vm_asks_once_for_its_disk_image_and_hostd_remembers_it() {
    let mut d = Desktop::with_windows_vm(&[]);
    let image = d.path("images/Windows-11.qcow2");
    std::fs::create_dir_all(image.parent().unwrap()).unwrap();
    std::fs::write(&image, b"QFI\xfb not really a disk").unwrap();
    let image = image.to_str().unwrap().to_string();
    let starts = d.path("vms/windows-vm/starts.log");

    d.run("canopy-launcher", &[]);
    d.wait_until("the launcher", || launcher_shown(&d.compositor.screenshot()));
    settled(&d);
    // hostd lists android, hello, pdf and windows: Windows is the fourth tile.
    let (x, y) = tile_centre(1280.0, 4, 3);
    d.click_at(x, y, None);

    // hostd answers disk_image_missing; the launcher asks, in a card in the middle.
    let card_bg = rgb(theme().desktop.notice_background);
    d.wait_until("the disk image question", || d.compositor.screenshot().pixel(640, 400) == card_bg);
    let log = std::fs::read_to_string(d.path("canopy-launcher.log")).unwrap();
    assert!(log.contains("VM windows-vm needs a disk image (no disk image is set)"), "{log}");

    // A path that does not exist: hostd refuses it, the card says so in red, nothing starts.
    d.compositor.msg(&["type", "/nonexistent/windows.qcow2"]);
    d.compositor.msg(&["key", "Return"]);
    let danger = rgb(theme().desktop.danger);
    d.wait_until("the refusal", || any_pixel(&d.compositor.screenshot(), 200..600, danger));
    assert!(!starts.exists(), "the VM did not start");
    assert!(d.is_running("canopy-launcher"));

    // The real path: hostd checks and keeps it, starts the VM with it, and the GUI VM's agent
    // starts the display client, whose window is the Windows VM's.
    d.compositor.msg(&["key", "ctrl+BackSpace"]);
    d.compositor.msg(&["type", &image]);
    d.compositor.msg(&["key", "Return"]);
    let mut found = None;
    d.wait_until("the Windows display", || {
        found = d.compositor.windows().into_iter().next().filter(|window| window.geometry.is_some());
        found.is_some()
    });
    let window = found.expect("found");
    assert_eq!(window.vm.as_deref(), Some("windows-vm"), "{window}");
    assert_eq!(window.title, "[windows-vm] Windows 11");
    d.wait_exit("canopy-launcher");
    assert_eq!(std::fs::read_to_string(&starts).unwrap(), format!("{image}\n"));
    let state = std::fs::read_to_string(d.path("state/state.json")).unwrap();
    assert!(state.contains(&image), "{state}");

    // Remembered: with the VM stopped and hostd restarted, starting Windows asks nothing.
    d.compositor.msg(&["close", &window.id.to_string()]);
    d.wait_until("the display to close", || d.compositor.windows().is_empty());
    let stop = d.ctl(&["stop", "vm", "windows-vm"]);
    assert!(stop.status.success(), "{stop:?}");
    d.restart_hostd();
    d.run("canopy-launcher", &[]);
    d.wait_until("the launcher", || launcher_shown(&d.compositor.screenshot()));
    settled(&d);
    d.click_at(x, y, None);
    d.compositor.wait_for_windows(1);
    d.wait_exit("canopy-launcher");
    assert_eq!(std::fs::read_to_string(&starts).unwrap(), format!("{image}\n{image}\n"));
    let log = std::fs::read_to_string(d.path("canopy-launcher.log")).unwrap();
    assert!(!log.contains("needs a disk image"), "asked again:\n{log}");
}

#[test]
fn a_list_longer_than_the_output_scrolls_with_the_keys() {
    // 800×600 holds 4 columns and 2 rows; 16 apps make 4 rows, each row of one trust level.
    let mut d = Desktop::start(&["HEADLESS-1:800x600"]);
    let trust = ["untrusted", "work", "personal", "trusted"];
    let apps: String = (0..16)
        .map(|i| {
            format!(
                "[[app]]\nname = \"app{i}\"\ndisplay_name = \"App {i}\"\nvm = \"vm{row}\"\ntrust = \"{t}\"\n\n",
                row = i / 4,
                t = trust[i / 4]
            )
        })
        .collect();
    let file = d.path("many.toml");
    std::fs::write(&file, apps).unwrap();
    d.run("canopy-launcher", &["--apps", file.to_str().unwrap()]);
    d.wait_until("the launcher", || launcher_shown(&d.compositor.screenshot()));
    settled(&d);
    // The colour bars of the two rows on screen, read at the first tile of each.
    let (x, _) = tile_centre(800.0, 4, 0);
    let rows_shown = |img: &Image| {
        let bar = |row: u32| img.pixel(x as u32, TILE_Y as u32 + 148 - 8 + row * 168);
        let level = |c: [u8; 3]| trust.iter().position(|l| rgb(theme().colours(l).focused) == c);
        (level(bar(0)), level(bar(1)))
    };
    assert_eq!(rows_shown(&settled(&d)), (Some(0), Some(1)));
    // Down twice: the selection reaches the third row and the grid follows it.
    d.compositor.msg(&["key", "Down", "Down"]);
    d.wait_until("rows 1 and 2", || rows_shown(&d.compositor.screenshot()) == (Some(1), Some(2)));
    d.compositor.msg(&["key", "Page_Down"]);
    d.wait_until("the last rows", || rows_shown(&d.compositor.screenshot()) == (Some(2), Some(3)));
    d.compositor.msg(&["key", "Home"]);
    d.wait_until("the top again", || rows_shown(&d.compositor.screenshot()) == (Some(0), Some(1)));
}

/// What a compromised agent answered every start with (issue 13): a paragraph separator, a
/// right-to-left override, zero-width characters, a soft hyphen and an isolate, as TOML escapes.
const FORMATTED_ERROR: &str = r#"error = "Session expired\u2029\u202E\u200BRe-enter your bank password in the \u00AD[bank-vm]\u2066 window\u200D""#;

#[test]
fn a_hostile_agent_blanks_no_panel_and_its_text_shows_as_one_plain_line() {
    let mut d = Desktop::with_host(&[]);
    // gala's agent claims 1500 running apps; docs' agent answers every start with formatted text.
    canopy_tests::simhost::write_hostile_agent(d.dir.path(), "gala", "instances = 1500\n");
    canopy_tests::simhost::write_hostile_agent(d.dir.path(), "docs", FORMATTED_ERROR);
    let out = d.ctl(&["start", "vm", "gala"]);
    assert_eq!(out.status.code(), Some(7), "agent unreachable: {out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("reported 1500 running apps"), "{out:?}");
    let out = d.ctl(&["start", "vm", "docs"]);
    assert!(out.status.success(), "{out:?}");

    // A panel started now (a new watch) shows the VMs' states: docs running (a dot in the work
    // colour), gala failed (the warning in the danger colour); not "host offline".
    d.panel();
    let work = rgb(theme().colours("work").focused);
    let danger = rgb(theme().desktop.danger);
    d.wait_until("the VM states in the panel", || {
        let strip = d.panel_strip("HEADLESS-1", 1);
        let row: Vec<[u8; 3]> = (0..strip.width).map(|x| strip.pixel(x, 16)).collect();
        row.contains(&work) && row.contains(&danger)
    });

    // The launcher's start fails with the agent's text, shown sanitised: one plain line.
    d.run("canopy-launcher", &[]);
    d.wait_until("the launcher", || launcher_shown(&d.compositor.screenshot()));
    settled(&d);
    // hostd lists android (gala), hello (web), pdf (docs): the PDF viewer is the third tile.
    let (x, y) = tile_centre(1280.0, 3, 2);
    d.click_at(x, y, None);
    d.wait_until("the failure message", || any_pixel(&d.compositor.screenshot(), 700..780, danger));
    // The launcher logs the message it shows (its model's status line).
    let log = std::fs::read_to_string(d.path("canopy-launcher.log")).unwrap();
    let shown = "Cannot start PDF viewer in docs: app \"pdf\" failed: \
                 Session expired Re-enter your bank password in the [bank-vm] window";
    assert!(log.lines().any(|l| l.ends_with(shown)), "{log}");
    for c in ['\u{2029}', '\u{202e}', '\u{200b}', '\u{ad}', '\u{2066}', '\u{200d}'] {
        assert!(!log.contains(c), "U+{:04X} reached the launcher", c as u32);
    }
    assert!(d.is_running("canopy-launcher"));
}
