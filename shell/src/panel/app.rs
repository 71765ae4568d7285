//! The panel program: its state, the minute clock, the host watch and what clicks do.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use canopy_common::transport::Address;
use canopy_levels::config::BacklightConfig;
use smithay_client_toolkit::reexports::calloop::channel::{self, Channel};
use smithay_client_toolkit::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay_client_toolkit::seat::keyboard::{KeyEvent, Keysym, Modifiers};

use canopy_notify::centre::{self, CentreState, Command, Commands};

use super::levels::{self, Change, Levels, LevelsUpdate, LightStatus};
use super::levels_view::{self, LevelsAction};
use super::tell::{self, Tell};
use super::vm_menu::{self, VmMenu, VmMenuAction};
use super::window_menu::{self, MenuItem, WindowMenu};
use super::{view, PanelAction, PanelModel, VmChip};
use crate::battery;
use crate::clock::LocalTime;
use crate::host::{Host, HostUpdate};
use crate::spawn::{spawn, start};
use crate::wl::{App, Core, Placement, View, ViewCx, BTN_LEFT, BTN_MIDDLE, BTN_RIGHT};
use canopy_protocols::lifecycle::open::Notice;
use canopy_protocols::lifecycle::{Event, State};
use std::process::Child;

pub struct PanelOptions {
    pub height: u32,
    /// Show this time instead of the clock (screenshots).
    pub fixed_time: Option<LocalTime>,
    /// A fake time source for tests: the time is read from this file ("YYYY-MM-DD HH:MM")
    /// whenever the panel reads the clock, and no minute tick runs (the clock moves only when
    /// something, such as a resume, makes the panel read it).
    pub time_file: Option<PathBuf>,
    /// Where batteries are listed (sysfs power_supply class).
    pub power_supply: PathBuf,
    pub host: Host,
    /// Commands for the launcher and power menu buttons; `--output NAME` is appended.
    pub launcher: Vec<String>,
    pub power_menu: Vec<String>,
    /// The chooser for requests to open or send across VMs (and their notices); the request
    /// goes on its stdin.
    pub chooser: Vec<String>,
    /// canopy-audiod, for the volume indicator (none: no indicator).
    pub audio: Option<Address>,
    /// The backlight; `backlight_explicit` when it was configured, so that its absence shows.
    pub backlight: BacklightConfig,
    pub backlight_explicit: bool,
}

pub struct Panel {
    pub model: PanelModel,
    opts: PanelOptions,
    /// A window's menu, or the notification centre, while it is open.
    menu: Option<Menu>,
    centre: Option<Commands>,
    /// The levels worker's queue (see [`levels::apply_changes`]).
    changes: Option<mpsc::Sender<Change>>,
    /// The notice on screen: a new one replaces it, so a VM whose requests keep failing gets one
    /// notice in the corner, not a pile of them.
    notice: Option<Child>,
    /// hostd's news as the trusted system's notifications.
    tell: Option<Tell>,
    /// Where the VM menu's threads report an action hostd did not carry out.
    vm_failures: Option<channel::Sender<VmFailure>>,
}

/// A VM menu action that failed: the VM, what was asked ("stop", …) and why.
struct VmFailure {
    vm: String,
    what: &'static str,
    reason: String,
}

enum Menu {
    Window(WindowMenu),
    Centre,
    /// The levels popover.
    Levels,
    Vm(VmMenu),
}

impl Panel {
    pub fn new(opts: PanelOptions) -> Self {
        let model = PanelModel {
            clock: String::new(),
            battery: None,
            vms: Vec::new(),
            host_error: Some("connecting".into()),
            notifications: None,
            levels: Levels::new(opts.audio.is_some(), levels::read_light(&opts.backlight, opts.backlight_explicit)),
        };
        let mut p =
            Panel { model, opts, menu: None, centre: None, changes: None, notice: None, tell: None, vm_failures: None };
        p.tick();
        p
    }

    fn now(&self) -> LocalTime {
        let from_file =
            self.opts.time_file.as_ref().and_then(|f| LocalTime::parse(&std::fs::read_to_string(f).ok()?).ok());
        from_file.or(self.opts.fixed_time).unwrap_or_else(LocalTime::now)
    }

