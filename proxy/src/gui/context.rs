//! The GUI side's trusted connection to the compositor, used for one thing: registering a
//! wp_security_context_v1 listener whose app_id is the VM name. Clients of the VM connect through
//! that listener, so the compositor knows their VM from the connection, never from the VM.

use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{bail, Context as _, Result};
use wayland_client::globals::{registry_queue_init, GlobalListContents};
use wayland_client::protocol::wl_registry::WlRegistry;
use wayland_client::{delegate_noop, Connection, Dispatch, QueueHandle};
use wayland_protocols::wp::security_context::v1::client::wp_security_context_manager_v1::WpSecurityContextManagerV1;
use wayland_protocols::wp::security_context::v1::client::wp_security_context_v1::WpSecurityContextV1;

pub const SANDBOX_ENGINE: &str = "canopy";

struct State;

impl Dispatch<WlRegistry, GlobalListContents> for State {
    fn event(
        _: &mut Self,
        _: &WlRegistry,
        _: wayland_client::protocol::wl_registry::Event,
        _: &GlobalListContents,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
    }
}
delegate_noop!(State: ignore WpSecurityContextManagerV1);
delegate_noop!(State: ignore WpSecurityContextV1);

/// A registered security-context listener. Dropping it tells the compositor to stop listening.
pub struct SecurityContext {
    socket: PathBuf,
    _dir: tempfile::TempDir,
    _close: OwnedFd,
    _conn: Connection,
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
        let (globals, mut queue) = registry_queue_init::<State>(&conn)
            .with_context(|| format!("reading the globals of the compositor at {}", compositor.display()))?;
        let qh = queue.handle();
        let Ok(manager) = globals.bind::<WpSecurityContextManagerV1, _, _>(&qh, 1..=1, ()) else {
            bail!(
                "the compositor at {} offers no wp_security_context_manager_v1; canopy-proxy gui needs it \
                 so that the compositor can tell VM clients apart (run it under canopy)",
                compositor.display()
            );
        };
        let parent = compositor.parent().unwrap_or(Path::new("/tmp"));
        let dir = tempfile::Builder::new()
            .prefix(&format!("canopy-proxy-{vm}-"))
            .tempdir_in(parent)
            .context("creating the listener directory")?;
        let socket = dir.path().join("wayland");
        let listener = UnixListener::bind(&socket).with_context(|| format!("listening on {}", socket.display()))?;
        let (close_r, close_w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
        let ctx = manager.create_listener(listener.as_fd(), close_r.as_fd(), &qh, ());
        ctx.set_sandbox_engine(SANDBOX_ENGINE.into());
        ctx.set_app_id(vm.into());
        let n = INSTANCE.fetch_add(1, Ordering::Relaxed);
        ctx.set_instance_id(format!("{vm}-{}-{n}", std::process::id()));
        ctx.commit();
        ctx.destroy();
        queue.roundtrip(&mut State).with_context(|| format!("registering the security context for VM {vm}"))?;
        // The compositor holds its own copies of the listening socket and the close pipe.
        drop(listener);
        drop(close_r);
        Ok(SecurityContext { socket, _dir: dir, _close: close_w, _conn: conn })
    }

    /// A new connection for one client of the VM.
    pub fn connect(&self) -> std::io::Result<UnixStream> {
        UnixStream::connect(&self.socket)
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }
}
