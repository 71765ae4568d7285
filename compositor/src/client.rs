//! Per-client data: whether a client is sandboxed and which VM it speaks for.
//!
//! A client is sandboxed when it connected through a `wp_security_context_v1` listener; its VM is
//! the context's app_id, set by the trusted proxy that created the listener. Nothing the client
//! itself says (app_id, title) ever changes this.

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
        if let (Some(vm), DisconnectReason::ProtocolError(e)) = (self.vm(), reason) {
            tracing::warn!(vm, error = %e, "VM client disconnected after a protocol error");
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

/// Sandboxed clients see only these globals: what an ordinary application needs. Everything
/// else (layer-shell, session lock, data control, virtual input, capture, toplevel management,
/// output management, security contexts, canopy's own shell protocol) is for the GUI VM's own
/// trusted clients.
pub const SANDBOX_ALLOWED_GLOBALS: &[&str] = &[
    "wl_compositor",
    "wl_subcompositor",
    "wl_shm",
    "wl_seat",
    "wl_output",
    "wl_data_device_manager",
    "xdg_wm_base",
    "zxdg_output_manager_v1",
    "zxdg_decoration_manager_v1",
    "wp_viewporter",
    "wp_fractional_scale_manager_v1",
    "wp_presentation",
    "zwp_primary_selection_device_manager_v1",
    "xdg_activation_v1",
    "wp_single_pixel_buffer_manager_v1",
    "wp_cursor_shape_manager_v1",
    "zwp_text_input_manager_v3",
];

/// Whether `client` may see a global of the given interface.
pub fn may_see_global(client: &Client, interface: &str) -> bool {
    match client_state(client) {
        Some(state) if state.is_sandboxed() => SANDBOX_ALLOWED_GLOBALS.contains(&interface),
        Some(_) => true,
        // Clients without our data were not inserted by us; show them nothing privileged.
        None => SANDBOX_ALLOWED_GLOBALS.contains(&interface),
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
