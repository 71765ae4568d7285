//! The `canopy-proxy` command: `guest`, `gui` and `relay`.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use canopy_proxy::limits::Limits;
use canopy_proxy::shm::diff::{Compression, Encoder};
use canopy_proxy::transport::Address;
use canopy_proxy::{guest, gui, relay};
use clap::{Parser, Subcommand};

/// Cross-VM Wayland proxy: apps in an app VM show their windows in the GUI VM's compositor.
///
/// Run `guest` in the app VM and `gui` (one per app VM) in the GUI VM. Addresses are
/// `vsock:CID:PORT`, `vsock-mux:PATH:PORT` (hybrid vsock: a Unix socket plus a CONNECT
/// handshake) or `unix:PATH`. Set RUST_LOG to change the log level (default info).
#[derive(Parser)]
#[command(name = "canopy-proxy", version)]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// In the app VM: offer a Wayland socket and forward each client to the GUI side.
    Guest {
        /// Where the GUI side listens.
        #[arg(long, value_name = "ADDR")]
        connect: Address,
        /// Socket name under $XDG_RUNTIME_DIR (or an absolute path) that apps connect to.
        #[arg(long, value_name = "NAME", default_value = "wayland-canopy")]
        socket: PathBuf,
        /// Compression of pixel data on the stream.
        #[arg(long, value_enum, default_value = "none")]
        compress: Compression,
        /// Worker threads for large damage (default: up to 4, by CPU count).
        #[arg(long)]
        threads: Option<usize>,
        /// Shared-memory region (ivshmem BAR resource file, or a file under /dev/shm in tests):
        /// pixels go through it; the GUI side must be given the same region.
        #[arg(long, value_name = "PATH")]
        shm_region: Option<PathBuf>,
    },
    /// In the GUI VM: accept one app VM's connections and pass its clients to the compositor.
    Gui {
        /// Where to accept the VM's connections.
        #[arg(long, value_name = "ADDR")]
        listen: Address,
        /// Name of the VM: the app_id of its security context, which decides its trust colour.
        #[arg(long, value_name = "NAME")]
        vm: String,
        /// Accept vsock connections only from this CID (required with a vsock: address).
        #[arg(long, value_name = "N")]
        allow_cid: Option<u32>,
        /// The compositor's Wayland socket: a name under $XDG_RUNTIME_DIR or a path
        /// (default: $WAYLAND_DISPLAY).
        #[arg(long, value_name = "SOCKET")]
        compositor: Option<PathBuf>,
        /// Shared-memory region of this VM (the same one given to its guest side).
        #[arg(long, value_name = "PATH")]
        shm_region: Option<PathBuf>,
        /// When the compositor dies, how long the VM's clients wait for it to come back (their
        /// windows are then restored) before they are closed; 0 closes them with it.
        #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
        restore_wait: f64,
        #[command(flatten)]
        limits: Limits,
    },
    /// On the host: bridge connections from one VM to another address.
    Relay {
        #[arg(long, value_name = "ADDR")]
        listen: Address,
        /// Accept vsock connections only from this CID.
        #[arg(long, value_name = "N")]
        allow_cid: Option<u32>,
        #[arg(long, value_name = "ADDR")]
        to: Address,
    },
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    if let Err(e) = run(Cli::parse()) {
        eprintln!("canopy-proxy: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.mode {
        Mode::Guest { connect, socket, compress, threads, shm_region } => {
            let mut encoder = Encoder { compression: compress, ..Encoder::default() };
            if let Some(t) = threads {
                encoder.threads = t.max(1);
            }
            let socket = gui::context::socket_path(&socket)?;
            guest::server::run(guest::server::Options { connect, socket, encoder, shm_region })
        }
        Mode::Gui { listen, vm, allow_cid, compositor, shm_region, restore_wait, limits } => {
            let compositor = match compositor {
                Some(c) => c,
                None => std::env::var_os("WAYLAND_DISPLAY")
                    .map(PathBuf::from)
                    .context("no --compositor and WAYLAND_DISPLAY is not set")?,
            };
            let compositor = gui::context::socket_path(&compositor)?;
            if !(0.0..=86400.0).contains(&restore_wait) {
                anyhow::bail!("--restore-wait {restore_wait}: give 0 to 86400 seconds");
            }
            let restore_wait = std::time::Duration::from_secs_f64(restore_wait);
            gui::server::run(gui::server::Options {
                listen,
                vm,
                allow_cid,
                compositor,
                shm_region,
                limits,
                restore_wait,
            })
        }
        Mode::Relay { listen, allow_cid, to } => relay::run(&listen, allow_cid, &to),
    }
}
