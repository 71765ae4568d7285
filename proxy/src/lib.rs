//! canopy-proxy: both ends of the cross-VM Wayland proxy and the host relay.
//!
//! - [`wayland`]: reading Wayland messages against the protocol tables, object tracking.
//! - [`shm`]: pool contents: mappings, damage, diffing, compression, the shared region.
//! - [`limits`]: what the GUI side allows one app VM.

pub mod guest;
pub mod gui;
pub mod limits;
pub mod pump;
pub mod relay;
pub mod shm;
pub mod sockio;
pub mod wayland;

/// The stream transports between the proxy ends (AF_VSOCK, vsock-mux, Unix), shared with the
/// lifecycle daemons.
pub use canopy_common::transport;
