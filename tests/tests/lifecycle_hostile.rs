//! A compromised agent against the real `canopy-hostd` (issue 13): `canopy-hostile-agent`
//! dribbles its hello or its replies one byte every 700 ms (inside any per-read timeout), or lies
//! about how many apps run. Every part is a real process: hostd with its command backend, the
//! "VMs" (tests/simvm.sh), a real `canopy-agent` in the well-behaved VM, and `canopy-ctl`, whose
//! exit codes and output are what a user or script gets.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use canopy_tests::fixture::TIMEOUT;
use canopy_tests::{bin_path, simhost};

/// canopy-ctl's exit codes (see `canopy-ctl --help`).
const AGENT_UNREACHABLE: i32 = 7;
const APP_FAILED: i32 = 8;
const BUSY: i32 = 9;

/// How long hostd may take over one request to an agent (this file's hostd config).
const AGENT_REQUEST: Duration = Duration::from_secs(3);
/// How long hostd waits for the `slow` VM's agent to answer.
const SLOW_READY: Duration = Duration::from_secs(3);
/// What "at once" means for a stop on a machine shared with other builds: far below any
/// agent deadline (5 s an attempt) and the dribble itself (about 50 s for a hello).
const PROMPT: Duration = Duration::from_secs(3);

/// A 64-character app name, the longest hostd allows: it makes each instance's status long.
const LONG_APP: &str = "an-app-whose-name-is-as-long-as-hostd-allows-so-its-status-is-lo";
/// VMs whose agents each claim exactly as many instances as hostd keeps per VM.
const MANY: [&str; 3] = ["many-1", "many-2", "many-3"];

struct Host {
    dir: tempfile::TempDir,
    hostd: Child,
}

impl Host {
    fn start() -> Host {
        let dir = tempfile::Builder::new().prefix("canopy-hostile-agent-").tempdir().unwrap();
        let d = dir.path();
        let mut vms = vec!["web", "slow", "drip", "liar"];
        vms.extend(MANY);
        simhost::prepare(d, &vms);
        write_web_agent(d);
        simhost::write_hostile_agent(d, "slow", "dribble_hello_ms = 700\n");
        simhost::write_hostile_agent(d, "drip", "dribble_start_ms = 700\n");
        simhost::write_hostile_agent(d, "liar", "instances = 1500\n");
        for vm in MANY {
            simhost::write_hostile_agent(d, vm, "instances = 256\n");
        }
        let agent = |vm: &str| format!("agent = \"unix:{}/vms/{vm}/agent.sock\"", d.display());
        let mut config = simhost::hostd_config_head(d)
            + &format!(
                r#"
[timeouts]
agent_ready_secs = 20
agent_request_secs = {request}
[vms.web]
trust = "untrusted"
{web}
[vms.slow]
trust = "untrusted"
{slow}
agent_ready_secs = {ready}
[vms.drip]
trust = "untrusted"
{drip}
[vms.liar]
trust = "untrusted"
{liar}
[apps.sleeper]
display_name = "Sleeper"
vm = "web"
[apps.drip-app]
display_name = "Drip"
vm = "drip"
agent_app = "hello"
[apps.{LONG_APP}]
display_name = "Long"
vm = "many-1"
other_vms = ["many-2", "many-3"]
agent_app = "hello"
"#,
                request = AGENT_REQUEST.as_secs(),
                ready = SLOW_READY.as_secs(),
                web = agent("web"),
                slow = agent("slow"),
                drip = agent("drip"),
                liar = agent("liar"),
            );
        for vm in MANY {
            config += &format!("[vms.{vm}]\ntrust = \"personal\"\n{}\n", agent(vm));
        }
        std::fs::write(d.join("hostd.toml"), config).unwrap();
        let hostd = simhost::spawn_hostd(d);
        let host = Host { dir, hostd };
        host.wait_until("hostd answers", || host.ctl(&["list"]).status.success());
        host
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_default()
    }

    fn ctl(&self, args: &[&str]) -> Output {
        ctl(self.dir.path(), args)
    }

    /// `canopy-ctl ARGS`, and how long it took.
    fn timed(&self, args: &[&str]) -> (Output, Duration) {
        let t0 = Instant::now();
        let out = self.ctl(args);
        (out, t0.elapsed())
    }