    /// The minute's work: clock text and battery level.
    fn tick(&mut self) {
        self.model.clock = self.now().panel();
        self.model.battery = battery::read(&self.opts.power_supply);
    }

    fn host_update(&mut self, update: HostUpdate) {
        match update {
            HostUpdate::Vms(vms) => {
                self.model.host_error = None;
                self.model.vms = vms
                    .into_iter()
                    .filter(|v| v.managed)
                    .map(|v| VmChip { name: v.name, trust: v.trust, state: v.state })
                    .collect();
                self.model.vms.sort_by(|a, b| a.name.cmp(&b.name));
            }
            HostUpdate::VmState { vm, state } => {
                let chip = self.model.vms.iter_mut().find(|c| c.name == vm);
                if let Some(tell) = &self.tell {
                    tell.vm_state(&vm, chip.as_ref().map(|c| &c.state), &state);
                }
                if let Some(chip) = chip {
                    chip.state = state;
                }
            }
            HostUpdate::Lost(why) => {
                self.model.host_error = Some(why);
                self.model.vms.clear();
            }
            HostUpdate::Choose(c) => {
                // hostd lets each VM have one question open; each is its own chooser.
                if let Some(mut child) = self.run_chooser(&Event::Choose(c)) {
                    std::thread::spawn(move || child.wait());
                }
            }
            HostUpdate::Progress { vm, message } => {
                let chip = self.model.vms.iter().find(|c| c.name == vm);
                if let (Some(tell), Some(chip)) = (&self.tell, chip) {
                    tell.progress(&vm, &chip.state, &message);
                }
            }
            HostUpdate::Notice(n) => match &self.tell {
                Some(tell) => tell.notice(n),
                None => self.show_notice(n),
            },
        }
    }

    /// A notice in the corner, drawn by the chooser (when the notification daemon is not there).
    fn show_notice(&mut self, n: Notice) {
        if let Some(mut old) = self.notice.take() {
            // Held unreaped until now, so its pid cannot be anyone else's.
            let _ = old.kill();
            let _ = old.wait();
        }
        self.notice = self.run_chooser(&Event::Notice(n));
    }

    /// The chooser, for a request waiting for the user's choice or for a notice.
    fn run_chooser(&self, ev: &Event) -> Option<Child> {
        let input = serde_json::to_vec(ev).map_err(|e| tracing::error!("cannot pass the request on: {e}")).ok()?;
        let env = [("CANOPY_HOSTD", self.opts.host.address().to_string())];
        start(&self.opts.chooser, &env, Some(input)).map_err(|e| tracing::error!("{e}")).ok()
    }

    fn open_menu(&mut self, core: &mut Core<Self>, window: u32) {
        let x = core.last_click().map_or(0.0, |(x, _)| x as f32);
        self.menu = Some(Menu::Window(WindowMenu::new(window, x)));
        core.open_menu();
    }

    fn toggle_centre(&mut self, core: &mut Core<Self>) {
        if matches!(self.menu, Some(Menu::Centre)) {
            return self.close_menu(core);
        }
        self.menu = Some(Menu::Centre);
        core.open_menu();
        // Opening the centre is seeing what is in it.
        self.command(Command::MarkRead);
    }

    fn command(&self, cmd: Command) {
        if let Some(c) = &self.centre {
            c.send(cmd);
        }
    }

    fn centre_update(&mut self, core: &mut Core<Self>, state: Option<CentreState>) {
        if state.is_none() && matches!(self.menu, Some(Menu::Centre)) {
            self.close_menu(core);
        }
        self.model.notifications = state;
        core.redraw();
    }

    fn toggle_levels(&mut self, core: &mut Core<Self>) {
        if matches!(self.menu, Some(Menu::Levels)) {
            return self.close_menu(core);
        }
        // What the keys did to the backlight meanwhile.
        if self.model.levels.light != LightStatus::Off || self.opts.backlight_explicit {
            self.model.levels.light = levels::read_light(&self.opts.backlight, self.opts.backlight_explicit);
        }
        self.menu = Some(Menu::Levels);
        core.open_menu();
    }

    /// A click or drag on the levels popover at x.
    fn levels_input(&mut self, core: &mut Core<Self>, action: LevelsAction, x: f64) {
        if action == LevelsAction::Open {
            return self.toggle_levels(core);
        }
        let Some(change) = action.change(x, &self.model.levels) else { return };
        self.model.levels.preview(change);
        if let Some(tx) = &self.changes {
            let _ = tx.send(change);
        }
        core.redraw();
    }

