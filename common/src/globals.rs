//! The globals a VM's client may see: what an ordinary application needs. Everything else
//! (layer-shell, session lock, data control, virtual input, capture, toplevel management,
//! output management and power, idle notification, security contexts, linux-dmabuf, canopy's
//! own shell protocol) is for the GUI VM's own trusted clients. The compositor hides the rest from clients of a security
//! context and the proxy's GUI side removes it from the registry it forwards: both enforce this
//! one list.
//!
//! The entries are the static tables wayland-scanner generates for wayland-client and
//! wayland-protocols, so the proxy also reads each global's messages against them.

use wayland_client::backend::protocol::Interface;
use wayland_client::protocol as wl;
use wayland_client::Proxy;
use wayland_protocols::wp;
use wayland_protocols::xdg;

/// Interfaces whose globals a VM's client may see.
pub fn vm_globals() -> &'static [&'static Interface] {
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
            // GTK 3 and 4 leave out their own title bar when it says server-side.
            wayland_protocols_misc::server_decoration::client::org_kde_kwin_server_decoration_manager::OrgKdeKwinServerDecorationManager::interface(),
            // Offered so a video can ask; the compositor honours it only for VMs configured to.
            wp::idle_inhibit::zv1::client::zwp_idle_inhibit_manager_v1::ZwpIdleInhibitManagerV1::interface(),
        ]
    })
}

/// The VM-visible global with this interface name.
pub fn vm_global(name: &str) -> Option<&'static Interface> {
    vm_globals().iter().copied().find(|i| i.name == name)
}

/// Whether a VM's client may see a global of this interface.
pub fn vm_may_see(name: &str) -> bool {
    vm_global(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privileged_globals_are_not_visible_to_vms() {
        for name in [
            "zwlr_layer_shell_v1",
            "zwp_linux_dmabuf_v1",
            "wp_security_context_manager_v1",
            "zwlr_screencopy_manager_v1",
            "ext_image_copy_capture_manager_v1",
            "ext_output_image_capture_source_manager_v1",
            "ext_foreign_toplevel_image_capture_source_manager_v1",
            "zwlr_data_control_manager_v1",
            "ext_data_control_manager_v1",
            "zwp_virtual_keyboard_manager_v1",
            "ext_session_lock_manager_v1",
            "zwlr_foreign_toplevel_manager_v1",
            "ext_foreign_toplevel_list_v1",
            "zwlr_output_manager_v1",
            "canopy_shell_manager_v1",
            "ext_idle_notifier_v1",
            "zwlr_output_power_manager_v1",
        ] {
            assert!(!vm_may_see(name), "{name}");
        }
        assert_eq!(vm_globals().len(), 19);
        assert!(vm_may_see("wl_compositor") && vm_may_see("zwp_text_input_manager_v3"));
    }
}
