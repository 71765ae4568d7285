//! Registering a `wp_security_context_v1` listener with the compositor: clients that connect
//! through it are known by the app_id set here (a VM's name), never by what they say. Used by
//! `canopy-proxy gui` for every VM and by `canopy context` for a program of the GUI VM shown as a
//! VM's (the Windows VM's display client).

use std::os::fd::BorrowedFd;

use wayland_client::globals::registry_queue_init;
use wayland_client::{delegate_noop, Connection};
use wayland_protocols::wp::security_context::v1::client::wp_security_context_manager_v1::WpSecurityContextManagerV1;
use wayland_protocols::wp::security_context::v1::client::wp_security_context_v1::WpSecurityContextV1;

/// The sandbox engine canopy names in its security contexts.
pub const SANDBOX_ENGINE: &str = "canopy";

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("reading the compositor's globals: {0}")]
    Globals(#[from] wayland_client::globals::GlobalError),
    #[error("the compositor offers no wp_security_context_manager_v1 (it is not canopy, or this is a VM's client)")]
    NoManager,
    #[error("registering the security context: {0}")]
    Dispatch(#[from] wayland_client::DispatchError),
}

struct State;

crate::ignore_registry_events!(State);
delegate_noop!(State: ignore WpSecurityContextManagerV1);
delegate_noop!(State: ignore WpSecurityContextV1);

/// Asks the compositor on `conn` to accept clients on `listener` as `app_id`, until the write
/// end of the pipe whose read end is `close` closes. Returns once the compositor has it; the
/// caller may then close its own copies of `listener` and `close`.
pub fn register(
    conn: &Connection,
    listener: BorrowedFd<'_>,
    close: BorrowedFd<'_>,
    app_id: &str,
    instance_id: &str,
) -> Result<(), RegisterError> {
    let (globals, mut queue) = registry_queue_init::<State>(conn)?;
    let qh = queue.handle();
    let manager =
        globals.bind::<WpSecurityContextManagerV1, _, _>(&qh, 1..=1, ()).map_err(|_| RegisterError::NoManager)?;
    let ctx = manager.create_listener(listener, close, &qh, ());
    ctx.set_sandbox_engine(SANDBOX_ENGINE.into());
    ctx.set_app_id(app_id.into());
    ctx.set_instance_id(instance_id.into());
    ctx.commit();
    ctx.destroy();
    manager.destroy();
    queue.roundtrip(&mut State)?;
    Ok(())
}
