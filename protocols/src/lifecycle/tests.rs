use std::io::Cursor;

use serde_json::json;

use super::*;

fn wire<T: serde::Serialize>(msg: &T) -> serde_json::Value {
    serde_json::to_value(msg).unwrap()
}

fn parse<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, FrameError> {
    decode(v.to_string().as_bytes())
}

#[test]
fn requests_have_a_stable_wire_form() {
    let req = Request::StartApp {
        app: "browser".into(),
        vm: None,
        args: vec![AppArg::Url("https://example.org/".into())],
        activation_token: None,
    };
    assert_eq!(wire(&req), json!({"type": "start_app", "app": "browser", "args": [{"url": "https://example.org/"}]}));
    assert_eq!(wire(&Request::PowerOff), json!({"type": "power_off"}));
    let back: Request = parse(json!({"type": "start_app", "app": "pdf", "vm": "zathura-vm"})).unwrap();
    assert_eq!(
        back,
        Request::StartApp { app: "pdf".into(), vm: Some("zathura-vm".into()), args: vec![], activation_token: None }
    );
    // An older client sends no token; a newer one may.
    let back: Request = parse(json!({"type": "start_app", "app": "pdf", "activation_token": "Ab3"})).unwrap();
    assert!(matches!(back, Request::StartApp { activation_token: Some(t), .. } if t == "Ab3"));
    assert!(activation_token_ok("AbC123xyz_-.~"));
    for bad in ["", "a b", "a\nb", "tok\u{e9}n", &"x".repeat(MAX_ACTIVATION_TOKEN + 1)] {
        assert!(!activation_token_ok(bad), "{bad:?}");
    }
}

#[test]
fn every_request_round_trips() {
    let all = vec![
        Request::ListVms,
        Request::ListApps,
        Request::Watch,
        Request::StartVm { vm: "a".into() },
        Request::StopVm { vm: "a".into() },
        Request::RestartVm { vm: "a".into() },
        Request::StartApp {
            app: "x".into(),
            vm: Some("a".into()),
            args: vec![AppArg::File("/f".into())],
            activation_token: Some("tok".into()),
        },
        Request::StopApp { app: "x".into(), instance: Some(4) },
        Request::PowerOff,
        Request::Reboot,
        Request::Suspend,
        Request::HostSuspend,
        Request::Locked { id: 9 },
        Request::SetDiskImage { vm: "win".into(), path: "/var/win.qcow2".into() },
    ];
    for req in all {
        let frame = encode(&req).unwrap();
        let back: Request = read_frame(&mut Cursor::new(frame)).unwrap();
        assert_eq!(back, req);
    }
}

#[test]
fn unknown_fields_and_types_are_rejected() {
    assert!(parse::<Request>(json!({"type": "start_vm", "vm": "a", "command": "rm -rf /"})).is_err());
    assert!(parse::<Request>(json!({"type": "run_shell", "cmd": "id"})).is_err());
    assert!(parse::<Request>(json!({"type": "start_vm"})).is_err());
    assert!(parse::<Request>(json!({"type": "start_app", "app": "x", "args": [{"cmd": "id"}]})).is_err());
    assert!(parse::<AgentRequest>(json!({"type": "start", "app": "x", "argv": ["id"]})).is_err());
    assert!(parse::<Hello>(json!({"protocol": PROTOCOL, "version": 1, "client": "c", "uid": 0})).is_err());
}

