//! xdg-activation: a token lets a window take the keyboard without a click on it, so its
//! rules are focus rules (see `wm::focus`). A token is made only by the client that has the
//! keyboard, from a recent input serial; it is bound to a domain decided by the transport: a
//! VM's token to that VM, a trusted client's to the GUI VM, or to the VM the trusted launcher
//! names (`canopy_common::activation`, for the app it starts there). It is used once (whoever
//! presents it), only by a client of its domain, within its lifetime (10 s; 120 s for a launch
//! token, which must outlast a VM's boot), and it is void once the user presses a key or a
//! button on anything but the client that made it: the user has moved on, and a window
//! appearing later must not take the keys they are typing elsewhere.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use smithay::delegate_xdg_activation;
use smithay::reexports::wayland_server::backend::ClientId;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::Resource;
use smithay::wayland::compositor::with_states;
use smithay::wayland::xdg_activation::{
    XdgActivationHandler, XdgActivationState, XdgActivationToken, XdgActivationTokenData,
};

use crate::client::client_state;
use crate::state::{Canopy, State};
use crate::wm::focus::Cause;
use crate::wm::window::WindowElement;

/// How long a token made in a VM or by a trusted client for itself stays good.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(10);
/// How long a launch token (the launcher's, for an app in a VM) stays good: a cold VM's boot and
/// the app's start. The user's next press elsewhere ends it sooner.
pub const LAUNCH_TOKEN_LIFETIME: Duration = Duration::from_secs(120);
/// Most live tokens one client may hold (each costs memory until it expires).
pub const MAX_TOKENS_PER_CLIENT: usize = 16;

/// What a token was granted for, kept in its user data.
#[derive(Debug)]
pub struct Grant {
    /// The VM whose clients may use it; None for the GUI VM's own clients.
    for_vm: Option<String>,
    creator: ClientId,
    made: Instant,
    lifetime: Duration,
    /// Set when the user pressed a key or button on something other than the creator.
    void: AtomicBool,
    /// Set when it was presented, by anyone.
    used: AtomicBool,
}

impl Grant {
    fn usable(&self, now: Instant) -> bool {
        !self.void.load(Ordering::Relaxed) && now.saturating_duration_since(self.made) < self.lifetime
    }
}

fn grant_of(data: &XdgActivationTokenData) -> Option<Arc<Grant>> {
    data.user_data.get::<Arc<Grant>>().cloned()
}

/// A granted activation for a window not mapped yet (toolkits ask before their first commit):
/// it is used when the window maps, if the grant is still good then.
type PendingActivation = Mutex<Option<Arc<Grant>>>;

/// The VM of the client that owns `surface` (None: a trusted client of the GUI VM).
fn vm_of_surface(state: &State, surface: &WlSurface) -> Option<String> {
    let client = state.canopy.display_handle.get_client(surface.id()).ok()?;
    client_state(&client).and_then(|c| c.vm())
}

impl XdgActivationHandler for State {
    fn activation_state(&mut self) -> &mut XdgActivationState {
        &mut self.canopy.xdg_activation_state
    }

    fn token_created(&mut self, _token: XdgActivationToken, data: XdgActivationTokenData) -> bool {
        let Some(creator) = data.client_id.clone() else { return false };
        // Only the client that has the keyboard, from an input serial since it got it.
        let Some(keyboard) = self.canopy.seat.get_keyboard() else { return false };
        let Some(focus) = keyboard.current_focus() else { return false };
        let dh = &self.canopy.display_handle;
        let Some(focused) = dh.get_client(focus.id()).ok() else { return false };
        if focused.id() != creator {
            return false;
        }
        let recent = match (&data.serial, keyboard.last_enter()) {
            (Some((serial, _)), Some(enter)) => serial.is_no_older_than(&enter),
            _ => false,
        };
        if !recent {
            return false;
        }
        let now = Instant::now();
        let state = &mut self.canopy.xdg_activation_state;
        state.retain_tokens(|_, d| grant_of(d).is_some_and(|g| g.usable(now)));
        if state.tokens().filter(|(_, d)| d.client_id.as_ref() == Some(&creator)).count() >= MAX_TOKENS_PER_CLIENT {
            return false;
        }
        let creator_vm = client_state(&focused).and_then(|c| c.vm());
        let (for_vm, lifetime) = match creator_vm {
            // A VM's token is its own, whatever app_id it names.
            Some(vm) => (Some(vm), TOKEN_LIFETIME),
            None => match data.app_id.as_deref().and_then(canopy_common::activation::vm_of_app_id) {
                Some(vm) => (Some(crate::client::sanitise_vm_name(vm)), LAUNCH_TOKEN_LIFETIME),
                None => (None, TOKEN_LIFETIME),
            },
        };
        let grant = Grant {
            for_vm,
            creator,
            made: data.timestamp,
            lifetime,
            void: AtomicBool::new(false),
            used: AtomicBool::new(false),
        };
        data.user_data.insert_if_missing_threadsafe(|| Arc::new(grant));
        true
    }

    fn request_activation(&mut self, token: XdgActivationToken, data: XdgActivationTokenData, surface: WlSurface) {
        // Used once, by whoever presents it. It stays known while its window is to map (so
        // that the user's presses elsewhere still void it) and until it expires.
        let Some(grant) = grant_of(&data) else { return };
        if grant.used.swap(true, Ordering::Relaxed) {
            tracing::info!("activation with a used token ignored");
            return;
        }
        let vm = vm_of_surface(self, &surface);
        let window = self.canopy.any_window_for_surface(&surface);
        if window.as_ref().is_none_or(|w| w.is_mapped()) {
            self.canopy.xdg_activation_state.remove_token(&token);
        }
        if vm != grant.for_vm {
            tracing::warn!(
                vm = vm.as_deref().unwrap_or("(gui)"),
                token_for = grant.for_vm.as_deref().unwrap_or("(gui)"),
                "activation with another domain's token refused"
            );
            return;
        }
        if !grant.usable(Instant::now()) {
            tracing::info!(vm = ?vm, "activation with a stale or void token ignored");
            return;
        }
        let Some(w) = window else { return };
        if w.is_mapped() {
            self.canopy.focus_window(&w, Cause::Activation);
        } else {
            with_states(w.wl_surface(), |s| {
                let pending = s.data_map.get_or_insert_threadsafe(PendingActivation::default);
                *pending.lock().unwrap() = Some(grant);
            });
        }
    }
}

impl Canopy {
    /// The user pressed a key or a button on `on` (a surface of some client, or nothing):
    /// every token made by another client is void from now on.
    pub fn void_activation_tokens(&mut self, on: Option<&WlSurface>) {
        let acted = on.and_then(|s| self.display_handle.get_client(s.id()).ok()).map(|c| c.id());
        for (_, data) in self.xdg_activation_state.tokens() {
            if let Some(g) = grant_of(data) {
                if Some(&g.creator) != acted.as_ref() {
                    g.void.store(true, Ordering::Relaxed);
                }
            }
        }
    }

    /// How a window that is mapping asks for the keyboard: by the activation it was granted
    /// before it mapped, if that is still good, else as any mapping window.
    pub fn map_cause(&self, w: &WindowElement) -> Cause {
        let pending = with_states(w.wl_surface(), |s| {
            s.data_map.get::<PendingActivation>().and_then(|p| p.lock().unwrap().take())
        });
        match pending {
            Some(g) if g.usable(Instant::now()) => Cause::Activation,
            _ => Cause::Mapped,
        }
    }
}

delegate_xdg_activation!(State);
