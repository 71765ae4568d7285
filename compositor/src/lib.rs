//! canopy: a Wayland compositor for the GUI VM of a virtualised secure laptop. Every window
//! from an application VM wears its VM's trust colour and a `[vm-name]` title prefix that the
//! application cannot change.

pub mod backend;
pub mod capture;
pub mod cli;
pub mod client;
pub mod clipboard;
pub mod config;
pub mod context;
pub mod decorations;
pub mod dnd;
pub mod embed;
pub mod handlers;
pub mod input;
pub mod ipc;
pub mod levels;
pub mod lock_record;
pub mod power;
pub mod reload;
pub mod render;
pub mod run;
pub mod scale;
pub mod screenshot_keys;
pub mod screenshot_region;
pub mod spawn;
pub mod state;
pub mod tell;
pub mod trust;
pub mod violation;
pub mod wm;
