//! The notification centre (the panel's bell and its list), the daemon's popups and the lock
//! screen's count, rendered offscreen and compared with reviewed golden PNGs.

use std::collections::BTreeMap;

use canopy_notify::centre::{CentreState, Group, Item};
use canopy_shell::clock::LocalTime;
use canopy_shell::draw::offscreen::Offscreen;
use canopy_shell::lock::{self, LockModel};
use canopy_shell::panel::centre::{self, CentreAction};
use canopy_shell::panel::levels::{Levels, LightStatus};
use canopy_shell::panel::{view, PanelAction, PanelModel};
use canopy_shell::wl::windows::VmColours;

mod support;

/// The offscreen view, with the VMs' colours as the compositor tells them.
fn fixture() -> Offscreen {
    let mut f = support::fixture();
    let colours = |trust: &str| {
        let c = f.theme.colours(trust);
        VmColours { frame: c.focused, text: c.text_focused }
    };
    let vms = BTreeMap::from([
        ("chromium-vm".to_string(), colours("untrusted")),
        ("zathura-vm".to_string(), colours("work")),
        ("*".to_string(), colours("unknown")),
    ]);
    f.windows.set_vm_colours(vms);
    f
}

fn item(id: u32, summary: &str, body: &str, read: bool) -> Item {
    Item { id, summary: summary.into(), body: vec![body.into()], critical: false, read }
}

/// A centre with the GUI VM's own notice, a browser VM that claims another VM's name in a
/// summary and writes markup, and a PDF VM muted for breaking the rules.
fn state() -> CentreState {
    CentreState {
        dnd: false,
        unread: 3,
        count_on_lock_screen: true,
        groups: vec![
            Group {
                vm: None,
                items: vec![Item { critical: true, ..item(1, "Battery low", "7% left: plug in the charger.", false) }],
                ..Group::default()
            },
            Group {
                vm: Some("chromium-vm".into()),
                dropped: 3,
                items: vec![
                    item(9, "[zathura-vm] Invoice ready", "<b>Open</b> <a href=\"x\">invoice.pdf</a>", false),
                    item(8, "Download complete", "report.pdf (2.1 MB)", false),
                    item(7, "New message", "Alice: see you at 3", true),
                ],
                ..Group::default()
            },
            Group {
                vm: Some("zathura-vm".into()),
                muted: Some("muted for breaking the rules: odd action list of 1 strings".into()),
                hidden: 12,
                items: vec![item(2, "Printing", "report.pdf sent to the printer", true)],
                ..Group::default()
            },
        ],
    }
}

fn panel(notifications: Option<CentreState>) -> PanelModel {
    PanelModel {
        clock: "Thu 26 Nov 14:05".into(),
        battery: None,
        vms: vec![],
        host_error: None,
        notifications,
        levels: Levels::new(false, LightStatus::Off),
    }
}

#[test]
fn centre_list_groups_by_vm_in_its_colours() {
    let f = fixture();
    let hovered = PanelAction::Centre(CentreAction::Mute("chromium-vm".into(), true));
    for scale in [1.0, 2.0] {
        let v = centre::view(&state(), 0.0, &f.cx(400.0, 520.0, scale, Some(&hovered)));
        f.check(&v.scene, scale, &format!("centre@{scale}.png"));
    }
    // Every control acts on the group it is drawn in.
    let v = centre::view(&state(), 0.0, &f.cx(400.0, 520.0, 1.0, None));
    let at = |a: &PanelAction| v.hits.iter().find(|(_, x)| x == a).map(|(r, _)| *r).unwrap();
    let mute = at(&PanelAction::Centre(CentreAction::Mute("chromium-vm".into(), true)));
    let unmute = at(&PanelAction::Centre(CentreAction::Mute("zathura-vm".into(), false)));
    let dismiss = at(&PanelAction::Centre(CentreAction::Dismiss(Some("chromium-vm".into()), 9)));
    assert!(mute.y < dismiss.y && dismiss.y < unmute.y);
    assert!(v.hits.iter().all(|(_, a)| *a != PanelAction::Centre(CentreAction::Mute(String::new(), true))));
    assert_eq!(v.action_at(5.0, 500.0), Some(&PanelAction::MenuOutside));
}

#[test]
fn bell_do_not_disturb_and_empty_centre() {
    let f = fixture();
    let mut s = state();
    let unread = view(&panel(Some(s.clone())), &f.cx(520.0, 32.0, 1.0, None));
    f.check(&unread.scene, 1.0, "panel-bell@1.png");
    assert!(unread.hits.iter().any(|(_, a)| *a == PanelAction::Bell));
    s.dnd = true;
    s.unread = 0;
    s.groups.clear();
    let dnd = view(&panel(Some(s.clone())), &f.cx(520.0, 32.0, 1.0, None));
    f.check(&dnd.scene, 1.0, "panel-bell-dnd@1.png");
    let v = centre::view(&s, 0.0, &f.cx(400.0, 140.0, 1.0, None));
    f.check(&v.scene, 1.0, "centre-dnd@1.png");
    // No daemon: no bell.
    let none = view(&panel(None), &f.cx(520.0, 32.0, 1.0, None));
    assert!(none.hits.iter().all(|(_, a)| *a != PanelAction::Bell));
}

#[test]
fn lock_screen_shows_a_count_and_nothing_else() {
    let f = fixture();
    let model = LockModel {
        time: LocalTime::parse("2026-11-26 14:05").unwrap(),
        user: "alice".into(),
        typed: 0,
        message: None,
        notifications: Some(4),
    };
    let v = lock::view(&model, &f.cx(800.0, 600.0, 1.0, None));
    f.check(&v.scene, 1.0, "lock-notifications@1.png");
}
