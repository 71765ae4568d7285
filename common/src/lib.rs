//! What more than one canopy crate needs, written once:
//!
//! - [`config`]: strict TOML loading for every canopy config (errors name the file, the line and
//!   the key).
//! - [`transport`]: `unix:`, `vsock:` and `vsock-mux:` stream sockets with the peer identity
//!   each vouches for, and exchanges bounded by wall-clock deadlines (the proxy, hostd, agents).

pub mod config;
pub mod transport;
