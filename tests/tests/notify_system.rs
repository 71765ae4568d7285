//! The GUI VM's own messages through canopy-notifyd, end to end: the compositor's (a config that
//! did not reload), hostd's news passed on by the real panel (a VM starting, running, failing),
//! and the real lock's (wrong passwords while locked, through real PAM). They show as the
//! trusted system's (the shield where a VM's card has its `[vm]`), popups go to the focused
//! output (two outputs, the pointer on the other), and without the daemon the compositor
//! falls back to its own notice. One desktop for the whole file.

#[path = "shell_support/mod.rs"]
mod shell_support;

use std::process::Command;

use canopy_notify::centre::CentreState;
use canopy_tests::bin_path;
use canopy_tests::fixture::rgb;
use canopy_tests::image::wait_for_golden;
use canopy_tests::notify::NotifyDesktop;
use canopy_tests::simhost;
use shell_support::lock::{test_account, PASSWORD, SERVICE, USER};

const COMPOSITOR: &str = "[vms.mail]\ntrust = \"work\"\ncolour = \"#7b3fc4\"\n";
const OUTPUTS: &[&str] = &["HEADLESS-1:1280x800", "HEADLESS-2:1280x800"];

/// The trusted system's items (the centre's group without a VM), by summary.
fn system(c: &CentreState) -> Vec<(String, bool)> {
    c.groups
        .iter()
        .filter(|g| g.vm.is_none())
        .flat_map(|g| g.items.iter().map(|i| (i.summary.clone(), i.critical)))
        .collect()
}

fn has_system(c: &CentreState, summary: &str) -> bool {
    system(c).iter().any(|(s, _)| s == summary)
}

