//! ext-image-capture-source-v1 for the GUI VM's own programs: an output
//! (`ext_output_image_capture_source_manager_v1`) or a window, named by its
//! ext-foreign-toplevel-list handle (`ext_foreign_toplevel_image_capture_source_manager_v1`),
//! becomes a source that image-copy-capture can copy. VMs never see either global.

use smithay::output::{Output, WeakOutput};
use smithay::reexports::wayland_protocols::ext::image_capture_source::v1::server::{
    ext_foreign_toplevel_image_capture_source_manager_v1::{self, ExtForeignToplevelImageCaptureSourceManagerV1},
    ext_image_capture_source_v1::ExtImageCaptureSourceV1,
    ext_output_image_capture_source_manager_v1::{self, ExtOutputImageCaptureSourceManagerV1},
};
use smithay::reexports::wayland_server::backend::GlobalId;
use smithay::reexports::wayland_server::{Client, DataInit, Dispatch, DisplayHandle, GlobalDispatch, New};
use smithay::wayland::foreign_toplevel_list::{ForeignToplevelHandle, ForeignToplevelWeakHandle};

use crate::client::may_see_global;
use crate::state::{Canopy, State};
use crate::wm::window::WindowElement;

const OUTPUT_MANAGER: &str = "ext_output_image_capture_source_manager_v1";
const TOPLEVEL_MANAGER: &str = "ext_foreign_toplevel_image_capture_source_manager_v1";

#[derive(Debug)]
pub struct ImageCaptureSourceState {
    _output: GlobalId,
    _toplevel: GlobalId,
}

impl ImageCaptureSourceState {
    pub fn new(dh: &DisplayHandle) -> Self {
        Self {
            _output: dh.create_global::<State, ExtOutputImageCaptureSourceManagerV1, _>(1, OUTPUT_MANAGER),
            _toplevel: dh.create_global::<State, ExtForeignToplevelImageCaptureSourceManagerV1, _>(1, TOPLEVEL_MANAGER),
        }
    }
}

/// What a source captures. Weak: a source outlives neither its output nor its window.
#[derive(Debug, Clone)]
pub enum Source {
    Output(WeakOutput),
    Toplevel(ForeignToplevelWeakHandle),
    /// Made from an output or handle that was already gone: every capture of it stops.
    Gone,
}

/// What a source shows now.
pub enum Target {
    Output(Output),
    Window(WindowElement),
}

impl Source {
    /// The output or the window the source names, while it is there.
    pub fn target(&self, canopy: &Canopy) -> Option<Target> {
        match self {
            Source::Output(o) => o.upgrade().filter(|o| canopy.outputs.contains(o)).map(Target::Output),
            Source::Toplevel(h) => {
                let id = h.upgrade().filter(|h| !h.is_closed())?.identifier();
                let same = |w: &&WindowElement| w.data.foreign.borrow().as_ref().is_some_and(|f| f.identifier() == id);
                canopy.windows.iter().find(same).cloned().map(Target::Window)
            }
            Source::Gone => None,
        }
    }
}

/// Both managers are bound the same way and shown to the same clients.
macro_rules! local_only_global {
    ($manager:ty) => {
        impl GlobalDispatch<$manager, &'static str> for State {
            fn bind(
                _: &mut Self,
                _: &DisplayHandle,
                _: &Client,
                resource: New<$manager>,
                _: &&'static str,
                data_init: &mut DataInit<'_, Self>,
            ) {
                data_init.init(resource, ());
            }

            fn can_view(client: Client, interface: &&'static str) -> bool {
                may_see_global(&client, interface)
            }
        }
    };
}
local_only_global!(ExtOutputImageCaptureSourceManagerV1);
local_only_global!(ExtForeignToplevelImageCaptureSourceManagerV1);

impl Dispatch<ExtOutputImageCaptureSourceManagerV1, ()> for State {
    fn request(
        _: &mut Self,
        _: &Client,
        _: &ExtOutputImageCaptureSourceManagerV1,
        request: ext_output_image_capture_source_manager_v1::Request,
        _: &(),
        _: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        if let ext_output_image_capture_source_manager_v1::Request::CreateSource { source, output } = request {
            let named = Output::from_resource(&output).map_or(Source::Gone, |o| Source::Output(o.downgrade()));
            data_init.init(source, named);
        }
    }
}

impl Dispatch<ExtForeignToplevelImageCaptureSourceManagerV1, ()> for State {
    fn request(
        _: &mut Self,
        _: &Client,
        _: &ExtForeignToplevelImageCaptureSourceManagerV1,
        request: ext_foreign_toplevel_image_capture_source_manager_v1::Request,
        _: &(),
        _: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        use ext_foreign_toplevel_image_capture_source_manager_v1::Request;
        if let Request::CreateSource { source, toplevel_handle } = request {
            let named = ForeignToplevelHandle::from_resource(&toplevel_handle)
                .map_or(Source::Gone, |h| Source::Toplevel(h.downgrade()));
            data_init.init(source, named);
        }
    }
}

impl Dispatch<ExtImageCaptureSourceV1, Source> for State {
    fn request(
        _: &mut Self,
        _: &Client,
        _: &ExtImageCaptureSourceV1,
        _: smithay::reexports::wayland_protocols::ext::image_capture_source::v1::server::ext_image_capture_source_v1::Request,
        _: &Source,
        _: &DisplayHandle,
        _: &mut DataInit<'_, Self>,
    ) {
        // Its only request is destroy; sessions made from it keep their own copy of the source.
    }
}
