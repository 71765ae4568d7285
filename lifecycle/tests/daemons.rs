//! hostd, agents and canopy-ctl as real processes over unix: sockets: what a user or script
//! sees when starting and stopping apps and VMs, and what happens on bad input.

mod support;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use canopy_lifecycle::ctl::exit;
use canopy_lifecycle::{Address, AgentClient, ClientError, Stream};
use canopy_protocols::lifecycle::{
    decode, encode, AgentReply, AgentRequest, AppArg, Error, Event, HostResponse, Reply, Request, State, MAX_FRAME,
};
use support::{running, states, Lab, CTL};

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &std::process::Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

#[test]
fn starting_an_app_starts_its_vm_and_runs_the_app_with_its_argument() {
    let lab = Lab::start();
    let watch = lab.watch();
    watch.wait_line("vm web stopped");

    let out = lab.ctl(&["start", "app", "browser", "https://example.org/news?id=3"]);
    assert_eq!(code(&out), 0, "{}{}", stderr(&out), lab.logs());
    assert_eq!(stdout(&out), "started browser: instance 1\n");

    // The app runs in the VM, with the guest proxy's socket and exactly the one argument.
    let line = &lab.marker_lines("vms/web/browser.log", 1)[0];
    let (pid, rest) = line.split_once('|').unwrap();
    let display = lab.path("vms/web/wayland-web").display().to_string();
    assert_eq!(rest, format!("{display}|https://example.org/news?id=3"));
    assert!(running(pid.parse().unwrap()), "the app is not running");
    assert_eq!(lab.read("vms/web/starts.log").lines().count(), 1);

    let lines = watch.wait_line("app browser 1 web running");
    assert_eq!(states(&lines, "vm web "), ["stopped", "starting", "running"], "{lines:#?}");
    assert!(lines.iter().any(|l| l.starts_with("progress web waiting for the agent at unix:")), "{lines:#?}");

    let list = stdout(&lab.ctl(&["list", "vms"]));
    assert!(
        list.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["web", "untrusted", "running"]),
        "{list}"
    );

    // The second start finds the VM up: no second VM start.
    let out = lab.ctl(&["start", "app", "browser"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(lab.marker_lines("vms/web/browser.log", 2)[1].split_once('|').unwrap().1, format!("{display}|"));
    assert_eq!(lab.read("vms/web/starts.log").lines().count(), 1);

    // Every request left an audit line: who, what, result.
    let audit = lab.read("audit.jsonl");
    let starts: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &serde_json::Value| v["request"]["type"] == "start_app")
        .collect();
    assert_eq!(starts.len(), 2, "{audit}");
    assert_eq!(starts[0]["peer"]["uid"], rustix::process::getuid().as_raw());
    assert_eq!(starts[0]["request"]["args"][0]["url"], "https://example.org/news?id=3");
    assert_eq!(starts[0]["ok"], true);
    assert_eq!(starts[0]["result"], "instance 1 in web");
}

#[test]
fn stopping_a_vm_ends_its_apps_and_reports_it() {
    let lab = Lab::start();
    assert_eq!(code(&lab.ctl(&["start", "app", "browser"])), 0);
    assert_eq!(code(&lab.ctl(&["start", "app", "stubborn"])), 0);
    let browser: u32 = lab.marker_lines("vms/web/browser.log", 1)[0].split('|').next().unwrap().parse().unwrap();
    let stubborn: u32 = lab.marker_lines("vms/web/stubborn.log", 1)[0].parse().unwrap();
    let watch = lab.watch();
    watch.wait_line("vm web running");

    let out = lab.ctl(&["stop", "vm", "web"]);
    assert_eq!(code(&out), 0, "{}{}", stderr(&out), lab.logs());
    // The agent stopped both apps (the one that ignores SIGTERM got SIGKILL) before the VM went.
    assert!(!running(browser) && !running(stubborn), "{}", lab.logs());
    let lines = watch.wait_line("vm web stopped");
    assert_eq!(states(&lines, "vm web "), ["running", "stopping", "stopped"], "{lines:#?}");
    assert!(lines.contains(&"app browser 1 web stopped".to_string()), "{lines:#?}");
    assert!(lines.contains(&"app stubborn 2 web stopped".to_string()), "{lines:#?}");
    let list = stdout(&lab.ctl(&["list", "vms"]));
    assert!(list.lines().any(|l| l.starts_with("web ") && l.contains(" stopped")), "{list}");

    // Stopping a stopped VM is fine; an unmanaged one is not hostd's to stop.
    assert_eq!(code(&lab.ctl(&["stop", "vm", "web"])), 0);
    let out = lab.ctl(&["stop", "vm", "gui"]);
    assert_eq!(code(&out), exit::NOT_ALLOWED as i32);
    assert!(stderr(&out).contains("VM \"gui\" is not managed by hostd"), "{}", stderr(&out));
}

