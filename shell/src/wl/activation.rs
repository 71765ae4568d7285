//! An xdg-activation token for the app a shell program starts on the user's behalf (the
//! launcher's tile click), made from the last press on one of its surfaces.

use canopy_common::activation::{app_id_for_vm, request_token};

use super::api::Core;
use super::app::App;

impl<A: App> Core<A> {
    /// A token from the compositor for an app about to start in VM `vm`, made from the user's
    /// last button or key press here; the compositor lets only `vm`'s clients use it. None (and
    /// a log line) when the compositor gives none: the app then opens without the keyboard.
    pub fn activation_token(&self, vm: &str) -> Option<String> {
        let (serial, surface) = self.last_press.as_ref()?;
        let seat = self.seats.seats().next()?;
        match request_token(&self.conn, Some((*serial, &seat)), Some(surface), Some(&app_id_for_vm(vm))) {
            Ok(token) => Some(token),
            Err(e) => {
                tracing::warn!("no activation token for {vm}: {e}");
                None
            }
        }
    }
}
