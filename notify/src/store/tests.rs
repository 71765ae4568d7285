//! The store's decisions, without a daemon around it.

use super::*;
use crate::rules::{check, Action};
use canopy_protocols::notify::Notification;

fn store() -> Store {
    Store::new(Settings { popups: Popups::default(), limits: Limits::default() }, false)
}

fn vm(name: &str) -> Source {
    Source::Vm(name.into())
}

fn n(id: u32, summary: &str) -> Checked {
    check(Notification::new(id, summary)).unwrap()
}

fn summaries(s: &Store) -> Vec<String> {
    s.cards()
        .iter()
        .map(|c| match c {
            Card::Entry(e) => format!("{}:{}", e.key.source, e.n.summary),
            Card::Collapsed { source, count } => format!("{source}:+{count}"),
        })
        .collect()
}

#[test]
fn replaces_id_replaces_only_within_the_same_vm() {
    let mut s = store();
    let t = Instant::now();
    s.notify(vm("a"), 1, n(7, "first"), t);
    s.notify(vm("b"), 1, n(7, "from b"), t);
    assert_eq!(s.entries().len(), 2, "b's id 7 is not a's id 7");
    s.notify(vm("a"), 1, n(7, "second"), t);
    assert_eq!(s.entries().len(), 2);
    assert_eq!(summaries(&s), ["a:second", "b:from b"]);
    s.notify(Source::Local, 0, n(7, "local"), t);
    assert_eq!(s.entries().len(), 3);
}

#[test]
fn a_flood_collapses_stays_bounded_and_leaves_room_for_others() {
    let mut s = store();
    let t = Instant::now();
    s.notify(vm("good"), 1, n(1, "hello"), t);
    for i in 0..10_000 {
        s.notify(vm("evil"), 1, n(i, "spam"), t);
    }
    let l = Limits::default();
    assert_eq!(s.entries().iter().filter(|e| e.key.source == vm("evil")).count(), l.keep);
    assert_eq!(s.counts(&vm("evil")).1, 10_000 - l.keep as u64);
    let cards = summaries(&s);
    assert_eq!(cards.len(), Popups::default().per_vm + 1, "{cards:?}");
    assert_eq!(cards[0], format!("evil:+{}", 10_000 - l.burst));
    assert!(cards.contains(&"good:hello".to_string()), "{cards:?}");
    // A newcomer shows at once.
    s.notify(vm("other"), 1, n(1, "news"), t);
    assert_eq!(summaries(&s)[0], "other:news");
    // Dropped ones were closed for their VM.
    let closed =
        s.take_out().iter().filter(|o| matches!(o, Out::Closed { reason: CloseReason::Undefined, .. })).count();
    assert_eq!(closed, 10_000 - l.keep);
}

#[test]
fn the_rate_refills() {
    let mut s = store();
    let t = Instant::now();
    for i in 0..5 {
        s.notify(vm("a"), 1, n(i, "x"), t);
    }
    assert_eq!(summaries(&s)[0], "a:+1");
    s.expire(t + Duration::from_secs(7));
    assert!(s.cards().is_empty());
    s.notify(vm("a"), 1, n(9, "later"), t + Duration::from_secs(8));
    assert_eq!(summaries(&s), ["a:later"]);
}

#[test]
fn popups_expire_critical_ones_stay_transient_ones_close() {
    let mut s = store();
    let t = Instant::now();
    let mut crit = n(1, "crit");
    crit.urgency = Urgency::Critical;
    crit.expire = Expire::Millis(1000);
    s.notify(vm("a"), 1, crit, t);
    let mut tr = n(2, "transient");
    tr.transient = true;
    s.notify(vm("a"), 1, tr, t);
    let mut long = n(3, "long");
    long.expire = Expire::Millis(3_600_000);
    s.notify(vm("a"), 1, long, t);
    assert_eq!(s.next_deadline(), Some(t + Duration::from_secs(6)));
    s.expire(t + Duration::from_secs(6));
    assert_eq!(summaries(&s), ["a:long", "a:crit"]);
    assert_eq!(
        s.take_out(),
        [Out::Closed { key: Key { source: vm("a"), id: 2 }, conn: 1, reason: CloseReason::Expired }]
    );
    // Asked for an hour: kept to max_seconds.
    s.expire(t + Duration::from_secs(30));
    assert_eq!(summaries(&s), ["a:crit"]);
    assert_eq!(s.entries().len(), 2, "expired popups stay in the centre");
    assert_eq!(s.unread(), 2);
}

