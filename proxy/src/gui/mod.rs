//! `canopy-proxy gui`: the GUI VM's end, one process per app VM.

pub mod conn;
pub mod context;
pub mod fuzzing;
pub mod server;
