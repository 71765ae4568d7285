//! The list of open windows, their VMs and trust colours, the colours of every VM, and the
//! keyboard layouts, as the compositor reports them through canopy-shell-v1.

use std::collections::BTreeMap;
use std::sync::Mutex;

use canopy_themes::Rgba;
use smithay_client_toolkit::dispatch2::Dispatch2;
use wayland_client::protocol::wl_output::WlOutput;
use wayland_client::{Connection, Dispatch, QueueHandle};

use super::protocol::client::canopy_shell_manager_v1::{self, CanopyShellManagerV1};
use super::protocol::client::canopy_toplevel_handle_v1::{self, CanopyToplevelHandleV1, State};

/// One open window as the panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// The id `canopy msg windows` shows.
    pub id: u32,
    /// The decorated title, with the `[vm-name]` prefix for VM windows.
    pub title: String,
    pub app_id: String,
    /// The VM the compositor says the window comes from; empty for the GUI VM's own windows.
    pub vm: String,
    pub trust_level: String,
    pub colour: Rgba,
    pub activated: bool,
    pub minimized: bool,
    pub output: Option<WlOutput>,
}

impl Window {
    /// The VM the window comes from, None for the GUI VM's own windows.
    pub fn vm(&self) -> Option<&str> {
        (!self.vm.is_empty()).then_some(self.vm.as_str())
    }

    /// The title without the `[vm] ` prefix the compositor puts before it, to be drawn after
    /// a prefix of our own as a run apart (see `canopy_text::title`).
    pub fn app_title(&self) -> &str {
        match self.vm() {
            Some(vm) => self
                .title
                .strip_prefix('[')
                .and_then(|t| t.strip_prefix(vm))
                .and_then(|t| t.strip_prefix("] "))
                .unwrap_or(&self.title),
            None => &self.title,
        }
    }
}

impl Default for Window {
    fn default() -> Self {
        Window {
            id: 0,
            title: String::new(),
            app_id: String::new(),
            vm: String::new(),
            trust_level: String::new(),
            colour: Rgba::rgb(0, 0, 0),
            activated: false,
            minimized: false,
            output: None,
        }
    }
}

/// A VM's colours, as its windows wear them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VmColours {
    pub frame: Rgba,
    pub text: Rgba,
}

/// What the compositor has told us, kept in the order windows opened.
#[derive(Debug, Default)]
pub struct WindowList {
    manager: Option<CanopyShellManagerV1>,
    windows: Vec<Window>,
    /// The protocol handle of each window, by window id.
    handles: Vec<(CanopyToplevelHandleV1, u32)>,
    pub layouts: Vec<String>,
    pub active_layout: u32,
    /// Every configured VM's colours, and under "*" those of a VM the compositor does not know.
    vm_colours: BTreeMap<String, VmColours>,
    pending_colours: BTreeMap<String, VmColours>,
    /// The programs capturing the screen now, as the compositor names them.
    pub capturing: Vec<String>,
}

/// Implemented by the client state that owns a [`WindowList`].
pub trait WindowListHandler: Sized {
    fn window_list(&mut self) -> &mut WindowList;
    /// A batch of changes is complete (the manager's `done`).
    fn windows_changed(&mut self);
    /// The laptop woke from sleep (version 3): what depends on the clock is out of date.
    fn resumed(&mut self) {}
}

impl WindowList {
    /// Binds the global when the compositor offers it to us (it does to local clients only).
    pub fn bind<D>(globals: &wayland_client::globals::GlobalList, qh: &QueueHandle<D>) -> Self
    where
        D: Dispatch<CanopyShellManagerV1, ManagerData> + 'static,
    {
        let manager = globals.bind::<CanopyShellManagerV1, D, ManagerData>(qh, 1..=4, ManagerData).ok();
        if manager.is_none() {
            tracing::warn!("the compositor offers no canopy_shell_manager_v1: no window list");
        }
        WindowList { manager, ..Default::default() }
    }

    /// A list that is not connected to a compositor (offscreen rendering and tests).
    pub fn offline(windows: Vec<Window>, layouts: Vec<String>, active_layout: u32) -> Self {
        WindowList { windows, layouts, active_layout, ..Default::default() }
    }

    /// The colours of `vm`'s windows: the compositor's for it, or for an unknown VM when it has
    /// none (never a trusted one). None until the compositor has said (or when it cannot).
    pub fn vm_colours(&self, vm: &str) -> Option<VmColours> {
        self.vm_colours.get(vm).or_else(|| self.vm_colours.get("*")).copied()
    }

    /// Sets the VM colours as the compositor would (offscreen rendering and tests).
    pub fn set_vm_colours(&mut self, colours: BTreeMap<String, VmColours>) {
        self.vm_colours = colours;
    }

    pub fn available(&self) -> bool {
        self.manager.is_some()
    }

    /// The open windows in the order they opened.
    pub fn windows(&self) -> impl Iterator<Item = &Window> {
        self.windows.iter()
    }

    pub fn get(&self, id: u32) -> Option<&Window> {
        self.windows().find(|w| w.id == id)
    }

