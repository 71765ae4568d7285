//! Configured commands (backend start/stop/status, power actions): argv arrays with `{name}`
//! placeholders, run without a shell, with a time limit.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use canopy_protocols::lifecycle::ExitStatus;
use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::process::{Pid, PidfdFlags, Signal};

/// The `{name}` placeholders in `arg`, in order.
fn placeholders(arg: &str) -> impl Iterator<Item = (std::ops::Range<usize>, &str)> {
    let mut rest = 0;
    std::iter::from_fn(move || loop {
        let open = rest + arg[rest..].find('{')?;
        let close = open + arg[open..].find('}')?;
        let name = &arg[open + 1..close];
        rest = open + 1;
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            rest = close + 1;
            return Some((open..close + 1, name));
        }
    })
}

/// The first placeholder in `argv` that is not one of `known`.
pub fn unknown_placeholder(argv: &[String], known: &[&str]) -> Option<String> {
    argv.iter().flat_map(|a| placeholders(a)).find(|(_, n)| !known.contains(n)).map(|(_, n)| format!("{{{n}}}"))
}

/// `argv` with each `{name}` replaced by its value.
pub fn expand(argv: &[String], vars: &[(&str, &str)]) -> Vec<String> {
    argv.iter()
        .map(|arg| {
            let mut out = String::new();
            let mut last = 0;
            for (range, name) in placeholders(arg) {
                if let Some((_, value)) = vars.iter().find(|(n, _)| *n == name) {
                    out.push_str(&arg[last..range.start]);
                    out.push_str(value);
                    last = range.end;
                }
            }
            out.push_str(&arg[last..]);
            out
        })
        .collect()
}

/// Run a command to completion, at most `timeout` (then its process group is killed). Its output
/// goes to our stderr, which is the daemon's log.
pub fn run(argv: &[String], env: &[(&str, &str)], timeout: Duration) -> Result<ExitStatus, String> {
    let (program, args) = argv.split_first().ok_or("empty command")?;
    let shown = argv.join(" ");
    let mut child = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(stderr_copy()?)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    let pid = Pid::from_child(&child);
    let finished = wait_timeout(pid, timeout).map_err(|e| format!("waiting for `{shown}`: {e}"))?;
    if !finished {
        let _ = rustix::process::kill_process_group(pid, Signal::KILL);
        let _ = child.wait();
        return Err(format!("`{shown}` did not finish within {:.1} s and was killed", timeout.as_secs_f64()));
    }
    let status = child.wait().map_err(|e| format!("waiting for `{shown}`: {e}"))?;
    Ok(status.into())
}

/// Like [`run`], but any exit other than 0 is an error.
pub fn run_ok(argv: &[String], env: &[(&str, &str)], timeout: Duration) -> Result<(), String> {
    match run(argv, env, timeout)? {
        s if s.success() => Ok(()),
        s => Err(format!("`{}` {s}", argv.join(" "))),
    }
}

/// Whether the process ended within `timeout` (it is not reaped).
fn wait_timeout(pid: Pid, timeout: Duration) -> std::io::Result<bool> {
    let pidfd = rustix::process::pidfd_open(pid, PidfdFlags::empty())?;
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let ts = Timespec { tv_sec: left.as_secs() as _, tv_nsec: left.subsec_nanos() as _ };
        let mut fds = [PollFd::new(&pidfd, PollFlags::IN)];
        match poll(&mut fds, Some(&ts)) {
            Ok(0) if left.is_zero() => return Ok(false),
            Ok(0) => {}
            Ok(_) => return Ok(true),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

fn stderr_copy() -> Result<Stdio, String> {
    use std::os::fd::AsFd;
    let fd = std::io::stderr().as_fd().try_clone_to_owned().map_err(|e| format!("cannot duplicate stderr: {e}"))?;
    Ok(Stdio::from(fd))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn placeholders_expand_and_unknown_ones_are_found() {
        let argv = v(&["systemctl", "start", "microvm@{vm}.service", "{x", "{}", "a{cid}b{vm}"]);
        assert_eq!(
            expand(&argv, &[("vm", "web"), ("cid", "5")]),
            v(&["systemctl", "start", "microvm@web.service", "{x", "{}", "a5bweb"])
        );
        assert_eq!(unknown_placeholder(&argv, &["vm", "cid"]), None);
        assert_eq!(unknown_placeholder(&argv, &["vm"]), Some("{cid}".into()));
        assert_eq!(unknown_placeholder(&v(&["{{vm}"]), &["vm"]), None);
    }

    #[test]
    fn runs_commands_with_status_and_env() {
        let t = Duration::from_secs(10);
        assert_eq!(run(&v(&["true"]), &[], t), Ok(ExitStatus::Code(0)));
        assert_eq!(run(&v(&["sh", "-c", "exit 3"]), &[], t), Ok(ExitStatus::Code(3)));
        assert_eq!(run_ok(&v(&["sh", "-c", "test \"$X\" = y"]), &[("X", "y")], t), Ok(()));
        let e = run_ok(&v(&["false"]), &[], t).unwrap_err();
        assert_eq!(e, "`false` exited with status 1");
        let e = run(&v(&["/nonexistent/cmd"]), &[], t).unwrap_err();
        assert!(e.starts_with("cannot run `/nonexistent/cmd`"), "{e}");
    }

    #[test]
    fn a_hanging_command_is_killed_with_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let script = format!("sleep 1000 & echo $! > {}; wait", pidfile.display());
        let e = run(&v(&["sh", "-c", &script]), &[], Duration::from_millis(300)).unwrap_err();
        assert!(e.contains("did not finish within 0.3 s and was killed"), "{e}");
        let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
        // The grandchild got SIGKILL with its group: it ends (or has ended) within moments.
        let pid = Pid::from_raw(pid).unwrap();
        if let Ok(fd) = rustix::process::pidfd_open(pid, PidfdFlags::empty()) {
            let mut fds = [PollFd::new(&fd, PollFlags::IN)];
            let ts = Timespec { tv_sec: 10, tv_nsec: 0 };
            assert_eq!(poll(&mut fds, Some(&ts)).unwrap(), 1, "sleep {pid:?} survived");
        }
    }
}
