//! Notifications from simulated VMs, end to end: `notify-send` on a VM's own session bus, the
//! real canopy-notify-agent, the GUI VM's real canopy-notifyd drawing popups on the real
//! compositor. One desktop for the whole file; each step waits for what a user would see.

use std::io::Read;
use std::time::Instant;

use canopy_tests::fixture::rgb;
use canopy_tests::image::wait_for_golden;
use canopy_tests::notify::NotifyDesktop;

const COMPOSITOR: &str = "[vms.web]\ntrust = \"untrusted\"\n[vms.mail]\ntrust = \"work\"\ncolour = \"#7b3fc4\"\n";
/// Popups 360 wide, 8 from the output's top-right corner (there is no panel here).
const CARD_X: u32 = 1280 - 8 - 360;
const CARD_Y: u32 = 8;

fn wait_exit(d: &NotifyDesktop, child: &mut std::process::Child, what: &str) -> String {
    d.wait_until(what, || child.try_wait().unwrap().is_some());
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    out
}

/// Clears the centre as the panel's "Clear all" does, and waits until it is empty.
fn clear_all(d: &NotifyDesktop) {
    d.centre_proxy().clear_all().unwrap();
    d.wait_centre("an empty centre", |c| c.groups.is_empty());
}

fn has(c: &canopy_notify::centre::CentreState, vm: &str, summary: &str) -> bool {
    c.groups.iter().any(|g| g.vm.as_deref() == Some(vm) && g.items.iter().any(|i| i.summary == summary))
}

