//! Message types shared by canopy parts.
//!
//! - [`lifecycle`]: requests from the GUI VM to `canopy-hostd` and from hostd to `canopy-agent`.
//! - [`wire`]: the frames `canopy-proxy` sends between the app VM and the GUI VM.

pub mod lifecycle;
pub mod wire;
