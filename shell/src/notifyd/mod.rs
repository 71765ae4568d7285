//! `canopy-notifyd`, the GUI VM's notification daemon: the notification server of the GUI VM's
//! session bus (for its own programs), one listener per app VM (the VM is the listener's, see
//! `canopy_notify::listen`), the popups drawn as a layer-shell stack in a corner of the output
//! under the pointer, and the notification centre's state for the panel and the lock screen
//! (`canopy_notify::centre`). Decisions are the store's (`canopy_notify::store`); this is the glue
//! that runs them on the event loop and carries out what they ask.

mod bus;
pub mod cards;

use std::collections::HashMap;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use canopy_notify::centre::{CentreState, Command};
use canopy_notify::config::{Config, Corner, LockScreen};
use canopy_notify::dbus::Ids;
use canopy_notify::listen::{self, Admit, Event, Gate};
use canopy_notify::rules::{self, Checked, Expire};
use canopy_notify::store::{Key, Out, Settings, Source, Store};
use canopy_protocols::notify::{Notification, ToVm, Urgency};
use smithay_client_toolkit::reexports::calloop::channel::{self, Channel};
use smithay_client_toolkit::reexports::calloop::timer::{TimeoutAction, Timer};

use self::cards::{Card, PopupAction, Which};
use crate::wl::{App, Core, Placement, View, ViewCx};

/// What reaches the event loop from the other threads.
pub enum Incoming {
    Vm(Event),
    Local(Notification),
    LocalClose(u32),
    Centre(Command),
}

/// How often the centre's state is published at most (every change redraws popups at once).
const PUBLISH_EVERY: Duration = Duration::from_millis(50);
/// Messages from the listeners and the bus that wait for the loop; a VM that sends faster
/// waits (its reads stop) instead of growing memory.
const QUEUE: usize = 1024;

pub struct Notifyd {
    config: Config,
    store: Store,
    /// Each VM's live connection: its id and what writes to it.
    links: HashMap<Arc<str>, (u64, SyncSender<ToVm>)>,
    gates: HashMap<String, Arc<Gate>>,
    bus: Option<bus::Bus>,
    ids: Ids,
    cards: Vec<Card>,
    /// When the expiry timer will next fire.
    armed: Option<Instant>,
    publish_pending: bool,
}

impl Notifyd {
    pub fn new(config: Config) -> Self {
        let settings = Settings { popups: config.popups.clone(), limits: config.limits.clone() };
        let mut store = Store::new(settings, config.do_not_disturb);
        let now = Instant::now();
        for (name, vm) in &config.vms {
            if vm.mute {
                store.set_muted(&Source::Vm(name.as_str().into()), true, now);
            }
        }
        Notifyd {
            config,
            store,
            links: HashMap::new(),
            gates: HashMap::new(),
            bus: None,
            ids: Ids::default(),
            cards: Vec::new(),
            armed: None,
            publish_pending: false,
        }
    }

    fn incoming(&mut self, core: &mut Core<Self>, msg: Incoming) {
        let now = Instant::now();
        match msg {
            Incoming::Vm(Event::Connected { vm, conn, to_vm }) => {
                self.store.connected(&Source::Vm(vm.clone()), conn, now);
                self.links.insert(vm, (conn, to_vm));
            }
            Incoming::Vm(Event::Disconnected { vm, conn }) => {
                self.store.disconnected(&Source::Vm(vm.clone()), conn);
                if self.links.get(&vm).is_some_and(|(c, _)| *c == conn) {
                    self.links.remove(&vm);
                }
            }
            Incoming::Vm(Event::Notify { vm, conn, n }) => {
                tracing::debug!(vm = %vm, id = n.id, "notification");
                self.store.notify(Source::Vm(vm), conn, n, now);
            }
            Incoming::Vm(Event::Close { vm, id }) => self.store.close(&Key { source: Source::Vm(vm), id }),
            Incoming::Vm(Event::Broke { vm, rule }) => self.store.broke(&vm, &rule, now),
            Incoming::Local(n) => match rules::check(n) {
                Ok(n) => self.store.notify(Source::Local, 0, n, now),
                Err(rule) => tracing::warn!("a local program's notification refused: {rule}"),
            },
            Incoming::LocalClose(id) => self.store.close(&Key { source: Source::Local, id }),
            Incoming::Centre(cmd) => self.command(cmd, now),
        }
        self.changed(core);
    }