#[test]
fn stop_app_and_exits_of_running_apps_are_reported() {
    let lab = Lab::start();
    let watch = lab.watch();
    assert_eq!(code(&lab.ctl(&["start", "app", "browser", "https://one.example/"])), 0);
    assert_eq!(code(&lab.ctl(&["start", "app", "browser", "https://two.example/"])), 0);
    let lines = lab.marker_lines("vms/web/browser.log", 2);
    let pid_of = |url: &str| -> u32 {
        let line = lines.iter().find(|l| l.ends_with(url)).unwrap();
        line.split('|').next().unwrap().parse().unwrap()
    };
    let pids = [pid_of("|https://one.example/"), pid_of("|https://two.example/")];

    // An app that dies on its own is reported with how it ended.
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(pids[0] as i32).unwrap(),
        rustix::process::Signal::KILL,
    )
    .unwrap();
    watch.wait_line("app browser 1 web failed (killed by signal 9)");

    let out = lab.ctl(&["stop", "app", "browser", "--instance", "1"]);
    assert_eq!(code(&out), exit::BAD_REQUEST as i32, "{}", stderr(&out));
    assert!(stderr(&out).contains("app \"browser\" has no running instance 1"), "{}", stderr(&out));

    let out = lab.ctl(&["stop", "app", "browser"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!running(pids[1]));
    watch.wait_line("app browser 2 web stopped");
    assert_eq!(code(&lab.ctl(&["stop", "app", "browser"])), exit::BAD_REQUEST as i32);
}

#[test]
fn an_app_that_exits_at_once_fails_the_start() {
    let lab = Lab::start();
    let watch = lab.watch();
    let out = lab.ctl(&["start", "app", "broken"]);
    assert_eq!(code(&out), exit::APP_FAILED as i32, "{}{}", stderr(&out), lab.logs());
    assert_eq!(stderr(&out), "canopy-ctl: app \"broken\" failed: exited with status 3 right after it started\n");
    watch.wait_line("app broken 1 web failed (exited with status 3 right after it started)");
    // The app's own message is in the agent's log.
    assert!(lab.read("vms/web/agent.log").contains("broken: cannot open display"));

    // Without the guest proxy's socket, an app could not show a window: a clear error.
    std::fs::remove_file(lab.path("vms/web/wayland-web")).unwrap();
    let out = lab.ctl(&["start", "app", "browser"]);
    assert_eq!(code(&out), exit::APP_FAILED as i32);
    assert_eq!(
        stderr(&out),
        format!(
            "canopy-ctl: app \"browser\" failed: the Wayland socket {} did not appear within 1.0 s \
             (is canopy-proxy guest running?)\n",
            lab.path("vms/web/wayland-web").display()
        )
    );

    // An app that hostd knows but the agent does not is refused by the agent.
    let out = lab.ctl(&["start", "app", "ghost"]);
    assert_eq!(code(&out), exit::APP_FAILED as i32);
    assert!(stderr(&out).contains("the agent of VM \"web\" has no app \"ghost\""), "{}", stderr(&out));
}

