//! Looks and trust colours of the canopy desktop (read with the strict TOML loader of
//! `canopy_common::config`).

pub mod colour;
pub mod theme;

pub use colour::Rgba;
pub use theme::{Theme, TrustColours, TrustLevel};