    fn command(&mut self, cmd: Command, now: Instant) {
        let source = |vm: Option<String>| vm.map_or(Source::Local, |v| Source::Vm(v.into()));
        match cmd {
            Command::Dismiss { vm, id } => self.store.dismiss(&Key { source: source(vm), id }),
            Command::Clear { vm } => self.store.clear(vm.map(source).as_ref()),
            Command::SetDnd(on) => self.store.set_dnd(on),
            Command::SetMuted { vm, muted } => {
                self.store.set_muted(&Source::Vm(vm.as_str().into()), muted, now);
                if let (false, Some(gate)) = (muted, self.gates.get(&vm)) {
                    gate.open();
                }
            }
            Command::MarkRead => self.store.mark_read(),
        }
    }

    /// After any change: carry out what the store asks, lay the popups out again, arm the
    /// expiry timer, and publish the centre's state soon.
    fn changed(&mut self, core: &mut Core<Self>) {
        for out in self.store.take_out() {
            self.carry_out(out);
        }
        self.layout(core);
        if let Some(at) = self.store.next_deadline() {
            if self.armed.is_none_or(|a| at < a) {
                self.armed = Some(at);
                let timer = Timer::from_deadline(at);
                let inserted = core.handle.insert_source(timer, |_, _, shell| {
                    shell.app.armed = None;
                    shell.app.store.expire(Instant::now());
                    shell.app.changed(&mut shell.core);
                    TimeoutAction::Drop
                });
                if let Err(e) = inserted {
                    tracing::error!("cannot set a popup timer: {e}");
                }
            }
        }
        if !self.publish_pending {
            self.publish_pending = true;
            let inserted = core.handle.insert_source(Timer::from_duration(PUBLISH_EVERY), |_, _, shell| {
                shell.app.publish();
                TimeoutAction::Drop
            });
            if inserted.is_err() {
                self.publish();
            }
        }
    }

    fn publish(&mut self) {
        self.publish_pending = false;
        if let Some(bus) = &self.bus {
            let state = CentreState::of(&self.store, self.config.lock_screen == LockScreen::Count);
            bus.publish(&state);
        }
    }

    fn layout(&mut self, core: &mut Core<Self>) {
        let width = self.config.popups.width as f32;
        self.cards = cards::cards(&self.store, &core.windows, &core.theme, &core.fonts, width);
        let height = cards::stack_height(&self.cards).ceil() as u32;
        core.place((!self.cards.is_empty()).then_some((self.config.popups.width, height)));
        core.redraw();
    }

    fn carry_out(&mut self, out: Out) {
        let signals = self.bus.as_ref().map(|b| &b.signals);
        match out {
            Out::Closed { key, conn, reason } => match &key.source {
                Source::Local => signals.into_iter().for_each(|s| s.closed(key.id, reason.code())),
                Source::Vm(vm) => self.to_vm(vm, conn, ToVm::Closed { id: key.id, reason }),
            },
            Out::Action { key, conn, action } => match &key.source {
                Source::Local => signals.into_iter().for_each(|s| s.action(key.id, &action)),
                Source::Vm(vm) => {
                    tracing::info!(vm = %vm, id = key.id, action, "action chosen");
                    self.to_vm(vm, conn, ToVm::ActionInvoked { id: key.id, key: action });
                }
            },
            Out::Muted { vm, reason } => {
                if let Some(gate) = self.gates.get(&*vm) {
                    gate.shut();
                }
                self.links.remove(&vm);
                self.notice(
                    format!("{vm} is muted"),
                    format!(
                        "Notifications from {vm} are hidden: {reason}.\nUnmute it in the notification centre (the bell)."
                    ),
                );
            }
        }
    }

