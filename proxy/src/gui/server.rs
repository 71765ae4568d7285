//! `canopy-proxy gui`: accepts the VM's streams and runs one checked connection per client,
//! kept through compositor crashes (see `supervise`).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context as _, Result};
use tracing::{error, info, warn};

use super::conn::GuiConn;
use super::context::SecurityContext;
use super::supervise::{Supervised, Watch};
use crate::limits::{Limits, Usage};
use crate::pump::{self, End, Outbox, Settings};
use crate::shm::region::Region;
use crate::transport::{Address, Listener, Peer};

pub struct Options {
    pub listen: Address,
    pub vm: String,
    pub allow_cid: Option<u32>,
    pub compositor: PathBuf,
    pub shm_region: Option<PathBuf>,
    pub limits: Limits,
    /// How long clients wait for a compositor that went away (zero: they end with it).
    pub restore_wait: std::time::Duration,
}

pub fn run(opts: Options) -> Result<()> {
    if matches!(opts.listen, Address::Vsock { .. }) && opts.allow_cid.is_none() {
        bail!("listening on {} needs --allow-cid: the CID of the VM whose connections to accept", opts.listen);
    }
    let region = match &opts.shm_region {
        Some(p) => Some(Arc::new(Region::open(p)?)),
        None => None,
    };
    let context = SecurityContext::register(&opts.compositor, &opts.vm)?;
    let context = Arc::new(Mutex::new(Some(context)));
    let listener = Listener::bind(&opts.listen).with_context(|| format!("listening on {}", opts.listen))?;
    info!(vm = %opts.vm, listen = %opts.listen, compositor = %opts.compositor.display(), "canopy-proxy gui ready");
    let vm: Arc<str> = opts.vm.clone().into();
    let limits = Arc::new(opts.limits.clone());
    let usage = Arc::new(Usage::default());
    let clients = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut n = 0u64;
    loop {
        let (stream, peer) = match listener.accept() {
            Ok((s, peer)) => (std::os::fd::OwnedFd::from(s), peer),
            Err(e) => {
                warn!(vm = %vm, "accept failed: {e}");
                std::thread::sleep(std::time::Duration::from_millis(50));
                continue;
            }
        };
        if let (Some(allowed), Peer::Vsock { cid, .. }) = (opts.allow_cid, peer) {
            if cid != allowed {
                warn!(vm = %vm, cid, allowed, "connection from another VM refused");
                continue;
            }
        }
        if clients.load(std::sync::atomic::Ordering::Relaxed) >= opts.limits.max_clients {
            warn!(vm = %opts.vm, limit = opts.limits.max_clients, "connection refused: too many clients of the VM");
            continue;
        }
        clients.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let count = clients.clone();
        n += 1;
        let (vm, limits, usage, region, context, compositor) =
            (vm.clone(), limits.clone(), usage.clone(), region.clone(), context.clone(), opts.compositor.clone());
        let wait = opts.restore_wait;
        let spawned = std::thread::Builder::new().name(format!("gui-{n}")).spawn(move || {
            struct Done(Arc<std::sync::atomic::AtomicUsize>);
            impl Drop for Done {
                fn drop(&mut self) {
                    self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
            let _done = Done(count);
            // With no compositor now (it is restarting), the client waits for one.
            let (wl, watch) = match connect_compositor(&context, &compositor, &vm) {
                Ok((s, w)) => (Some(s), Some(w)),
                Err(e) if !wait.is_zero() => {
                    info!(vm = %vm, "client {n} waits for the compositor: {e:#}");
                    (None, None)
                }
                Err(e) => {
                    error!(vm = %vm, "client {n} refused: {e:#}");
                    return;
                }
            };
            let settings = Settings {
                max_frame: limits.max_frame,
                max_message: 1 << 16,
                high_water: 8 << 20,
                max_pending: limits.max_pending,
                max_pipe_bytes: limits.max_clipboard,
                max_pipes: limits.max_pipes,
                whole_transfers: true,
            };
            let _span = tracing::info_span!("client", vm = %vm, n).entered();
            let conn = GuiConn::new(vm.clone(), limits, usage, region);
            let again = {
                let (context, compositor, vm) = (context.clone(), compositor.clone(), vm.clone());
                Box::new(move || {
                    let (s, w) = connect_compositor(&context, &compositor, &vm)?;
                    Ok((s, Some(w)))
                })
            };
            let connected = wl.is_some();
            let mut engine = Supervised::new(conn, again, wait, watch, connected);
            let mut out = Outbox::default();
            let end = pump::run(&mut engine, stream, wl.map(Into::into), &settings, &mut out);
            let restores = engine.conn.restore.restores;
            // Its objects and pool memory count for the VM no more once the line is written.
            drop(engine);
            match end {
                End::StreamClosed => info!(vm = %vm, client = n, restores, "VM client disconnected"),
                End::WaylandClosed => info!(vm = %vm, client = n, "compositor closed the client connection"),
                End::Violation(rule) => warn!(vm = %vm, client = n, "closing VM client: {rule}"),
                End::Local(e) => warn!(vm = %vm, client = n, "closing VM client: compositor side: {e}"),
                End::Io(e) => warn!(vm = %vm, client = n, "closing VM client: {e}"),
            }
        });
        if let Err(e) = spawned {
            clients.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            error!(vm = %opts.vm, "cannot start a connection thread: {e}");
        }
    }
}

/// A connection through the VM's security context, and the watch on its compositor;
/// registers the context again if the compositor restarted.
fn connect_compositor(
    context: &Mutex<Option<SecurityContext>>,
    compositor: &std::path::Path,
    vm: &str,
) -> Result<(std::os::unix::net::UnixStream, Watch)> {
    let mut ctx = context.lock().expect("context lock");
    if let Some(c) = ctx.as_ref() {
        if let Ok(s) = c.connect() {
            return Ok((s, c.watch()));
        }
    }
    *ctx = None;
    let c = SecurityContext::register(compositor, vm)?;
    let s = c.connect().context("connecting through the security context")?;
    let w = c.watch();
    *ctx = Some(c);
    Ok((s, w))
}
