//! Starting programs from keybindings and autostart, with the session's environment.

use std::path::Path;
use std::process::{Command, Stdio};

/// Run `argv` (no shell) with WAYLAND_DISPLAY and CANOPY_SOCKET set; reaped on a thread.
pub fn spawn(argv: &[String], wayland_display: &str, ipc: &Path) {
    let Some((prog, args)) = argv.split_first() else { return };
    let mut cmd = Command::new(prog);
    cmd.args(args)
        .env("WAYLAND_DISPLAY", wayland_display)
        .env("CANOPY_SOCKET", ipc)
        .env_remove("DISPLAY")
        .stdin(Stdio::null());
    match cmd.spawn() {
        Ok(mut child) => {
            tracing::info!(program = prog, pid = child.id(), "spawned");
            let prog = prog.clone();
            std::thread::spawn(move || {
                if let Ok(status) = child.wait() {
                    if !status.success() {
                        tracing::info!(program = prog, %status, "exited");
                    }
                }
            });
        }
        Err(e) => tracing::warn!(program = prog, "cannot start: {e}"),
    }
}
