//! Drag-and-drop that respects VM boundaries.
//!
//! Within a domain (one VM, or the GUI VM's own clients) a drag works as on any desktop. While a
//! drag from one domain is in progress, surfaces of every other domain get nothing: no enter, no
//! offer, nothing to receive ([`grab`]). Releasing the drag over another domain's surface is a
//! cross-VM transfer that the compositor makes itself, under the clipboard's policy, size limit
//! and MIME filter ([`transfer`]). smithay's own drag grab offers every surface the drag passes
//! over, so canopy takes `wl_data_device.start_drag` itself (see `handlers::data_device`).

pub mod grab;
pub mod offer;
pub mod transfer;

use smithay::reexports::wayland_server::protocol::wl_data_device::WlDataDevice;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::{Client, DisplayHandle, Resource};

use crate::clipboard::Domain;

#[derive(Debug, Default)]
pub struct DndState {
    /// A cross-domain drop waiting for the user's confirmation.
    pub pending: Option<transfer::PendingDrop>,
    /// A cross-domain drop the compositor is handing to its target.
    pub delivery: Option<transfer::Delivery>,
    next_id: u64,
}

impl DndState {
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

/// The domain of the client that owns `surface`, if that client is still there.
pub fn domain_of(dh: &DisplayHandle, surface: &WlSurface) -> Option<Domain> {
    dh.get_client(surface.id()).ok().map(|c| Domain::of_client(&c))
}

/// The wl_data_device objects of a client (smithay keeps its own list private).
pub fn data_devices(dh: &DisplayHandle, client: &Client) -> Vec<WlDataDevice> {
    objects_of(dh, client)
}

/// A client's objects of one interface.
pub fn objects_of<I: Resource>(dh: &DisplayHandle, client: &Client) -> Vec<I> {
    let mut ids = Vec::new();
    let name = I::interface().name;
    // The backend is locked while this runs: only collect ids here.
    let _ = dh.backend_handle().with_all_objects_for(client.id(), |id| {
        if id.interface().name == name {
            ids.push(id);
        }
    });
    ids.into_iter().filter_map(|id| I::from_id(dh, id).ok()).collect()
}