    fn levels_update(&mut self, update: LevelsUpdate) {
        match update {
            LevelsUpdate::Audio(a) => self.model.levels.audio = a,
            LevelsUpdate::Light(l) => self.model.levels.light = l,
            LevelsUpdate::Done(e) => self.model.levels.error = e,
        }
    }

    fn vm_menu(&mut self, core: &mut Core<Self>, action: VmMenuAction) {
        let Some(Menu::Vm(menu)) = &mut self.menu else { return };
        let op = match (action, menu.asking) {
            (VmMenuAction::Op(op), _) if op.asks() => {
                menu.asking = Some(op);
                menu.focus = None;
                return core.redraw();
            }
            (VmMenuAction::Op(op), _) => op,
            (VmMenuAction::Confirm, Some(op)) => op,
            (VmMenuAction::Confirm, None) => return,
            (VmMenuAction::Cancel, _) => return self.close_menu(core),
        };
        let vm = menu.vm.clone();
        self.close_menu(core);
        tracing::info!("{} {vm}, as the user asked", op.label());
        let host = self.opts.host.clone();
        let failures = self.vm_failures.clone();
        std::thread::spawn(move || {
            if let Err(e) = host.vm_action(&vm, op) {
                let reason = crate::host::describe(&e);
                tracing::error!("{} {vm}: {reason}", op.label());
                if let Some(tx) = failures {
                    let _ = tx.send(VmFailure { vm, what: op.verb(), reason });
                }
            }
        });
    }

    /// Tells the user that a VM menu action failed: a notification, else the corner notice.
    fn vm_failed(&mut self, f: VmFailure) {
        let (message, notice) = tell::action_failed(&f.vm, f.what, &f.reason);
        match &self.tell {
            Some(tell) => tell.action_failed(message, notice),
            None => self.show_notice(notice),
        }
    }

    fn close_menu(&mut self, core: &mut Core<Self>) {
        self.menu = None;
        core.close_menu();
    }

    fn menu_item(&mut self, core: &mut Core<Self>, item: MenuItem, id: u32) {
        self.close_menu(core);
        match item {
            MenuItem::Focus => core.windows.activate(id),
            MenuItem::Minimise => core.windows.minimize(id),
            MenuItem::Close => core.windows.close(id),
        }
    }

    fn run_with_output(&self, command: &[String], output: Option<String>) {
        let mut argv = command.to_vec();
        if let Some(o) = output {
            argv.extend(["--output".to_string(), o]);
        }
        let env = [("CANOPY_HOSTD", self.opts.host.address().to_string())];
        if let Err(e) = spawn(&argv, &env) {
            tracing::error!("{e}");
        }
    }
}

impl App for Panel {
    type Action = PanelAction;

