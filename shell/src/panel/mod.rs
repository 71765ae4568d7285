//! `canopy-panel`: one bar along the top of every output.

mod app;
pub mod centre;
pub mod levels;
pub mod levels_view;
mod tell;
mod view;
pub mod vm_menu;
pub mod window_menu;

pub use app::{Panel, PanelOptions};
pub use view::view;
pub use window_menu::{MenuItem, WindowMenu};

use canopy_notify::centre::CentreState;
use canopy_protocols::lifecycle::State;

use crate::battery::Battery;

/// What the pointer can act on in the panel.
#[derive(Debug, Clone, PartialEq)]
pub enum PanelAction {
    /// Open the launcher on this output.
    Launcher(Option<String>),
    /// Focus, minimise (button 1) or close (button 2) a window, by id; button 3 opens its menu.
    Window(u32),
    /// An item of a window's menu.
    Menu(MenuItem, u32),
    /// The menu itself, beside its items: nothing happens.
    MenuCard,
    /// Beside the menu: it closes.
    MenuOutside,
    /// Switch to the next keyboard layout.
    Layout,
    /// A VM's status chip: opens its menu.
    Vm(String),
    VmMenu(vm_menu::VmMenuAction),
    /// The volume and brightness indicators and their popover.
    Levels(levels_view::LevelsAction),
    /// Open the power menu on this output.
    Power(Option<String>),
    /// Open (or close) the notification centre.
    Bell,
    Centre(centre::CentreAction),
}

/// One VM as the panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct VmChip {
    pub name: String,
    pub trust: String,
    pub state: State,
}

/// Everything the panel shows besides the window list.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelModel {
    pub clock: String,
    pub battery: Option<Battery>,
    pub vms: Vec<VmChip>,
    /// Why the host daemon cannot be reached, when it cannot.
    pub host_error: Option<String>,
    /// The notification centre, while a daemon runs on the session bus.
    pub notifications: Option<CentreState>,
    pub levels: levels::Levels,
}
