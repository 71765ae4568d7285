//! canopy-lock: the lock screen.

use canopy_lifecycle::Address;
use canopy_shell::clock::LocalTime;
use canopy_shell::host::{Host, DEFAULT_ADDRESS};
use canopy_shell::lock::{pam, Lock, LockOptions};
use clap::Parser;

/// Lock the session: every output (also ones plugged in while locked) is covered until PAM
/// accepts the user's password. If this program dies, the compositor keeps the session locked.
#[derive(Debug, Parser)]
#[command(name = "canopy-lock", version)]
struct Cli {
    /// A built-in theme (default, high-contrast) or a theme file.
    #[arg(long, default_value = "default")]
    theme: String,
    /// The PAM service that checks the password (a file in /etc/pam.d; PAM falls back to
    /// `other` when there is none).
    #[arg(long, default_value = "canopy-lock")]
    pam_service: String,
    /// Whose password unlocks (default: the user running canopy-lock).
    #[arg(long)]
    user: Option<String>,
    /// Suspend the laptop through canopy-hostd once the lock covers every output.
    #[arg(long)]
    suspend: bool,
    /// canopy-hostd's address, for --suspend: unix:PATH, vsock:CID:PORT or vsock-mux:PATH:PORT.
    #[arg(long, env = "CANOPY_HOSTD", default_value = DEFAULT_ADDRESS)]
    hostd: Address,
    /// Show this time ("YYYY-MM-DD HH:MM") instead of the clock, for screenshots.
    #[arg(long, value_parser = LocalTime::parse)]
    time: Option<LocalTime>,
}

fn main() -> anyhow::Result<()> {
    canopy_shell::init_logging();
    let cli = Cli::parse();
    let theme = canopy_themes::Theme::load(&cli.theme)?;
    let user = match cli.user.or_else(pam::current_user) {
        Some(u) => u,
        None => anyhow::bail!("cannot tell who is running canopy-lock; pass --user"),
    };
    let lock = Lock::new(LockOptions {
        pam_service: cli.pam_service,
        user,
        fixed_time: cli.time,
        suspend: cli.suspend.then(|| Host::new(cli.hostd)),
    });
    let code = canopy_shell::wl::run(lock, theme)?;
    std::process::exit(code);
}
