//! The control socket's types: one JSON request per connection (`{"command": "windows"}`), one
//! JSON reply line, `{"ok": …}` or `{"error": "…"}`. The compositor, `canopy msg`, the tests and
//! the wlcs module all use these, so a field renamed here is renamed everywhere.

pub mod idle;
pub mod power;
pub mod reply;
mod request;
pub mod socket;

pub use idle::IdleState;
pub use power::{PowerCommand, PowerLogind, PowerState, PowerWaiting};
pub use reply::{Cursor, CursorImage, Mode, Output, Rect, Response, Screenshot, Version, Window};
pub use request::Request;

/// What the compositor answered: a typed reply, or why the request failed.
pub type Reply = Result<Response, String>;
