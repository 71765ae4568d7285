//! The Wayland side shared by the shell programs.

pub mod app;
mod buffers;
pub mod protocol;
pub mod runtime;
mod scroll;
pub mod windows;

pub use app::{App, Placement, View, ViewCx, BTN_LEFT, BTN_MIDDLE, BTN_RIGHT};
pub use runtime::{run, Core, Shell};
pub use windows::{Window, WindowList};
