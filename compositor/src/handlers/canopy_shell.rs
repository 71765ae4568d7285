//! canopy_shell_v1: the window list (with each window's VM and trust colour) and keyboard
//! layouts for canopy's own panel. Offered only to local clients.

use std::collections::HashMap;

use smithay::reexports::wayland_server::backend::GlobalId;
use smithay::reexports::wayland_server::{Client, DataInit, Dispatch, DisplayHandle, GlobalDispatch, New, Resource};

use crate::client::may_see_global;
use crate::state::State;

#[allow(non_upper_case_globals, non_camel_case_types, unused_imports, missing_docs, clippy::all)]
pub mod protocol {
    use smithay::reexports::wayland_server;
    use smithay::reexports::wayland_server::protocol::*;
    pub mod __interfaces {
        use smithay::reexports::wayland_server::protocol::__interfaces::*;
        wayland_scanner::generate_interfaces!("../protocols/wayland/canopy-shell-v1.xml");
    }
    use self::__interfaces::*;
    wayland_scanner::generate_server_code!("../protocols/wayland/canopy-shell-v1.xml");
}

use protocol::canopy_shell_manager_v1::{self, CanopyShellManagerV1};
use protocol::canopy_toplevel_handle_v1::{self, CanopyToplevelHandleV1};

const VERSION: u32 = 4;

#[derive(Debug)]
pub struct CanopyShellState {
    _global: GlobalId,
    pub(crate) managers: Vec<CanopyShellManagerV1>,
    /// Handles per window id, one per bound manager.
    handles: HashMap<u64, Vec<CanopyToplevelHandleV1>>,
}

impl CanopyShellState {
    pub fn new(dh: &DisplayHandle) -> Self {
        let global = dh.create_global::<State, CanopyShellManagerV1, ()>(VERSION, ());
        Self { _global: global, managers: Vec::new(), handles: HashMap::new() }
    }
}

/// A snapshot of what the panel needs to know about a window.
#[derive(Debug, Clone, PartialEq)]
pub struct ToplevelInfo {
    pub id: u64,
    pub title: String,
    pub app_id: String,
    pub vm: String,
    pub trust_level: String,
    pub colour: u32,
    pub state: u32,
    pub output: Option<smithay::output::Output>,
}

fn send_info(handle: &CanopyToplevelHandleV1, info: &ToplevelInfo, first: bool, client: &Client) {
    if first {
        handle.id(info.id as u32);
    }
    handle.title(info.title.clone());
    handle.app_id(info.app_id.clone());
    handle.vm(info.vm.clone(), info.trust_level.clone(), info.colour);
    handle.state(canopy_toplevel_handle_v1::State::from_bits_truncate(info.state));
    let wl_output = info.output.as_ref().and_then(|o| o.client_outputs(client).next());
    handle.output(wl_output.as_ref());
    handle.done();
}

impl crate::state::Canopy {
    /// Tell every panel about a new or changed window (their `done` comes with
    /// [`Self::shell_done`], once per round of announcements).
    pub fn shell_window_changed(&mut self, info: ToplevelInfo) {
        let dh = self.display_handle.clone();
        let managers = self.canopy_shell_state.managers.clone();
        let existing = self.canopy_shell_state.handles.entry(info.id).or_default();
        existing.retain(|h| h.is_alive());
        for manager in managers {
            let Ok(client) = dh.get_client(manager.id()) else { continue };
            let handle = existing.iter().find(|h| h.client().map(|c| c.id()) == Some(client.id())).cloned();
            match handle {
                Some(h) => send_info(&h, &info, false, &client),
                None => {
                    let Ok(h) =
                        client.create_resource::<CanopyToplevelHandleV1, u64, State>(&dh, manager.version(), info.id)
                    else {
                        continue;
                    };
                    manager.toplevel(&h);
                    send_info(&h, &info, true, &client);
                    existing.push(h);
                }
            }
        }
    }

    /// The end of a round of announcements: every panel may draw now.
    pub fn shell_done(&mut self) {
        for m in &self.canopy_shell_state.managers {
            m.done();
        }
    }

    pub fn shell_window_closed(&mut self, id: u64) {
        if let Some(handles) = self.canopy_shell_state.handles.remove(&id) {
            for h in handles {
                if h.is_alive() {
                    h.closed();
                }
            }
        }
        for m in &self.canopy_shell_state.managers {
            m.done();
        }
    }

