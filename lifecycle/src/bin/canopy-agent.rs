//! canopy-agent: starts the apps of its config in this VM when hostd asks.

use std::path::PathBuf;
use std::process::ExitCode;

use canopy_lifecycle::agent::{config::Config, Agent};
use clap::Parser;

/// App agent of an app VM: runs the apps named in its config (and nothing else) when hostd asks,
/// with WAYLAND_DISPLAY set to the guest proxy's socket; tracks and stops them and reports their
/// exit. On SIGTERM it stops every app and exits.
#[derive(Parser)]
#[command(version, after_help = "Logging: RUST_LOG=debug for more detail. Example config: assets/examples/agent.toml")]
struct Args {
    /// Config file (TOML).
    #[arg(long, short, default_value = "/etc/canopy/agent.toml")]
    config: PathBuf,
    /// Check the config and exit.
    #[arg(long)]
    check: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    canopy_lifecycle::daemon_main(
        "canopy-agent",
        &args.config,
        args.check,
        Config::load,
        |c| format!("{} apps", c.apps.len()),
        |c| Agent::new(c).run(),
    )
}
