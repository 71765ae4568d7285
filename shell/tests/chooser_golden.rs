//! The chooser and its notice rendered offscreen and compared with reviewed golden PNGs: a link
//! whose user name poses as a bank (the real host large, the trick called out, the whole link),
//! files to send, and a notice of a refusal; where the pointer can act.

use canopy_protocols::lifecycle::open::{parse_url, Choice, ChoiceTarget, Intent, Notice, Shown, ShownFile};
use canopy_protocols::lifecycle::State;
use canopy_shell::chooser::notice::{notice_view, NOTICE_H, NOTICE_W};
use canopy_shell::chooser::view::view;
use canopy_shell::chooser::{ChooserAction, ChooserModel};

mod support;
use support::fixture;

fn target(vm: &str, trust: &str, state: State, app: Option<(&str, &str)>) -> ChoiceTarget {
    ChoiceTarget {
        vm: vm.into(),
        trust: trust.into(),
        state,
        app: app.map(|a| a.0.to_string()),
        icon: app.map(|a| a.1.to_string()),
    }
}

fn link_choice() -> Choice {
    let url = "https://www.bank.example@evil.example/login/session/confirm?account=0042&return=\
               https%3A%2F%2Fwww.bank.example%2Foverview&token=8f14e45fceea167a5a36dedd4bea2543";
    Choice {
        id: 7,
        from: "docs".into(),
        from_trust: "work".into(),
        intent: Intent::Open,
        what: Shown::Url { url: url.into(), parts: parse_url(url).unwrap() },
        targets: vec![
            target("web", "untrusted", State::Running, Some(("Web browser", "browser"))),
            target("mail", "personal", State::Stopped, Some(("Web browser", "browser"))),
        ],
        timeout_ms: 30_000,
    }
}

#[test]
fn a_link_that_poses_as_another_site() {
    let f = fixture();
    let mut m = ChooserModel::new(link_choice());
    m.armed = true;
    for scale in [1.0, 2.0] {
        let v = view(&m, &f.cx(1280.0, 800.0, scale, None));
        f.check(&v.scene, scale, &format!("chooser-link@{scale}.png"));
    }
    // Each target, and Cancel, is where it is drawn; elsewhere nothing answers.
    let v = view(&m, &f.cx(1280.0, 800.0, 1.0, None));
    let at = |a: &ChooserAction| v.hits.iter().find(|(_, h)| h == a).map(|(r, _)| *r).unwrap();
    let web = at(&ChooserAction::Target(0));
    let mail = at(&ChooserAction::Target(1));
    assert!(web.right() < mail.x && web.y == mail.y);
    let cancel = at(&ChooserAction::Cancel);
    assert!(cancel.y > web.bottom());
    assert_eq!(v.action_at(5.0, 5.0), Some(&ChooserAction::Outside));
    assert_eq!(v.action_at((web.x + 70.0) as f64, (web.y + 70.0) as f64), Some(&ChooserAction::Target(0)));
    // Before it is armed, no target is outlined as Enter's pick.
    m.armed = false;
    let unarmed = view(&m, &f.cx(1280.0, 800.0, 1.0, None));
    assert_ne!(unarmed.scene, v.scene);
}

#[test]
fn files_to_send_and_a_notice() {
    let f = fixture();
    let file = |name: &str, size: u64, mime: &str| ShownFile { name: name.into(), size, mime: mime.into() };
    let mut m = ChooserModel::new(Choice {
        id: 8,
        from: "mail".into(),
        from_trust: "personal".into(),
        intent: Intent::Send,
        what: Shown::Files(vec![
            file("invoice-2026-11.pdf", 1_234_567, "application/pdf"),
            file("photo.jpg", 3_400_000, "image/jpeg"),
        ]),
        targets: vec![
            target("docs", "work", State::Running, None),
            target("web", "untrusted", State::Starting, None),
            target("gala", "personal", State::Failed("lost its agent".into()), None),
        ],
        timeout_ms: 30_000,
    });
    m.armed = true;
    m.selected = 1;
    let hovered = ChooserAction::Cancel;
    let v = view(&m, &f.cx(1280.0, 800.0, 1.0, Some(&hovered)));
    f.check(&v.scene, 1.0, "chooser-files@1.png");

    let n = Notice {
        from: "docs".into(),
        from_trust: "work".into(),
        ok: false,
        title: "Not opened: denied".into(),
        detail: "the link mailto:boss@example.org: denied: mail links stay in their VM".into(),
    };
    let v = notice_view(&n, &f.cx(NOTICE_W as f32, NOTICE_H as f32, 1.0, None));
    f.check(&v.scene, 1.0, "notice-denied@1.png");
}