#[test]
fn the_trusted_system_s_messages() {
    test_account();
    let mut d = NotifyDesktop::start_on(OUTPUTS, COMPOSITOR, &["mail"], &[], "");
    let theme = canopy_themes::Theme::default();
    let local = rgb(theme.colours("local").focused);
    let corner =
        |d: &NotifyDesktop, output: &str| d.compositor.screenshot_of(Some(output)).crop(1280 - 400, 0, 400, 200);

    // A window on HEADLESS-2 has the keyboard; the pointer then goes back to HEADLESS-1.
    d.compositor.msg(&["pointer-move", "1920", "400"]);
    let (_client, w) = d.compositor.open(None, &["--title", "work", "--color", "10c020"]);
    assert!(w.geometry.as_ref().unwrap().x >= 1280, "the window is on HEADLESS-2: {w:?}");
    d.compositor.msg(&["pointer-move", "640", "400"]);

    // A config that does not reload: the compositor says so through the daemon, as the trusted
    // system, on the focused output's corner and not on the pointer's.
    let config = d.compositor.runtime_dir().join("canopy.toml");
    std::fs::write(&config, format!("{COMPOSITOR}[theme\n")).unwrap();
    assert!(d.compositor.try_msg(&["reload-config"]).is_err());
    let c = d.wait_centre("the compositor's message", |c| has_system(c, "Config not reloaded"));
    let item = c.groups.iter().find(|g| g.vm.is_none()).unwrap().items[0].clone();
    assert!(item.body.join(" ").contains("canopy.toml"), "{item:?}");
    d.wait_until("the popup on HEADLESS-2", || corner(&d, "HEADLESS-2").count_colour(0, 0, 400, 200, local) > 300);
    assert_eq!(corner(&d, "HEADLESS-1").count_colour(0, 0, 400, 200, local), 0, "nothing on the pointer's output");
    assert!(!d.compositor.log().contains("not a notification"), "{}", d.compositor.log());

    // A VM writing the same words cannot pass for it: its card starts with `[mail]` in mail's
    // colour where the system's starts with the shield in the GUI VM's.
    d.notify_send(Some("mail"), &["-t", "0", "Config not reloaded", "canopy.toml: click to fix"]);
    d.wait_centre("mail's imitation", |c| c.groups.iter().any(|g| g.vm.as_deref() == Some("mail")));
    // Down to the system card's title bar (its body names the config's temporary path).
    wait_for_golden("notify-system", 8, 300, || corner(&d, "HEADLESS-2").crop(0, 0, 400, 120));
    d.centre_proxy().clear_all().unwrap();
    d.wait_centre("an empty centre", |c| c.groups.is_empty());

    // hostd's news, passed on by the panel: web starts (one notification, "Starting web"
    // replaced by hostd's progress and then by "web is running"), and broken fails (critical:
    // it stays).
    let dir = d.dir.path().to_path_buf();
    simhost::prepare(&dir, &["web"]);
    let failing =
        r#"backend = { kind = "command", start = ["/bin/false"], stop = ["/bin/true"], status = ["/bin/false"] }"#;
    let hostd_config = simhost::hostd_config_head(&dir)
        + &format!(
            "[vms.web]\ntrust = \"untrusted\"\nagent = \"unix:{d}/vms/web/agent.sock\"\n\
             [vms.broken]\ntrust = \"untrusted\"\nagent = \"unix:{d}/vms/broken/agent.sock\"\n{failing}\n",
            d = dir.display()
        );
    std::fs::write(dir.join("hostd.toml"), hostd_config).unwrap();
    d.compositor.adopt(simhost::spawn_hostd(&dir));
    let hostd = format!("unix:{}", dir.join("hostd.sock").display());
    let ctl = |args: &[&str]| {
        Command::new(bin_path("canopy-ctl")).args(["--connect", &hostd]).args(args).output().expect("canopy-ctl")
    };
    d.wait_until("hostd answers", || ctl(&["list"]).status.success());
    d.hostd = Some(hostd.clone());
    d.run("canopy-panel", &["--time", "2026-11-26 14:05", "--power-supply", "/nonexistent"]);
    // The panel's second connection to hostd is its watch (the first asked for the list).
    let panel_connections = || {
        let log = std::fs::read_to_string(dir.join("hostd.log")).unwrap_or_default();
        log.lines().filter(|l| l.contains("connected") && l.contains("canopy-panel")).count()
    };
    d.wait_until("the panel's watch", || panel_connections() >= 2);
    // web boots without its agent (none configured yet): hostd's progress, waiting for it, is
    // web's one notification, each attempt replacing the last.
    let mut start =
        Command::new(bin_path("canopy-ctl")).args(["--connect", &hostd, "start", "vm", "web"]).spawn().unwrap();
    let about_web = |c: &CentreState| {
        c.groups
            .iter()
            .filter(|g| g.vm.is_none())
            .flat_map(|g| g.items.clone())
            .filter(|i| i.summary.contains("web"))
            .collect::<Vec<_>>()
    };
    let c = d.wait_centre("hostd's progress with web", |c| {
        about_web(c)
            .iter()
            .any(|i| i.body.join(" ").contains("waiting for the agent") && i.body.join(" ").contains("(attempt 4)"))
    });
    let items = about_web(&c);
    assert_eq!(items.len(), 1, "one notification for web: {items:?}");
    assert_eq!(items[0].summary, "Starting web");
    // Stopped while it waits: the same notification says so.
    ctl(&["stop", "vm", "web"]);
    let c = d.wait_centre("web stopped", |c| has_system(c, "web stopped"));
    assert_eq!(about_web(&c).len(), 1, "still one: {:?}", about_web(&c));
    let _ = start.wait();
    // With its agent, web runs.
    simhost::write_hello_agent(&dir, "web");
    ctl(&["start", "vm", "web"]);
    let c = d.wait_centre("web running", |c| has_system(c, "web is running"));
    assert!(!has_system(&c, "Starting web"), "each step replaces the last: {:?}", system(&c));
    assert_eq!(about_web(&c).len(), 1, "still one: {:?}", about_web(&c));
    ctl(&["start", "vm", "broken"]);
    let c = d.wait_centre("broken failed", |c| has_system(c, "broken failed"));
    assert!(system(&c).contains(&("broken failed".into(), true)), "a failure is critical: {:?}", system(&c));
    // The user asks the panel's VM menu to start it again: hostd's refusal is told (critical),
    // not only logged. (broken's chip is the first, its mark the warning sign.)
    let danger = rgb(theme.desktop.danger);
    let mut dot = None;
    d.wait_until("broken's warning sign in the panel", || {
        let img = d.compositor.screenshot_of(Some("HEADLESS-1"));
        dot = shell_support::vm_dot(&img.crop(0, 0, 1280, 32), danger, 1);
        dot.is_some()
    });
    let chip_x = dot.unwrap() + 10.0;
    d.compositor.msg(&["pointer-move", &chip_x.to_string(), "16"]);
    d.compositor.msg(&["click"]);
    let card_x = shell_support::vm_menu_card_x(chip_x);
    let panel_bg = rgb(theme.desktop.panel_background);
    d.wait_until("the VM menu", || {
        d.compositor.screenshot_of(Some("HEADLESS-1")).pixel(card_x as u32 + 8, 60) == panel_bg
    });
    d.compositor.msg(&["pointer-move", &(card_x + 60.0).to_string(), &shell_support::vm_menu_row(0.0).to_string()]);
    d.compositor.msg(&["click"]);
    let c = d.wait_centre("the failed start told", |c| has_system(c, "Could not start broken"));
    assert!(system(&c).contains(&("Could not start broken".into(), true)), "critical: {:?}", system(&c));
    let item = c
        .groups
        .iter()
        .filter(|g| g.vm.is_none())
        .flat_map(|g| &g.items)
        .find(|i| i.summary == "Could not start broken")
        .unwrap()
        .clone();
    assert!(item.body.join(" ").contains("/bin/false"), "with hostd's reason: {item:?}");
    simhost::stop_vm(&dir, "web");

    // The lock: a wrong password, then the right one; once unlocked the user is told.
    d.run("canopy-lock", &["--pam-service", SERVICE, "--user", USER]);
    let covered = |d: &NotifyDesktop| {
        d.compositor.screenshot_of(Some("HEADLESS-2")).count_colour(0, 0, 1280, 800, [0x10, 0xc0, 0x20]) == 0
    };
    d.wait_until("locked", || covered(&d));
    d.compositor.msg(&["type", "wrong password"]);
    d.compositor.msg(&["key", "Return"]);
    d.wait_until("the wrong password refused", || lock_log(&d).contains("password refused"));
    d.compositor.msg(&["type", PASSWORD]);
    d.compositor.msg(&["key", "Return"]);
    d.wait_centre("the lock's message", |c| has_system(c, "1 wrong password while locked"));

    // Without the daemon the compositor's message is its own notice again, with a log line.
    let _ = Command::new("kill").arg(d.notifyd.to_string()).status();
    assert!(d.compositor.try_msg(&["reload-config"]).is_err());
    d.wait_until("the fallback's log line", || d.compositor.log().contains("shown as a notice, not a notification"));
    let notice = rgb(theme.desktop.notice_background);
    d.wait_until("the notice on the focused window's output", || {
        d.compositor.screenshot_of(Some("HEADLESS-2")).crop(0, 0, 1280, 80).count_colour(0, 0, 1280, 80, notice) > 2000
    });
}

fn lock_log(d: &NotifyDesktop) -> String {
    std::fs::read_to_string(d.path("canopy-lock.log")).unwrap_or_default()
}
