//! The interfaces the proxy understands and the globals it lets through to app VMs.
//!
//! The descriptions are the static tables that wayland-scanner generates for wayland-client and
//! wayland-protocols, so opcodes, signatures, `since` versions and destructors come from the
//! protocol XML itself.

use wayland_client::backend::protocol::Interface;
use wayland_client::protocol as wl;
use wayland_client::Proxy;
use wayland_protocols::wp;
use wayland_protocols::xdg;

/// Interfaces whose globals reach the app (issue 3's allowlist). Everything else the compositor
/// offers — linux-dmabuf and every privileged protocol — is removed from the registry.
pub fn allowed_globals() -> &'static [&'static Interface] {
    static GLOBALS: std::sync::OnceLock<Vec<&'static Interface>> = std::sync::OnceLock::new();
    GLOBALS.get_or_init(|| {
        vec![
            wl::wl_compositor::WlCompositor::interface(),
            wl::wl_subcompositor::WlSubcompositor::interface(),
            wl::wl_shm::WlShm::interface(),
            wl::wl_seat::WlSeat::interface(),
            wl::wl_output::WlOutput::interface(),
            wl::wl_data_device_manager::WlDataDeviceManager::interface(),
            xdg::shell::client::xdg_wm_base::XdgWmBase::interface(),
            xdg::xdg_output::zv1::client::zxdg_output_manager_v1::ZxdgOutputManagerV1::interface(),
            xdg::decoration::zv1::client::zxdg_decoration_manager_v1::ZxdgDecorationManagerV1::interface(),
            xdg::activation::v1::client::xdg_activation_v1::XdgActivationV1::interface(),
            wp::viewporter::client::wp_viewporter::WpViewporter::interface(),
            wp::fractional_scale::v1::client::wp_fractional_scale_manager_v1::WpFractionalScaleManagerV1::interface(),
            wp::presentation_time::client::wp_presentation::WpPresentation::interface(),
            wp::primary_selection::zv1::client::zwp_primary_selection_device_manager_v1::ZwpPrimarySelectionDeviceManagerV1::interface(),
            wp::single_pixel_buffer::v1::client::wp_single_pixel_buffer_manager_v1::WpSinglePixelBufferManagerV1::interface(),
            wp::cursor_shape::v1::client::wp_cursor_shape_manager_v1::WpCursorShapeManagerV1::interface(),
            wp::text_input::zv3::client::zwp_text_input_manager_v3::ZwpTextInputManagerV3::interface(),
        ]
    })
}

/// The allowed global with this interface name.
pub fn allowed_global(name: &str) -> Option<&'static Interface> {
    allowed_globals().iter().copied().find(|i| i.name == name)
}

/// wl_display: object 1 of every connection.
pub fn display() -> &'static Interface {
    wl::wl_display::WlDisplay::interface()
}

/// Opcodes the proxy acts on. Checked against the tables in the tests below.
pub mod op {
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

    fn req(i: &Interface, op: u16) -> &'static str {
        i.requests[op as usize].name
    }

    #[test]
    fn opcodes_match_the_protocol_tables() {
        let d = display();
        assert_eq!(req(d, op::DISPLAY_GET_REGISTRY), "get_registry");
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

    #[test]
    fn privileged_globals_are_not_allowed() {
        for name in [
            "zwlr_layer_shell_v1",
            "zwp_linux_dmabuf_v1",
            "wp_security_context_manager_v1",
            "zwlr_screencopy_manager_v1",
            "zwlr_data_control_manager_v1",
            "zwp_virtual_keyboard_manager_v1",
            "ext_session_lock_manager_v1",
            "zwlr_foreign_toplevel_manager_v1",
            "zwlr_output_manager_v1",
        ] {
            assert!(allowed_global(name).is_none(), "{name}");
        }
        assert_eq!(allowed_globals().len(), 17);
        assert!(allowed_global("wl_compositor").is_some());
    }
}