    fn namespace(&self) -> &'static str {
        "canopy-panel"
    }

    fn placement(&self) -> Placement {
        Placement::PanelPerOutput { height: self.opts.height }
    }

    fn wants_window_list(&self) -> bool {
        true
    }

    fn init(&mut self, core: &mut Core<Self>) {
        // The clock redraws once a minute, just after the minute turns; nothing else wakes an
        // idle panel except the compositor and hostd telling it about changes.
        let first = self.now().until_next_minute();
        let timer = Timer::from_duration(if self.opts.fixed_time.is_some() { Duration::from_secs(60) } else { first });
        let inserted = self.opts.time_file.is_none().then(|| {
            core.handle.insert_source(timer, |_, _, shell| {
                shell.app.tick();
                shell.core.redraw();
                TimeoutAction::ToDuration(shell.app.now().until_next_minute())
            })
        });
        if let Some(Err(e)) = inserted {
            tracing::error!("cannot start the clock timer: {e}");
        }

        let (tx, rx): (_, Channel<HostUpdate>) = channel::channel();
        let host = self.opts.host.clone();
        std::thread::Builder::new()
            .name("hostd-watch".into())
            .spawn(move || host.watch_forever(|u| tx.send(u).is_ok()))
            .expect("starting the hostd watch thread");
        let inserted = core.handle.insert_source(rx, |event, _, shell| {
            if let channel::Event::Msg(update) = event {
                shell.app.host_update(update);
                shell.core.redraw();
            }
        });
        if let Err(e) = inserted {
            tracing::error!("cannot watch hostd: {e}");
        }

        let (tx, rx): (_, Channel<VmFailure>) = channel::channel();
        match core.handle.insert_source(rx, |event, _, shell| {
            if let channel::Event::Msg(f) = event {
                shell.app.vm_failed(f);
            }
        }) {
            Ok(_) => self.vm_failures = Some(tx),
            Err(e) => tracing::error!("cannot report the VM menu's failures: {e}"),
        }

        // The levels: a watch on the audio VM, and a worker for the popover's changes.
        let (tx, rx): (_, Channel<LevelsUpdate>) = channel::channel();
        if let Some(addr) = self.opts.audio.clone() {
            let tx = tx.clone();
            std::thread::Builder::new()
                .name("audio-watch".into())
                .spawn(move || levels::watch_audio(&addr, |u| tx.send(u).is_ok()))
                .expect("starting the audio watch thread");
        }
        let (changes, queue) = mpsc::channel();
        let (addr, light) = (self.opts.audio.clone(), self.opts.backlight.clone());
        std::thread::Builder::new()
            .name("levels".into())
            .spawn(move || levels::apply_changes(addr, light, queue, |u| tx.send(u).is_ok()))
            .expect("starting the levels thread");
        match core.handle.insert_source(rx, |event, _, shell| {
            if let channel::Event::Msg(update) = event {
                shell.app.levels_update(update);
                shell.core.redraw();
            }
        }) {
            Ok(_) => self.changes = Some(changes),
            Err(e) => tracing::error!("cannot follow the levels: {e}"),
        }

        // The notification daemon, on the GUI VM's session bus.
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
            let (tx, rx): (_, Channel<Notice>) = channel::channel();
            let inserted = core.handle.insert_source(rx, |event, _, shell| {
                if let channel::Event::Msg(n) = event {
                    shell.app.show_notice(n);
                }
            });
            match inserted {
                Ok(_) => self.tell = Some(Tell::start(tx)),
                Err(e) => tracing::error!("cannot pass hostd's news on: {e}"),
            }
            let (tx, rx): (_, Channel<Option<CentreState>>) = channel::channel();
            std::thread::Builder::new()
                .name("notifications-watch".into())
                .spawn(move || centre::watch_forever(move |s| tx.send(s).is_ok()))
                .expect("starting the notification watch thread");
            let inserted = core.handle.insert_source(rx, |event, _, shell| {
                if let channel::Event::Msg(state) = event {
                    shell.app.centre_update(&mut shell.core, state);
                }
            });
            match inserted {
                Ok(_) => self.centre = Some(Commands::start()),
                Err(e) => tracing::error!("cannot watch the notification daemon: {e}"),
            }
        }
    }

    fn view(&self, cx: &ViewCx<'_, PanelAction>) -> View<PanelAction> {
        view(&self.model, cx)
    }

    fn menu_view(&self, cx: &ViewCx<'_, PanelAction>) -> View<PanelAction> {
        let top = self.opts.height as f32;
        match (&self.menu, &self.model.notifications) {
            (Some(Menu::Window(m)), _) if cx.windows.get(m.window).is_some() => {
                window_menu::view(m, cx.windows.get(m.window).expect("checked"), top, cx)
            }
            (Some(Menu::Centre), Some(state)) => super::centre::view(state, top, cx),
            (Some(Menu::Levels), _) => levels_view::popover(&self.model.levels, top, cx),
            (Some(Menu::Vm(m)), _) => {
                let chip = self.model.vms.iter().find(|c| c.name == m.vm);
                vm_menu::view(m, chip, &vm_menu::windows_of(cx.windows, &m.vm), top, cx)
            }
            _ => {
                View::new(crate::draw::Scene::new(cx.width, cx.height, canopy_themes::Rgba { r: 0, g: 0, b: 0, a: 0 }))
            }
        }
    }

    fn menu_closed(&mut self, _core: &mut Core<Self>) {
        self.menu = None;
    }

    /// After a sleep the clock and the battery are read at once, not at the next minute.
    fn resumed(&mut self, core: &mut Core<Self>) {
        tracing::info!("resumed: reading the clock and the battery");
        self.tick();
        core.redraw();
    }

    fn windows_changed(&mut self, core: &mut Core<Self>) {
        // The menu's window closed: nothing left to act on.
        if let Some(Menu::Window(m)) = &self.menu {
            if core.windows.get(m.window).is_some() {
                return;
            }
            self.close_menu(core);
        }
    }

    fn drag(&mut self, core: &mut Core<Self>, action: PanelAction, x: f64, _y: f64) {
        if let PanelAction::Levels(a @ LevelsAction::Slide(..)) = action {
            self.levels_input(core, a, x);
        }
    }

    fn key(&mut self, core: &mut Core<Self>, key: &KeyEvent, _mods: &Modifiers) {
        // Only the menu takes the keyboard.
        let menu = match &mut self.menu {
            Some(Menu::Window(m)) => m,
            Some(Menu::Vm(m)) => {
                let state = self.model.vms.iter().find(|c| c.name == m.vm).map_or(State::Stopped, |c| c.state.clone());
                match key.keysym {
                    Keysym::Escape => self.close_menu(core),
                    Keysym::Down | Keysym::Tab => m.move_focus(&state, true),
                    Keysym::Up | Keysym::ISO_Left_Tab => m.move_focus(&state, false),
                    Keysym::Return | Keysym::KP_Enter | Keysym::space => {
                        if let Some(action) = m.focused(&state) {
                            self.vm_menu(core, action);
                        }
                        return;
                    }
                    _ => return,
                }
                return core.redraw();
            }
            Some(Menu::Centre | Menu::Levels) => {
                if key.keysym == Keysym::Escape {
                    self.close_menu(core);
                }
                return;
            }
            None => return,
        };
        let Some(window) = core.windows.get(menu.window) else { return };
        match key.keysym {
            Keysym::Escape => self.close_menu(core),
            Keysym::Down | Keysym::Tab => menu.move_focus(window, true),
            Keysym::Up | Keysym::ISO_Left_Tab => menu.move_focus(window, false),
            Keysym::Return | Keysym::KP_Enter | Keysym::space => {
                if let Some(item) = menu.focused_item() {
                    let id = menu.window;
                    self.menu_item(core, item, id);
                }
            }
            _ => {}
        }
    }

    fn click(&mut self, core: &mut Core<Self>, action: PanelAction, button: u32) {
        match action {
            PanelAction::Launcher(output) => self.run_with_output(&self.opts.launcher, output),
            PanelAction::Power(output) => self.run_with_output(&self.opts.power_menu, output),
            PanelAction::Window(id) => {
                let Some(w) = core.windows.get(id) else { return };
                match button {
                    BTN_MIDDLE => core.windows.close(id),
                    BTN_RIGHT => self.open_menu(core, id),
                    BTN_LEFT if w.activated && !w.minimized => core.windows.minimize(id),
                    BTN_LEFT => core.windows.activate(id),
                    _ => {}
                }
            }
            PanelAction::Menu(item, id) if button == BTN_LEFT => self.menu_item(core, item, id),
            PanelAction::Menu(..) | PanelAction::MenuCard => {}
            PanelAction::MenuOutside => self.close_menu(core),
            PanelAction::Layout => {
                let n = core.windows.layouts.len() as u32;
                if n > 1 {
                    core.windows.switch_layout((core.windows.active_layout + 1) % n);
                }
            }
            PanelAction::Vm(vm) => {
                if matches!(&self.menu, Some(Menu::Vm(m)) if m.vm == vm) {
                    return self.close_menu(core);
                }
                let x = core.last_click().map_or(0.0, |(x, _)| x as f32);
                self.menu = Some(Menu::Vm(VmMenu::new(vm, x)));
                core.open_menu();
            }
            PanelAction::VmMenu(a) if button == BTN_LEFT => self.vm_menu(core, a),
            PanelAction::VmMenu(_) => {}
            PanelAction::Levels(a) if button == BTN_LEFT => {
                let x = core.last_click().map_or(0.0, |(x, _)| x);
                self.levels_input(core, a, x);
            }
            PanelAction::Levels(_) => {}
            PanelAction::Bell => self.toggle_centre(core),
            PanelAction::Centre(a) if button == BTN_LEFT => self.command(a.command()),
            PanelAction::Centre(_) => {}
        }
    }
}