#[test]
fn actions_go_back_to_their_vm_on_its_live_connection_only() {
    let mut s = store();
    let t = Instant::now();
    let mut x = n(5, "with actions");
    x.actions = vec![Action { key: "reply".into(), label: "Reply".into() }];
    s.connected(&vm("a"), 1, t);
    s.notify(vm("a"), 1, x.clone(), t);
    s.invoke(&Key { source: vm("a"), id: 5 }, "nope");
    s.invoke(&Key { source: vm("b"), id: 5 }, "reply");
    assert!(s.take_out().is_empty());
    s.invoke(&Key { source: vm("a"), id: 5 }, "reply");
    let key = Key { source: vm("a"), id: 5 };
    assert_eq!(
        s.take_out(),
        [
            Out::Action { key: key.clone(), conn: 1, action: "reply".into() },
            Out::Closed { key, conn: 1, reason: CloseReason::Dismissed }
        ]
    );
    // From a connection that has ended (the agent restarted): no action reaches anyone.
    s.notify(vm("a"), 1, x, t);
    s.disconnected(&vm("a"), 1);
    s.connected(&vm("a"), 2, t);
    s.invoke(&Key { source: vm("a"), id: 5 }, "reply");
    assert!(s.take_out().is_empty());
}

#[test]
fn a_click_takes_the_default_action_or_just_hides_the_popup() {
    let mut s = store();
    let t = Instant::now();
    s.notify(Source::Local, 0, n(1, "plain"), t);
    s.popup_clicked(&Key { source: Source::Local, id: 1 });
    assert!(s.cards().is_empty());
    assert_eq!(s.unread(), 0);
    assert!(s.take_out().is_empty());
    let mut d = n(2, "default");
    d.default_action = true;
    s.notify(Source::Local, 0, d, t);
    s.popup_clicked(&Key { source: Source::Local, id: 2 });
    assert!(matches!(&s.take_out()[0], Out::Action { action, .. } if action == "default"));
}

#[test]
fn repeated_rule_breaks_mute_the_vm() {
    let mut s = store();
    let t = Instant::now();
    let evil: Arc<str> = "evil".into();
    s.notify(vm("evil"), 1, n(1, "before"), t);
    for i in 0..4 {
        s.broke(&evil, &format!("rule {i}"), t);
    }
    assert!(s.muted(&vm("evil")).is_none());
    s.broke(&evil, "odd action list", t);
    assert_eq!(s.muted(&vm("evil")), Some(&Mute::Rules("odd action list".into())));
    assert!(matches!(&s.take_out()[..], [Out::Muted { vm, .. }] if &**vm == "evil"));
    assert!(s.cards().is_empty(), "its popups went");
    s.notify(vm("evil"), 1, n(2, "after"), t);
    assert_eq!(s.counts(&vm("evil")).0, 1);
    assert_eq!(s.entries().len(), 1);
    s.set_muted(&vm("evil"), false, t);
    s.notify(vm("evil"), 1, n(3, "forgiven"), t);
    assert_eq!(summaries(&s), ["evil:forgiven"]);
    // Breaks spread out over time do not add up.
    for i in 0..10 {
        s.broke(&evil, "x", t + Duration::from_secs(61 * i));
    }
    assert!(s.muted(&vm("evil")).is_none());
}

#[test]
fn do_not_disturb_and_user_mute() {
    let mut s = store();
    let t = Instant::now();
    s.notify(vm("a"), 1, n(1, "shown"), t);
    s.set_dnd(true);
    assert!(s.cards().is_empty());
    s.notify(vm("a"), 1, n(2, "quiet"), t);
    let mut crit = n(3, "vm critical");
    crit.urgency = Urgency::Critical;
    s.notify(vm("a"), 1, crit.clone(), t);
    assert!(s.cards().is_empty(), "a VM cannot get past do-not-disturb");
    s.notify(Source::Local, 0, crit, t);
    assert_eq!(summaries(&s), ["local:vm critical"]);
    assert_eq!(s.entries().len(), 4);
    s.set_dnd(false);
    s.set_muted(&vm("a"), true, t);
    s.notify(vm("a"), 1, n(4, "muted"), t);
    assert_eq!(s.entries().len(), 4);
    assert_eq!(s.counts(&vm("a")).0, 1);
}

#[test]
fn clearing_closes_for_the_sources() {
    let mut s = store();
    let t = Instant::now();
    s.notify(vm("a"), 1, n(1, "x"), t);
    s.notify(vm("b"), 3, n(1, "y"), t);
    s.clear(Some(&vm("a")));
    assert_eq!(
        s.take_out(),
        [Out::Closed { key: Key { source: vm("a"), id: 1 }, conn: 1, reason: CloseReason::Dismissed }]
    );
    s.clear(None);
    assert_eq!(s.entries().len(), 0);
    s.notify(vm("a"), 1, n(2, "z"), t);
    s.close(&Key { source: vm("a"), id: 2 });
    assert!(matches!(s.take_out().last(), Some(Out::Closed { reason: CloseReason::Closed, .. })));
}
