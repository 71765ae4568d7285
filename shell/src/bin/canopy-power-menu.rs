//! canopy-power-menu: Lock, Suspend, Log out, Reboot, Power off.

use canopy_lifecycle::Address;
use canopy_shell::host::{Host, DEFAULT_ADDRESS};
use canopy_shell::power_menu::{MenuOptions, PowerMenu};
use clap::Parser;

/// The power menu the panel's power button opens: Lock, Suspend (locks first), Log out,
/// Reboot and Power off (both ask first). Power actions go to canopy-hostd. Escape or a click
/// beside the menu closes it.
#[derive(Debug, Parser)]
#[command(name = "canopy-power-menu", version)]
struct Cli {
    /// A built-in theme (default, high-contrast) or a theme file.
    #[arg(long, default_value = "default")]
    theme: String,
    /// The output to show the menu on (default: the compositor chooses).
    #[arg(long)]
    output: Option<String>,
    /// canopy-hostd's address: unix:PATH, vsock:CID:PORT or vsock-mux:PATH:PORT.
    #[arg(long, env = "CANOPY_HOSTD", default_value = DEFAULT_ADDRESS)]
    hostd: Address,
    /// Command that locks the screen.
    #[arg(long, default_value = "canopy-lock", num_args = 1.., value_delimiter = ' ')]
    lock: Vec<String>,
    /// Command that suspends: the compositor locks every output first, then asks hostd.
    #[arg(long, default_value = "canopy msg power suspend", num_args = 1.., value_delimiter = ' ')]
    suspend: Vec<String>,
    /// Command that ends the session.
    #[arg(long, default_value = "canopy msg quit", num_args = 1.., value_delimiter = ' ')]
    logout: Vec<String>,
}

fn main() -> anyhow::Result<()> {
    canopy_shell::init_logging();
    let cli = Cli::parse();
    let theme = canopy_themes::Theme::load(&cli.theme)?;
    let menu = PowerMenu::new(MenuOptions {
        output: cli.output,
        host: Host::new(cli.hostd),
        lock: cli.lock,
        suspend: cli.suspend,
        logout: cli.logout,
    });
    let code = canopy_shell::wl::run(menu, theme)?;
    std::process::exit(code);
}
