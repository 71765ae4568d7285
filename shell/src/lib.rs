//! The canopy panel, power menu and lock screen, and their shared drawing module.
//!
//! - [`draw`]: scenes of rectangles, text and icons rendered with tiny-skia, canopy-text and resvg.
//! - [`notifyd`]: the notification daemon's popups and its glue.
//! - [`wl`]: the Wayland runtime the programs share (layer-shell, session lock, outputs, input).

pub mod battery;
pub mod chooser;
pub mod clock;
pub mod draw;
pub mod host;
pub mod lock;
pub mod notifyd;
pub mod panel;
pub mod power_menu;
pub mod spawn;
pub mod tiles;
pub mod wl;

/// Log to stderr; `RUST_LOG` picks the level (default `info`).
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only on a terminal: logs written to files are read by people and tests.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).init();
}
