//! The power menu and the lock screen rendered offscreen and compared with reviewed golden PNGs.

use canopy_shell::clock::LocalTime;
use canopy_shell::lock::{self, LockModel, Message};
use canopy_shell::power_menu::{self, Item, MenuAction, MenuModel, Stage};

mod support;
use support::fixture;

#[test]
fn power_menu_stages() {
    let f = fixture();
    let choose = MenuModel { stage: Stage::Choose, focus: 1 };
    for scale in [1.0, 2.0] {
        let hovered = MenuAction::Item(Item::Reboot);
        let v = power_menu::view(&choose, &f.cx(800.0, 500.0, scale, Some(&hovered)));
        f.check(&v.scene, scale, &format!("power-menu@{scale}.png"));
    }
    let confirm = MenuModel { stage: Stage::Confirm(Item::PowerOff), focus: 0 };
    let v = power_menu::view(&confirm, &f.cx(800.0, 500.0, 1.0, None));
    f.check(&v.scene, 1.0, "power-menu-confirm@1.png");
    // The confirmation's buttons are where the pointer can reach them, and nothing else acts.
    let cancel = v.hits.iter().find(|(_, a)| *a == MenuAction::Cancel).unwrap().0;
    let ok = v.hits.iter().find(|(_, a)| *a == MenuAction::Confirm).unwrap().0;
    assert!(ok.x > cancel.right());
    assert_eq!(v.action_at(5.0, 5.0), Some(&MenuAction::Outside));

    let failed = MenuModel {
        stage: Stage::Failed {
            what: "Power off failed".into(),
            why: "cannot reach the host daemon at unix:/run/canopy/hostd.sock: No such file or directory (os error 2)"
                .into(),
        },
        focus: 0,
    };
    let v = power_menu::view(&failed, &f.cx(800.0, 500.0, 1.0, None));
    f.check(&v.scene, 1.0, "power-menu-failed@1.png");
}

#[test]
fn lock_screen_states() {
    let f = fixture();
    let mut model = LockModel {
        time: LocalTime::parse("2026-11-26 14:05").unwrap(),
        user: "alice".into(),
        typed: 0,
        message: None,
        notifications: None,
    };
    for scale in [1.0, 2.0] {
        let v = lock::view(&model, &f.cx(800.0, 600.0, scale, None));
        f.check(&v.scene, scale, &format!("lock@{scale}.png"));
    }
    model.typed = 7;
    model.message = Some(Message::Wrong("Wrong password".into()));
    let v = lock::view(&model, &f.cx(800.0, 600.0, 1.0, None));
    f.check(&v.scene, 1.0, "lock-wrong@1.png");
}
