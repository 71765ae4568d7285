//! Looks and trust colours of the canopy desktop, and the strict TOML loader that every
//! canopy config goes through (errors name the file, the line and the key).

pub mod colour;
pub mod theme;
pub mod tomlfile;

pub use colour::Rgba;
pub use theme::{Theme, TrustColours, TrustLevel};
pub use tomlfile::{ConfigError, TomlFile};
