//! What more than one canopy crate needs, written once:
//!
//! - [`config`]: strict TOML loading for every canopy config (errors name the file, the line and
//!   the key).

pub mod config;
