//! The GUI side's trusted connection to the compositor, used for one thing: registering a
//! wp_security_context_v1 listener whose app_id is the VM name. Clients of the VM connect through
//! that listener, so the compositor knows their VM from the connection, never from the VM.

use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use anyhow::{Context as _, Result};
use canopy_common::security_context;
use wayland_client::Connection;

/// A registered security-context listener. Dropping it tells the compositor to stop listening.
pub struct SecurityContext {
    socket: PathBuf,
    _dir: tempfile::TempDir,
    _close: OwnedFd,
    _conn: Connection,
    /// The proxy's connection to this compositor: it closes when the compositor dies.
    watch: Arc<OwnedFd>,
}

static INSTANCE: AtomicU32 = AtomicU32::new(0);

/// `$XDG_RUNTIME_DIR/NAME` for a relative name, NAME itself when absolute.
pub fn socket_path(name: &Path) -> Result<PathBuf> {
    if name.is_absolute() {
        return Ok(name.to_path_buf());
    }
    let dir = std::env::var_os("XDG_RUNTIME_DIR").context("XDG_RUNTIME_DIR is not set")?;
    Ok(Path::new(&dir).join(name))
}

impl SecurityContext {
    /// Connects to the compositor at `compositor` and registers a listener for VM `vm`.
    pub fn register(compositor: &Path, vm: &str) -> Result<SecurityContext> {
        let stream = UnixStream::connect(compositor)
            .with_context(|| format!("connecting to the compositor at {}", compositor.display()))?;
        let conn = Connection::from_socket(stream).context("wayland connection to the compositor")?;
        let parent = compositor.parent().unwrap_or(Path::new("/tmp"));
        let dir = tempfile::Builder::new()
            .prefix(&format!("canopy-proxy-{vm}-"))
            .tempdir_in(parent)
            .context("creating the listener directory")?;
        let socket = dir.path().join("wayland");
        let listener = UnixListener::bind(&socket).with_context(|| format!("listening on {}", socket.display()))?;
        let (close_r, close_w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
        let n = INSTANCE.fetch_add(1, Ordering::Relaxed);
        let instance = format!("{vm}-{}-{n}", std::process::id());
        // Without security contexts the compositor could not tell VM clients apart.
        security_context::register(&conn, listener.as_fd(), close_r.as_fd(), vm, &instance)
            .with_context(|| format!("VM {vm} at the compositor {}", compositor.display()))?;
        // The compositor holds its own copies of the listening socket and the close pipe.
        drop(listener);
        drop(close_r);
        let watch = Arc::new(conn.backend().poll_fd().try_clone_to_owned()?);
        Ok(SecurityContext { socket, _dir: dir, _close: close_w, _conn: conn, watch })
    }

    /// A new connection for one client of the VM.
    pub fn connect(&self) -> std::io::Result<UnixStream> {
        UnixStream::connect(&self.socket)
    }

    /// Closes (hangs up) when the compositor this context belongs to is gone.
    pub fn watch(&self) -> Arc<OwnedFd> {
        self.watch.clone()
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }
}
