//! The canopy panel, power menu and lock screen, and their shared drawing module.
//!
//! - [`draw`]: scenes of rectangles, text and icons rendered with tiny-skia, fontdue and resvg.
//! - [`wl`]: the Wayland runtime the programs share (layer-shell, session lock, outputs, input).

pub mod battery;
pub mod clock;
pub mod draw;
pub mod panel;
pub mod wl;
