//! Shared machinery of canopy's end-to-end tests: start the real compositor on its headless
//! backend in a private runtime dir, run real clients against it (directly, or as a VM's
//! sandboxed client), drive it through its control IPC, and compare screenshots.

pub mod client_kit;
pub mod fixture;
pub mod image;
pub mod logind_standin;
pub mod notify;
pub mod pdf;
pub mod procstat;
pub mod simhost;
pub mod sound;

pub use fixture::{bin_path, Client, Compositor};
pub use image::Image;
