//! The Wayland Conformance Test Suite (wlcs) against canopy. Debian's runner loads the
//! integration module `libcanopy_wlcs.so` (compositor/wlcs), which runs the real compositor on
//! the headless backend for every test. The suites run are listed in compositor/wlcs/suites.txt;
//! the tests left out, each with its reason, in compositor/wlcs/excluded.txt. Any failure of a
//! test that runs fails this test, which prints the runner's tally and keeps its whole output
//! in target/debug/wlcs.log.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

const RUNNER: &str = "/usr/lib/x86_64-linux-gnu/wlcs/wlcs";
/// Far more than a run takes (about 3 minutes on 2 cores); only a hung compositor gets here.
const DEADLINE: Duration = Duration::from_secs(20 * 60);

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// The patterns of a list file: one per line, `#` starts a comment.
fn patterns(name: &str) -> Vec<String> {
    let path = workspace().join("compositor/wlcs").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn newest_source(dir: &Path) -> SystemTime {
    let mut newest = SystemTime::UNIX_EPOCH;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let time = if path.is_dir() {
            newest_source(&path)
        } else {
            entry.metadata().and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH)
        };
        newest = newest.max(time);
    }
    newest
}

/// The module next to the workspace's binaries; refuse one older than the compositor's sources,
/// which would test yesterday's canopy.
fn module() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let so = dir.join("libcanopy_wlcs.so");
    let build = "run `cargo build -p canopy-wlcs` (./test.sh builds it)";
    let built = std::fs::metadata(&so)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| panic!("{} is not built; {build}", so.display()));
    // The sources cargo built it from (its dep-info), so a test-only file changed since does not
    // count; without dep-info, every compositor source.
    let newest = match std::fs::read_to_string(dir.join("libcanopy_wlcs.d")) {
        Ok(depinfo) => depinfo
            .split_once(':')
            .map(|(_, deps)| deps.split_whitespace().map(Path::new).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
            .max()
            .unwrap_or(SystemTime::UNIX_EPOCH),
        Err(_) => [workspace().join("compositor/src"), workspace().join("compositor/wlcs/src")]
            .iter()
            .map(|d| newest_source(d))
            .max()
            .unwrap_or(SystemTime::UNIX_EPOCH),
    };
    assert!(built >= newest, "{} is older than canopy's sources; {build}", so.display());
    so
}

#[derive(Debug, Default)]
struct Tally {
    passed: usize,
    failed: usize,
    skipped: usize,
    failures: Vec<String>,
}

/// The runner's summary: `[  PASSED  ] 10 tests`, `[  SKIPPED ] 4 tests skipped:`, and one
/// `[  FAILED  ] name` line per failure after `[  FAILED  ] 2 tests failed:` (printed twice).
fn tally(output: &str) -> Tally {
    let count = |rest: &str| rest.split_whitespace().next().and_then(|n| n.parse().ok());
    let mut t = Tally::default();
    let mut in_failures = false;
    for line in output.lines() {
        if let Some(rest) = line.strip_prefix("[  PASSED  ] ") {
            t.passed = count(rest).unwrap_or(0);
        } else if let Some(rest) = line.strip_prefix("[  SKIPPED ] ") {
            if let Some(n) = count(rest) {
                t.skipped = n;
            }
        } else if let Some(rest) = line.strip_prefix("[  FAILED  ] ") {
            match count(rest) {
                Some(n) if rest.contains("test") && !rest.contains('.') => {
                    t.failed = n;
                    in_failures = true;
                }
                _ if in_failures && !t.failures.iter().any(|f| f == rest) => t.failures.push(rest.to_string()),
                _ => {}
            }
        }
    }
    t
}

#[test]
fn wlcs_conformance() {
    assert!(Path::new(RUNNER).exists(), "{RUNNER} is missing: install Debian's `wlcs` (scripts/deps.sh)");
    let so = module();
    let filter = format!("{}-{}", patterns("suites.txt").join(":"), patterns("excluded.txt").join(":"));
    let runtime = tempfile::Builder::new().prefix("canopy-wlcs-").tempdir().expect("runtime dir");
    let log_path = so.with_file_name("wlcs.log");

    let started = Instant::now();
    let mut child = Command::new(RUNNER)
        .arg(&so)
        .arg(format!("--gtest_filter={filter}"))
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WAYLAND_SOCKET")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the wlcs runner");
    // Both streams into one log, in the order they come; stderr carries canopy's warnings.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let tx2 = tx.clone();
    let readers = [
        std::thread::spawn(move || BufReader::new(stdout).lines().map_while(Result::ok).for_each(|l| drop(tx.send(l)))),
        std::thread::spawn(move || {
            BufReader::new(stderr).lines().map_while(Result::ok).for_each(|l| drop(tx2.send(l)))
        }),
    ];
    let mut output = String::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(line) => {
                output.push_str(&line);
                output.push('\n');
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
        }
    }
    for r in readers {
        let _ = r.join();
    }
    let status = child.wait().expect("waiting for the runner");
    let elapsed = started.elapsed();
    std::fs::write(&log_path, &output).expect("writing wlcs.log");

    let t = tally(&output);
    println!(
        "wlcs: {} passed, {} failed, {} skipped in {:.0} s (log: {})",
        t.passed,
        t.failed,
        t.skipped,
        elapsed.as_secs_f64(),
        log_path.display()
    );
    assert!(elapsed <= DEADLINE, "the wlcs run took longer than {DEADLINE:?}; see {}", log_path.display());
    assert!(
        t.failed == 0 && status.success() && t.passed > 0,
        "wlcs failures (runner {status}):\n  {}\nsee {}",
        t.failures.join("\n  "),
        log_path.display()
    );
}

#[test]
fn tally_reads_gtest_summaries() {
    let out = "[  FAILED  ] XdgPopupTest.grab/0, where GetParam() = x (120 ms)\n\
               [==========] 4 tests from 2 test cases run. (10ms total elapsed)\n\
               [  PASSED  ] 2 tests\n\
               [  SKIPPED ] 1 tests skipped:\n\
               [  SKIPPED ] SelfTest.xfail\n\
               [  FAILED  ] 1 tests failed:\n\
               [  FAILED  ] XdgPopupTest.grab/0, where GetParam() = x\n\
               [  FAILED  ] 1 tests failed:\n\
               [  FAILED  ] XdgPopupTest.grab/0, where GetParam() = x\n";
    let t = tally(out);
    assert_eq!((t.passed, t.failed, t.skipped), (2, 1, 1));
    assert_eq!(t.failures, vec!["XdgPopupTest.grab/0, where GetParam() = x".to_string()]);
}