    fn handle(&self, id: u32) -> Option<&CanopyToplevelHandleV1> {
        self.handles.iter().find(|(_, i)| *i == id).map(|(h, _)| h)
    }

    /// Restores (if minimised), raises and focuses a window.
    pub fn activate(&self, id: u32) {
        if let Some(h) = self.handle(id) {
            h.activate();
        }
    }

    pub fn minimize(&self, id: u32) {
        if let Some(h) = self.handle(id) {
            h.set_minimized();
        }
    }

    pub fn close(&self, id: u32) {
        if let Some(h) = self.handle(id) {
            h.close();
        }
    }

    pub fn switch_layout(&self, index: u32) {
        if let Some(m) = &self.manager {
            m.switch_keyboard_layout(index);
        }
    }

    /// Short name of the active keyboard layout, such as `us` or `de`.
    pub fn layout_name(&self) -> Option<&str> {
        self.layouts.get(self.active_layout as usize).map(String::as_str)
    }
}

#[derive(Debug)]
pub struct ManagerData;

/// Properties of a window between its events and its `done`.
#[derive(Debug, Default)]
pub struct ToplevelData(Mutex<Window>);

impl<D> Dispatch2<CanopyShellManagerV1, D> for ManagerData
where
    D: Dispatch<CanopyToplevelHandleV1, ToplevelData> + WindowListHandler + 'static,
{
    fn event(
        &self,
        state: &mut D,
        _: &CanopyShellManagerV1,
        event: canopy_shell_manager_v1::Event,
        _: &Connection,
        _: &QueueHandle<D>,
    ) {
        let list = state.window_list();
        match event {
            // Handles are added to the list on their first `done`, when their id is known.
            canopy_shell_manager_v1::Event::Toplevel { .. } => {}
            canopy_shell_manager_v1::Event::KeyboardLayouts { names } => {
                list.layouts = names.lines().map(str::to_string).filter(|s| !s.is_empty()).collect();
            }
            canopy_shell_manager_v1::Event::KeyboardLayout { index } => list.active_layout = index,
            canopy_shell_manager_v1::Event::VmColours { name, trust_level: _, frame, text } => {
                let c = |v: u32| {
                    let [r, g, b, a] = v.to_be_bytes();
                    Rgba { r, g, b, a }
                };
                list.pending_colours.insert(name, VmColours { frame: c(frame), text: c(text) });
            }
            canopy_shell_manager_v1::Event::VmColoursDone => {
                list.vm_colours = std::mem::take(&mut list.pending_colours);
            }
            canopy_shell_manager_v1::Event::Capturing { programs } => {
                list.capturing = programs.lines().filter(|s| !s.is_empty()).map(str::to_string).collect();
            }
            canopy_shell_manager_v1::Event::Done => state.windows_changed(),
            canopy_shell_manager_v1::Event::Resumed => state.resumed(),
        }
    }

    wayland_client::event_created_child!(D, CanopyShellManagerV1, [
        canopy_shell_manager_v1::EVT_TOPLEVEL_OPCODE => (CanopyToplevelHandleV1, ToplevelData::default())
    ]);
}

impl<D> Dispatch2<CanopyToplevelHandleV1, D> for ToplevelData
where
    D: WindowListHandler,
{
    fn event(
        &self,
        state: &mut D,
        handle: &CanopyToplevelHandleV1,
        event: canopy_toplevel_handle_v1::Event,
        _: &Connection,
        _: &QueueHandle<D>,
    ) {
        use canopy_toplevel_handle_v1::Event;
        let mut pending = self.0.lock().unwrap();
        match event {
            Event::Id { id } => pending.id = id,
            Event::Title { title } => pending.title = title,
            Event::AppId { app_id } => pending.app_id = app_id,
            Event::Vm { name, trust_level, colour } => {
                pending.vm = name;
                pending.trust_level = trust_level;
                let [r, g, b, a] = colour.to_be_bytes();
                pending.colour = Rgba { r, g, b, a };
            }
            Event::State { state: bits } => {
                let bits = State::from_bits_truncate(bits.into());
                pending.activated = bits.contains(State::Activated);
                pending.minimized = bits.contains(State::Minimized);
            }
            // A minimised window is on no output: it stays listed where it was.
            Event::Output { output: Some(output) } => pending.output = Some(output),
            Event::Output { output: None } => {}
            Event::Done => {
                let window = pending.clone();
                drop(pending);
                let list = state.window_list();
                match list.handles.iter().find(|(h, _)| h == handle).map(|(_, id)| *id) {
                    Some(id) => {
                        if let Some(w) = list.windows.iter_mut().find(|w| w.id == id) {
                            *w = window;
                        }
                    }
                    None => {
                        list.handles.push((handle.clone(), window.id));
                        list.windows.push(window);
                    }
                }
            }
            Event::Closed => {
                drop(pending);
                let list = state.window_list();
                if let Some(pos) = list.handles.iter().position(|(h, _)| h == handle) {
                    let (_, id) = list.handles.remove(pos);
                    list.windows.retain(|w| w.id != id);
                }
                handle.destroy();
            }
        }
    }
}
