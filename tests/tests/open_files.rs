//! Files and links across VMs without the screen (issue 20): `canopy-send` and `canopy-open` in
//! a simulated VM go through its real `canopy-agent` to the real `canopy-hostd`, whose policy
//! sends them on; files land byte-identical in the target VM's `~/Incoming/<source-vm>/` and
//! open in its app. Bad input from the VM's programs gets clear errors; a compromised VM
//! (`canopy-hostile-agent`) gets its bad names made safe, its oversized and broken transfers
//! refused without a trace in the target, and its floods dropped, while hostd keeps serving
//! the other VMs.

mod open_support;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::Output;
use std::time::{Duration, Instant};

use open_support::{text, OpenHost, Watch, MAX_FILE, RULES};
use serde_json::Value;

/// canopy-open's and canopy-send's exit codes (see their `--help`).
const DENIED: i32 = 4;
const TOO_LARGE: i32 = 6;
const BAD_REQUEST: i32 = 11;

fn run(host: &OpenHost, vm: &str, program: &str, args: &[&str]) -> Output {
    host.in_vm(vm, &canopy_tests::bin_path(program).display().to_string()).args(args).output().unwrap()
}

/// Bytes that differ from one position to the next, so a misplaced chunk shows.
fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[test]
fn sent_and_opened_files_land_whole_in_the_targets_incoming_folder() {
    let host = OpenHost::start(20.0, RULES, "");
    host.start_vm("docs");
    let data = pattern(5 << 20, 1);
    std::fs::write(host.home("docs").join("data.bin"), &data).unwrap();

    // The web VM is stopped: the send starts it through the usual start path.
    let out = run(&host, "docs", "canopy-send", &["data.bin"]);
    assert!(out.status.success(), "{}{}", text(&out.stderr), host.logs());
    assert_eq!(text(&out.stdout), "sent to web: data.bin\n");
    let landed = host.home("web").join("Incoming/docs/data.bin");
    assert!(std::fs::read(&landed).unwrap() == data, "the file arrived changed");
    let mode = std::fs::metadata(&landed).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "owner's only, never executable");
    assert_eq!(host.read("vms/web/starts.log").lines().count(), 1);

    // The same name again is numbered; nothing is overwritten.
    let out = run(&host, "docs", "canopy-send", &["data.bin"]);
    assert_eq!(text(&out.stdout), "sent to web: data (1).bin\n", "{}", text(&out.stderr));
    assert!(std::fs::read(&landed).unwrap() == data);

    // Opening a PDF carries it over and opens it in the web VM's viewer.
    let pdf = pattern(300_000, 2);
    std::fs::write(host.home("docs").join("report.pdf"), &pdf).unwrap();
    let out = run(&host, "docs", "canopy-open", &["report.pdf"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "opened in web (kept as report.pdf)\n");
    let opened = host.recorded("web", "viewer", 1);
    let path = host.home("web").join("Incoming/docs/report.pdf");
    assert_eq!(opened, [path.display().to_string()]);
    assert!(std::fs::read(&path).unwrap() == pdf);

    // One audit line per request: who, what, to where, result, bytes.
    let audit = host.audit_of("docs", 3);
    let sends: Vec<&Value> = audit.iter().filter(|l| l["request"]["type"] == "send").collect();
    assert_eq!(sends.len(), 2, "{audit:#?}");
    assert_eq!(sends[0]["to"], "web");
    assert_eq!(sends[0]["ok"], true);
    assert_eq!(sends[0]["bytes"], 5 << 20);
    assert_eq!(sends[0]["request"]["files"][0], serde_json::json!({"name": "data.bin", "size": 5 << 20}));
    let open = audit.iter().find(|l| l["request"]["type"] == "open_file").unwrap();
    assert_eq!((open["result"].as_str(), open["bytes"].as_u64()), (Some("opened in web as report.pdf"), Some(300_000)));

    // The GUI VM sends with canopy-ctl, naming the VM itself.
    let mine = host.path("from-gui.txt");
    std::fs::write(&mine, "from the trusted VM\n").unwrap();
    let out = host.ctl(&["send", "--to", "web", mine.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("sent {} to web as from-gui.txt\n", mine.display()));
    assert_eq!(host.read("vms/web/home/Incoming/gui/from-gui.txt"), "from the trusted VM\n");
    // …but never to itself.
    let out = host.ctl(&["send", "--to", "gui", mine.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(5), "not allowed: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("may go to docs, evil, mail, web only"), "{}", text(&out.stderr));

    // Without --to, the user picks the VM (here as the chooser would answer, by canopy-ctl).
    let watch = Watch::open(&host);
    let ctl = std::process::Command::new(canopy_tests::bin_path("canopy-ctl"))
        .args(["send", mine.to_str().unwrap()])
        .env("CANOPY_HOSTD", host.hostd_address())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let question = watch.nth_choose(1);
    assert!(question.ends_with(" gui send from-gui.txt to docs,evil,mail,web"), "{question}");
    let id = question.split_whitespace().nth(1).unwrap();
    assert!(host.ctl(&["choose", id, "mail"]).status.success());
    let out = ctl.wait_with_output().unwrap();
    assert_eq!(
        text(&out.stdout),
        format!("sent {} to mail as from-gui.txt\n", mine.display()),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(host.read("vms/mail/home/Incoming/gui/from-gui.txt"), "from the trusted VM\n");
}

#[test]
fn bad_input_from_a_vms_programs_gets_clear_errors_and_writes_nothing() {
    let host = OpenHost::start(20.0, RULES, "");
    host.start_vm("docs");
    let cases: [(String, i32, &str); 4] = [
        ("https://example.org/\u{1b}[2J".into(), BAD_REQUEST, "contains control characters"),
        ("https://example.org/\u{202e}gpj.exe".into(), BAD_REQUEST, "direction-changing character (U+202E)"),
        (format!("https://example.org/{}", "a".repeat(100 * 1024)), BAD_REQUEST, "URL is longer than 4096 bytes"),
        ("mailto:boss@example.org".into(), DENIED, "denied: mail links stay in their VM"),
    ];
    for (url, code, why) in &cases {
        let out = run(&host, "docs", "canopy-open", &[url]);
        assert_eq!(out.status.code(), Some(*code), "{url:.60}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(why), "{url:.60}: {}", text(&out.stderr));
    }

    // A 50 GiB file (sparse: nothing is written) is refused before a byte moves.
    let huge = host.home("docs").join("disk.img");
    std::fs::File::create(&huge).unwrap().set_len(50 << 30).unwrap();
    let out = run(&host, "docs", "canopy-send", &["disk.img"]);
    assert_eq!(out.status.code(), Some(TOO_LARGE), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), format!("canopy-send: too large: 53687091200 bytes, the most is {MAX_FILE}\n"));
    let line = host.audit_of("docs", 1).into_iter().find(|l| l["request"]["type"] == "send").unwrap();
    assert_eq!((line["ok"].as_bool(), line["bytes"].as_u64()), (Some(false), Some(0)));

    // A name with a newline and leading dots lands plain and visible.
    std::fs::write(host.home("docs").join("..hidden\nname.txt"), "x").unwrap();
    let out = run(&host, "docs", "canopy-send", &["..hidden\nname.txt"]);
    assert_eq!(text(&out.stdout), "sent to web: hidden name.txt\n", "{}", text(&out.stderr));
    // Nothing went anywhere but the docs VM's folder of the web VM's Incoming.
    assert_eq!(host.files_in_home("web"), ["Incoming/docs/hidden name.txt"]);
}

/// The answers hostd gave the hostile agent, by request id.
fn answers(host: &OpenHost) -> std::collections::BTreeMap<u64, Value> {
    host.read("vms/evil/agent.log")
        .lines()
        .filter_map(|l| l.strip_prefix("answer "))
        .filter_map(|l| l.split_once(": "))
        .map(|(id, json)| (id.parse().unwrap(), serde_json::from_str(json).unwrap()))
        .collect()
}

#[test]
fn a_hostile_vm_gets_safe_names_bounded_transfers_and_dropped_floods() {
    let long = format!("{}.pdf", "n".repeat(10_000));
    let evil = format!(
        r#"
[[ask]]
name = "../../.bashrc"
size = 1000
intent = "send"
[[ask]]
name = "a\u0000b\nc.txt"
size = 10
intent = "send"
[[ask]]
name = "{long}"
size = 10
intent = "send"
[[ask]]
name = "CON"
size = 10
intent = "send"
[[ask]]
name = "huge.iso"
size = 53687091200
intent = "send"
[[ask]]
name = "cut.bin"
size = 4194304
send = 1048576
intent = "send"
[[ask]]
url = "https://evil.example/\u202egpj.exe"
[[ask]]
url = "https://a.example/"
repeat = 1000
per_second = 1000
"#
    );
    let host = OpenHost::start(20.0, RULES, &evil);
    host.start_vm("web");
    let t0 = Instant::now();
    host.start_vm("evil");
    // While the flood comes in, the other VMs are served.
    host.start_vm("docs");
    std::fs::write(host.home("docs").join("during.txt"), "meanwhile").unwrap();
    let out = run(&host, "docs", "canopy-send", &["during.txt"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(host.ctl(&["list"]).status.success());
    eprintln!("docs was served {:.2} s after the flood began", t0.elapsed().as_secs_f64());

    host.wait_until("the flood to end", || host.read("vms/evil/agent.log").contains("asked 1000 time(s)"));
    host.wait_until("answers to the first seven", || (1..=7).all(|i| answers(&host).contains_key(&i)));
    let a = answers(&host);
    let kept = |i: u64| a[&i]["done"]["files"][0].as_str().unwrap_or_default().to_string();
    assert_eq!(kept(1), "bashrc");
    assert_eq!(kept(2), "ab c.txt");
    assert_eq!(kept(3), format!("{}.pdf", "n".repeat(251)));
    assert_eq!(kept(4), "_CON");
    assert_eq!(a[&5]["failed"], serde_json::json!({"kind": "too_large", "size": 53687091200u64, "limit": MAX_FILE}));
    assert_eq!(a[&6]["failed"]["kind"], "transfer_failed", "{}", a[&6]);
    assert!(a[&6]["failed"]["reason"].as_str().unwrap().contains("after 1048576 of 4194304 bytes"), "{}", a[&6]);
    assert_eq!(a[&7]["failed"]["kind"], "bad_request", "{}", a[&7]);
    // The bytes as the hostile agent makes them (i % 251), all of them.
    let first = std::fs::read(host.home("web").join("Incoming/evil/bashrc")).unwrap();
    assert_eq!(first, (0..1000u32).map(|i| (i % 251) as u8).collect::<Vec<_>>());

    // The flood: hostd drops what is over its limit, says so, and stays well.
    host.wait_until("the drops logged", || host.read("hostd.log").contains("VM evil: dropped"));
    let flood_answered = a.keys().filter(|i| **i > 7).count();
    assert!(flood_answered < 100, "{flood_answered} of 1000 flood requests were served");
    // Nothing of the broken transfer stays, and nothing lands outside the VM's folders.
    let files = host.files_in_home("web");
    assert!(files.iter().all(|f| f.starts_with("Incoming/evil/") || f.starts_with("Incoming/docs/")), "{files:?}");
    assert!(!files.iter().any(|f| f.contains("cut") || f.contains("partial")), "{files:?}");
    assert_eq!(files.len(), 5, "{files:?}");
    assert!(host.read("hostd.log").contains("request(s) to open or send"));
}

/// One request on the docs VM's opener socket, as a program of that VM would make it: the
/// outcome's JSON.
fn ask_raw(socket: &std::path::Path, url: &str) -> Value {
    use canopy_protocols::lifecycle::open::OpenerRequest;
    use canopy_protocols::lifecycle::{encode, read_frame, Hello};
    let mut s = std::os::unix::net::UnixStream::connect(socket).unwrap();
    s.write_all(&encode(&Hello::new("flood")).unwrap()).unwrap();
    let _welcome: Value = read_frame(&mut s).unwrap();
    s.write_all(&encode(&OpenerRequest::OpenUrl { url: url.into() }).unwrap()).unwrap();
    read_frame(&mut s).unwrap()
}

#[test]
fn a_thousand_requests_a_second_from_a_vms_programs_are_mostly_refused_at_once() {
    let host = OpenHost::start(20.0, RULES, "");
    host.start_vm("docs");
    host.start_vm("mail");
    let watch = std::process::Command::new(canopy_tests::bin_path("canopy-ctl"))
        .arg("watch")
        .env("CANOPY_HOSTD", host.hostd_address())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let watch = WatchLines::new(watch);
    // The snapshot's first line: the watch is registered, so the question cannot pass it by.
    watch.wait_for("vm ");
    let socket = host.path("vms/docs/open.sock");
    let t0 = Instant::now();
    let outcomes: Vec<Value> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..20)
            .map(|t| {
                let socket = &socket;
                s.spawn(move || {
                    (0..50)
                        .map(|i| {
                            let due = t0 + Duration::from_micros((i * 20 + t) as u64 * 1000);
                            std::thread::sleep(due.saturating_duration_since(Instant::now()));
                            ask_raw(socket, &format!("https://example.org/{t}/{i}"))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        // Meanwhile another VM is served.
        std::fs::write(host.home("mail").join("note.txt"), "hello").unwrap();
        let out = run(&host, "mail", "canopy-send", &["note.txt"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        // The one request that got through waits for a choice: cancel it.
        let line = watch.wait_for("choose ");
        let id = line.split(' ').nth(1).unwrap().to_string();
        assert!(host.ctl(&["choose", &id, "--cancel"]).status.success());
        threads.into_iter().flat_map(|t| t.join().unwrap()).collect()
    });
    let took = t0.elapsed();
    let kinds = |k: &str| outcomes.iter().filter(|o| o["ok"]["failed"]["kind"] == k).count();
    eprintln!(
        "1000 requests in {:.2} s: {} busy, {} cancelled, {:?}",
        took.as_secs_f64(),
        kinds("busy"),
        kinds("cancelled"),
        outcomes.iter().filter(|o| o["ok"]["failed"]["kind"] != "busy").collect::<Vec<_>>()
    );
    assert_eq!(outcomes.len(), 1000);
    assert!(kinds("busy") >= 980, "{} busy", kinds("busy"));
    assert_eq!(kinds("cancelled"), 1);
    let busy = outcomes.iter().find(|o| o["ok"]["failed"]["kind"] == "busy").unwrap();
    assert!(busy["ok"]["failed"]["reason"].as_str().unwrap().contains("request"), "{busy}");
    assert_eq!(host.read("vms/web/home/Incoming/mail/note.txt"), "hello");
}

/// `canopy-ctl watch` lines, read as they come.
struct WatchLines {
    child: std::process::Child,
    rx: std::sync::mpsc::Receiver<String>,
}

impl WatchLines {
    fn new(mut child: std::process::Child) -> WatchLines {
        use std::io::BufRead;
        let out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        WatchLines { child, rx }
    }

    fn wait_for(&self, prefix: &str) -> String {
        let deadline = Instant::now() + canopy_tests::fixture::TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.rx.recv_timeout(left).unwrap_or_else(|_| panic!("no {prefix:?} line"));
            if line.starts_with(prefix) {
                return line;
            }
        }
    }
}

impl Drop for WatchLines {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
