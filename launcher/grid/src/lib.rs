//! The canopy app launcher: an overlay grid of the apps (from canopy-hostd's ListApps, or a
//! fallback file), each in its VM's trust colour with the VM's state. Type to filter; arrows
//! and Enter, or a click, start the app through hostd.

pub mod app;
pub mod config;
pub mod disk_prompt;
pub mod model;
mod prompt_view;
pub mod toggle;
pub mod view;

pub use app::{Launcher, LauncherOptions};