    /// Tell every panel (version 2) the colours of each configured VM and of unknown ones.
    pub fn shell_vm_colours_changed(&mut self) {
        for m in &self.canopy_shell_state.managers {
            self.send_vm_colours(m);
            m.done();
        }
    }

    fn send_vm_colours(&self, manager: &CanopyShellManagerV1) {
        if manager.version() < 2 {
            return;
        }
        let rgba = |c: canopy_themes::Rgba| u32::from_be_bytes([c.r, c.g, c.b, c.a]);
        for name in self.config.vms.keys() {
            let c = crate::trust::colours(&self.config, Some(name));
            let level = self.config.trust_level(Some(name));
            manager.vm_colours(name.clone(), level.to_string(), rgba(c.focused), rgba(c.text_focused));
        }
        let unknown = self.config.theme.colours("unknown");
        manager.vm_colours("*".into(), "unknown".into(), rgba(unknown.focused), rgba(unknown.text_focused));
        manager.vm_colours_done();
    }

    pub fn shell_keyboard_layout_changed(&mut self) {
        let index = self.layout_index;
        for m in &self.canopy_shell_state.managers {
            m.keyboard_layout(index);
            m.done();
        }
    }

    /// The laptop woke up: tell the shell's clients (version 3 and later).
    pub fn shell_resumed(&mut self) {
        for m in self.canopy_shell_state.managers.iter().filter(|m| m.version() >= 3) {
            m.resumed();
        }
    }

    pub fn current_layout_index(&self) -> u32 {
        self.layout_index
    }
}

impl GlobalDispatch<CanopyShellManagerV1, ()> for State {
    fn bind(
        state: &mut Self,
        dh: &DisplayHandle,
        client: &Client,
        resource: New<CanopyShellManagerV1>,
        _: &(),
        data_init: &mut DataInit<'_, Self>,
    ) {
        let manager = data_init.init(resource, ());
        for w in state.canopy.all_windows() {
            let info = state.canopy.toplevel_info(&w);
            if let Ok(h) = client.create_resource::<CanopyToplevelHandleV1, u64, State>(dh, manager.version(), info.id)
            {
                manager.toplevel(&h);
                send_info(&h, &info, true, client);
                state.canopy.canopy_shell_state.handles.entry(info.id).or_default().push(h);
            }
        }
        manager.keyboard_layouts(state.canopy.config.keyboard.short_names().join("\n"));
        manager.keyboard_layout(state.canopy.current_layout_index());
        state.canopy.send_vm_colours(&manager);
        if manager.version() >= 4 {
            manager.capturing(state.canopy.captures.active().join("\n"));
        }
        manager.done();
        state.canopy.canopy_shell_state.managers.push(manager);
    }

    fn can_view(client: Client, _: &()) -> bool {
        may_see_global(&client, "canopy_shell_manager_v1")
    }
}

impl Dispatch<CanopyShellManagerV1, ()> for State {
    fn request(
        state: &mut Self,
        _: &Client,
        resource: &CanopyShellManagerV1,
        request: canopy_shell_manager_v1::Request,
        _: &(),
        _: &DisplayHandle,
        _: &mut DataInit<'_, Self>,
    ) {
        match request {
            canopy_shell_manager_v1::Request::Destroy => {
                state.canopy.canopy_shell_state.managers.retain(|m| m != resource);
            }
            canopy_shell_manager_v1::Request::SwitchKeyboardLayout { index } => {
                state.set_layout_index(index);
            }
        }
    }

    fn destroyed(
        state: &mut Self,
        _: smithay::reexports::wayland_server::backend::ClientId,
        resource: &CanopyShellManagerV1,
        _: &(),
    ) {
        state.canopy.canopy_shell_state.managers.retain(|m| m != resource);
    }
}

impl Dispatch<CanopyToplevelHandleV1, u64> for State {
    fn request(
        state: &mut Self,
        _: &Client,
        _: &CanopyToplevelHandleV1,
        request: canopy_toplevel_handle_v1::Request,
        id: &u64,
        _: &DisplayHandle,
        _: &mut DataInit<'_, Self>,
    ) {
        let Some(w) = state.canopy.window_by_id(*id) else { return };
        match request {
            canopy_toplevel_handle_v1::Request::Activate => {
                state.canopy.focus_window(&w, crate::wm::focus::Cause::User);
                state.enforce_focus();
            }
            canopy_toplevel_handle_v1::Request::Close => w.toplevel().send_close(),
            canopy_toplevel_handle_v1::Request::SetMinimized => state.canopy.minimize(&w),
            canopy_toplevel_handle_v1::Request::Destroy => {}
        }
    }
}
