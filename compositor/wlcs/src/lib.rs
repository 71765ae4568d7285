//! canopy as a wlcs integration module. Debian's runner
//! (`/usr/lib/x86_64-linux-gnu/wlcs/wlcs libcanopy_wlcs.so --gtest_filter=…`) loads this
//! library, looks up `wlcs_server_integration`, and starts a fresh compositor for every test.
//! The compositor is the real canopy on its headless (pixman) backend, on its own thread;
//! wlcs's fake pointers and touchscreens become canopy's virtual input devices.

mod server;

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use canopy::embed::{VirtualCapability, VirtualDevice, VirtualEvent};
use smithay::backend::input::ButtonState;
use smithay::utils::{Logical, Point};
use wayland_sys::client::{wl_display, wl_proxy};
use wayland_sys::common::{wl_fixed_t, wl_fixed_to_double};
use wlcs::ffi_display_server_api::{WlcsExtensionDescriptor, WlcsIntegrationDescriptor, WlcsServerIntegration};
use wlcs::ffi_wrappers::wlcs_server;
use wlcs::{extension_list, wlcs_server_integration, Wlcs};

use server::{Reply, Request, Server};

wlcs_server_integration!(CanopyWlcs);

/// The globals canopy offers a local client, with their versions; wlcs skips tests that need
/// anything else. `tests::descriptor_matches_the_registry` checks this against a live canopy.
pub static EXTENSIONS: &[WlcsExtensionDescriptor] = extension_list!(
    ("wl_compositor", 5),
    ("wl_subcompositor", 1),
    ("wl_shm", 2),
    ("wl_seat", 9),
    ("wl_output", 4),
    ("wl_data_device_manager", 3),
    ("xdg_wm_base", 6),
    ("zxdg_decoration_manager_v1", 1),
    ("zwlr_layer_shell_v1", 4),
    ("zxdg_output_manager_v1", 3),
    ("zwp_primary_selection_device_manager_v1", 1),
    ("ext_data_control_manager_v1", 1),
    ("wp_viewporter", 1),
    ("wp_fractional_scale_manager_v1", 1),
    ("wp_presentation", 2),
    ("xdg_activation_v1", 1),
    ("wp_security_context_manager_v1", 1),
    ("ext_session_lock_manager_v1", 1),
    ("wp_single_pixel_buffer_manager_v1", 1),
    ("wp_cursor_shape_manager_v1", 2),
    ("zwp_relative_pointer_manager_v1", 1),
    ("ext_foreign_toplevel_list_v1", 1),
    ("zwp_virtual_keyboard_manager_v1", 1),
    ("zwp_text_input_manager_v3", 1),
    ("canopy_shell_manager_v1", 4),
    ("org_kde_kwin_server_decoration_manager", 1),
    ("ext_idle_notifier_v1", 2),
    ("zwlr_output_power_manager_v1", 1),
    ("zwp_idle_inhibit_manager_v1", 1),
    ("zwlr_screencopy_manager_v1", 3),
    ("zwlr_output_manager_v1", 4),
    ("ext_output_image_capture_source_manager_v1", 1),
    ("ext_foreign_toplevel_image_capture_source_manager_v1", 1),
    ("ext_image_copy_capture_manager_v1", 1),
);

static DESCRIPTOR: WlcsIntegrationDescriptor = WlcsIntegrationDescriptor {
    version: 1,
    num_extensions: EXTENSIONS.len(),
    supported_extensions: EXTENSIONS.as_ptr(),
};

/// Device ids, unique within the process; a touch device's id is also its touch slot.
static NEXT_DEVICE: AtomicU32 = AtomicU32::new(0);

pub struct CanopyWlcs {
    server: Option<Arc<Server>>,
}

impl CanopyWlcs {
    fn server(&self) -> Option<&Arc<Server>> {
        self.server.as_ref()
    }
}

impl Wlcs for CanopyWlcs {
    type Pointer = InputDevice;
    type Touch = InputDevice;

    fn new() -> Self {
        // Quiet unless asked (RUST_LOG): wlcs starts a compositor for every test.
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
        CanopyWlcs { server: None }
    }

    fn start(&mut self) {
        self.server = Some(Arc::new(Server::start()));
    }

    fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
    }

    fn create_client_socket(&self) -> std::io::Result<OwnedFd> {
        let server = self.server().ok_or_else(|| std::io::Error::other("canopy is not running"))?;
        match server.call(Request::NewClient) {
            Reply::Client(stream) => stream.map(OwnedFd::from),
            Reply::Done => Err(std::io::Error::other("canopy gave no client socket")),
        }
    }

    // The trait fixes the signature; the pointers come from wlcs and are only passed on.
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    fn position_window_absolute(&self, display: *mut wl_display, surface: *mut wl_proxy, x: i32, y: i32) {
        // wlcs connected this display on a socket we made, so its fd names the client; the
        // proxy's id is the wl_surface's protocol id.
        // Safety: wlcs passes live objects of its own libwayland-client.
        let client_fd = unsafe { wl_display_get_fd(display) };
        let surface_id = unsafe { wl_proxy_get_id(surface) };
        if let Some(server) = self.server() {
            server.call(Request::PlaceWindow { client_fd, surface_id, x, y });
        }
    }

    fn create_pointer(&mut self) -> Option<InputDevice> {
        InputDevice::new(self.server()?, VirtualCapability::Pointer)
    }

    fn create_touch(&mut self) -> Option<InputDevice> {
        InputDevice::new(self.server()?, VirtualCapability::Touch)
    }

    fn get_descriptor(&self) -> &WlcsIntegrationDescriptor {
        &DESCRIPTOR
    }
}

