//! What more than one canopy crate needs, written once:
//!
//! - [`config`]: strict TOML loading for every canopy config (errors name the file, the line and
//!   the key).
//! - [`transport`]: `unix:`, `vsock:` and `vsock-mux:` stream sockets with the peer identity
//!   each vouches for, and exchanges bounded by wall-clock deadlines (the proxy, hostd, agents).
//! - [`globals`] (feature `wayland`): the globals a VM's client may see, enforced by both the
//!   compositor and the proxy.
//! - [`image`], [`golden`] (feature `images`): straight-RGBA pictures and their PNG files, and
//!   the one golden-image comparer with its one bless variable (`CANOPY_BLESS=1`).
//! - [`activation`] (feature `wayland`): xdg-activation tokens bound to a VM by the trusted
//!   launcher, checked in transit, and a client's blocking token and activation requests.
//! - [`icons`]: the built-in icons' names and SVG sources (the shell draws them, config checks
//!   name them).
//! - [`security_context`] (feature `wayland`): registering a security-context listener whose
//!   app_id is a VM's name (the proxy's GUI side, `canopy context`).

/// A one-shot Wayland client's registry (from `registry_queue_init`, whose globals are read once)
/// needs a `Dispatch` that ignores later global events: `ignore_registry_events!(State);`.
#[macro_export]
macro_rules! ignore_registry_events {
    ($state:ty) => {
        impl
            ::wayland_client::Dispatch<
                ::wayland_client::protocol::wl_registry::WlRegistry,
                ::wayland_client::globals::GlobalListContents,
            > for $state
        {
            fn event(
                _: &mut Self,
                _: &::wayland_client::protocol::wl_registry::WlRegistry,
                _: ::wayland_client::protocol::wl_registry::Event,
                _: &::wayland_client::globals::GlobalListContents,
                _: &::wayland_client::Connection,
                _: &::wayland_client::QueueHandle<Self>,
            ) {
            }
        }
    };
}

#[cfg(feature = "wayland")]
pub mod activation;
pub mod config;
#[cfg(feature = "wayland")]
pub mod globals;
#[cfg(feature = "images")]
pub mod golden;
pub mod icons;
#[cfg(feature = "images")]
pub mod image;
#[cfg(feature = "wayland")]
pub mod security_context;
pub mod transport;
