//! `canopy-proxy gui`: the GUI VM's end, one process per app VM.

pub mod checks;
pub mod conn;
pub mod context;
pub mod fake_compositor;
pub mod fuzzing;
pub mod restore;
pub mod server;
pub mod supervise;
