//! wp_security_context_v1: how canopy-proxy connects a VM's clients. Every client that arrives
//! through a context's listener is sandboxed, and its VM is the context's app_id.

use std::sync::Arc;

use smithay::delegate_security_context;
use smithay::wayland::security_context::{SecurityContext, SecurityContextHandler, SecurityContextListenerSource};

use crate::client::{sanitise_vm_name, ClientState};
use crate::state::State;

impl SecurityContextHandler for State {
    fn context_created(&mut self, source: SecurityContextListenerSource, context: SecurityContext) {
        let vm = sanitise_vm_name(context.app_id.as_deref().unwrap_or("unnamed"));
        tracing::info!(vm, engine = ?context.sandbox_engine, instance = ?context.instance_id, "security context created");
        let result = self.canopy.loop_handle.insert_source(source, move |stream, _, state| {
            let data = Arc::new(ClientState::sandboxed(context.clone()));
            if let Err(e) = state.canopy.display_handle.insert_client(stream, data) {
                tracing::warn!("could not add a sandboxed client: {e}");
            }
        });
        if let Err(e) = result {
            tracing::warn!(vm, "security context listener not registered: {e}");
        }
    }
}

delegate_security_context!(State);
