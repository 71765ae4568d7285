//! Lock before every sleep, end to end: the real headless compositor with two outputs, the real
//! canopy-lock (PAM with a test account), the real canopy-power-menu and canopy-hostd. hostd's
//! suspend command screenshots both outputs through `canopy msg` when it runs, so each suspend
//! is checked against what the screens showed at that moment: the lock on every output, never
//! the desktop. The order is also checked in hostd's audit log against the compositor's record
//! of when the lock came to show everywhere. Prints the median time from lid close to the lock
//! shown on every output.

mod shell_support;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command};

use canopy_tests::fixture::{bin_path, rgb, Compositor, TIMEOUT};
use canopy_tests::image::Image;
use canopy_tests::simhost;
use serde_json::{json, Value};
use shell_support::lock::{covered, test_account, PASSWORD, SERVICE, USER};
use shell_support::theme;

const OUTPUTS: [&str; 2] = ["HEADLESS-1:1280x800@1", "HEADLESS-2:1024x768@1"];
const NAMES: [&str; 2] = ["HEADLESS-1", "HEADLESS-2"];

struct Laptop {
    compositor: Compositor,
    dir: tempfile::TempDir,
    hostd: Child,
}

impl Drop for Laptop {
    fn drop(&mut self) {
        let _ = self.hostd.kill();
        let _ = self.hostd.wait();
        if std::thread::panicking() {
            eprintln!("--- hostd log ---\n{}", std::fs::read_to_string(self.path("hostd.log")).unwrap_or_default());
        }
    }
}

impl Laptop {
    /// The compositor (lock program `lock`, the lock's bound 500 ms) and hostd, whose suspend
    /// command screenshots every output into `suspends/N-OUTPUT.png`.
    fn start(lock: &[String]) -> Laptop {
        Self::start_with(lock, "")
    }

    /// As [`Self::start`], with more config after the `[power]` table (`[power.ac]`).
    fn start_with(lock: &[String], more: &str) -> Laptop {
        let dir = tempfile::Builder::new().prefix("canopy-power-").tempdir().unwrap();
        let d = dir.path();
        let config = format!(
            "lock_command = {lock:?}\nidle_lock_seconds = 0\n[power]\nhostd = \"unix:{}/hostd.sock\"\nlock_timeout_ms = 500\n{more}",
            d.display()
        );
        let compositor = Compositor::start_with(&config, &OUTPUTS);
        std::fs::create_dir_all(d.join("suspends")).unwrap();
        let shots: String = NAMES
            .iter()
            .map(|o| {
                format!("\"$msg\" msg screenshot --output {o} \"{}/suspends/$n-{o}.png\" >/dev/null\n", d.display())
            })
            .collect();
        std::fs::write(
            d.join("suspend.sh"),
            format!(
                "set -e\nmsg={msg}\nexport CANOPY_SOCKET={ipc}\nn=$(cat {d}/power.log 2>/dev/null | wc -l)\n{shots}echo suspend >> {d}/power.log\n",
                msg = bin_path("canopy").display(),
                ipc = compositor.ipc_socket().display(),
                d = d.display(),
            ),
        )
        .unwrap();
        simhost::prepare(d, &[]);
        std::fs::write(
            d.join("hostd.toml"),
            format!("audit_log = \"{}/audit.jsonl\"\n", d.display())
                + &simhost::hostd_config_head(d)
                + &format!(
                    "[power]\nsuspend = [\"/bin/sh\", \"{d}/suspend.sh\"]\nlock_wait_secs = 10\n[vms]\n",
                    d = d.display()
                ),
        )
        .unwrap();
        let hostd = simhost::spawn_hostd(d);
        let laptop = Laptop { compositor, dir, hostd };
        laptop.compositor.wait_until("the compositor to watch hostd", || laptop.state()["hostd_watching"] == true);
        laptop
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn power(&self, cmd: Value) -> Value {
        let mut request = json!({"command": "power"});
        request.as_object_mut().unwrap().extend(cmd.as_object().unwrap().clone());
        let mut s = UnixStream::connect(self.compositor.ipc_socket()).unwrap();
        s.set_read_timeout(Some(TIMEOUT)).unwrap();
        writeln!(s, "{request}").unwrap();
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).unwrap();
        let reply: Value = serde_json::from_str(&line).unwrap();
        assert!(reply.get("error").is_none(), "{request}: {reply}");
        reply["ok"].clone()
    }

    fn state(&self) -> Value {
        self.power(json!({"power": "state"}))
    }

    fn suspends(&self) -> usize {
        std::fs::read_to_string(self.path("power.log")).unwrap_or_default().lines().count()
    }

    /// What each output showed when hostd's suspend number `n` ran.
    fn at_suspend(&self, n: usize) -> Vec<Image> {
        NAMES.iter().map(|o| Image::load(&self.path(&format!("suspends/{n}-{o}.png"))).unwrap()).collect()
    }