    /// `canopy-ctl ARGS` on a thread of its own (it returns its output and how long it took).
    fn spawn_ctl(&self, args: &[&str]) -> std::thread::JoinHandle<(Output, Duration)> {
        let dir = self.dir.path().to_path_buf();
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        std::thread::spawn(move || {
            let t0 = Instant::now();
            let out = ctl(&dir, &args.iter().map(String::as_str).collect::<Vec<_>>());
            (out, t0.elapsed())
        })
    }

    fn logs(&self) -> String {
        let mut out = String::new();
        for f in ["hostd.log", "vms/web/agent.log", "vms/slow/agent.log", "vms/drip/agent.log", "vms/liar/agent.log"] {
            out += &format!("--- {f}\n{}\n", self.read(f));
        }
        out
    }

    fn wait_until(&self, what: &str, mut cond: impl FnMut() -> bool) {
        let start = Instant::now();
        let mut pause = Duration::from_millis(5);
        while !cond() {
            assert!(start.elapsed() < TIMEOUT, "timed out waiting for {what}\n{}", self.logs());
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    /// `canopy-ctl watch` until its lines satisfy `done`; those lines.
    fn watch_until(&self, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        let mut child = Command::new(bin_path("canopy-ctl"))
            .arg("watch")
            .env("CANOPY_HOSTD", format!("unix:{}", self.path("hostd.sock").display()))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + TIMEOUT;
        let mut lines = Vec::new();
        while !done(&lines) {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(l) => lines.push(l),
                Err(e) => panic!("watch: {e} after {} lines:\n{}\n{}", lines.len(), lines.join("\n"), self.logs()),
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        lines
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.hostd.kill();
        let _ = self.hostd.wait();
        for vm in ["web", "slow", "drip", "liar"].into_iter().chain(MANY) {
            simhost::stop_vm(self.dir.path(), vm);
        }
        if std::thread::panicking() {
            eprintln!("{}", self.logs());
        }
    }
}

fn ctl(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin_path("canopy-ctl"))
        .args(args)
        .env("CANOPY_HOSTD", format!("unix:{}", dir.join("hostd.sock").display()))
        .output()
        .unwrap()
}

/// The well-behaved VM: a real canopy-agent with one app that just runs.
fn write_web_agent(d: &Path) {
    let web = d.join("vms/web");
    // Where the guest proxy's socket would be; no app here draws.
    std::fs::write(web.join("wayland-web"), "").unwrap();
    std::fs::write(
        web.join("agent.toml"),
        format!(
            r#"
listen = ["unix:{web}/agent.sock"]
wayland_display = "{web}/wayland-web"
[allow]
uids = [{uid}]
[apps.sleeper]
command = ["/bin/sh", "-c", "exec sleep 100000"]
startup_grace_ms = 0
"#,
            web = web.display(),
            uid = rustix::process::getuid().as_raw(),
        ),
    )
    .unwrap();
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_stop_returns_at_once_while_the_agent_dribbles_its_hello_and_other_vms_are_served() {
    let host = Host::start();
    let start = host.spawn_ctl(&["start", "vm", "slow"]);
    host.wait_until("the agent to dribble its hello", || {
        host.read("vms/slow/agent.log").contains("dribbling the hello")
    });

    // Meanwhile another VM starts, and an app in it, as if nothing were going on.
    let (out, took) = host.timed(&["start", "app", "sleeper"]);
    assert_eq!(code(&out), 0, "{}{}", stderr(&out), host.logs());
    assert!(took < PROMPT, "another VM's request took {took:?}");
    eprintln!("start app in another VM meanwhile (boots it): {took:?}");
    let (out, took) = host.timed(&["list", "vms"]);
    assert_eq!(code(&out), 0);
    assert!(took < PROMPT, "listing took {took:?}");

    // The stop goes to the backend and does not wait for the agent's hello.
    let (out, took) = host.timed(&["stop", "vm", "slow"]);
    assert_eq!(code(&out), 0, "{}{}", stderr(&out), host.logs());
    assert!(took < PROMPT, "stop vm took {took:?} while the agent dribbled");
    eprintln!("stop vm while its agent dribbles its hello: {took:?}");
    let (out, took) = start.join().unwrap();
    assert_eq!(code(&out), BUSY, "{}", stderr(&out));
    assert!(stderr(&out).contains("VM \"slow\" was stopped while it was starting"), "{}", stderr(&out));
    assert!(took < SLOW_READY * 4, "{took:?}");
    let list = String::from_utf8_lossy(&host.ctl(&["list", "vms"]).stdout).into_owned();
    assert!(list.lines().any(|l| l.starts_with("slow ") && l.contains(" stopped")), "{list}");
}

#[test]
fn a_stop_returns_at_once_while_the_agent_dribbles_its_reply() {
    let host = Host::start();
    assert_eq!(code(&host.ctl(&["start", "vm", "drip"])), 0, "{}", host.logs());
    let start = host.spawn_ctl(&["start", "app", "drip-app"]);
    host.wait_until("the agent to dribble its reply", || {
        host.read("vms/drip/agent.log").contains("dribbling the reply")
    });
    let (out, took) = host.timed(&["stop", "vm", "drip"]);
    assert_eq!(code(&out), 0, "{}{}", stderr(&out), host.logs());
    assert!(took < PROMPT, "stop vm took {took:?} while the agent dribbled");
    eprintln!("stop vm while its agent dribbles a reply: {took:?}");
    let (out, _) = start.join().unwrap();
    assert_eq!(code(&out), APP_FAILED, "{}", stderr(&out));
    assert!(stderr(&out).contains("VM \"drip\" was stopped while the app was starting"), "{}", stderr(&out));
}

#[test]
fn a_dribbled_hello_or_reply_is_cut_at_its_deadline() {
    let host = Host::start();
    // The hello: each attempt ends at its deadline, and the start gives up when the VM's time
    // to answer is over (a frame's 70-odd bytes would take about 50 s).
    let (out, took) = host.timed(&["start", "vm", "slow"]);
    assert_eq!(code(&out), AGENT_UNREACHABLE, "{}", stderr(&out));
    assert!(stderr(&out).contains("no complete reply in time"), "{}", stderr(&out));
    assert!(took >= SLOW_READY && took < SLOW_READY + PROMPT, "{took:?}");

    // A reply: the whole request ends at hostd's deadline for agent requests.
    assert_eq!(code(&host.ctl(&["start", "vm", "drip"])), 0, "{}", host.logs());
    let (out, took) = host.timed(&["start", "app", "drip-app"]);
    assert_eq!(code(&out), AGENT_UNREACHABLE, "{}", stderr(&out));
    assert!(stderr(&out).contains("no complete reply in time"), "{}", stderr(&out));
    assert!(took >= AGENT_REQUEST && took < AGENT_REQUEST + PROMPT, "{took:?}");
    host.wait_until("the agent to see hostd hang up", || {
        host.read("vms/drip/agent.log").contains("hostd closed the connection during the reply")
    });
}

#[test]
fn a_lying_agent_is_refused_and_every_watch_gets_its_whole_snapshot() {
    let host = Host::start();
    let out = host.ctl(&["start", "vm", "liar"]);
    assert_eq!(code(&out), AGENT_UNREACHABLE, "{}", stderr(&out));
    assert!(stderr(&out).contains("reported 1500 running apps, more than the limit of 256"), "{}", stderr(&out));
    let log = host.read("hostd.log");
    assert!(
        log.lines().any(|l| l.contains(" WARN ") && l.contains("VM liar: agent unreachable") && l.contains("1500")),
        "{log}"
    );

    // Three VMs whose agents claim as many apps as hostd keeps: hostd takes them on, and the
    // state is now more than one frame can carry.
    for vm in MANY {
        let out = host.ctl(&["start", "vm", vm]);
        assert_eq!(code(&out), 0, "{vm}: {}{}", stderr(&out), host.logs());
    }
    let running = |lines: &[String]| {
        lines.iter().filter(|l| l.starts_with(&format!("app {LONG_APP} ")) && l.ends_with(" running")).count()
    };
    // A new watch (the panel's or the launcher's) gets every VM and every instance.
    let lines =
        host.watch_until(|ls| running(ls) == 3 * 256 && ls.iter().filter(|l| l.starts_with("vm ")).count() == 7);
    assert!(lines.iter().any(|l| l.starts_with("vm liar failed (agent unreachable:")), "{lines:#?}");
    for vm in MANY {
        assert!(lines.contains(&format!("vm {vm} running")), "{lines:#?}");
    }
    assert!(lines.contains(&"vm web stopped".to_string()), "{lines:#?}");
    assert!(!host.read("hostd.log").contains("cannot send a reply"));
}
