//! Starting apps and VMs, and power actions, for the canopy desktop.
//!
//! - [`client`]: what the panel, launcher and power menu use to talk to `canopy-hostd`
//!   (blocking requests; a watch stream readable from a thread or an event loop).
//! - [`hostd`], [`agent`]: the two daemons; `canopy-ctl` is the command line.
//! - [`transport`] (from `canopy_common`): `unix:`, `vsock:` and `vsock-mux:` sockets and their
//!   peer identity, exchanges on them bounded by wall-clock time; [`deadline`]: the protocol's pace.

pub mod agent;
pub mod allow;
pub mod backoff;
pub mod client;
pub mod command;
pub mod ctl;
pub mod deadline;
pub mod hostd;
pub mod opener;
pub mod rate;
pub mod server;

pub use canopy_common::transport::{self, Address, Listener, Peer, Stream};
pub use client::{AgentClient, ClientError, HostClient, Snapshot, Watcher};

/// hostd's default vsock port.
pub const HOSTD_PORT: u32 = 7100;
/// An agent's default vsock port.
pub const AGENT_PORT: u32 = 7101;

/// Log to stderr; `RUST_LOG` picks the level (default `info`).
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour codes only on a terminal: a journal or log file gets plain lines.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).init();
}

/// A daemon's command line, the same for each: `--config FILE` and `--check`.
#[derive(clap::Args)]
pub struct DaemonArgs {
    /// Config file (TOML) [default: /etc/canopy/NAME.toml, NAME being the daemon's name
    /// without `canopy-`: hostd.toml, agent.toml, audiod.toml].
    #[arg(long, short)]
    pub config: Option<std::path::PathBuf>,
    /// Check the config and exit.
    #[arg(long)]
    pub check: bool,
}

/// The body of a daemon's `main`: load its config (with `--check`, print `summary` and stop
/// there), then run it. Errors go to stderr as `NAME: error` and fail the exit code.
pub fn daemon_main<C, E: std::fmt::Display>(
    name: &str,
    args: &DaemonArgs,
    load: impl FnOnce(&std::path::Path) -> Result<C, canopy_common::config::ConfigError>,
    summary: impl FnOnce(&C) -> String,
    run: impl FnOnce(C) -> Result<(), E>,
) -> std::process::ExitCode {
    let default = || format!("/etc/canopy/{}.toml", name.trim_start_matches("canopy-")).into();
    let config: std::path::PathBuf = args.config.clone().unwrap_or_else(default);
    let (config, check) = (config.as_path(), args.check);
    use std::process::ExitCode;
    init_logging();
    let loaded = match load(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{name}: {e}");
            return ExitCode::FAILURE;
        }
    };
    if check {
        println!("{}: ok ({})", config.display(), summary(&loaded));
        return ExitCode::SUCCESS;
    }
    match run(loaded) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}
