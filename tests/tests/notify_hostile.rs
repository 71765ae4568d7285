//! Hostile VMs against the real canopy-notifyd on the real compositor: the test speaks the
//! notification protocol itself as the VMs "evil" and "flaky" (on the listeners that name them),
//! while "mail" is a simulated VM whose `notify-send` must keep working through it all. One
//! desktop for the whole file.

use std::io::{Read, Write};
use std::time::Instant;

use canopy_protocols::notify::{encode, FromVm, Image, Notification, MAX_FRAME, MAX_SUMMARY};
use canopy_tests::fixture::{rgb, TIMEOUT};
use canopy_tests::notify::NotifyDesktop;

const COMPOSITOR: &str = "[vms.evil]\ntrust = \"untrusted\"\n[vms.flaky]\ntrust = \"untrusted\"\n\
                          [vms.mail]\ntrust = \"work\"\ncolour = \"#7b3fc4\"\n";
const PURPLE: [u8; 3] = [0x7b, 0x3f, 0xc4];

fn notify(n: Notification) -> Vec<u8> {
    encode(&FromVm::Notify(n)).unwrap()
}

/// Whether mail's `notify-send` still pops up, in mail's colour.
fn mail_still_pops(d: &NotifyDesktop, summary: &str) {
    d.centre_proxy().clear("mail").unwrap();
    d.wait_until("mail's old popups gone", || d.corner(400, 500).count_colour(0, 0, 400, 500, PURPLE) == 0);
    d.notify_send(Some("mail"), &["-t", "0", summary]);
    d.wait_until("mail's popup", || d.corner(400, 500).count_colour(0, 0, 400, 500, PURPLE) > 300);
}

fn log_has(d: &NotifyDesktop, vm: &str, what: &str) -> bool {
    let needle = format!("vm={vm}");
    d.log().lines().any(|l| l.contains(what) && l.contains(&needle))
}

