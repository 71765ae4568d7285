//! canopy-hostd: starts and stops VMs and the apps in them, and powers the laptop off, when the
//! GUI VM asks.

use std::process::ExitCode;

use canopy_lifecycle::hostd::{config::Config, Daemon};
use canopy_lifecycle::DaemonArgs;
use clap::Parser;

/// Lifecycle daemon of the host (or admin VM): serves the GUI VM's requests to start apps and
/// VMs, stop them, and power off, reboot or suspend.
#[derive(Parser)]
#[command(version, after_help = "Logging: RUST_LOG=debug for more detail. Example config: assets/examples/hostd.toml")]
struct Args {
    #[command(flatten)]
    daemon: DaemonArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    canopy_lifecycle::daemon_main(
        "canopy-hostd",
        &args.daemon,
        Config::load,
        |c| format!("{} VMs, {} apps", c.vms.len(), c.apps.len()),
        |c| Daemon::new(c).and_then(|d| d.run()),
    )
}
