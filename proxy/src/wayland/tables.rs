//! The interfaces the proxy understands and the globals it lets through to app VMs.
//!
//! The descriptions are the static tables that wayland-scanner generates for wayland-client and
//! wayland-protocols, so opcodes, signatures, `since` versions and destructors come from the
//! protocol XML itself.

use wayland_client::backend::protocol::Interface;
use wayland_client::protocol as wl;
use wayland_client::Proxy;

/// Interfaces whose globals reach the app: the one list of what a VM may see, which the
/// compositor enforces too. Everything else the compositor offers — linux-dmabuf and every
/// privileged protocol — is removed from the registry.
pub use canopy_common::globals::{vm_global as allowed_global, vm_globals as allowed_globals};

/// wl_display: object 1 of every connection.
pub fn display() -> &'static Interface {
    wl::wl_display::WlDisplay::interface()
}

/// Opcodes the proxy acts on. Checked against the tables in the tests below.
pub mod op {
    pub const DISPLAY_SYNC: u16 = 0;
    pub const DISPLAY_GET_REGISTRY: u16 = 1;
    pub const DISPLAY_EV_ERROR: u16 = 0;
    pub const DISPLAY_EV_DELETE_ID: u16 = 1;
    pub const REGISTRY_BIND: u16 = 0;
    pub const REGISTRY_EV_GLOBAL: u16 = 0;
    pub const REGISTRY_EV_GLOBAL_REMOVE: u16 = 1;
    pub const SHM_CREATE_POOL: u16 = 0;
    pub const SHM_POOL_CREATE_BUFFER: u16 = 0;
    pub const SHM_POOL_RESIZE: u16 = 2;
    pub const SURFACE_ATTACH: u16 = 1;
    pub const SURFACE_DAMAGE: u16 = 2;
    pub const SURFACE_COMMIT: u16 = 6;
    pub const SURFACE_SET_BUFFER_TRANSFORM: u16 = 7;
    pub const SURFACE_SET_BUFFER_SCALE: u16 = 8;
    pub const SURFACE_DAMAGE_BUFFER: u16 = 9;
    pub const SURFACE_OFFSET: u16 = 10;
    pub const VIEWPORTER_GET_VIEWPORT: u16 = 1;
    pub const VIEWPORT_SET_SOURCE: u16 = 1;
    pub const VIEWPORT_SET_DESTINATION: u16 = 2;
    pub const KEYBOARD_EV_KEYMAP: u16 = 0;
    pub const COMPOSITOR_CREATE_REGION: u16 = 1;
    pub const REGION_ADD: u16 = 1;
    pub const REGION_SUBTRACT: u16 = 2;
    pub const XDG_SURFACE_SET_WINDOW_GEOMETRY: u16 = 3;
    pub const XDG_POSITIONER_SET_SIZE: u16 = 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use wayland_protocols::{wp, xdg};

    fn req(i: &Interface, op: u16) -> &'static str {
        i.requests[op as usize].name
    }

    #[test]
    fn opcodes_match_the_protocol_tables() {
        let d = display();
        assert_eq!(req(d, op::DISPLAY_GET_REGISTRY), "get_registry");
        assert_eq!(req(d, op::DISPLAY_SYNC), "sync");
        assert_eq!(d.events[op::DISPLAY_EV_ERROR as usize].name, "error");
        assert_eq!(d.events[op::DISPLAY_EV_DELETE_ID as usize].name, "delete_id");
        let r = wl::wl_registry::WlRegistry::interface();
        assert_eq!(req(r, op::REGISTRY_BIND), "bind");
        assert_eq!(r.events[op::REGISTRY_EV_GLOBAL as usize].name, "global");
        assert_eq!(r.events[op::REGISTRY_EV_GLOBAL_REMOVE as usize].name, "global_remove");
        assert_eq!(req(wl::wl_shm::WlShm::interface(), op::SHM_CREATE_POOL), "create_pool");
        let p = wl::wl_shm_pool::WlShmPool::interface();
        assert_eq!(req(p, op::SHM_POOL_CREATE_BUFFER), "create_buffer");
        assert_eq!(req(p, op::SHM_POOL_RESIZE), "resize");
        let s = wl::wl_surface::WlSurface::interface();
        assert_eq!(req(s, op::SURFACE_ATTACH), "attach");
        assert_eq!(req(s, op::SURFACE_DAMAGE), "damage");
        assert_eq!(req(s, op::SURFACE_COMMIT), "commit");
        assert_eq!(req(s, op::SURFACE_SET_BUFFER_TRANSFORM), "set_buffer_transform");
        assert_eq!(req(s, op::SURFACE_SET_BUFFER_SCALE), "set_buffer_scale");
        assert_eq!(req(s, op::SURFACE_DAMAGE_BUFFER), "damage_buffer");
        assert_eq!(req(s, op::SURFACE_OFFSET), "offset");
        let vp = wp::viewporter::client::wp_viewporter::WpViewporter::interface();
        assert_eq!(req(vp, op::VIEWPORTER_GET_VIEWPORT), "get_viewport");
        let v = wp::viewporter::client::wp_viewport::WpViewport::interface();
        assert_eq!(req(v, op::VIEWPORT_SET_SOURCE), "set_source");
        assert_eq!(req(v, op::VIEWPORT_SET_DESTINATION), "set_destination");
        let k = wl::wl_keyboard::WlKeyboard::interface();
        assert_eq!(k.events[op::KEYBOARD_EV_KEYMAP as usize].name, "keymap");
        assert_eq!(req(wl::wl_compositor::WlCompositor::interface(), op::COMPOSITOR_CREATE_REGION), "create_region");
        let r = wl::wl_region::WlRegion::interface();
        assert_eq!(req(r, op::REGION_ADD), "add");
        assert_eq!(req(r, op::REGION_SUBTRACT), "subtract");
        let x = xdg::shell::client::xdg_surface::XdgSurface::interface();
        assert_eq!(req(x, op::XDG_SURFACE_SET_WINDOW_GEOMETRY), "set_window_geometry");
        let p = xdg::shell::client::xdg_positioner::XdgPositioner::interface();
        assert_eq!(req(p, op::XDG_POSITIONER_SET_SIZE), "set_size");
    }
}
