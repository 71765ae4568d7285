//! Per-client data: whether a client is sandboxed and which VM it speaks for.
//!
//! A client is sandboxed when it connected through a `wp_security_context_v1` listener; its VM is
//! the context's app_id, set by the trusted proxy that created the listener. Nothing the client
//! itself says (app_id, title) ever changes this.

use canopy_common::globals::vm_may_see;
use smithay::reexports::wayland_server::backend::{ClientData, ClientId, DisconnectReason};
use smithay::reexports::wayland_server::Client;
use smithay::wayland::compositor::CompositorClientState;
use smithay::wayland::security_context::SecurityContext;

#[derive(Debug, Default)]
pub struct ClientState {
    pub compositor_state: CompositorClientState,
    /// Set for clients that connected through a security-context listener.
    pub security_context: Option<SecurityContext>,
}

impl ClientState {
    pub fn local() -> Self {
        Self::default()
    }

    pub fn sandboxed(context: SecurityContext) -> Self {
        Self { compositor_state: Default::default(), security_context: Some(context) }
    }

    pub fn is_sandboxed(&self) -> bool {
        self.security_context.is_some()
    }

    /// The VM a sandboxed client belongs to. A context without an app_id still is a VM client:
    /// it is named `unnamed` and gets the `unknown` colour.
    pub fn vm(&self) -> Option<String> {
        self.security_context.as_ref().map(|ctx| sanitise_vm_name(ctx.app_id.as_deref().unwrap_or("unnamed")))
    }
}

impl ClientData for ClientState {
    fn initialized(&self, _client_id: ClientId) {}
    fn disconnected(&self, _client_id: ClientId, reason: DisconnectReason) {
        let Some(vm) = self.vm() else { return };
        match reason {
            DisconnectReason::ProtocolError(e) => {
                tracing::warn!(vm, error = %e, "VM client disconnected after a protocol error")
            }
            // Closed from the VM's side, or by its proxy (which logs the rule it enforced).
            DisconnectReason::ConnectionClosed => tracing::info!(vm, "VM client disconnected"),
        }
    }
}

/// The app_id of a security context is set by the trusted proxy, but is still bounded and
/// stripped of anything that could disturb a title bar or a log line.
pub fn sanitise_vm_name(name: &str) -> String {
    let clean: String = name.chars().filter(|c| !c.is_control()).take(64).collect();
    if clean.is_empty() {
        "unnamed".into()
    } else {
        clean
    }
}

pub fn client_state(client: &Client) -> Option<&ClientState> {
    client.get_data::<ClientState>()
}

/// Whether `client` may see a global of the given interface. Sandboxed clients see only what an
/// ordinary application needs (`canopy_common::globals`, the list the proxy enforces too).
pub fn may_see_global(client: &Client, interface: &str) -> bool {
    match client_state(client) {
        Some(state) if state.is_sandboxed() => vm_may_see(interface),
        Some(_) => true,
        // Clients without our data were not inserted by us; show them nothing privileged.
        None => vm_may_see(interface),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_names_are_sanitised() {
        assert_eq!(sanitise_vm_name("work\n-vm\u{1b}[31m"), "work-vm[31m");
        assert_eq!(sanitise_vm_name(""), "unnamed");
        assert_eq!(sanitise_vm_name(&"x".repeat(100)).len(), 64);
    }
}