// Called directly rather than through wayland-sys, whose calling convention depends on whether
// another crate in the build turned on its `dlopen` feature.
#[link(name = "wayland-client")]
extern "C" {
    fn wl_display_get_fd(display: *mut wl_display) -> std::os::raw::c_int;
    fn wl_proxy_get_id(proxy: *mut wl_proxy) -> u32;
}

/// A fake pointer or touchscreen of wlcs: a virtual device of canopy's.
pub struct InputDevice {
    server: Arc<Server>,
    device: VirtualDevice,
}

impl InputDevice {
    fn new(server: &Arc<Server>, capability: VirtualCapability) -> Option<InputDevice> {
        let id = NEXT_DEVICE.fetch_add(1, Ordering::Relaxed);
        Some(InputDevice { server: server.clone(), device: VirtualDevice { id, capability } })
    }

    fn send(&self, events: Vec<VirtualEvent>) {
        self.server.call(Request::Input { device: self.device.clone(), events });
    }

    fn slot(&self) -> u32 {
        self.device.id
    }
}

fn point(x: wl_fixed_t, y: wl_fixed_t) -> Point<f64, Logical> {
    (wl_fixed_to_double(x), wl_fixed_to_double(y)).into()
}

impl wlcs::Pointer for InputDevice {
    fn move_absolute(&mut self, x: wl_fixed_t, y: wl_fixed_t) {
        self.send(vec![VirtualEvent::PointerMotionAbsolute { position: point(x, y) }]);
    }

    fn move_relative(&mut self, dx: wl_fixed_t, dy: wl_fixed_t) {
        self.send(vec![VirtualEvent::PointerMotion { delta: point(dx, dy) }]);
    }

    fn button_up(&mut self, button: i32) {
        self.send(vec![VirtualEvent::PointerButton { button: button as u32, state: ButtonState::Released }]);
    }

    fn button_down(&mut self, button: i32) {
        self.send(vec![VirtualEvent::PointerButton { button: button as u32, state: ButtonState::Pressed }]);
    }
}

impl wlcs::Touch for InputDevice {
    // The header says wl_fixed_t, but the runner (1.5.0, and wlcs upstream to date) passes
    // whole pixels here; Mir reads them the same way.
    fn touch_down(&mut self, x: wl_fixed_t, y: wl_fixed_t) {
        let slot = self.slot();
        let position = (x as f64, y as f64).into();
        self.send(vec![VirtualEvent::TouchDown { slot, position }, VirtualEvent::TouchFrame]);
    }

    fn touch_move(&mut self, x: wl_fixed_t, y: wl_fixed_t) {
        let slot = self.slot();
        let position = (x as f64, y as f64).into();
        self.send(vec![VirtualEvent::TouchMotion { slot, position }, VirtualEvent::TouchFrame]);
    }

    fn touch_up(&mut self) {
        let slot = self.slot();
        self.send(vec![VirtualEvent::TouchUp { slot }, VirtualEvent::TouchFrame]);
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    use wayland_client::protocol::wl_registry;
    use wayland_client::{Connection, Dispatch, QueueHandle};

    use super::*;

    #[derive(Default)]
    struct Globals(Vec<(String, u32)>);

    impl Dispatch<wl_registry::WlRegistry, ()> for Globals {
        fn event(
            state: &mut Self,
            _: &wl_registry::WlRegistry,
            event: wl_registry::Event,
            _: &(),
            _: &Connection,
            _: &QueueHandle<Self>,
        ) {
            if let wl_registry::Event::Global { interface, version, .. } = event {
                state.0.push((interface, version));
            }
        }
    }

    /// wlcs skips tests by the descriptor, so it must say exactly what a client of the module's
    /// compositor finds in the registry.
    #[test]
    fn descriptor_matches_the_registry() {
        let runtime = tempfile::tempdir().expect("runtime dir");
        // The only test in this crate: nothing else reads the environment meanwhile.
        std::env::set_var("XDG_RUNTIME_DIR", runtime.path());
        let server = Server::start();
        let Reply::Client(Ok(stream)) = server.call(Request::NewClient) else { panic!("no client socket") };
        let conn = Connection::from_socket(stream).expect("connecting");
        let mut queue = conn.new_event_queue();
        let _registry = conn.display().get_registry(&queue.handle(), ());
        let mut globals = Globals::default();
        queue.roundtrip(&mut globals).expect("roundtrip");
        server.stop();

        let mut found = globals.0;
        found.sort();
        let mut described: Vec<(String, u32)> = EXTENSIONS
            .iter()
            // Safety: the names are the static C strings of `extension_list!`.
            .map(|e| (unsafe { CStr::from_ptr(e.name) }.to_string_lossy().into_owned(), e.version))
            .collect();
        described.sort();
        assert_eq!(described, found);
    }
}
