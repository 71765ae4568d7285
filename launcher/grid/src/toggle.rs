//! One launcher per session: starting it while one runs closes the running one instead, so
//! the compositor's Super binding (which just runs `canopy-launcher`) toggles it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// Holds the lock for as long as this launcher runs (the kernel drops it when we exit).
pub struct Instance {
    _file: File,
}

pub enum Claim {
    /// We are the launcher now.
    Mine(Instance),
    /// Another launcher was running; it was asked to close (its pid).
    ClosedOther(i32),
}

/// `$XDG_RUNTIME_DIR/canopy-launcher-$WAYLAND_DISPLAY.lock`
pub fn lock_path() -> PathBuf {
    let dir = std::env::var_os("XDG_RUNTIME_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let display = std::env::var("WAYLAND_DISPLAY").unwrap_or_else(|_| "wayland-0".into());
    let display = display.rsplit('/').next().unwrap_or("wayland-0").to_string();
    dir.join(format!("canopy-launcher-{display}.lock"))
}

pub fn claim(path: &Path) -> std::io::Result<Claim> {
    let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
    // SAFETY: flock on a file descriptor we own.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        write!(file, "{}", std::process::id())?;
        return Ok(Claim::Mine(Instance { _file: file }));
    }
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    let pid: i32 = text.trim().parse().map_err(|_| std::io::Error::other(format!("{}: no pid", path.display())))?;
    // SAFETY: plain kill(2). The pid was written by the lock holder, which is alive (it holds
    // the lock), so it names the running launcher.
    if unsafe { libc::kill(pid, libc::SIGTERM) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(Claim::ClosedOther(pid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_claim_sees_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l.lock");
        let Claim::Mine(first) = claim(&p).unwrap() else { panic!("first claim") };
        assert_eq!(std::fs::read_to_string(&p).unwrap(), std::process::id().to_string());
        drop(first);
        // Released: the next one gets it (a live holder would get SIGTERM, tested end to end).
        assert!(matches!(claim(&p).unwrap(), Claim::Mine(_)));
    }
}