#[test]
fn power_actions_run_the_configured_commands() {
    let lab = Lab::start();
    let out = lab.ctl(&["poweroff"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(lab.read("power.log"), "poweroff\n");

    let out = lab.ctl(&["reboot"]);
    assert_eq!(code(&out), exit::ACTION_FAILED as i32);
    assert!(
        stderr(&out)
            .contains("reboot failed: `/bin/sh -c echo 'reboot: permission denied' >&2; exit 1` exited with status 1"),
        "{}",
        stderr(&out)
    );
    assert!(lab.read("hostd.log").contains("reboot: permission denied"));

    let out = lab.ctl(&["suspend"]);
    assert_eq!(code(&out), exit::NOT_ALLOWED as i32);
    assert_eq!(stderr(&out), "canopy-ctl: not allowed: suspend is not configured\n");
}

#[test]
fn a_storm_of_start_requests_starts_the_vm_once() {
    let lab = Lab::start();
    let addr = lab.address();
    let t0 = Instant::now();
    let results: Vec<Result<u64, ClientError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..100)
            .map(|i| {
                let addr = addr.clone();
                s.spawn(move || {
                    let mut c = canopy_lifecycle::HostClient::connect(&addr, "storm", Some(support::PATIENCE))?;
                    c.start_app("browser", None, vec![AppArg::Url(format!("https://example.org/{i}"))])
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = t0.elapsed();
    let mut ids: Vec<u64> = results.into_iter().map(|r| r.unwrap_or_else(|e| panic!("{e}\n{}", lab.logs()))).collect();
    ids.sort();
    assert_eq!(ids, (1..=100).collect::<Vec<_>>());
    assert_eq!(lab.read("vms/web/starts.log").lines().count(), 1, "the VM was started more than once");
    let lines = lab.marker_lines("vms/web/browser.log", 100);
    let mut urls: Vec<String> = lines.iter().map(|l| l.rsplit('|').next().unwrap().to_string()).collect();
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), 100);
    eprintln!("100 concurrent StartApp on a stopped VM: {elapsed:?}");
}

#[test]
fn an_agent_that_never_answers_gives_a_clear_timeout() {
    let lab = Lab::start();
    let t0 = Instant::now();
    let out = lab.ctl(&["start", "app", "silent"]);
    let took = t0.elapsed();
    assert_eq!(code(&out), exit::AGENT_UNREACHABLE as i32, "{}", stderr(&out));
    let err = stderr(&out);
    let sock = lab.path("vms/mute/agent.sock");
    assert!(
        err.starts_with(&format!(
            "canopy-ctl: the agent of VM \"mute\" is unreachable: no answer from unix:{} within 1.0 s (",
            sock.display()
        )),
        "{err}"
    );
    assert!(err.contains("attempts; last error: cannot connect to unix:"), "{err}");
    assert!(took >= Duration::from_secs(1) && took < Duration::from_secs(10), "{took:?}");
    let list = stdout(&lab.ctl(&["list", "vms"]));
    assert!(list.lines().any(|l| l.starts_with("mute ") && l.contains("failed (agent unreachable")), "{list}");

    // Something that accepts connections but never says a word is no better.
    let _mute = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let out = lab.ctl(&["start", "app", "silent"]);
    assert_eq!(code(&out), exit::AGENT_UNREACHABLE as i32, "{}", stderr(&out));
    assert!(stderr(&out).contains("last error: connection to unix:"), "{}", stderr(&out));
    assert!(stderr(&out).contains("no complete reply in time"), "{}", stderr(&out));

    // hostd still serves everyone else.
    assert_eq!(code(&lab.ctl(&["start", "app", "browser"])), 0);
}

#[test]
fn bad_requests_get_errors_and_the_daemon_keeps_serving() {
    let lab = Lab::start();
    let mut raw = Stream::connect(&lab.address()).unwrap();
    raw.set_read_timeout(Some(support::PATIENCE)).unwrap();
    raw.write_all(&encode(&canopy_protocols::lifecycle::Hello::new("raw")).unwrap()).unwrap();
    let _welcome = read(&mut raw);

    // Malformed JSON: an error, and the same connection goes on.
    raw.write_all(&frame(b"{\"type\": \"start_app\", \"app\": ")).unwrap();
    assert_eq!(error_kind(&read(&mut raw)), "bad_request");
    raw.write_all(&frame(b"{\"type\": \"run_command\", \"argv\": [\"sh\"]}")).unwrap();
    assert_eq!(error_kind(&read(&mut raw)), "bad_request");
    raw.write_all(&encode(&Request::ListApps).unwrap()).unwrap();
    assert!(matches!(decode::<HostResponse>(&read(&mut raw)).unwrap(), HostResponse::Ok(Reply::Apps { .. })));

    // A frame over the limit: an error, and that connection ends.
    raw.write_all(&((MAX_FRAME as u32 + 1).to_be_bytes())).unwrap();
    let reply = read(&mut raw);
    assert_eq!(error_kind(&reply), "bad_request");
    assert!(String::from_utf8_lossy(&reply).contains("over the limit"));
    let mut rest = Vec::new();
    assert_eq!(raw.read_to_end(&mut rest).unwrap_or(0), 0);

    // Unknown VM or app, and an argument of the wrong kind.
    let out = lab.ctl(&["start", "vm", "nope"]);
    assert_eq!((code(&out), stderr(&out).as_str()), (exit::UNKNOWN as i32, "canopy-ctl: unknown VM \"nope\"\n"));
    let out = lab.ctl(&["start", "app", "rm-rf"]);
    assert_eq!((code(&out), stderr(&out).as_str()), (exit::UNKNOWN as i32, "canopy-ctl: unknown app \"rm-rf\"\n"));
    let mut c = lab.client();
    let e = c.start_app("pdf", None, vec![AppArg::Url("https://example.org/a.pdf".into())]).unwrap_err();
    assert_eq!(
        e.lifecycle_error(),
        Some(&Error::BadRequest {
            reason: "argument \"https://example.org/a.pdf\" is a URL, this app takes a file".into()
        })
    );
    let out = lab.ctl(&["start", "app", "pdf", "--", "--exec=/bin/sh"]);
    assert_eq!(code(&out), exit::BAD_REQUEST as i32);
    assert!(stderr(&out).contains("path \"--exec=/bin/sh\" is not absolute"), "{}", stderr(&out));
    let out = lab.ctl(&["start", "app", "browser", "--vm", "mute"]);
    assert_eq!(code(&out), exit::NOT_ALLOWED as i32);
    assert!(stderr(&out).contains("app \"browser\" is not offered in VM \"mute\""), "{}", stderr(&out));
    let out = lab.ctl(&["start", "app", "pdf"]);
    assert_eq!(code(&out), exit::BAD_REQUEST as i32);
    assert!(stderr(&out).contains("takes exactly 1 argument(s), got 0"), "{}", stderr(&out));
    assert!(!lab.path("vms/web/starts.log").exists(), "a bad request started the VM");

    // A peer that is not allowed (another user) gets an error and a log line.
    support::open_to_all(&lab.path("hostd.sock"));
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", CTL, "list"])
        .env("CANOPY_HOSTD", lab.address().to_string())
        .output()
        .unwrap();
    assert_eq!(code(&out), exit::NOT_ALLOWED as i32, "{}", stderr(&out));
    assert_eq!(stderr(&out), "canopy-ctl: not allowed: uid 65534 is not allowed\n");
    assert!(lab.read("hostd.log").contains("refused: uid 65534 is not allowed"));
    let audit = lab.read("audit.jsonl");
    assert!(audit.lines().any(|l| l.contains("\"uid\":65534") && l.contains("not allowed")), "{audit}");

    // Through all of it, hostd kept serving.
    let out = lab.ctl(&["start", "app", "pdf", "/home/user/report.pdf"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        lab.marker_lines("vms/web/viewer.log", 1)[0].split_once('|').unwrap().1,
        format!("{}|/home/user/report.pdf", lab.path("vms/web/wayland-web").display())
    );
}

#[test]
fn a_vm_that_dies_is_noticed() {
    let lab = Lab::start();
    assert_eq!(code(&lab.ctl(&["start", "app", "browser"])), 0);
    let watch = lab.watch();
    watch.wait_line("app browser 1 web running");
    // The VM goes away without hostd asking (a crash, or shut down from inside).
    let pid: i32 = lab.read("vms/web/pid").trim().parse().unwrap();
    rustix::process::kill_process_group(rustix::process::Pid::from_raw(pid).unwrap(), rustix::process::Signal::KILL)
        .unwrap();
    let lines = watch.wait_line("vm web stopped");
    assert!(lines.contains(&"app browser 1 web stopped".to_string()), "{lines:#?}");
    // The next start brings it back.
    assert_eq!(code(&lab.ctl(&["start", "app", "browser"])), 0);
    assert_eq!(lab.read("vms/web/starts.log").lines().count(), 2);
}

#[test]
fn a_restarted_hostd_finds_running_vms_and_apps() {
    let mut lab = Lab::start();
    assert_eq!(code(&lab.ctl(&["start", "app", "browser"])), 0);
    lab.start_hostd();
    // hostd asks the backend what runs, and the running VM's agent what runs in it: the app is
    // known again (under a new instance id) and can be stopped.
    lab.wait_for("the VM and the app to be found", || {
        let (s, _) = lab.client().watch().unwrap();
        s.vms.iter().any(|v| v.vm == "web" && v.state == State::Running)
            && s.apps.iter().any(|a| a.app == "browser" && a.vm == "web" && a.state == State::Running)
    });
    let mut c = lab.client();
    c.action(&Request::StopApp { app: "browser".into(), instance: None }).unwrap();
    assert_eq!(lab.read("vms/web/starts.log").lines().count(), 1);
}

#[test]
fn the_watch_stream_works_from_an_event_loop() {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    let lab = Lab::start();
    let (snapshot, mut watcher) = lab.client().watch().unwrap();
    assert!(snapshot.vms.iter().any(|v| v.vm == "web" && v.state == State::Stopped));
    watcher.set_nonblocking().unwrap();
    assert!(watcher.read_events().unwrap().is_empty());

    let t = std::thread::spawn({
        let addr = lab.address();
        move || canopy_lifecycle::HostClient::connect(&addr, "t", None).unwrap().start_app("browser", None, vec![])
    });
    let mut events = Vec::new();
    let deadline = Instant::now() + support::PATIENCE;
    while !events.iter().any(|e| matches!(e, Event::App(a) if a.state == State::Running)) {
        assert!(Instant::now() < deadline, "{events:#?}");
        let mut fds = [PollFd::new(&watcher, PollFlags::IN)];
        poll(&mut fds, Some(&Timespec { tv_sec: 5, tv_nsec: 0 })).unwrap();
        events.extend(watcher.read_events().unwrap());
    }
    t.join().unwrap().unwrap();
    let vm_states: Vec<&State> = events
        .iter()
        .filter_map(|e| if let Event::Vm(v) = e { (v.vm == "web").then_some(&v.state) } else { None })
        .collect();
    assert_eq!(vm_states, [&State::Starting, &State::Running]);
}

#[test]
fn the_agent_runs_only_what_its_config_names() {
    let lab = Lab::start();
    assert_eq!(code(&lab.ctl(&["start", "vm", "web"])), 0);
    let addr = Address::Unix(lab.path("vms/web/agent.sock"));
    let mut agent = AgentClient::connect(&addr, "test", Some(support::PATIENCE)).unwrap();
    let e = agent
        .request(&AgentRequest::Start { app: "/bin/sh".into(), args: vec![], activation_token: None })
        .unwrap_err();
    assert_eq!(e.lifecycle_error(), Some(&Error::UnknownApp { app: "/bin/sh".into() }));
    let e = agent
        .request(&AgentRequest::Start {
            app: "browser".into(),
            args: vec![AppArg::Url("-e".into())],
            activation_token: None,
        })
        .unwrap_err();
    assert_eq!(e.lifecycle_error().map(Error::kind), Some("bad_request"));
    let e = agent.request(&AgentRequest::Stop { instance: 99 }).unwrap_err();
    assert_eq!(e.lifecycle_error(), Some(&Error::bad_request("no running instance 99")));
    match agent.request(&AgentRequest::Ping).unwrap() {
        AgentReply::Pong { apps } => assert_eq!(apps, ["broken", "browser", "stubborn", "viewer"]),
        other => panic!("{other:?}"),
    }
    // Another user may not talk to the agent at all (canopy-ctl's hello is the same handshake).
    support::open_to_all(&lab.path("vms/web/agent.sock"));
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", CTL, "--connect", &addr.to_string(), "list"])
        .output()
        .unwrap();
    assert_eq!(code(&out), exit::NOT_ALLOWED as i32, "{}", stderr(&out));
    assert_eq!(stderr(&out), "canopy-ctl: not allowed: uid 65534 is not allowed\n");
    assert!(lab.read("vms/web/agent.log").contains("refused: uid 65534 is not allowed"));
}

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut f = (payload.len() as u32).to_be_bytes().to_vec();
    f.extend_from_slice(payload);
    f
}

fn read(s: &mut Stream) -> Vec<u8> {
    canopy_protocols::lifecycle::read_frame_bytes(s).unwrap()
}

fn error_kind(reply: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(reply).unwrap();
    v["error"]["kind"].as_str().unwrap_or_default().to_string()
}

#[test]
fn restarting_a_vm_ends_its_apps_and_brings_it_back() {
    let lab = Lab::start();
    assert_eq!(code(&lab.ctl(&["start", "app", "browser"])), 0);
    let pid: u32 = lab.marker_lines("vms/web/browser.log", 1)[0].split('|').next().unwrap().parse().unwrap();
    let out = lab.ctl(&["restart", "web"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!running(pid));
    assert_eq!(lab.read("vms/web/starts.log").lines().count(), 2);
    let vms = lab.client().list_vms().unwrap();
    assert_eq!(vms.iter().find(|v| v.name == "web").unwrap().state, State::Running);
}

#[test]
fn a_hostile_agent_is_cut_off_and_hostd_keeps_serving() {
    use canopy_protocols::lifecycle::{read_frame_bytes, HandshakeResponse, Welcome};
    let lab = Lab::start();
    // Something in the VM answers on the agent's socket: it greets properly, then answers the
    // watch request with a frame header announcing 4 GiB.
    let listener = std::os::unix::net::UnixListener::bind(lab.path("vms/mute/agent.sock")).unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { break };
            let _hello = read_frame_bytes(&mut s);
            let _ = s.write_all(&encode(&HandshakeResponse::Ok(Welcome::new("evil"))).unwrap());
            let _watch = read_frame_bytes(&mut s);
            let _ = s.write_all(&u32::MAX.to_be_bytes());
        }
    });
    let out = lab.ctl(&["start", "app", "silent"]);
    assert_eq!(code(&out), exit::AGENT_UNREACHABLE as i32, "{}", stderr(&out));
    assert!(stderr(&out).contains("frame of 4294967295 bytes is over the limit of 65536 bytes"), "{}", stderr(&out));
    assert_eq!(code(&lab.ctl(&["start", "app", "browser"])), 0);
}

#[test]
fn text_from_a_hostile_agent_cannot_forge_log_lines() {
    use canopy_protocols::lifecycle::{read_frame, AgentResponse, HandshakeResponse, Hello, Welcome};
    let lab = Lab::start();
    // A fake agent that serves the watch properly and answers every start with an error whose
    // text tries to forge a log line and clear the terminal.
    let listener = std::os::unix::net::UnixListener::bind(lab.path("vms/mute/agent.sock")).unwrap();
    std::thread::spawn(move || {
        let mut watches = Vec::new();
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { break };
            let _: Result<Hello, _> = read_frame(&mut s);
            let _ = s.write_all(&encode(&HandshakeResponse::Ok(Welcome::new("evil"))).unwrap());
            let reply = match read_frame::<_, AgentRequest>(&mut s) {
                Ok(AgentRequest::Watch) => AgentResponse::Ok(AgentReply::Watching { apps: vec![] }),
                _ => AgentResponse::Error(Error::AppFailed {
                    app: "x".into(),
                    reason: "no\n2026-01-01T00:00:00Z  INFO audit: uid 0: power_off -> ok\x1b[2J".into(),
                    status: None,
                }),
            };
            let _ = s.write_all(&encode(&reply).unwrap());
            watches.push(s);
        }
    });
    let out = lab.ctl(&["start", "app", "silent"]);
    assert_eq!(code(&out), exit::APP_FAILED as i32, "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "canopy-ctl: app \"silent\" failed: no 2026-01-01T00:00:00Z  INFO audit: uid 0: power_off -> ok[2J\n"
    );
    assert!(!lab.read("hostd.log").lines().any(|l| l.starts_with("2026-01-01")), "a forged log line");
    assert!(!lab.read("hostd.log").contains('\x1b'));
}