#[test]
fn replies_and_events_round_trip() {
    let replies: Vec<HostResponse> = vec![
        Response::Ok(Reply::Done),
        Response::Ok(Reply::AppStarted { instance: 3, app: "browser".into(), vm: "chromium-vm".into() }),
        Response::Ok(Reply::Watching {
            vms: vec![VmStatus { vm: "a".into(), state: State::Failed("boom".into()) }],
            apps: vec![AppStatus { instance: 1, app: "x".into(), vm: "a".into(), state: State::Running }],
            more: 0,
        }),
        Response::Ok(Reply::Watching { vms: vec![], apps: vec![], more: 3 }),
        Response::Ok(Reply::Apps {
            apps: vec![AppInfo {
                name: "pdf".into(),
                display_name: "PDF viewer".into(),
                icon: None,
                kind: AppKind::App,
                vm: "zathura-vm".into(),
                other_vms: vec![],
                args: ArgSpec::optional(ArgKind::File),
            }],
        }),
        Response::Error(Error::DiskImageMissing { vm: "win".into(), reason: "not set".into() }),
        Response::Error(Error::AppFailed { app: "x".into(), reason: "r".into(), status: Some(ExitStatus::Code(3)) }),
    ];
    for r in replies {
        let back: HostResponse = decode(&encode(&r).unwrap()[4..]).unwrap();
        assert_eq!(back, r);
    }
    assert_eq!(
        wire(&HostResponse::Error(Error::UnknownVm { vm: "x".into() })),
        json!({"error": {"kind": "unknown_vm", "vm": "x"}})
    );
    assert_eq!(
        wire(&Event::Vm(VmStatus { vm: "a".into(), state: State::Starting })),
        json!({"type": "vm", "vm": "a", "state": "starting"})
    );
    assert_eq!(
        wire(&Event::App(AppStatus { instance: 2, app: "x".into(), vm: "a".into(), state: State::Failed("f".into()) })),
        json!({"type": "app", "instance": 2, "app": "x", "vm": "a", "state": {"failed": "f"}})
    );
    assert_eq!(
        wire(&Event::SuspendDue { id: 3, wait_ms: 10000 }),
        json!({"type": "suspend_due", "id": 3, "wait_ms": 10000})
    );
    assert_eq!(wire(&Event::Resumed), json!({"type": "resumed"}));
    assert_eq!(wire(&Request::Locked { id: 3 }), json!({"type": "locked", "id": 3}));
    let ev = AgentEvent::Exited { instance: 1, app: "x".into(), status: ExitStatus::Signal(9), requested: false };
    assert_eq!(parse::<AgentEvent>(wire(&ev)).unwrap(), ev);
    assert_eq!(wire(&ExitStatus::Code(3)), json!({"code": 3}));
}

#[test]
fn hello_checks_protocol_and_version() {
    assert_eq!(Hello::new("t").check(), Ok(()));
    let mut h = Hello::new("t");
    h.version = 7;
    assert_eq!(h.check(), Err(Error::UnsupportedVersion { version: 7, supported: vec![VERSION] }));
    h = Hello::new("t");
    h.protocol = "wayland".into();
    assert_eq!(h.check().unwrap_err().kind(), "bad_request");
}

