//! The launcher program: loads the apps (hostd, or the fallback file), follows VM states,
//! and starts the chosen app through hostd.

use std::path::PathBuf;

use canopy_protocols::lifecycle::State;
use canopy_shell::host::{describe, Host, HostUpdate};
use canopy_shell::wl::{App, Core, Placement, View, ViewCx};
use canopy_themes::Theme;
use smithay_client_toolkit::reexports::calloop::channel::{self, Channel};
use smithay_client_toolkit::seat::keyboard::{KeyEvent, Keysym, Modifiers};

use crate::config;
use crate::model::{LauncherModel, Status};
use crate::view::{view, LauncherAction};

pub struct LauncherOptions {
    pub output: Option<String>,
    pub host: Host,
    /// The app list used when hostd cannot be reached.
    pub fallback: PathBuf,
    pub theme: Theme,
}

/// Answers from worker threads.
pub enum Worker {
    Loaded(Result<(Vec<canopy_protocols::lifecycle::AppInfo>, Vec<canopy_protocols::lifecycle::VmInfo>), String>),
    Host(HostUpdate),
    Started(Result<u64, String>),
}

pub struct Launcher {
    pub model: LauncherModel,
    opts: LauncherOptions,
    tx: Option<channel::Sender<Worker>>,
}

impl Launcher {
    pub fn new(opts: LauncherOptions) -> Self {
        Launcher { model: LauncherModel::new(), opts, tx: None }
    }

    fn worker(&mut self, core: &mut Core<Self>, msg: Worker) {
        match msg {
            Worker::Loaded(Ok((apps, vms))) => self.model.set_from_host(apps, &vms),
            Worker::Loaded(Err(why)) => {
                tracing::warn!("{why}; using {}", self.opts.fallback.display());
                match config::load(&self.opts.fallback, &self.opts.theme) {
                    Ok(c) => {
                        let notice = format!("Host daemon unreachable: apps from {}", self.opts.fallback.display());
                        self.model.set_from_config(c, notice);
                    }
                    Err(e) => {
                        tracing::error!("{e}");
                        self.model.status = Status::Failed(format!("{why}; and the app list {e}"));
                    }
                }
            }
            Worker::Host(HostUpdate::VmState { vm, state }) => self.model.set_vm_state(&vm, &state),
            Worker::Host(HostUpdate::Vms(vms)) => {
                for vm in vms {
                    self.model.set_vm_state(&vm.name, &vm.state);
                }
            }
            Worker::Host(HostUpdate::Lost(_)) => {}
            Worker::Started(Ok(instance)) => {
                tracing::info!("started (instance {instance})");
                core.exit(0);
            }
            Worker::Started(Err(why)) => {
                tracing::error!("{why}");
                self.model.status = Status::Failed(why);
            }
        }
    }

    fn start_selected(&mut self) {
        if matches!(self.model.status, Status::Starting(_) | Status::Loading) {
            return;
        }
        let Some(tile) = self.model.selected_tile().cloned() else { return };
        let Some(tx) = self.tx.clone() else { return };
        // "Starting chromium-vm…" while the VM boots, the app's name when the VM already runs.
        let what = match tile.state {
            Some(State::Running) => tile.display_name.clone(),
            _ => tile.vm.clone(),
        };
        self.model.status = Status::Starting(what);
        let host = self.opts.host.clone();
        std::thread::spawn(move || {
            let r = host
                .start_app(&tile.app, Some(&tile.vm))
                .map_err(|e| format!("Cannot start {} in {}: {}", tile.display_name, tile.vm, describe(&e)));
            let _ = tx.send(Worker::Started(r));
        });
    }
}

impl App for Launcher {
    type Action = LauncherAction;

    fn namespace(&self) -> &'static str {
        "canopy-launcher"
    }

    fn placement(&self) -> Placement {
        Placement::Overlay { output: self.opts.output.clone() }
    }

    fn init(&mut self, core: &mut Core<Self>) {
        let (tx, rx): (_, Channel<Worker>) = channel::channel();
        self.tx = Some(tx.clone());
        let inserted = core.handle.insert_source(rx, |event, _, shell| {
            if let channel::Event::Msg(m) = event {
                shell.app.worker(&mut shell.core, m);
                shell.core.redraw();
            }
        });
        if let Err(e) = inserted {
            tracing::error!("cannot listen for host replies: {e}");
            core.exit(1);
            return;
        }
        let host = self.opts.host.clone();
        let load_tx = tx.clone();
        std::thread::spawn(move || {
            let r = host.apps().and_then(|apps| Ok((apps, host.vms()?))).map_err(|e| describe(&e));
            let _ = load_tx.send(Worker::Loaded(r));
        });
        let host = self.opts.host.clone();
        std::thread::spawn(move || host.watch_forever(|u| tx.send(Worker::Host(u)).is_ok()));
    }

    fn view(&self, cx: &ViewCx<'_, LauncherAction>) -> View<LauncherAction> {
        view(&self.model, cx)
    }

    fn click(&mut self, core: &mut Core<Self>, action: LauncherAction, _button: u32) {
        match action {
            LauncherAction::Tile(i) => {
                self.model.selected = i;
                self.start_selected();
            }
            LauncherAction::Outside => {
                if !matches!(self.model.status, Status::Starting(_)) {
                    core.exit(0);
                }
            }
        }
    }

    fn key(&mut self, core: &mut Core<Self>, key: &KeyEvent, mods: &Modifiers) {
        match key.keysym {
            Keysym::Escape => {
                if self.model.escape() {
                    core.exit(0);
                }
            }
            Keysym::Return | Keysym::KP_Enter => self.start_selected(),
            Keysym::BackSpace => self.model.backspace(),
            Keysym::Left => self.model.move_selection(-1, 0),
            Keysym::Right => self.model.move_selection(1, 0),
            Keysym::Up => self.model.move_selection(0, -1),
            Keysym::Down => self.model.move_selection(0, 1),
            Keysym::Tab => self.model.move_selection(if mods.shift { -1 } else { 1 }, 0),
            _ => {
                if mods.ctrl || mods.alt || mods.logo {
                    return;
                }
                if let Some(text) = &key.utf8 {
                    if !text.is_empty() && !text.chars().any(char::is_control) {
                        self.model.type_text(text);
                    }
                }
            }
        }
    }
}
