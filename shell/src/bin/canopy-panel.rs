//! canopy-panel: the bar along the top of every output.

use std::path::PathBuf;

use canopy_levels::config::LevelsConfig;
use canopy_lifecycle::Address;
use canopy_shell::clock::LocalTime;
use canopy_shell::host::{Host, DEFAULT_ADDRESS};
use canopy_shell::panel::{Panel, PanelOptions};
use clap::Parser;

/// The canopy panel: a bar on every output (outputs plugged in later get one too) with the
/// launcher button, the open windows in their VM's trust colour, VM states, keyboard layout,
/// battery, clock and the power menu.
#[derive(Debug, Parser)]
#[command(name = "canopy-panel", version)]
struct Cli {
    /// A built-in theme (default, high-contrast) or a theme file.
    #[arg(long, default_value = "default")]
    theme: String,
    /// Height of the bar in logical pixels.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(20..=96))]
    height: u32,
    /// canopy-hostd's address: unix:PATH, vsock:CID:PORT or vsock-mux:PATH:PORT.
    #[arg(long, env = "CANOPY_HOSTD", default_value = DEFAULT_ADDRESS)]
    hostd: Address,
    /// Where batteries are listed; the battery is hidden when there is none.
    #[arg(long, default_value = "/sys/class/power_supply")]
    power_supply: PathBuf,
    /// Show this time ("YYYY-MM-DD HH:MM") instead of the clock, for screenshots.
    #[arg(long, value_parser = LocalTime::parse)]
    time: Option<LocalTime>,
    /// A fake time source for tests: read the time ("YYYY-MM-DD HH:MM") from this file each time
    /// the clock is read; no minute tick runs.
    #[arg(long)]
    time_file: Option<PathBuf>,
    /// Command the launcher button runs (`--output NAME` is appended).
    #[arg(long, default_value = "canopy-launcher", num_args = 1.., value_delimiter = ' ')]
    launcher: Vec<String>,
    /// Command the power button runs (`--output NAME` is appended).
    #[arg(long, default_value = "canopy-power-menu", num_args = 1.., value_delimiter = ' ')]
    power_menu: Vec<String>,
    /// Command that asks the user where a VM's link or file goes, and shows how such requests
    /// end (hostd's request on its stdin).
    #[arg(long, default_value = "canopy-chooser", num_args = 1.., value_delimiter = ' ')]
    chooser: Vec<String>,
    // The levels come from the compositor's `[levels]` (CANOPY_LEVELS, set for the programs it
    // starts); these options override them.
    /// canopy-audiod's address (unix:PATH or vsock:CID:PORT), for the volume indicator and its
    /// popover; without it (here or in the compositor's [levels]) there is no volume indicator.
    #[arg(long, env = "CANOPY_AUDIO")]
    audio: Option<Address>,
    /// Where backlights are listed (default /sys/class/backlight, where the indicator shows only
    /// when there is one); given, a missing backlight shows as such.
    #[arg(long, env = "CANOPY_BACKLIGHT")]
    backlight: Option<PathBuf>,
    /// Which backlight device (default: firmware, then platform, then raw).
    #[arg(long)]
    backlight_device: Option<String>,
    /// Write the backlight directly instead of through logind's SetBrightness.
    #[arg(long)]
    no_logind: bool,
}

impl Cli {
    /// The compositor's `[levels]` with this command line's options over them. A bad
    /// CANOPY_LEVELS (the compositor checked what it wrote) is logged and left out: a panel
    /// without levels beats no panel.
    fn levels(&self) -> LevelsConfig {
        let mut levels = LevelsConfig::from_env()
            .unwrap_or_else(|e| {
                tracing::error!("{e}; the levels are left out");
                None
            })
            .unwrap_or_default();
        if let Some(audio) = &self.audio {
            levels.audio = Some(audio.clone());
        }
        let b = &mut levels.backlight;
        if let Some(root) = &self.backlight {
            b.root = root.clone();
        }
        if let Some(device) = &self.backlight_device {
            b.device = Some(device.clone());
        }
        b.logind &= !self.no_logind;
        levels
    }
}

fn main() -> anyhow::Result<()> {
    canopy_shell::init_logging();
    let cli = Cli::parse();
    let levels = cli.levels();
    let theme = canopy_themes::Theme::load(&cli.theme)?;
    let panel = Panel::new(PanelOptions {
        height: cli.height,
        fixed_time: cli.time,
        time_file: cli.time_file,
        power_supply: cli.power_supply,
        host: Host::new(cli.hostd),
        launcher: cli.launcher,
        power_menu: cli.power_menu,
        chooser: cli.chooser,
        audio: levels.audio,
        backlight_explicit: levels.backlight.named() || cli.backlight.is_some(),
        backlight: levels.backlight,
    });
    let code = canopy_shell::wl::run(panel, theme)?;
    std::process::exit(code);
}
