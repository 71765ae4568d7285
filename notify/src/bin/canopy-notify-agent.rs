//! canopy-notify-agent: the notification server of an app VM's session bus, forwarding to the
//! GUI VM.

use canopy_common::transport::Address;
use clap::Parser;

/// Desktop notifications of an app VM, shown by the GUI VM.
///
/// Owns org.freedesktop.Notifications on the session bus ($DBUS_SESSION_BUS_ADDRESS), so apps
/// (notify-send, GLib/GTK, Qt, Chromium) need no change, and sends each notification to the GUI
/// VM's canopy-notifyd, which shows it framed in this VM's colour. Actions the user chooses come
/// back as ActionInvoked signals. Set RUST_LOG to change the log level (default info).
#[derive(Parser)]
#[command(name = "canopy-notify-agent", version)]
struct Cli {
    /// Where the GUI VM's daemon listens for this VM: vsock:CID:PORT (the GUI VM's CID and this
    /// VM's own port), vsock-mux:PATH:PORT or unix:PATH.
    #[arg(long, value_name = "ADDR", env = "CANOPY_NOTIFY")]
    connect: Address,
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    if let Err(e) = canopy_notify::agent::run(&cli.connect) {
        eprintln!("canopy-notify-agent: {e:#}");
        std::process::exit(1);
    }
}