#[test]
fn frames_over_the_limit_are_refused_without_reading_the_body() {
    let mut data = ((MAX_FRAME + 1) as u32).to_be_bytes().to_vec();
    data.extend_from_slice(b"{}");
    let mut cur = Cursor::new(data);
    assert!(matches!(read_frame_bytes(&mut cur), Err(FrameError::TooLong { len, .. }) if len == MAX_FRAME + 1));
    assert_eq!(cur.position(), 4);

    let big = Request::SetDiskImage { vm: "w".into(), path: "/".repeat(MAX_FRAME) };
    assert!(matches!(encode(&big), Err(FrameError::TooLong { .. })));

    let exact = vec![b' '; MAX_FRAME - 2];
    let mut frame = (MAX_FRAME as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(b"{");
    frame.extend_from_slice(&exact);
    frame.extend_from_slice(b"}");
    let v: serde_json::Value = read_frame(&mut Cursor::new(frame)).unwrap();
    assert_eq!(v, json!({}));
}

#[test]
fn closed_truncated_and_malformed_frames() {
    assert!(matches!(read_frame_bytes(&mut Cursor::new(vec![])), Err(FrameError::Closed)));
    assert!(matches!(read_frame_bytes(&mut Cursor::new(vec![0, 0])), Err(FrameError::Io(_))));
    assert!(matches!(read_frame_bytes(&mut Cursor::new(vec![0, 0, 0, 5, b'{'])), Err(FrameError::Io(_))));
    let mut frame = 5u32.to_be_bytes().to_vec();
    frame.extend_from_slice(b"{nope");
    let err = read_frame::<_, Request>(&mut Cursor::new(frame)).unwrap_err();
    assert!(err.stream_intact(), "{err}");
}

#[test]
fn decoder_cuts_frames_from_pieces() {
    let mut bytes = encode(&Request::ListVms).unwrap();
    bytes.extend(encode(&Request::Watch).unwrap());
    let mut dec = FrameDecoder::new(MAX_FRAME);
    let mut got = Vec::new();
    for b in &bytes {
        dec.push(std::slice::from_ref(b));
        while let Some(p) = dec.next_frame().unwrap() {
            got.push(decode::<Request>(&p).unwrap());
        }
    }
    assert_eq!(got, vec![Request::ListVms, Request::Watch]);
    assert_eq!(dec.pending(), 0);
    dec.push(&u32::MAX.to_be_bytes());
    assert!(matches!(dec.next_frame(), Err(FrameError::TooLong { .. })));
}

#[test]
fn url_arguments_are_checked() {
    let spec = ArgSpec::optional(ArgKind::Url);
    assert_eq!(spec.check(&[]), Ok(()));
    assert_eq!(spec.check(&[AppArg::Url("https://example.org/a?b#c".into())]), Ok(()));
    assert_eq!(spec.check(&[AppArg::Url("HTTP://localhost:8080".into())]), Ok(()));
    for bad in [
        "--renderer-cmd-prefix=/bin/sh",
        "-x",
        "javascript:alert(1)",
        "file:///etc/shadow",
        "https://",
        "https:/x",
        "https://a b",
        "https://a\nb",
        "",
        "noscheme",
    ] {
        assert!(spec.check(&[AppArg::Url(bad.into())]).is_err(), "{bad:?} accepted");
    }
    let long = format!("https://a/{}", "x".repeat(MAX_ARG_LEN));
    assert!(spec.check(&[AppArg::Url(long)]).unwrap_err().contains("longer"));
    let two = [AppArg::Url("https://a".into()), AppArg::Url("https://b".into())];
    assert!(spec.check(&two).unwrap_err().contains("0 to 1"));
}

#[test]
fn file_arguments_are_checked() {
    let spec = ArgSpec { min: 1, ..ArgSpec::optional(ArgKind::File) };
    assert_eq!(spec.check(&[AppArg::File("/home/user/Downloads/a b.pdf".into())]), Ok(()));
    assert!(spec.check(&[]).unwrap_err().contains("exactly 1"));
    assert!(spec.check(&[AppArg::File("-dump".into())]).unwrap_err().contains("not absolute"));
    assert!(spec.check(&[AppArg::File("/a/../etc/shadow".into())]).unwrap_err().contains(".."));
    assert!(spec.check(&[AppArg::File("/a\0b".into())]).unwrap_err().contains("control"));
    let wrong = spec.check(&[AppArg::Url("https://a".into())]).unwrap_err();
    assert!(wrong.contains("is a URL, this app takes a file"), "{wrong}");
    assert!(ArgSpec::none().check(&[AppArg::File("/a".into())]).unwrap_err().contains("no arguments"));
}

#[test]
fn arg_spec_problems() {
    assert_eq!(ArgSpec::optional(ArgKind::Url).problem(), None);
    let bad = ArgSpec { min: 2, ..ArgSpec::optional(ArgKind::File) };
    assert!(bad.problem().unwrap().contains("min"));
    let bad = ArgSpec { schemes: vec!["ht tp".into()], ..ArgSpec::optional(ArgKind::Url) };
    assert!(bad.problem().unwrap().contains("not a URL scheme"));
}

#[test]
fn agent_lists_and_names_are_bounded() {
    let app = |i: u64| AgentApp { instance: i, app: "viewer".into(), pid: 7 };
    let at_limit = AgentReply::Watching { apps: (0..MAX_INSTANCES as u64).map(app).collect() };
    assert_eq!(at_limit.excess(), None);
    let lying = AgentReply::Running { apps: (0..1500).map(app).collect() };
    assert_eq!(lying.excess().unwrap(), format!("1500 running apps, more than the limit of {MAX_INSTANCES}"));
    let pong = AgentReply::Pong { apps: vec!["a".repeat(MAX_APP_NAME + 1)] };
    assert!(pong.excess().unwrap().contains("app name of 257 bytes"));
    let exit = AgentEvent::Exited { instance: 1, app: "x".repeat(5000), status: ExitStatus::Code(0), requested: false };
    assert!(exit.excess().is_some());
    assert_eq!(AgentReply::Done.excess(), None);
    // The watch reply's `more` is left out when zero, so older peers read it as before.
    assert_eq!(
        wire(&Reply::Watching { vms: vec![], apps: vec![], more: 0 }),
        json!({"type": "watching", "vms": [], "apps": []})
    );
}

#[test]
fn open_messages_have_a_stable_wire_form() {
    use open::*;
    let ask = AgentEvent::Ask {
        id: 7,
        intent: Intent::Send,
        subject: Subject::Files(vec![FileMeta { name: "a.pdf".into(), size: 3 }]),
    };
    assert_eq!(
        wire(&ask),
        json!({"type": "ask", "id": 7, "intent": "send", "subject": {"files": [{"name": "a.pdf", "size": 3}]}})
    );
    assert_eq!(parse::<AgentEvent>(wire(&ask)).unwrap(), ask);
    let too_many = AgentEvent::Ask {
        id: 1,
        intent: Intent::Send,
        subject: Subject::Files(vec![FileMeta { name: "x".into(), size: 0 }; MAX_FILES + 1]),
    };
    assert!(too_many.excess().unwrap().contains("17 files"));

    let answer = AgentRequest::Answer { ask: 7, outcome: Outcome::Failed(OpenError::TooLarge { size: 9, limit: 8 }) };
    assert_eq!(
        wire(&answer),
        json!({"type": "answer", "ask": 7, "outcome": {"failed": {"kind": "too_large", "size": 9, "limit": 8}}})
    );
    let done = Outcome::Done(Delivered { vm: "web".into(), opened: true, files: vec![] });
    assert_eq!(wire(&done), json!({"done": {"vm": "web", "opened": true}}));
    for req in [
        answer,
        AgentRequest::Fetch { ask: 7, file: 0 },
        AgentRequest::Receive { from: "docs".into(), name: "a.pdf".into(), size: 3 },
    ] {
        assert_eq!(parse::<AgentRequest>(wire(&req)).unwrap(), req);
    }
    for rep in [
        AgentReply::Sending { size: 3 },
        AgentReply::Ready,
        AgentReply::Received { name: "a.pdf".into(), path: "/home/u/Incoming/docs/a.pdf".into() },
    ] {
        assert_eq!(parse::<AgentReply>(wire(&rep)).unwrap(), rep);
    }
    assert_eq!(
        wire(&OpenerRequest::OpenUrl { url: "https://a".into() }),
        json!({"type": "open_url", "url": "https://a"})
    );

    let choice = Choice {
        id: 3,
        from: "docs".into(),
        from_trust: "work".into(),
        intent: Intent::Open,
        what: Shown::Url { url: "https://a.example/".into(), parts: parse_url("https://a.example/").unwrap() },
        targets: vec![ChoiceTarget {
            vm: "web".into(),
            trust: "untrusted".into(),
            state: State::Stopped,
            app: Some("Web browser".into()),
            icon: None,
        }],
        timeout_ms: 30_000,
    };
    let ev = Event::Choose(choice);
    assert_eq!(wire(&ev)["type"], "choose");
    assert_eq!(wire(&ev)["what"]["url"]["parts"], json!({"scheme": "https", "host": "a.example"}));
    assert_eq!(parse::<Event>(wire(&ev)).unwrap(), ev);
    for req in [
        Request::Choose { id: 3, vm: None },
        Request::Send { to: Some("web".into()), name: "n".into(), size: 1 },
        Request::Send { to: None, name: "n".into(), size: 1 },
    ] {
        assert_eq!(parse::<Request>(wire(&req)).unwrap(), req);
    }
    assert_eq!(
        wire(&Request::Choose { id: 3, vm: Some("web".into()) }),
        json!({"type": "choose", "id": 3, "vm": "web"})
    );
}
