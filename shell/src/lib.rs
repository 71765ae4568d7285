//! The canopy panel, power menu and lock screen, and their shared drawing module.
//!
//! - [`draw`]: scenes of rectangles, text and icons rendered with tiny-skia, fontdue and resvg.

pub mod draw;
