//! Volume, microphone and brightness for the canopy desktop.
//!
//! - [`audiod`]: `canopy-audiod`, the audio control daemon in the VM that owns audio (PipeWire
//!   through WirePlumber), serving the typed protocol of `canopy_protocols::audio`.
//! - [`audio`]: the GUI VM's side of that protocol (the compositor's keys, the panel).
//! - [`backlight`]: the GUI VM's own backlight, through logind or sysfs, in even steps.
//! - [`config`]: the `[levels]` settings the compositor and the panel share.

pub mod audio;
pub mod audiod;
pub mod backlight;
pub mod config;
mod logind;

/// canopy-audiod's default vsock port.
pub const AUDIOD_PORT: u32 = 7102;
