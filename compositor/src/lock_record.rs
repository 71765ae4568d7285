//! A locked session stays locked through a compositor crash. While the session is locked a
//! record lies in the runtime dir (`$XDG_RUNTIME_DIR/canopy-<socket>.locked`), written before
//! the lock is confirmed and removed only when a lock client unlocks. A compositor that starts
//! and finds it starts locked: every output covered, no client with input, and the lock
//! program started, until a lock client locks and the user unlocks.
//!
//! Who can touch the record: processes of the desktop user in the GUI VM, which are trusted as
//! the compositor is (they could as well ptrace it); nothing in an app VM can, since VMs reach
//! the GUI VM only as Wayland clients through the proxy. An unreadable record counts as
//! locked: the failure mode is a lock screen, never an open desktop.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::state::State;

/// The record of the compositor serving Wayland socket `socket`.
pub fn path(socket: &str) -> PathBuf {
    path_in(&crate::ipc::runtime_dir(), socket)
}

fn path_in(dir: &Path, socket: &str) -> PathBuf {
    dir.join(format!("canopy-{socket}.locked"))
}

/// Whether the session of `socket` was locked when its last compositor ended.
pub fn was_locked(socket: &str) -> bool {
    read(&path(socket))
}

/// Records that the session is locked (before the lock is confirmed to the lock client).
pub fn set(socket: &str) {
    write(&path(socket));
}

/// The session was unlocked.
pub fn clear(socket: &str) {
    remove(&path(socket));
}

fn read(p: &Path) -> bool {
    match std::fs::symlink_metadata(p) {
        Ok(_) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => {
            tracing::warn!("cannot read the lock record {}: {e}; starting locked", p.display());
            true
        }
    }
}

fn write(p: &Path) {
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode_0600()
        .open(p)
        .and_then(|mut f| f.write_all(b"locked\n"));
    if let Err(e) = written {
        tracing::error!("cannot write the lock record {}: {e}; a crash now would come back unlocked", p.display());
    }
}

fn remove(p: &Path) {
    match std::fs::remove_file(p) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::error!("cannot remove the lock record {}: {e}", p.display()),
    }
}

trait Private {
    fn mode_0600(&mut self) -> &mut Self;
}

impl Private for std::fs::OpenOptions {
    fn mode_0600(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.mode(0o600).custom_flags(libc::O_NOFOLLOW)
    }
}

impl State {
    /// At start: a session that was locked comes back locked, and the lock program is started
    /// so that the user can unlock it.
    pub fn restore_lock(&mut self) {
        if !was_locked(&self.canopy.socket_name) {
            return;
        }
        tracing::warn!("the session was locked when the last compositor ended: starting locked");
        // Through the power machine, as every lock: the lock program is watched like any other.
        for action in self.canopy.power.machine.start_locked_out() {
            self.power_action(action);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_says_locked_until_cleared_and_fails_closed() {
        let dir = tempfile::tempdir().unwrap();
        let p = path_in(dir.path(), "wayland-1");
        assert!(!read(&p));
        write(&p);
        assert!(read(&p));
        let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&p).unwrap().permissions());
        assert_eq!(mode & 0o777, 0o600);
        remove(&p);
        assert!(!read(&p));
        remove(&p);
        // Something else in its place (a link) is not taken to mean unlocked, nor followed.
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), &p).unwrap();
        assert!(read(&p));
        write(&p);
        assert!(!dir.path().join("elsewhere").exists());
    }
}
