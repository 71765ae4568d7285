//! `canopy msg`: send one request, print the reply.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};

use super::{Reply, Request};

/// The socket to talk to: `--socket` (a path, or a Wayland socket name such as `wayland-1` as
/// `canopy --socket` takes), else `$CANOPY_SOCKET`, else the one of `$WAYLAND_DISPLAY`, else
/// the only canopy socket in the runtime dir that something listens on.
pub fn find_socket(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(match p.to_str() {
            Some(name) if !name.contains('/') => super::socket_path(name),
            _ => p.to_path_buf(),
        });
    }
    if let Some(p) = std::env::var_os("CANOPY_SOCKET") {
        return Ok(PathBuf::from(p));
    }
    if let Some(display) = std::env::var("WAYLAND_DISPLAY").ok().filter(|d| !d.contains('/')) {
        let path = super::socket_path(&display);
        if listens(&path) {
            return Ok(path);
        }
    }
    let dir = super::runtime_dir();
    let found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("canopy-") && n.ends_with(".sock"))
        })
        .filter(|p| listens(p))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!("no canopy socket in {}; is canopy running? (set CANOPY_SOCKET or --socket)", dir.display()),
        _ => bail!("several running canopys in {}; choose one with --socket NAME or CANOPY_SOCKET", dir.display()),
    }
}

/// Whether a compositor accepts connections on `path` (a socket left by a killed one does not).
fn listens(path: &Path) -> bool {
    UnixStream::connect(path).is_ok()
}

pub fn send(socket: &Path, request: &Request) -> anyhow::Result<Reply> {
    let mut stream = UnixStream::connect(socket).with_context(|| format!("connecting to {}", socket.display()))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut line = serde_json::to_string(request)?;
    line.push('\n');
    stream.write_all(line.as_bytes())?;
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply).context("reading the reply")?;
    serde_json::from_str(&reply).with_context(|| format!("bad reply: {reply:?}"))
}

/// Run `canopy msg`: relative paths are made absolute, since the compositor has another cwd.
pub fn run(socket: Option<&Path>, mut request: Request) -> anyhow::Result<()> {
    if let Request::Screenshot { file, .. } = &mut request {
        if file.is_relative() {
            *file = std::env::current_dir()?.join(&*file);
        }
    }
    let socket = find_socket(socket)?;
    let reply = send(&socket, &request)?;
    match (reply.ok, reply.error) {
        (_, Some(e)) => bail!("{e}"),
        (Some(v), None) => {
            println!("{}", serde_json::to_string_pretty(&v)?);
            Ok(())
        }
        (None, None) => Ok(()),
    }
}
