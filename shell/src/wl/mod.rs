//! The Wayland side shared by the shell programs: outputs coming and going, layer-shell or
//! session-lock surfaces on them, scale (integer and fractional), pointer and keyboard, and
//! redraws that commit only when a surface's scene changed.

mod activation;
mod api;
pub mod app;
mod buffers;
mod field;
mod frame;
mod handlers;
pub mod protocol;
mod run;
mod scale;
mod scroll;
mod surface;
pub mod windows;

pub use api::{Core, Shell};
pub use app::{App, Placement, View, ViewCx, BTN_LEFT, BTN_MIDDLE, BTN_RIGHT};
pub use field::{edit_key, printable};
pub use run::run;
pub use windows::{Window, WindowList};