    /// hostd's audit lines of request type `kind`.
    fn audit(&self, kind: &str) -> Vec<Value> {
        std::fs::read_to_string(self.path("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["request"]["type"] == kind)
            .collect()
    }

    /// Type the password into canopy-lock and wait for the desktop.
    fn unlock(&self) {
        self.compositor.msg(&["type", PASSWORD]);
        self.compositor.msg(&["key", "Return"]);
        self.compositor.wait_until("the unlock", || self.state()["locked"] == false);
    }

    /// Suspend `n` (0-based) ran, with the lock program's screen on both outputs.
    fn check_suspend_showed_the_lock(&self, n: usize) {
        self.compositor.wait_until("hostd's suspend", || self.suspends() > n);
        for (img, o) in self.at_suspend(n).iter().zip(NAMES) {
            assert!(covered(img), "suspend {n}: {o} did not show the lock screen");
        }
    }
}

fn lock_program() -> Vec<String> {
    test_account();
    [
        bin_path("canopy-lock").display().to_string(),
        "--pam-service".into(),
        SERVICE.into(),
        "--user".into(),
        USER.into(),
    ]
    .to_vec()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn every_suspend_waits_for_the_lock_on_every_output() {
    let mut l = Laptop::start(&lock_program());
    let _w = l.compositor.spawn("canopy-test-client", &["--title", "secret work"]);
    let c = &l.compositor;
    c.wait_until("the window", || c.windows().len() == 1);

    // The lid, five times: close → lock on both outputs → only then hostd suspends.
    let mut lock_ms = Vec::new();
    for n in 0..5 {
        l.power(json!({"power": "lid-close"}));
        l.check_suspend_showed_the_lock(n);
        let st = l.state();
        lock_ms.push(st["last_lock_ms"].as_f64().unwrap());
        // hostd's audit line for the suspend is written once the command returned (after the
        // script wrote power.log), and after the compositor saw the lock drawn everywhere.
        c.wait_until("hostd's audit line", || l.audit("suspend").len() > n);
        let audited = l.audit("suspend");
        assert_eq!(audited.len(), n + 1);
        assert!(audited[n]["time"].as_f64().unwrap() >= st["locked_everywhere_at"].as_f64().unwrap());
        c.wait_until("the wake hostd reported", || l.state()["wakes"].as_u64().unwrap() > 2 * n as u64);
        l.power(json!({"power": "lid-open"}));
        assert!(covered(&c.screenshot_of(Some("HEADLESS-2"))), "the lid opens onto the lock screen");
        l.unlock();
    }
    println!(
        "lid close → lock shown on every output (2 outputs, headless, median of 5): {:.1} ms",
        median(&mut lock_ms)
    );

    // The power menu's Suspend: the compositor locks first, then asks hostd.
    let mut menu = Command::new(bin_path("canopy-power-menu"));
    menu.args(["--output", "HEADLESS-1"]);
    c.client_env(&mut menu);
    let mut menu = menu.spawn().unwrap();
    let bg = rgb(theme().desktop.background);
    c.wait_until("the power menu", || c.screenshot().pixel(5, 795) != bg);
    c.msg(&["pointer-move", "532", "400"]);
    c.msg(&["click"]);
    l.check_suspend_showed_the_lock(5);
    let _ = menu.wait();
    l.unlock();

    // The host's own suspend: announced, the compositor locks and confirms, hostd suspends.
    let ctl = Command::new(bin_path("canopy-ctl"))
        .args(["--connect", &format!("unix:{}", l.path("hostd.sock").display()), "host-suspend"])
        .output()
        .unwrap();
    assert!(ctl.status.success(), "{}", String::from_utf8_lossy(&ctl.stderr));
    l.check_suspend_showed_the_lock(6);
    c.wait_until("hostd's audit lines", || !l.audit("locked").is_empty() && !l.audit("host_suspend").is_empty());
    let confirmed = l.audit("locked");
    assert_eq!(confirmed.len(), 1, "the compositor confirmed once");
    let stage = l.audit("host_suspend");
    assert_eq!(stage[0]["ok"], true, "hostd had the confirmation before it suspended: {stage:?}");
    l.unlock();

    // The power key (XF86PowerOff, bound by default; [power] power_key = "suspend"): the same.
    c.msg(&["key", "XF86PowerOff"]);
    l.check_suspend_showed_the_lock(7);
    c.wait_until("hostd's audit line", || l.audit("suspend").len() == 7);
    let audited = l.audit("suspend");
    assert!(audited[6]["time"].as_f64().unwrap() >= l.state()["locked_everywhere_at"].as_f64().unwrap());
    l.unlock();
    // The suspend key (XF86Sleep), which canopy takes from logind: the same.
    c.msg(&["key", "XF86Sleep"]);
    l.check_suspend_showed_the_lock(8);
    c.wait_until("hostd's audit line", || l.audit("suspend").len() == 8);
    assert!(l.audit("suspend")[7]["time"].as_f64().unwrap() >= l.state()["locked_everywhere_at"].as_f64().unwrap());
    l.unlock();

    // The lid flapping 100 times as fast as the control socket goes: every suspend that ran
    // found the lock on both outputs.
    let before = l.suspends();
    let asked_before = l.state()["requests_sent"].as_u64().unwrap() as usize;
    for _ in 0..100 {
        l.power(json!({"power": "lid-close"}));
        l.power(json!({"power": "lid-open"}));
    }
    c.wait_until("every suspend asked for to have run", || {
        let st = l.state();
        st["suspend_in_flight"] == false
            && l.suspends() - before == st["requests_sent"].as_u64().unwrap() as usize - asked_before
    });
    for n in before..l.suspends() {
        l.check_suspend_showed_the_lock(n);
    }
    assert_eq!(l.state()["locked"], true, "the lid ended open on the lock screen");
    println!(
        "lid cycles with no unlocked sleep: 105 (5 slow ones each suspending, 100 flaps of which {} suspended), every suspend finding the lock on both outputs",
        l.suspends() - before
    );
}

/// Whether an output shows only the compositor's own lock-out (opaque black).
fn blacked_out(img: &Image) -> bool {
    [(5, 5), (img.width - 5, 5), (img.width / 2, img.height / 2), (img.width - 5, img.height - 5)]
        .iter()
        .all(|&(x, y)| img.pixel(x, y) == [0, 0, 0])
}

/// The idle chain's suspend (after 1 s without input; the screen went off at 0.3 s) with a lock
/// program that never locks: the screen comes on for the lock, after the bound the compositor's
/// lock-out covers both outputs, and the suspend waits for that. Then the power key's suspend,
/// still under the lock-out.
#[test]
fn an_idle_suspend_with_the_screen_off_and_a_lock_program_that_never_locks_waits_for_the_lockout() {
    // A lock program that never locks, and ends with the compositor (no process left behind).
    let never = "while kill -0 $PPID 2>/dev/null; do sleep 0.2; done";
    let more = "[power.ac]\nscreen_off_seconds = 0.3\nsuspend_seconds = 1\n";
    let mut l = Laptop::start_with(&["/bin/sh".into(), "-c".into(), never.into()], more);
    let _w = l.compositor.spawn("canopy-test-client", &["--title", "secret work"]);
    let c = &l.compositor;
    c.wait_until("the window", || c.windows().len() == 1);
    l.compositor.wait_until("hostd's suspend", || l.suspends() >= 1);
    for (img, o) in l.at_suspend(0).iter().zip(NAMES) {
        assert!(blacked_out(img), "{o} was not covered when hostd suspended");
    }
    let st = l.state();
    assert_eq!(st["locked_out"], true);
    assert!(st["last_lock_ms"].as_f64().unwrap() >= 500.0, "it waited for the bound: {st}");
    assert!(c.log().contains("the lock program did not lock in time"));
    // The chain asked (its state starts again once hostd's resume wakes the outputs).
    assert!(c.log().contains("idle: suspending (locking first)"));
    assert!(c.log().contains("a suspend waits for the lock to be drawn: the screen comes on"));
    let n = l.suspends();
    l.power(json!({"power": "suspend", "from": "power-key"}));
    l.compositor.wait_until("the power key's suspend", || l.suspends() > n);
    for (img, o) in l.at_suspend(n).iter().zip(NAMES) {
        assert!(blacked_out(img), "{o} was not covered when hostd suspended again");
    }
}

/// A lock program that crashes at once (`false`): covered at once, then the suspend; hostd
/// unreachable afterwards: the screen stays locked and the state says why.
#[test]
fn a_crashing_lock_program_is_covered_at_once_and_hostd_gone_leaves_it_locked() {
    let mut l = Laptop::start(&["/bin/false".into()]);
    let _w = l.compositor.spawn("canopy-test-client", &["--title", "secret work"]);
    l.compositor.wait_until("the window", || l.compositor.windows().len() == 1);
    l.power(json!({"power": "lid-close"}));
    l.compositor.wait_until("hostd's suspend", || l.suspends() == 1);
    for (img, o) in l.at_suspend(0).iter().zip(NAMES) {
        assert!(blacked_out(img), "{o} was not covered when hostd suspended");
    }
    assert!(l.state()["last_lock_ms"].as_f64().unwrap() < 500.0, "covered without waiting for the bound");
    let _ = l.hostd.kill();
    let _ = l.hostd.wait();
    l.power(json!({"power": "lid-open"}));
    l.power(json!({"power": "suspend"}));
    l.compositor.wait_until("the failed request", || !l.state()["last_error"].is_null());
    let st = l.state();
    assert_eq!(st["locked"], true);
    assert!(st["last_error"].as_str().unwrap().contains("connect"), "{st}");
    for o in NAMES {
        assert!(blacked_out(&l.compositor.screenshot_of(Some(o))), "{o} left the lock-out");
    }
}
