//! A VM's listener against a peer that writes what it likes.

use super::*;
use canopy_protocols::notify::{encode, CloseReason, Notification, MAX_FRAME};
use std::io::{Read, Write};
use std::sync::mpsc::{channel, Receiver};

struct Vm {
    _dir: tempfile::TempDir,
    addr: Address,
    gate: Arc<Gate>,
    events: Receiver<Event>,
}

fn listen(uids: Vec<u32>) -> Vm {
    let dir = tempfile::tempdir().unwrap();
    let addr = Address::Unix(dir.path().join("web.sock"));
    let (tx, events) = channel();
    let tx = Mutex::new(tx);
    let gate = spawn("web", &addr, Admit { cid: None, uids }, move |e| tx.lock().unwrap().send(e).is_ok()).unwrap();
    Vm { _dir: dir, addr, gate, events }
}

fn me() -> Vec<u32> {
    vec![rustix::process::getuid().as_raw()]
}

impl Vm {
    fn connect(&self) -> Stream {
        let s = Stream::connect(&self.addr).unwrap();
        (&s).write_all(&encode(&FromVm::hello()).unwrap()).unwrap();
        let welcome: ToVm = serde_json::from_slice(&read_frame_bytes(&mut &s).unwrap()).unwrap();
        assert_eq!(welcome, ToVm::Welcome { version: VERSION });
        s
    }

    fn next(&self) -> Event {
        self.events.recv_timeout(Duration::from_secs(10)).expect("an event")
    }
}

fn raw_frame(payload: &[u8]) -> Vec<u8> {
    let mut f = (payload.len() as u32).to_be_bytes().to_vec();
    f.extend_from_slice(payload);
    f
}

#[test]
fn notifications_arrive_checked_and_named_by_the_listener() {
    let vm = listen(me());
    let s = vm.connect();
    let Event::Connected { vm: name, conn, to_vm } = vm.next() else { panic!() };
    assert_eq!(&*name, "web");
    let mut n = Notification::new(4, "[trusted-vm] <b>hi</b>");
    n.actions = vec!["open".into(), "Open".into()];
    (&s).write_all(&encode(&FromVm::Notify(n)).unwrap()).unwrap();
    match vm.next() {
        Event::Notify { vm: v, conn: c, n } => {
            assert_eq!((&*v, c, n.id), ("web", conn, 4));
            assert_eq!(n.summary, "[trusted-vm] <b>hi</b>");
        }
        e => panic!("{e:?}"),
    }
    (&s).write_all(&encode(&FromVm::Close { id: 4 }).unwrap()).unwrap();
    assert!(matches!(vm.next(), Event::Close { id: 4, .. }));
    // What the daemon sends reaches the VM.
    to_vm.send(ToVm::Closed { id: 4, reason: CloseReason::Closed }).unwrap();
    let back: ToVm = serde_json::from_slice(&read_frame_bytes(&mut &s).unwrap()).unwrap();
    assert_eq!(back, ToVm::Closed { id: 4, reason: CloseReason::Closed });
    drop(s);
    assert!(matches!(vm.next(), Event::Disconnected { conn: c, .. } if c == conn));
}

#[test]
fn broken_messages_are_dropped_and_reported_and_the_connection_goes_on() {
    let vm = listen(me());
    let s = vm.connect();
    vm.next();
    let mut oversized = Notification::new(1, "s");
    oversized.body = "b".repeat(100_000);
    let mut odd = Notification::new(2, "s");
    odd.actions = vec!["default".into()];
    for frame in [
        raw_frame(b"{\"type\": \"notify\", \"id\": 1, \"summary\": \"\xff\xfe\"}"),
        raw_frame(b"{\"type\": \"notify\", \"id\": 1, \"summary\": \"s\", \"vm\": \"trusted-vm\"}"),
        raw_frame(b"not json \x1b[2J"),
        encode(&FromVm::Notify(oversized)).unwrap(),
        encode(&FromVm::Notify(odd)).unwrap(),
        encode(&FromVm::hello()).unwrap(),
    ] {
        (&s).write_all(&frame).unwrap();
        match vm.next() {
            Event::Broke { rule, .. } => assert!(!rule.contains('\u{1b}'), "{rule}"),
            e => panic!("{e:?}"),
        }
    }
    (&s).write_all(&encode(&FromVm::Notify(Notification::new(3, "fine"))).unwrap()).unwrap();
    assert!(matches!(vm.next(), Event::Notify { .. }));
}

#[test]
fn a_frame_over_the_limit_ends_the_connection() {
    let vm = listen(me());
    let s = vm.connect();
    vm.next();
    (&s).write_all(&((MAX_FRAME + 1) as u32).to_be_bytes()).unwrap();
    assert!(matches!(vm.next(), Event::Broke { rule, .. } if rule.contains("over the limit")));
    assert!(matches!(vm.next(), Event::Disconnected { .. }));
    let mut buf = [0u8; 1];
    assert_eq!((&s).read(&mut buf).unwrap_or(0), 0, "closed");
}

#[test]
fn a_vm_that_goes_away_mid_message_is_just_gone() {
    let vm = listen(me());
    let s = vm.connect();
    vm.next();
    let frame = encode(&FromVm::Notify(Notification::new(1, "half"))).unwrap();
    (&s).write_all(&frame[..frame.len() / 2]).unwrap();
    drop(s);
    assert!(matches!(vm.next(), Event::Disconnected { .. }));
}

#[test]
fn refused_peers_shut_gates_and_replaced_connections() {
    // A uid that is not allowed: closed before any event.
    let vm = listen(vec![54321]);
    let s = Stream::connect(&vm.addr).unwrap();
    let _ = (&s).write_all(&encode(&FromVm::hello()).unwrap());
    let mut buf = [0u8; 1];
    assert_eq!((&s).read(&mut buf).unwrap_or(0), 0);
    assert!(vm.events.try_recv().is_err());

    let vm = listen(me());
    let first = vm.connect();
    let Event::Connected { conn: c1, .. } = vm.next() else { panic!() };
    let _second = vm.connect();
    let mut got = vec![vm.next(), vm.next()];
    got.sort_by_key(|e| matches!(e, Event::Connected { .. }));
    assert!(matches!(got[0], Event::Disconnected { conn, .. } if conn == c1), "{got:?}");
    assert_eq!((&first).read(&mut buf).unwrap_or(0), 0, "the old connection was closed");

    vm.gate.shut();
    assert!(matches!(vm.next(), Event::Disconnected { .. }));
    let s = Stream::connect(&vm.addr).unwrap();
    let _ = (&s).write_all(&encode(&FromVm::hello()).unwrap());
    assert_eq!((&s).read(&mut buf).unwrap_or(0), 0, "a shut gate closes new connections at once");
    vm.gate.open();
    vm.connect();
    assert!(matches!(vm.next(), Event::Connected { .. }));
}
