//! The launcher program: loads the apps (hostd, or the fallback file), follows VM states,
//! and starts the chosen app through hostd.

use std::path::PathBuf;

use canopy_protocols::lifecycle::{Error, State};
use canopy_protocols::text;
use canopy_shell::host::{describe, Host, HostUpdate};
use canopy_shell::wl::{edit_key, printable, App, Core, Placement, View, ViewCx};
use canopy_themes::Theme;
use smithay_client_toolkit::reexports::calloop::channel::{self, Channel};
use smithay_client_toolkit::seat::keyboard::{KeyEvent, Keysym, Modifiers};

use crate::config;
use crate::disk_prompt::DiskPrompt;
use crate::model::{LauncherModel, Status, Tile};
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
    Started(Tile, Result<u64, StartFailed>),
    /// The answer to set_disk_image: Ok, or why the path was refused.
    DiskImageSet(Result<(), String>),
}

/// Why a start failed: the message for the screen, and the VM whose disk image hostd needs
/// (with its reason) when that is the cause.
pub struct StartFailed {
    pub message: String,
    pub disk_image_missing: Option<(String, String)>,
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
            // Lost connections, and requests to open across VMs, are the panel's business.
            Worker::Host(
                HostUpdate::Lost(_) | HostUpdate::Choose(_) | HostUpdate::Notice(_) | HostUpdate::Progress { .. },
            ) => {}
            Worker::Started(_, Ok(instance)) => {
                tracing::info!("started (instance {instance})");
                core.exit(0);
            }
            Worker::Started(tile, Err(StartFailed { disk_image_missing: Some((vm, reason)), .. })) => {
                tracing::info!("VM {vm} needs a disk image ({reason}); asking for its path");
                self.model.status = Status::Ready;
                self.model.prompt = Some(DiskPrompt::new(tile, vm, reason));
            }
            Worker::Started(_, Err(StartFailed { message, .. })) => {
                // Sanitised again where it is shown: it may quote the VM's agent.
                let message = text::sanitise(&message, text::MESSAGE);
                tracing::error!("{message}");
                self.model.prompt = None;
                self.model.status = Status::Failed(message);
            }
            Worker::DiskImageSet(Ok(())) => {
                let Some(prompt) = self.model.prompt.take() else { return };
                tracing::info!("hostd took the disk image of {}; starting {} again", prompt.vm, prompt.tile.app);
                self.start(core, prompt.tile);
            }
            Worker::DiskImageSet(Err(why)) => {
                let why = text::sanitise(&why, text::MESSAGE);
                tracing::warn!("disk image refused: {why}");
                if let Some(p) = &mut self.model.prompt {
                    p.refused(why);
                }
            }
        }
    }

    fn start_selected(&mut self, core: &Core<Self>) {
        if matches!(self.model.status, Status::Starting(_) | Status::Loading) || self.model.prompt.is_some() {
            return;
        }
        let Some(tile) = self.model.selected_tile().cloned() else { return };
        self.start(core, tile);
    }

    /// Asks hostd to start `tile`'s app, with an activation token from the user's click or
    /// key press here, so the app's window opens with the keyboard (the compositor lets only
    /// the tile's VM use the token, once).
    fn start(&mut self, core: &Core<Self>, tile: Tile) {
        let Some(tx) = self.tx.clone() else { return };
        let token = core.activation_token(&tile.vm);
        // "Starting chromium-vm…" while the VM boots, the app's name when the VM already runs.
        let what = match tile.state {
            Some(State::Running) => tile.display_name.clone(),
            _ => tile.vm.clone(),
        };
        self.model.status = Status::Starting(what);
        tracing::info!("asking hostd to start {} in {}", tile.app, tile.vm);
        let host = self.opts.host.clone();
        std::thread::spawn(move || {
            let r = host.start_app(&tile.app, Some(&tile.vm), token).map_err(|e| StartFailed {
                // describe() sanitises hostd's words (they may quote the VM's agent).
                message: format!("Cannot start {} in {}: {}", tile.display_name, tile.vm, describe(&e)),
                disk_image_missing: match e.lifecycle_error() {
                    Some(Error::DiskImageMissing { vm, reason }) => Some((vm.clone(), reason.clone())),
                    _ => None,
                },
            });
            let _ = tx.send(Worker::Started(tile, r));
        });
    }

    /// Enter in the disk image prompt: hand the path to hostd, which checks and remembers it.
    fn submit_disk_image(&mut self) {
        let Some(prompt) = &mut self.model.prompt else { return };
        let Some(path) = prompt.submit() else { return };
        let Some(tx) = self.tx.clone() else { return };
        let (host, vm) = (self.opts.host.clone(), prompt.vm.clone());
        std::thread::spawn(move || {
            let r = host.set_disk_image(&vm, &path).map_err(|e| match e.lifecycle_error() {
                // hostd's own words about the path ("…: No such file or directory").
                Some(Error::BadRequest { reason }) => reason.clone(),
                _ => describe(&e),
            });
            let _ = tx.send(Worker::DiskImageSet(r));
        });
    }

    fn prompt_key(&mut self, core: &Core<Self>, key: &KeyEvent, mods: &Modifiers) {
        let Some(prompt) = &mut self.model.prompt else { return };
        match key.keysym {
            Keysym::Escape if !prompt.sending => self.model.prompt = None,
            Keysym::Return | Keysym::KP_Enter => self.submit_disk_image(),
            _ => prompt.edit(|path| {
                edit_key(path, &core.fonts, key, mods);
            }),
        }
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
        if self.model.prompt.is_some() {
            match action {
                LauncherAction::PromptSubmit => self.submit_disk_image(),
                LauncherAction::PromptCancel if !self.model.prompt.as_ref().is_some_and(|p| p.sending) => {
                    self.model.prompt = None
                }
                // A stray click beside the question must not lose what was typed.
                _ => {}
            }
            return;
        }
        match action {
            LauncherAction::Tile(i) => {
                self.model.selected = i;
                self.start_selected(core);
            }
            LauncherAction::Outside => {
                if !matches!(self.model.status, Status::Starting(_)) {
                    core.exit(0);
                }
            }
            LauncherAction::PromptSubmit | LauncherAction::PromptCancel => {}
        }
    }

    fn scroll(&mut self, _core: &mut Core<Self>, steps: i32) {
        if self.model.prompt.is_none() {
            self.model.scroll(steps as i64);
        }
    }

    fn key(&mut self, core: &mut Core<Self>, key: &KeyEvent, mods: &Modifiers) {
        if self.model.prompt.is_some() {
            self.prompt_key(core, key, mods);
            return;
        }
        let filtering = !self.model.filter.is_empty();
        let caret_key = matches!(
            key.keysym,
            Keysym::Left | Keysym::Right | Keysym::Home | Keysym::End | Keysym::Delete | Keysym::BackSpace
        );
        // While a filter is typed, the caret keys edit it; arrows up and down, Tab and the page
        // keys still move through the tiles.
        if (filtering && caret_key) || printable(key, mods).is_some() {
            let fonts = &core.fonts;
            self.model.edit_filter(|f| {
                edit_key(f, fonts, key, mods);
            });
            return;
        }
        match key.keysym {
            // Escape clears the filter first; with none it closes the launcher.
            Keysym::Escape if self.model.escape() => core.exit(0),
            Keysym::Return | Keysym::KP_Enter => self.start_selected(core),
            Keysym::Left => self.model.move_selection(-1, 0),
            Keysym::Right => self.model.move_selection(1, 0),
            Keysym::Up => self.model.move_selection(0, -1),
            Keysym::Down => self.model.move_selection(0, 1),
            Keysym::Tab => self.model.move_selection(if mods.shift { -1 } else { 1 }, 0),
            Keysym::Page_Up => self.model.page(-1),
            Keysym::Page_Down => self.model.page(1),
            Keysym::Home => self.model.select_end(false),
            Keysym::End => self.model.select_end(true),
            _ => {}
        }
    }
}
