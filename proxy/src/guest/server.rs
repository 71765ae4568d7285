//! `canopy-proxy guest`: offers a Wayland socket in the app VM and forwards every client over its
//! own stream to the GUI side.

use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result};
use tracing::{info, warn};

use super::conn::{GuestConn, SharedRegion};
use crate::pump::{self, End, Outbox, Settings};
use crate::shm::diff::Encoder;
use crate::shm::region::{Allocator, Region};
use crate::transport::{Address, Stream};

pub struct Options {
    pub connect: Address,
    /// Full path of the Wayland socket to offer.
    pub socket: PathBuf,
    pub encoder: Encoder,
    pub shm_region: Option<PathBuf>,
}

pub fn run(opts: Options) -> Result<()> {
    let region = match &opts.shm_region {
        Some(p) => {
            let r = Region::open(p)?;
            let alloc = Allocator::new(r.len);
            Some(Arc::new(SharedRegion { map: Mutex::new(r.map()?), alloc }))
        }
        None => None,
    };
    let _ = std::fs::remove_file(&opts.socket);
    let listener =
        UnixListener::bind(&opts.socket).with_context(|| format!("listening on {}", opts.socket.display()))?;
    info!(socket = %opts.socket.display(), gui = %opts.connect, "canopy-proxy guest ready");
    let mut n = 0u64;
    for app in listener.incoming() {
        let app = match app {
            Ok(a) => a,
            Err(e) => {
                warn!("accept failed: {e}");
                continue;
            }
        };
        n += 1;
        let (addr, encoder, region) = (opts.connect.clone(), opts.encoder, region.clone());
        let r = std::thread::Builder::new().name(format!("guest-{n}")).spawn(move || {
            let stream = match Stream::connect(&addr) {
                Ok(s) => std::os::fd::OwnedFd::from(s),
                Err(e) => {
                    warn!(client = n, "cannot reach the GUI side: {e}");
                    return;
                }
            };
            let mut out = Outbox::default();
            let mut conn = GuestConn::new(encoder, region, &mut out);
            let settings = Settings {
                max_frame: 64 << 20,
                max_message: 4096,
                high_water: 8 << 20,
                max_pending: 1 << 30,
                max_pipe_bytes: u64::MAX,
                max_pipes: 64,
                whole_transfers: false,
            };
            match pump::run(&mut conn, stream, Some(app.into()), &settings, &mut out) {
                End::StreamClosed => info!(client = n, "GUI side closed the connection"),
                End::WaylandClosed => info!(client = n, "client disconnected"),
                End::Violation(e) => warn!(client = n, "GUI side sent something wrong: {e}"),
                End::Local(e) => warn!(client = n, "closing client: {e}"),
                End::Io(e) => warn!(client = n, "closing client: {e}"),
            }
        });
        if let Err(e) = r {
            warn!("cannot start a connection thread: {e}");
        }
    }
    Ok(())
}
