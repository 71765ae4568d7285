//! The toolkit's handlers of the shell runtime, one per file; here the small ones (shared
//! memory, the compositor's window list, the registry) and the delegate macros.

mod keyboard;
mod layer_shell;
mod output;
mod pointer;
mod seat;
mod session_lock;

use smithay_client_toolkit::output::OutputState;
use smithay_client_toolkit::registry::{ProvidesRegistryState, RegistryState};
use smithay_client_toolkit::seat::SeatState;
use smithay_client_toolkit::shm::{Shm, ShmHandler};
use smithay_client_toolkit::{delegate_dispatch2, delegate_registry, registry_handlers};

use super::api::Shell;
use super::app::App;
use super::windows::{WindowList, WindowListHandler};

impl<A: App> ShmHandler for Shell<A> {
    fn shm_state(&mut self) -> &mut Shm {
        &mut self.core.shm
    }
}

impl<A: App> WindowListHandler for Shell<A> {
    fn window_list(&mut self) -> &mut WindowList {
        &mut self.core.windows
    }

    fn windows_changed(&mut self) {
        self.app.windows_changed(&mut self.core);
        self.core.redraw();
    }

    fn resumed(&mut self) {
        self.app.resumed(&mut self.core);
    }
}

impl<A: App> ProvidesRegistryState for Shell<A> {
    fn registry(&mut self) -> &mut RegistryState {
        &mut self.core.registry
    }
    registry_handlers![OutputState, SeatState];
}

delegate_registry!(@<A: App> Shell<A>);
delegate_dispatch2!(@<A: App> Shell<A>);