#[test]
fn hostile_vms_are_bounded_and_named() {
    // Popups stay 30 s, so that what the screen shows does not depend on how long the burst took.
    let mut d = NotifyDesktop::start(COMPOSITOR, &["mail"], &["evil", "flaky"], "[popups]\nseconds = 30.0\n");
    let untrusted = rgb(canopy_themes::Theme::default().colours("untrusted").focused);

    // 10 000 notifications in one burst: the first few pop up, the rest collapse into one
    // "N more" card; the centre keeps the newest 50 and counts the others.
    let mut evil = d.raw("evil");
    evil.set_read_timeout(Some(TIMEOUT)).unwrap();
    let burst: Vec<u8> = (1..=10_000u32)
        .flat_map(|i| notify(Notification { body: "spam ".repeat(20), ..Notification::new(i, &format!("Spam {i}")) }))
        .collect();
    let (cpu0, t0) = (d.notifyd_cpu(), Instant::now());
    evil.write_all(&burst).unwrap();
    d.wait_centre("the burst handled", |c| {
        c.groups.iter().any(|g| g.vm.as_deref() == Some("evil") && g.dropped + g.items.len() as u64 == 10_000)
    });
    let (cpu, wall) = (d.notifyd_cpu() - cpu0, t0.elapsed());
    eprintln!("10 000 notifications: the daemon used {cpu:?} of CPU in {wall:?}");
    let c = d.centre();
    let g = c.groups.iter().find(|g| g.vm.as_deref() == Some("evil")).unwrap();
    assert_eq!(g.items.len(), 50);
    assert_eq!(g.items[0].summary, "Spam 10000");
    assert!(d.log().lines().any(|l| l.contains("over its rate") && l.contains("source=evil")), "{}", d.log());
    // At most three of evil's cards (two popups and the "N more") stay on screen: nothing
    // below the third card's place is in evil's colour.
    let shot = d.corner(400, 800);
    assert!(shot.count_colour(0, 0, 400, 400, untrusted) > 1000);
    assert_eq!(shot.count_colour(0, 420, 400, 380, untrusted), 0, "more than three cards of evil");
    mail_still_pops(&d, "Still here after the flood");

    // A VM that goes away in the middle of a message: a log line naming it, and it may come back.
    let mut flaky = d.raw("flaky");
    let frame = notify(Notification::new(1, "half"));
    flaky.write_all(&frame[..frame.len() / 2]).unwrap();
    drop(flaky);
    d.wait_log("flaky's cut message", |_| log_has(&d, "flaky", "went away in the middle of a message"));
    let mut flaky = d.raw("flaky");
    flaky.set_read_timeout(Some(TIMEOUT)).unwrap();
    flaky.write_all(&notify(Notification::new(2, "whole"))).unwrap();
    d.wait_centre("flaky's whole message", |c| {
        c.groups.iter().any(|g| g.vm.as_deref() == Some("flaky") && g.items.iter().any(|i| i.summary == "whole"))
    });

    // A frame over the protocol's limit ends flaky's connection; the daemon goes on.
    let mut huge = (MAX_FRAME as u32 + 1).to_be_bytes().to_vec();
    huge.extend(vec![b' '; 4096]);
    flaky.write_all(&huge).unwrap();
    let mut rest = Vec::new();
    let _ = flaky.read_to_end(&mut rest);
    assert!(log_has(&d, "flaky", "connection closed"), "{}", d.log());

    // Bad messages are dropped, each logged with the VM's name; the fifth within a minute
    // mutes evil: its connection closes, the user is told, and the centre says why.
    let oversized = Notification::new(1, &"s".repeat(MAX_SUMMARY + 1));
    let mut invalid_utf8 = notify(Notification::new(2, "ok"));
    let at = invalid_utf8.windows(2).position(|w| w == b"ok").unwrap();
    invalid_utf8[at] = 0xff;
    let odd_actions = Notification { actions: vec!["open".into()], ..Notification::new(3, "odd") };
    let bad_key = Notification { actions: vec!["<script>".into(), "Run".into()], ..Notification::new(4, "key") };
    let big_image = Notification {
        image: Some(Image { width: 300, height: 300, rgba: String::new() }),
        ..Notification::new(5, "image")
    };
    evil.write_all(&notify(oversized)).unwrap();
    evil.write_all(&invalid_utf8).unwrap();
    evil.write_all(&notify(odd_actions)).unwrap();
    evil.write_all(&notify(bad_key)).unwrap();
    evil.write_all(&notify(big_image)).unwrap();
    let mut rest = Vec::new();
    let _ = evil.read_to_end(&mut rest);
    for what in ["summary of 1025 bytes", "malformed message", "odd action list", "action key", "image of 300x300"] {
        assert!(log_has(&d, "evil", what), "no log line naming evil for {what:?}\n{}", d.log());
    }
    let c =
        d.wait_centre("evil muted", |c| c.groups.iter().any(|g| g.vm.as_deref() == Some("evil") && g.muted.is_some()));
    let local = c.groups.iter().find(|g| g.vm.is_none()).expect("the daemon's own notice");
    assert!(local.items.iter().any(|i| i.summary == "evil is muted"), "{local:?}");
    // While muted, evil's connections are closed at once.
    let mut again = std::os::unix::net::UnixStream::connect(d.path("notify-evil.sock")).unwrap();
    again.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut buf = Vec::new();
    assert_eq!(again.read_to_end(&mut buf).unwrap(), 0);

    // The user unmutes evil in the centre: it may deliver again.
    d.centre_proxy().set_muted("evil", false).unwrap();
    d.wait_centre("evil unmuted", |c| c.groups.iter().all(|g| g.vm.as_deref() != Some("evil") || g.muted.is_none()));
    let mut evil = d.raw("evil");
    evil.write_all(&notify(Notification::new(20_000, "Behaving now"))).unwrap();
    d.wait_centre("evil's new notification", |c| {
        c.groups.iter().any(|g| g.items.iter().any(|i| i.summary == "Behaving now"))
    });

    // Through it all the compositor and the other VM's notifications carried on.
    mail_still_pops(&d, "Still here at the end");
    assert!(d.compositor.is_running());
}
