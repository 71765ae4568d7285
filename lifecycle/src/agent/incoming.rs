//! Files from other VMs, as hostd hands them over: each lands in `<incoming>/<source-vm>/`
//! (`~/Incoming/<vm>/` by default) under its safe name, never over a file already there (a
//! number is added instead), readable and writable by its owner only and never executable. The
//! bytes go to a hidden partial file first, which is removed when the transfer breaks off, and
//! renamed into place once it is whole. Folders and files are opened without following
//! symbolic links, so nothing is written outside that folder.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use canopy_protocols::lifecycle::open::{numbered, safe_file_name};
use canopy_protocols::lifecycle::{AgentReply, AgentResponse, Error};
use rustix::fs::{AtFlags, Mode, OFlags, RenameFlags, CWD};
use rustix::io::Errno;

use crate::server::reply;
use canopy_common::transport::Stream;

/// Partial files begin with this (hidden, so file managers and apps leave them alone).
const PARTIAL: &str = ".canopy-partial-";
/// How long hostd may take to send each chunk.
const STALL: Duration = Duration::from_secs(30);
const CHUNK: usize = 256 * 1024;
/// Numbered names tried before giving up.
const MAX_NUMBER: u32 = 10_000;

static NEXT_PARTIAL: AtomicU64 = AtomicU64::new(0);

/// A VM name as hostd's config allows one (hostd sends it; checked again as it becomes a folder).
fn good_vm_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with(['-', '.'])
}

fn nofollow_dir() -> OFlags {
    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC
}

/// Open (making it when missing, mode 0700) the folder `name` in `parent`, not following links.
fn open_dir(parent: impl rustix::fd::AsFd, name: &str) -> Result<OwnedFd, String> {
    match rustix::fs::mkdirat(&parent, name, Mode::RWXU) {
        Ok(()) | Err(Errno::EXIST) => {}
        Err(e) => return Err(format!("cannot make {name}: {e}")),
    }
    rustix::fs::openat(&parent, name, nofollow_dir(), Mode::empty()).map_err(|e| match e {
        Errno::LOOP | Errno::NOTDIR => format!("{name} is not a folder (a link, or a file)"),
        e => format!("cannot open {name}: {e}"),
    })
}

/// The folder files from VM `from` land in, opened; and its path.
fn vm_folder(root: &Path, from: &str) -> Result<(OwnedFd, std::path::PathBuf), String> {
    if !good_vm_name(from) {
        return Err(format!("{from:?} is not a VM name"));
    }
    let parent = root.parent().ok_or("the incoming folder has no parent")?;
    let base = root.file_name().and_then(|n| n.to_str()).ok_or("the incoming folder has no name")?;
    let parent_fd = rustix::fs::openat(CWD, parent, nofollow_dir(), Mode::empty())
        .or_else(|_| {
            rustix::fs::openat(CWD, parent, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
        })
        .map_err(|e| format!("cannot open {}: {e}", parent.display()))?;
    let root_fd = open_dir(&parent_fd, base)?;
    Ok((open_dir(&root_fd, from)?, root.join(from)))
}

/// Take a file of `size` bytes from VM `from` on `stream` (hostd's connection): answer
/// `ready`, read the bytes, keep the file, answer `received`. On failure the partial file is
/// removed and the error answered (when the connection still takes it).
pub fn receive(stream: &Stream, root: Option<&Path>, from: &str, name: &str, size: u64) {
    let result = receive_file(stream, root, from, name, size);
    match &result {
        Ok(AgentReply::Received { path, .. }) => tracing::info!("kept a file of {size} bytes from {from} as {path}"),
        Ok(_) => {}
        Err(e) => tracing::warn!("a file from {from} was not kept: {e}"),
    }
    reply(stream, &AgentResponse::from(result));
}

fn receive_file(stream: &Stream, root: Option<&Path>, from: &str, name: &str, size: u64) -> Result<AgentReply, Error> {
    let failed = |reason: String| Error::ActionFailed { action: "keeping the file".into(), reason };
    let root = root.ok_or_else(|| failed("no incoming folder (HOME is not set)".into()))?;
    let (dir, dir_path) = vm_folder(root, from).map_err(failed)?;
    let partial = format!("{PARTIAL}{}-{}", std::process::id(), NEXT_PARTIAL.fetch_add(1, Ordering::SeqCst));
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(&dir, partial.as_str(), flags, Mode::RUSR | Mode::WUSR)
        .map_err(|e| failed(format!("cannot create a file in {}: {e}", dir_path.display())))?;
    let guard = Partial { dir: &dir, name: &partial, kept: false };
    // Whatever the umask: the owner's, and never executable.
    rustix::fs::fchmod(&fd, Mode::RUSR | Mode::WUSR).map_err(|e| failed(e.to_string()))?;
    let mut file = File::from(fd);
    if !reply(stream, &AgentResponse::Ok(AgentReply::Ready)) {
        return Err(failed("hostd went away".into()));
    }
    copy_exact(stream, &mut file, size)?;
    drop(file);
    let kept = keep(&dir, &partial, &safe_file_name(name)).map_err(failed)?;
    guard.kept();
    Ok(AgentReply::Received { path: dir_path.join(&kept).display().to_string(), name: kept })
}

/// Read exactly `size` bytes from hostd into `file`.
fn copy_exact(stream: &Stream, file: &mut File, size: u64) -> Result<(), Error> {
    let mut buf = vec![0u8; CHUNK];
    let mut got = 0u64;
    while got < size {
        let want = (size - got).min(CHUNK as u64) as usize;
        let n = match stream.until(Instant::now() + STALL).read(&mut buf[..want]) {
            Ok(0) => {
                return Err(Error::ActionFailed {
                    action: "receiving the file".into(),
                    reason: format!("the sender stopped after {got} of {size} bytes"),
                })
            }
            Ok(n) => n,
            Err(e) => {
                return Err(Error::ActionFailed {
                    action: "receiving the file".into(),
                    reason: format!("after {got} of {size} bytes: {e}"),
                })
            }
        };
        file.write_all(&buf[..n])
            .map_err(|e| Error::ActionFailed { action: "writing the file".into(), reason: e.to_string() })?;
        got += n as u64;
    }
    Ok(())
}

/// Rename the partial file to `name`, or `name (1)`, `name (2)`… whichever no file has yet.
fn keep(dir: &OwnedFd, partial: &str, name: &str) -> Result<String, String> {
    for n in 0..=MAX_NUMBER {
        let candidate = if n == 0 { name.to_string() } else { numbered(name, n) };
        match rename_noreplace(dir, partial, &candidate) {
            Ok(()) => return Ok(candidate),
            Err(Errno::EXIST) => continue,
            Err(e) => return Err(format!("cannot name the file {candidate:?}: {e}")),
        }
    }
    Err(format!("{MAX_NUMBER} files called {name:?} are there already"))
}

fn rename_noreplace(dir: &OwnedFd, from: &str, to: &str) -> Result<(), Errno> {
    match rustix::fs::renameat_with(dir, from, dir, to, RenameFlags::NOREPLACE) {
        // A file system without RENAME_NOREPLACE: a hard link fails just the same on a name
        // that is taken.
        Err(Errno::INVAL) | Err(Errno::NOSYS) => {
            rustix::fs::linkat(dir, from, dir, to, AtFlags::empty())?;
            let _ = rustix::fs::unlinkat(dir, from, AtFlags::empty());
            Ok(())
        }
        other => other,
    }
}

/// Removes the partial file unless it was kept.
struct Partial<'a> {
    dir: &'a OwnedFd,
    name: &'a str,
    kept: bool,
}