#[test]
fn notifications_from_vms() {
    // A rate high enough for the latency pings below.
    let mut d = NotifyDesktop::start(COMPOSITOR, &["web", "mail"], &[], "[limits]\nburst = 50\nper_minute = 600\n");
    let theme = canopy_themes::Theme::default();
    let untrusted = rgb(theme.colours("untrusted").focused);
    let purple = [0x7b, 0x3f, 0xc4];

    // Latency from notify-send to the popup on screen (the figure for the note): in a VM
    // (through its agent and listener) and, as the baseline, in the GUI VM itself, interleaved.
    let local = rgb(theme.colours("local").focused);
    let (mut vm_times, mut local_times) = (Vec::new(), Vec::new());
    for i in 0..7 {
        for (vm, colour, times) in [(Some("mail"), purple, &mut vm_times), (None, local, &mut local_times)] {
            let start = Instant::now();
            d.notify_send(vm, &["-t", "0", &format!("Ping {i}")]);
            d.wait_until("the popup", || d.corner(360, 40).count_colour(0, 0, 360, 40, colour) > 300);
            times.push(start.elapsed());
            clear_all(&d);
            d.wait_until("no popup", || d.corner(360, 40).count_colour(0, 0, 360, 40, colour) == 0);
        }
    }
    vm_times.sort();
    local_times.sort();
    let (vm_median, local_median) = (vm_times[3], local_times[3]);
    eprintln!(
        "notify-send to popup on screen, median of 7: from a VM {vm_median:?}, in the GUI VM {local_median:?} \
         (ratio {:.2}); VM {vm_times:?}, GUI VM {local_times:?}",
        vm_median.as_secs_f64() / local_median.as_secs_f64()
    );

    // A VM claiming another's name in its summary, and markup, shown as the literal text it is,
    // under its own frame and prefix; a critical one with its mark; the newest on top.
    d.notify_send(Some("mail"), &["-a", "Thunderbird", "-t", "0", "Meeting moved", "The review is now at 15:00."]);
    d.notify_send(
        Some("web"),
        &["-t", "0", "[mail] Payment due", "<b>Pay now</b> at <a href=\"https://evil.example\">your bank</a>"],
    );
    d.notify_send(Some("web"), &["-u", "critical", "Download failed", "report.pdf could not be saved."]);
    wait_for_golden("notify-popups", 8, 300, || d.corner(400, 400));
    let c = d.wait_centre("all three", |c| has(c, "web", "Download failed"));
    let web = c.groups.iter().find(|g| g.vm.as_deref() == Some("web")).unwrap();
    assert!(web.items.iter().any(|i| i.summary == "[mail] Payment due"));
    assert!(web.items.iter().any(|i| i.body[0].contains("<b>Pay now</b> at <a href=")), "{web:?}");
    assert_eq!(c.groups.iter().find(|g| g.vm.as_deref() == Some("mail")).unwrap().items.len(), 1);

    // replaces_id names only the sender's own notifications: mail cannot replace web's.
    clear_all(&d);
    let out = d.notify_send(Some("web"), &["-p", "-t", "0", "Original"]);
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(id.parse::<u32>().is_ok(), "notify-send -p said {id:?}");
    d.notify_send(Some("mail"), &["-r", &id, "-t", "0", "Hijacked"]);
    let c = d.wait_centre("mail's notification", |c| has(c, "mail", "Hijacked"));
    let web = c.groups.iter().find(|g| g.vm.as_deref() == Some("web")).unwrap();
    assert_eq!(web.items.len(), 1);
    assert_eq!(web.items[0].summary, "Original");
    assert!(d.corner(400, 300).count_colour(0, 0, 400, 300, untrusted) > 300, "web's popup stays");

    // An action goes back to the VM that sent the notification, and to no other: both ask,
    // the user clicks mail's "Open" (mail's card is the newest, on top).
    clear_all(&d);
    d.wait_until("no popups", || d.corner(400, 400).count_colour(0, 0, 400, 400, purple) == 0);
    let mut web_asks = d.spawn_notify_send(Some("web"), &["-A", "open=Open", "-A", "later=Later", "Invite", "Lunch?"]);
    d.wait_centre("web's invite", |c| has(c, "web", "Invite"));
    let mut mail_asks =
        d.spawn_notify_send(Some("mail"), &["-A", "open=Open", "-A", "later=Later", "Invite", "Lunch?"]);
    let c = d.wait_centre("mail's invite", |c| has(c, "mail", "Invite"));
    d.wait_until("mail's invite on top", || d.corner(360, 30).count_colour(0, 0, 360, 30, purple) > 300);
    // The top card: 3 border, 26 title, 10 pad, one 17 line, 10 pad, 26 buttons, 10 pad, 3
    // border; two 140-wide buttons at the right, "Open" first.
    let (x, y) = (CARD_X + 57 + 70, CARD_Y + 105 - 3 - 10 - 13);
    d.compositor.msg(&["pointer-move", &x.to_string(), &y.to_string()]);
    d.compositor.msg(&["click"]);
    assert_eq!(wait_exit(&d, &mut mail_asks, "mail's notify-send to hear the action").trim(), "open");
    // web heard nothing: its notify-send still waits, until the user dismisses its invite.
    assert!(web_asks.try_wait().unwrap().is_none(), "web's notify-send ended: {:?}", web_asks.try_wait());
    let web_id = c.groups.iter().find(|g| g.vm.as_deref() == Some("web")).unwrap().items[0].id;
    d.centre_proxy().dismiss("web", web_id).unwrap();
    assert_eq!(wait_exit(&d, &mut web_asks, "web's notify-send to hear it closed").trim(), "");
    let log = d.log();
    let chosen: Vec<&str> = log.lines().filter(|l| l.contains("action chosen")).collect();
    assert!(chosen.len() == 1 && chosen[0].contains("vm=mail"), "{chosen:?}");

    // The centre in the real panel, under do-not-disturb (no popups: everything goes to the
    // centre): the bell counts what came; clicking it opens the list, where the user mutes web;
    // web's next notification is neither shown nor listed, only counted.
    d.centre_proxy().set_dnd(true).unwrap();
    d.wait_centre("do-not-disturb", |c| c.dnd);
    d.run("canopy-panel", &["--time", "2026-11-26 14:05", "--power-supply", "/nonexistent"]);
    d.notify_send(Some("web"), &["-t", "0", "Flash sale", "Everything <i>must</i> go"]);
    d.notify_send(Some("mail"), &["-t", "0", "Minutes", "Attached."]);
    d.wait_centre("both in the centre", |c| has(c, "web", "Flash sale") && has(c, "mail", "Minutes"));
    let accent = rgb(theme.desktop.panel_accent);
    let mut badge = None;
    d.wait_until("the bell's count in the panel", || {
        let strip = d.compositor.screenshot().crop(0, 0, 1280, 32);
        badge = (700..1280).find(|&x| (0..32).any(|y| strip.pixel(x, y) == accent));
        badge.is_some()
    });
    d.compositor.msg(&["pointer-move", &(badge.unwrap() - 10).to_string(), "16"]);
    d.compositor.msg(&["click"]);
    wait_for_golden("notify-centre", 8, 300, || d.compositor.screenshot().crop(1280 - 400, 0, 400, 300));
    assert_eq!(d.centre().unread, 0, "opening the centre is reading it");
    // web's group is the second (mail was heard from last); its "Mute" button, as the golden shows.
    d.compositor.msg(&["pointer-move", "1177", "180"]);
    d.compositor.msg(&["click"]);
    d.wait_centre("web muted", |c| c.groups.iter().any(|g| g.vm.as_deref() == Some("web") && g.muted.is_some()));
    d.compositor.msg(&["key", "Escape"]);
    d.notify_send(Some("web"), &["-t", "0", "After mute"]);
    let c = d.wait_centre("web's hidden one counted", |c| c.groups.iter().any(|g| g.hidden == 1));
    assert!(!has(&c, "web", "After mute"));

    // Locked: the compositor shows only the lock, and the lock only how many wait.
    d.run("canopy-lock", &["--user", "alice", "--time", "2026-11-26 14:05"]);
    let lock_bg = rgb(theme.desktop.background.mix(canopy_themes::Rgba::rgb(0, 0, 0), 0.35));
    d.wait_until("the lock screen", || d.compositor.screenshot().pixel(5, 5) == lock_bg);
    d.centre_proxy().set_dnd(false).unwrap();
    d.notify_send(Some("mail"), &["-u", "critical", "Launch code", "0000 1234"]);
    d.wait_centre("mail's secret", |c| has(c, "mail", "Launch code") && c.unread == 1);
    wait_for_golden("notify-locked", 8, 300, || d.compositor.screenshot());
    let shot = d.compositor.screenshot();
    assert_eq!(shot.count_colour(0, 0, 1280, 800, purple), 0, "nothing of mail's popup on the lock screen");
}
