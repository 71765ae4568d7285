//! canopy-lock: the lock screen.

use canopy_shell::clock::LocalTime;
use canopy_shell::lock::{pam, Lock, LockOptions};
use clap::Parser;

/// Lock the session: every output (also ones plugged in while locked) is covered until PAM
/// accepts the user's password. If this program dies, the compositor keeps the session locked.
/// Suspending is the compositor's (`canopy msg power suspend`): it starts this, and asks hostd
/// only once the lock shows on every output.
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
    let lock = Lock::new(LockOptions { pam_service: cli.pam_service, user, fixed_time: cli.time });
    let code = canopy_shell::wl::run(lock, theme)?;
    std::process::exit(code);
}
