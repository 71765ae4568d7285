//! canopy-launcher: the app grid.

use std::path::PathBuf;

use canopy_launcher::toggle::{self, Claim};
use canopy_launcher::{Launcher, LauncherOptions};
use canopy_lifecycle::Address;
use canopy_shell::host::{Host, DEFAULT_ADDRESS};
use clap::Parser;

/// The canopy app launcher: a grid of the apps that canopy-hostd offers (or, when hostd cannot
/// be reached, those of the fallback file), each in its VM's trust colour with the VM's state.
/// Type to filter; arrows and Enter, or a click, start an app; Escape closes. Running it while
/// it is open closes it, so a key binding toggles it.
#[derive(Debug, Parser)]
#[command(name = "canopy-launcher", version)]
struct Cli {
    /// A built-in theme (default, high-contrast) or a theme file.
    #[arg(long, default_value = "default")]
    theme: String,
    /// The output to show the launcher on (default: the compositor chooses).
    #[arg(long)]
    output: Option<String>,
    /// canopy-hostd's address: unix:PATH, vsock:CID:PORT or vsock-mux:PATH:PORT.
    #[arg(long, env = "CANOPY_HOSTD", default_value = DEFAULT_ADDRESS)]
    hostd: Address,
    /// App list used when hostd cannot be reached (TOML, `[[app]]` tables).
    #[arg(long, default_value = "/etc/canopy/launcher.toml")]
    apps: PathBuf,
    /// Check the theme and the `--apps` file (names, trust levels, icons), say what is wrong
    /// with file, line and key, and exit.
    #[arg(long)]
    check: bool,
}

fn main() -> anyhow::Result<()> {
    canopy_shell::init_logging();
    let cli = Cli::parse();
    let theme = canopy_themes::Theme::load(&cli.theme)?;
    if cli.check {
        let apps = canopy_launcher::config::load(&cli.apps, &theme)?;
        println!("{}: {} apps", cli.apps.display(), apps.app.len());
        return Ok(());
    }
    let _instance = match toggle::claim(&toggle::lock_path()) {
        Ok(Claim::Mine(instance)) => Some(instance),
        Ok(Claim::ClosedOther(pid)) => {
            tracing::info!("closed the open launcher (pid {pid})");
            return Ok(());
        }
        Err(e) => {
            tracing::warn!("cannot tell whether a launcher is open ({e}); opening anyway");
            None
        }
    };
    let launcher = Launcher::new(LauncherOptions {
        output: cli.output,
        host: Host::new(cli.hostd),
        fallback: cli.apps,
        theme: theme.clone(),
    });
    let code = canopy_shell::wl::run(launcher, theme)?;
    std::process::exit(code);
}
