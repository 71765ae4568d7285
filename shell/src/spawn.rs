//! Starting the other shell programs (launcher, power menu, lock, chooser) and `canopy msg`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// Where a program of ours is: next to the running binary when it is there (a build tree or
/// an install dir), otherwise found through PATH.
pub fn program_path(name: &str) -> PathBuf {
    if name.contains('/') {
        return PathBuf::from(name);
    }
    if let Some(sibling) = std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join(name))) {
        if sibling.is_file() {
            return sibling;
        }
    }
    PathBuf::from(name)
}

/// Starts `argv` in the background with extra environment; a thread reaps it when it ends.
pub fn spawn(argv: &[String], env: &[(&str, String)]) -> std::io::Result<u32> {
    let mut child = start(argv, env, None)?;
    let pid = child.id();
    std::thread::spawn(move || {
        if let Ok(status) = child.wait() {
            if !status.success() {
                tracing::warn!("pid {pid} ended: {status}");
            }
        }
    });
    Ok(pid)
}

/// Starts `argv` with extra environment and `input` (when given) on its stdin; the caller
/// holds the child (and reaps it).
pub fn start(argv: &[String], env: &[(&str, String)], input: Option<Vec<u8>>) -> std::io::Result<Child> {
    let (program, args) = argv.split_first().ok_or_else(|| std::io::Error::other("empty command"))?;
    let mut cmd = Command::new(program_path(program));
    cmd.args(args).stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() });
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().map_err(|e| std::io::Error::new(e.kind(), format!("cannot start {program}: {e}")))?;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        // Written from its own thread, so that a program slow to read never holds the caller up.
        std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(&input);
        });
    }
    tracing::info!("started {} (pid {})", argv.join(" "), child.id());
    Ok(child)
}
