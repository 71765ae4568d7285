//! Message types shared by canopy parts.
//!
//! - [`lifecycle`]: requests from the GUI VM to `canopy-hostd` and from hostd to `canopy-agent`.
//! - [`notify`]: desktop notifications from an app VM to the GUI VM's notification daemon.
//! - [`audio`]: levels, devices and streams of the VM that owns audio, for the GUI VM.
//! - [`framing`]: the length-prefixed JSON frames both of them use.
//! - [`wire`]: the frames `canopy-proxy` sends between the app VM and the GUI VM.
//! - [`text`]: the one sanitiser for text from VMs and agents that the trusted side shows or logs.

pub mod audio;
pub mod framing;
pub mod lifecycle;
pub mod notify;
pub mod text;
pub mod wire;