    /// Writes to a VM only over the connection the notification came on.
    fn to_vm(&self, vm: &Arc<str>, conn: u64, msg: ToVm) {
        let Some((live, tx)) = self.links.get(vm) else { return };
        if *live != conn {
            return;
        }
        if let Err(TrySendError::Full(_)) = tx.try_send(msg) {
            tracing::debug!(vm = %vm, "the VM is not reading; a message to it was dropped");
        }
    }

    /// A notification of the daemon's own (in the GUI VM's colours, no VM prefix).
    fn notice(&mut self, summary: String, body: String) {
        let n = Checked {
            id: self.ids.next(),
            app_name: "canopy-notifyd".into(),
            summary,
            body: rules::body_lines(&body),
            actions: Vec::new(),
            default_action: false,
            urgency: Urgency::Normal,
            expire: Expire::Never,
            transient: false,
            image: None,
        };
        self.store.notify(Source::Local, 0, n, Instant::now());
    }

    fn start_listeners(&mut self, tx: &channel::SyncSender<Incoming>) {
        for (name, vm) in &self.config.vms {
            let admit = Admit { cid: vm.cid, uids: self.config.allow.uids.clone() };
            let tx = Mutex::new(tx.clone());
            let events = move |e: Event| tx.lock().expect("sender").send(Incoming::Vm(e)).is_ok();
            match listen::spawn(name, &vm.listen, admit, events) {
                Ok(gate) => {
                    if self.store.muted(&Source::Vm(name.as_str().into())).is_some() {
                        tracing::info!(vm = %name, "muted by the config");
                    }
                    tracing::info!(vm = %name, listen = %vm.listen, "listening for the VM's notifications");
                    self.gates.insert(name.clone(), gate);
                }
                Err(e) => tracing::error!(vm = %name, "cannot listen on {}: {e}", vm.listen),
            }
        }
    }
}

impl App for Notifyd {
    type Action = PopupAction;

    fn namespace(&self) -> &'static str {
        "canopy-notifications"
    }

    fn placement(&self) -> Placement {
        let (top, left) = match self.config.popups.corner {
            Corner::TopLeft => (true, true),
            Corner::TopRight => (true, false),
            Corner::BottomLeft => (false, true),
            Corner::BottomRight => (false, false),
        };
        Placement::Corner { top, left, margin: self.config.popups.margin }
    }

    fn wants_window_list(&self) -> bool {
        // For the VMs' colours.
        true
    }

    fn init(&mut self, core: &mut Core<Self>) {
        let (tx, rx): (_, Channel<Incoming>) = channel::sync_channel(QUEUE);
        let inserted = core.handle.insert_source(rx, |event, _, shell| {
            if let channel::Event::Msg(msg) = event {
                shell.app.incoming(&mut shell.core, msg);
            }
        });
        if let Err(e) = inserted {
            tracing::error!("cannot receive notifications: {e}");
            core.exit(1);
            return;
        }
        match bus::Bus::start(tx.clone(), self.ids.clone()) {
            Ok(b) => self.bus = Some(b),
            Err(e) => tracing::warn!(
                "no session bus ({e:#}): the GUI VM's own programs cannot notify, and the panel shows no centre"
            ),
        }
        self.start_listeners(&tx);
        self.changed(core);
        tracing::info!("canopy-notifyd ready");
    }

    fn view(&self, cx: &ViewCx<'_, PopupAction>) -> View<PopupAction> {
        let top = matches!(self.config.popups.corner, Corner::TopLeft | Corner::TopRight);
        cards::view(&self.cards, top, cx.width, cx.height, cx.theme)
    }

    fn click(&mut self, core: &mut Core<Self>, action: PopupAction, _button: u32) {
        match action {
            PopupAction::Close(Which::Entry(key)) => self.store.dismiss(&key),
            PopupAction::Close(Which::Collapsed(source)) => self.store.dismiss_collapsed(&source),
            PopupAction::Body(key) => self.store.popup_clicked(&key),
            PopupAction::Button(key, action) => self.store.invoke(&key, &action),
        }
        self.changed(core);
    }

    fn windows_changed(&mut self, core: &mut Core<Self>) {
        // The VMs' colours may have come or changed.
        self.layout(core);
    }
}
