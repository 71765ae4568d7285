//! canopy-chooser: asks the user where a VM's link or file goes; shows how such requests end.

use std::io::Read;
use std::time::Duration;

use anyhow::Context;
use canopy_lifecycle::Address;
use canopy_protocols::lifecycle::Event;
use canopy_shell::chooser::notice::{NoticeBox, NOTICE_TIME};
use canopy_shell::chooser::{Chooser, ARM_DELAY};
use canopy_shell::host::{Host, DEFAULT_ADDRESS};
use clap::Parser;

/// The trusted question when a VM asks to open a link or a file, or to send files, in another VM
/// and canopy-hostd's policy says to ask: it reads hostd's request (a `choose` event, JSON) from
/// stdin, shows which VM asks for what and the VMs it may go to, and sends hostd the user's
/// choice. Given a `notice` event, it shows it in a corner for a few seconds. The panel starts
/// it; `canopy-ctl watch --json` prints the events it takes.
#[derive(Debug, Parser)]
#[command(name = "canopy-chooser", version)]
struct Cli {
    /// A built-in theme (default, high-contrast) or a theme file.
    #[arg(long, default_value = "default")]
    theme: String,
    /// canopy-hostd's address: unix:PATH, vsock:CID:PORT or vsock-mux:PATH:PORT.
    #[arg(long, env = "CANOPY_HOSTD", default_value = DEFAULT_ADDRESS)]
    hostd: Address,
    /// How long input is ignored after the question appears (milliseconds).
    #[arg(long, default_value_t = ARM_DELAY.as_millis() as u64)]
    arm_delay_ms: u64,
    /// How long a notice stays (seconds).
    #[arg(long, default_value_t = NOTICE_TIME.as_secs_f64())]
    notice_secs: f64,
}

/// More than any request hostd sends (a frame is at most 64 KiB).
const MAX_INPUT: u64 = 256 * 1024;

fn main() -> anyhow::Result<()> {
    canopy_shell::init_logging();
    let cli = Cli::parse();
    let theme = canopy_themes::Theme::load(&cli.theme)?;
    let mut input = Vec::new();
    std::io::stdin().take(MAX_INPUT).read_to_end(&mut input).context("reading the request from stdin")?;
    let event: Event = serde_json::from_slice(&input).context("the request on stdin")?;
    let code = match event {
        Event::Choose(choice) => {
            tracing::info!("choice {}: {} asks", choice.id, choice.from);
            let chooser = Chooser::new(choice, Host::new(cli.hostd), Duration::from_millis(cli.arm_delay_ms));
            canopy_shell::wl::run(chooser, theme)?
        }
        Event::Notice(notice) => {
            let time = Duration::from_secs_f64(cli.notice_secs.clamp(0.1, 3600.0));
            canopy_shell::wl::run(NoticeBox::new(notice, time), theme)?
        }
        other => anyhow::bail!("not a request to choose or a notice: {other:?}"),
    };
    std::process::exit(code);
}
