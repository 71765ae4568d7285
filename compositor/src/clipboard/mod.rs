//! Clipboards that respect VM boundaries.
//!
//! Within a domain (one VM, or the GUI VM's own clients) copy and paste work as on any desktop.
//! Selection offers go only to clients of the domain that owns the selection: a VM never sees
//! another VM's offers. Crossing domains is an explicit act through the compositor's global
//! clipboard ([`global`]), checked against the policy ([`policy`]).

pub mod global;
pub mod pipe;
pub mod policy;
pub mod screenshot;

use smithay::reexports::wayland_protocols::wp::primary_selection::zv1::server::zwp_primary_selection_device_v1::ZwpPrimarySelectionDeviceV1;
use smithay::reexports::wayland_server::protocol::wl_data_device::WlDataDevice;
use smithay::reexports::wayland_server::{Client, Resource};
use smithay::wayland::selection::data_device::set_data_device_focus;
use smithay::wayland::selection::primary_selection::set_primary_focus;
use smithay::wayland::selection::SelectionTarget;

use crate::client::ClientState;
use crate::dnd::objects_of;
use crate::state::Canopy;

/// Who a client speaks for: the GUI VM itself, or one application VM.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Domain {
    Local,
    Vm(String),
}

impl Domain {
    pub fn of_client(client: &Client) -> Domain {
        match client.get_data::<ClientState>().and_then(|c| c.vm()) {
            Some(vm) => Domain::Vm(vm),
            None => Domain::Local,
        }
    }

    /// `local` or the VM's name, as policy rules and notices write it.
    pub fn name(&self) -> &str {
        match self {
            Domain::Local => "local",
            Domain::Vm(v) => v,
        }
    }

    pub fn vm(&self) -> Option<&str> {
        match self {
            Domain::Local => None,
            Domain::Vm(v) => Some(v),
        }
    }
}

#[derive(Debug, Default)]
pub struct ClipboardState {
    /// The domain whose client set the current clipboard selection.
    pub clipboard_owner: Option<Domain>,
    pub primary_owner: Option<Domain>,
    pub global: global::GlobalClipboard,
}

impl Canopy {
    pub fn focused_client(&self) -> Option<Client> {
        let focus = self.seat.get_keyboard()?.current_focus()?;
        self.display_handle.get_client(focus.id()).ok()
    }

    /// Offer each selection to the focused client only when it belongs to the owning domain.
    pub fn update_selection_focus(&self) {
        self.update_selection_focus_for(self.focused_client());
    }

    /// The same, for a known focused client (smithay's focus callback runs with the keyboard
    /// locked, so it must not ask the keyboard again).
    pub fn update_selection_focus_for(&self, client: Option<Client>) {
        let domain = client.as_ref().map(Domain::of_client);
        let allowed = |owner: &Option<Domain>| if domain.is_some() && domain == *owner { client.clone() } else { None };
        let clipboard = allowed(&self.clipboard.clipboard_owner);
        let primary = allowed(&self.clipboard.primary_owner);
        set_data_device_focus(&self.display_handle, &self.seat, clipboard.clone());
        set_primary_focus(&self.display_handle, &self.seat, primary.clone());
        // A focused client outside the owning domain is told there is no selection, as the
        // protocol promises every focused client an answer (`wl-paste` waits for one).
        let Some(client) = client else { return };
        let dh = &self.display_handle;
        if clipboard.is_none() {
            objects_of::<WlDataDevice>(dh, &client).iter().for_each(|d| d.selection(None));
        }
        if primary.is_none() {
            objects_of::<ZwpPrimarySelectionDeviceV1>(dh, &client).iter().for_each(|d| d.selection(None));
        }
    }

    /// A client with keyboard focus set (or cleared) a selection.
    pub fn selection_set_by_focused(&mut self, target: SelectionTarget, cleared: bool) {
        let owner = if cleared { None } else { self.focused_client().map(|c| Domain::of_client(&c)) };
        match target {
            SelectionTarget::Clipboard => self.clipboard.clipboard_owner = owner.clone(),
            SelectionTarget::Primary => self.clipboard.primary_owner = owner.clone(),
        }
        // smithay installs the new source after this handler returns; the offer to the owner
        // is made then, from an idle callback, so the old source is never offered to it (and a
        // copy key waiting for this clipboard reads the new source).
        let copied = owner.clone().filter(|_| target == SelectionTarget::Clipboard);
        self.loop_handle.insert_idle(move |state| {
            state.canopy.update_selection_focus();
            if let Some(by) = copied {
                state.canopy.clipboard_set_for_copy(&by);
            }
        });
    }
}
