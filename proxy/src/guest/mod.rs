//! `canopy-proxy guest`: the app VM's end.

pub mod conn;
pub mod server;