impl Partial<'_> {
    fn kept(mut self) {
        self.kept = true;
    }
}

impl Drop for Partial<'_> {
    fn drop(&mut self) {
        if !self.kept {
            let _ = rustix::fs::unlinkat(self.dir, self.name, AtFlags::empty());
        }
    }
}

/// Remove partial files left by an agent that ended mid-transfer.
pub fn remove_stale_partials(root: &Path) {
    let Ok(vms) = std::fs::read_dir(root) else { return };
    for vm in vms.flatten() {
        let Ok(files) = std::fs::read_dir(vm.path()) else { continue };
        for f in files.flatten() {
            if f.file_name().to_string_lossy().starts_with(PARTIAL) {
                tracing::info!("removing {}, left by a transfer that broke off", f.path().display());
                let _ = std::fs::remove_file(f.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_protocols::lifecycle::{read_frame, AgentResponse};

    fn reply_of(s: &Stream) -> AgentResponse {
        read_frame(&mut &*s).unwrap()
    }

    #[test]
    fn a_whole_file_lands_under_a_safe_new_name_and_a_broken_one_leaves_nothing() {
        let home = tempfile::tempdir().unwrap();
        let root = home.path().join("Incoming");
        let send = |name: &str, data: &[u8], cut: bool| {
            let (hostd, agent) = Stream::pair().unwrap();
            let size = data.len() as u64;
            let root = root.clone();
            let name = name.to_string();
            let t = std::thread::spawn(move || receive(&agent, Some(&root), "docs", &name, size));
            assert_eq!(reply_of(&hostd), AgentResponse::Ok(AgentReply::Ready));
            if cut {
                (&hostd).write_all(&data[..data.len() / 2]).unwrap();
                hostd.shutdown();
                t.join().unwrap();
                return None;
            }
            (&hostd).write_all(data).unwrap();
            let r = reply_of(&hostd);
            t.join().unwrap();
            Some(r)
        };
        let got = send("../../.bashrc", b"one", false).unwrap();
        let AgentResponse::Ok(AgentReply::Received { name, path }) = got else { panic!("{got:?}") };
        assert_eq!(name, "bashrc");
        assert_eq!(path, root.join("docs/bashrc").display().to_string());
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        // The same name again: numbered, nothing overwritten.
        let got = send("bashrc", b"two", false).unwrap();
        assert!(
            matches!(&got, AgentResponse::Ok(AgentReply::Received { name, .. }) if name == "bashrc (1)"),
            "{got:?}"
        );
        assert_eq!(std::fs::read(root.join("docs/bashrc")).unwrap(), b"one");
        // Broken off halfway: no partial file stays.
        assert_eq!(send("big.bin", &[7u8; 100_000], true), None);
        let mut names: Vec<_> = std::fs::read_dir(root.join("docs"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["bashrc", "bashrc (1)"]);
    }

    #[test]
    fn a_link_in_place_of_the_folder_is_not_followed() {
        let home = tempfile::tempdir().unwrap();
        let root = home.path().join("Incoming");
        std::fs::create_dir(&root).unwrap();
        let elsewhere = home.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, root.join("docs")).unwrap();
        let (hostd, agent) = Stream::pair().unwrap();
        let t = std::thread::spawn(move || receive(&agent, Some(&root), "docs", "a", 1));
        let r = reply_of(&hostd);
        t.join().unwrap();
        assert!(matches!(&r, AgentResponse::Error(e) if e.to_string().contains("not a folder")), "{r:?}");
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
        // And a VM name that is not one never becomes a folder.
        let (hostd, agent) = Stream::pair().unwrap();
        let root = home.path().join("Incoming");
        let t = std::thread::spawn(move || receive(&agent, Some(&root), "../x", "a", 1));
        assert!(matches!(reply_of(&hostd), AgentResponse::Error(_)));
        t.join().unwrap();
    }
}
