//! canopy-audiod: volume, microphone and default devices of the VM that owns audio, for the GUI
//! VM's keys and panel.

use std::process::ExitCode;

use canopy_levels::audiod::{config::Config, Daemon};
use canopy_lifecycle::DaemonArgs;
use clap::Parser;

/// Audio control daemon of the VM that owns audio (PipeWire with WirePlumber): serves the GUI
/// VM's typed requests to change output and input volume and mute, the default devices and the
/// volume of each stream, and streams the levels to it.
#[derive(Parser)]
#[command(version, after_help = "Logging: RUST_LOG=debug for more detail. Example config: assets/examples/audiod.toml")]
struct Args {
    #[command(flatten)]
    daemon: DaemonArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    canopy_lifecycle::daemon_main(
        "canopy-audiod",
        &args.daemon,
        Config::load,
        |c| format!("{} listen addresses, {} stream rules", c.listen.len(), c.stream_vms.len()),
        |c| Daemon::new(c).and_then(|d| d.run()),
    )
}
