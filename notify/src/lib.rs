//! Desktop notifications across VMs.
//!
//! - [`dbus`]: the `org.freedesktop.Notifications` server (spec 1.2), in every app VM (the
//!   agent) and in the GUI VM (the daemon, for its own programs).
//! - [`agent`]: `canopy-notify-agent`, which forwards an app VM's notifications to the GUI VM.
//! - [`listen`]: the GUI VM's per-VM listeners: the VM is the one whose listener (and CID) the
//!   connection came through, never what a message says.
//! - [`rules`], [`image`]: what a notification must keep to, and what is shown of it.
//! - [`store`], [`rate`]: the daemon's decisions: popups, rate limits with collapsing, muting.
//! - [`centre`]: the notification centre's state and the local D-Bus interface the panel and the
//!   lock screen use.
//! - [`config`]: `canopy-notifyd`'s config.
//! - [`system`]: the GUI VM's own parts sending their messages to `canopy-notifyd`.

pub mod agent;
pub mod centre;
pub mod config;
pub mod dbus;
pub mod image;
pub mod listen;
pub mod rate;
pub mod rules;
pub mod store;
pub mod system;
