//! The canopy panel, power menu and lock screen, and their shared drawing module.
//!
//! - [`draw`]: scenes of rectangles, text and icons rendered with tiny-skia, canopy-text and resvg.
//! - [`wl`]: the Wayland runtime the programs share (layer-shell, session lock, outputs, input).

pub mod battery;
pub mod chooser;
pub mod clock;
pub mod draw;
pub mod host;
pub mod lock;
pub mod panel;
pub mod power_menu;
pub mod spawn;
pub mod tiles;
pub mod wl;

/// Log to stderr; `RUST_LOG` picks the level (default `info`).
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
