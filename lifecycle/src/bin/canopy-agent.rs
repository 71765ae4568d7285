//! canopy-agent: starts the apps of its config in this VM when hostd asks.

use std::process::ExitCode;

use canopy_lifecycle::agent::{config::Config, Agent};
use canopy_lifecycle::DaemonArgs;
use clap::Parser;

/// App agent of an app VM: runs the apps named in its config (and nothing else) when hostd asks,
/// with WAYLAND_DISPLAY set to the guest proxy's socket; tracks and stops them and reports their
/// exit. On SIGTERM it stops every app and exits.
#[derive(Parser)]
#[command(version, after_help = "Logging: RUST_LOG=debug for more detail. Example config: assets/examples/agent.toml")]
struct Args {
    #[command(flatten)]
    daemon: DaemonArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    canopy_lifecycle::daemon_main(
        "canopy-agent",
        &args.daemon,
        Config::load,
        |c| format!("{} apps", c.apps.len()),
        |c| Agent::new(c).run(),
    )
}
