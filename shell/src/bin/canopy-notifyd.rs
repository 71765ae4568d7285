//! canopy-notifyd: the GUI VM's notification daemon.

use std::path::PathBuf;

use canopy_notify::config::Config;
use canopy_shell::notifyd::Notifyd;
use clap::Parser;

/// The notification daemon of the GUI VM: shows the notifications of every app VM (each framed
/// in its VM's colour and titled [vm], the VM known from the connection it came over) and of the
/// GUI VM's own programs (it is their org.freedesktop.Notifications), as popups in a corner of
/// the output under the pointer; the panel's bell and the lock screen follow it over the session
/// bus. Set RUST_LOG to change the log level (default info).
#[derive(Debug, Parser)]
#[command(name = "canopy-notifyd", version)]
struct Cli {
    /// The config (see assets/examples/notifyd.toml); default
    /// $XDG_CONFIG_HOME/canopy/notifyd.toml, else /etc/canopy/notifyd.toml, else built-in
    /// defaults with no VMs.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Check the config and exit.
    #[arg(long)]
    check: bool,
    /// A built-in theme (default, high-contrast) or a theme file.
    #[arg(long, default_value = "default")]
    theme: String,
}

fn config_path(cli: &Cli) -> Option<PathBuf> {
    if let Some(c) = &cli.config {
        return Some(c.clone());
    }
    let user = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .map(|d| d.join("canopy/notifyd.toml"));
    user.into_iter().chain([PathBuf::from("/etc/canopy/notifyd.toml")]).find(|p| p.exists())
}

fn main() {
    canopy_shell::init_logging();
    let cli = Cli::parse();
    let config = match config_path(&cli) {
        Some(p) => Config::load(&p),
        None => Config::from_file(&canopy_common::config::TomlFile::from_text("(built-in)", "")),
    };
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            eprintln!("canopy-notifyd: {e}");
            std::process::exit(1);
        }
    };
    if cli.check {
        println!("config OK: {} VMs", config.vms.len());
        return;
    }
    let theme = match canopy_themes::Theme::load(&cli.theme) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("canopy-notifyd: {e}");
            std::process::exit(1);
        }
    };
    match canopy_shell::wl::run(Notifyd::new(config), theme) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("canopy-notifyd: {e:#}");
            std::process::exit(1);
        }
    }
}
