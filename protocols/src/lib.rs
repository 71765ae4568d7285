//! Message types shared by canopy parts.
//!
//! - [`lifecycle`]: requests from the GUI VM to `canopy-hostd` and from hostd to `canopy-agent`.
//! - [`wire`]: the frames `canopy-proxy` sends between the app VM and the GUI VM.
//! - [`text`]: the one sanitiser for text from VMs and agents that the trusted side shows or logs.

pub mod lifecycle;
pub mod text;
pub mod wire;
