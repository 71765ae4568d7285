//! The notification centre's state, and the small D-Bus interface on the GUI VM's session bus
//! through which the panel (the bell and the list) and the lock screen (the count) follow and
//! steer the daemon: `org.canopy.NotificationCentre1`. The GUI VM's session bus is reachable
//! only by the GUI VM's own programs; no VM ever sees it. The state is one JSON document, sent
//! whole with every `Changed` signal (the daemon sends at most a few a second).

use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use canopy_protocols::notify::Urgency;
use serde::{Deserialize, Serialize};

use crate::store::{Mute, Source, Store};

pub const NAME: &str = "org.canopy.NotificationCentre1";
pub const PATH: &str = "/org/canopy/NotificationCentre1";

/// Everything the centre shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CentreState {
    pub dnd: bool,
    /// Notifications not yet seen in the centre.
    pub unread: usize,
    /// Whether the lock screen may show the count.
    pub count_on_lock_screen: bool,
    /// The GUI VM's own programs first, then VMs, most recent first.
    pub groups: Vec<Group>,
}

/// One source's notifications.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// The VM, as its listener says; None for the GUI VM's own programs.
    pub vm: Option<String>,
    /// Why it is muted: "you muted it", or the rule it kept breaking.
    pub muted: Option<String>,
    /// Dropped while muted.
    pub hidden: u64,
    /// Older ones dropped to keep within the limit.
    pub dropped: u64,
    /// Newest first.
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: u32,
    pub summary: String,
    pub body: Vec<String>,
    pub critical: bool,
    pub read: bool,
}

impl CentreState {
    /// What the centre shows of `store`.
    pub fn of(store: &Store, count_on_lock_screen: bool) -> CentreState {
        let mut groups: Vec<(u64, Group)> = Vec::new();
        for source in store.sources() {
            let mut items: Vec<(u64, Item)> = store
                .entries()
                .iter()
                .filter(|e| &e.key.source == source)
                .map(|e| {
                    let item = Item {
                        id: e.key.id,
                        summary: e.n.summary.clone(),
                        body: e.n.body.clone(),
                        critical: e.n.urgency == Urgency::Critical,
                        read: e.read,
                    };
                    (e.seq, item)
                })
                .collect();
            items.sort_by_key(|(seq, _)| std::cmp::Reverse(*seq));
            let muted = store.muted(source).map(|m| match m {
                Mute::User => "muted".to_string(),
                Mute::Rules(rule) => format!("muted for breaking the rules: {rule}"),
            });
            let (hidden, dropped) = store.counts(source);
            if items.is_empty() && muted.is_none() && dropped == 0 {
                continue;
            }
            // The GUI VM's own first, then the VM heard from last.
            let rank = match source {
                Source::Local => u64::MAX,
                _ => items.first().map_or(0, |(seq, _)| *seq),
            };
            let vm = source.vm().map(str::to_string);
            groups
                .push((rank, Group { vm, muted, hidden, dropped, items: items.into_iter().map(|(_, i)| i).collect() }));
        }
        groups.sort_by_key(|(rank, _)| std::cmp::Reverse(*rank));
        CentreState {
            dnd: store.dnd(),
            unread: store.unread(),
            count_on_lock_screen,
            groups: groups.into_iter().map(|(_, g)| g).collect(),
        }
    }
}

/// What the panel asks of the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Dismiss {
        vm: Option<String>,
        id: u32,
    },
    /// Clear one source, or all when None.
    Clear {
        vm: Option<Option<String>>,
    },
    SetDnd(bool),
    SetMuted {
        vm: String,
        muted: bool,
    },
    MarkRead,
}

/// "" is the GUI VM's own programs on the bus.
fn vm_arg(vm: &Option<String>) -> String {
    vm.clone().unwrap_or_default()
}

fn vm_of(arg: String) -> Option<String> {
    Some(arg).filter(|s| !s.is_empty())
}

/// The daemon's side: commands go to `sink`; `State` answers the last published state.
pub struct Server {
    sink: Box<dyn Fn(Command) + Send + Sync>,
    state: Arc<Mutex<String>>,
}

impl Server {
    pub fn new(sink: impl Fn(Command) + Send + Sync + 'static) -> (Server, Arc<Mutex<String>>) {
        let state = Arc::new(Mutex::new(serde_json::to_string(&CentreState::default()).expect("json")));
        (Server { sink: Box::new(sink), state: state.clone() }, state)
    }
}

#[zbus::interface(name = "org.canopy.NotificationCentre1")]
impl Server {
    fn state(&self) -> String {
        self.state.lock().expect("state").clone()
    }

    fn dismiss(&self, vm: String, id: u32) {
        (self.sink)(Command::Dismiss { vm: vm_of(vm), id });
    }

    /// One source ("" for the GUI VM's own programs).
    fn clear(&self, vm: String) {
        (self.sink)(Command::Clear { vm: Some(vm_of(vm)) });
    }

    fn clear_all(&self) {
        (self.sink)(Command::Clear { vm: None });
    }

    fn set_dnd(&self, on: bool) {
        (self.sink)(Command::SetDnd(on));
    }

    fn set_muted(&self, vm: String, muted: bool) {
        (self.sink)(Command::SetMuted { vm, muted });
    }

    fn mark_read(&self) {
        (self.sink)(Command::MarkRead);
    }
}

/// Makes `state` the one `State` answers and tells the watchers.
pub fn publish(conn: &zbus::blocking::Connection, shared: &Mutex<String>, state: &CentreState) {
    let json = serde_json::to_string(state).expect("json");
    *shared.lock().expect("state") = json.clone();
    if let Err(e) = conn.emit_signal(None::<&str>, PATH, NAME, "Changed", &(json,)) {
        tracing::warn!("cannot emit Changed: {e}");
    }
}

#[zbus::proxy(
    interface = "org.canopy.NotificationCentre1",
    default_service = "org.canopy.NotificationCentre1",
    default_path = "/org/canopy/NotificationCentre1"
)]
pub trait Centre {
    fn state(&self) -> zbus::Result<String>;
    fn dismiss(&self, vm: &str, id: u32) -> zbus::Result<()>;
    fn clear(&self, vm: &str) -> zbus::Result<()>;
    fn clear_all(&self) -> zbus::Result<()>;
    fn set_dnd(&self, on: bool) -> zbus::Result<()>;
    fn set_muted(&self, vm: &str, muted: bool) -> zbus::Result<()>;
    fn mark_read(&self) -> zbus::Result<()>;
    #[zbus(signal)]
    fn changed(&self, state: String) -> zbus::Result<()>;
}

/// Follows the daemon on the session bus for as long as `on` returns true: `Some(state)` at
/// first and on every change, `None` while there is no daemon (or no bus).
pub fn watch_forever(mut on: impl FnMut(Option<CentreState>) -> bool + Send + 'static) {
    let mut said_none = false;
    loop {
        let err = match watch(&mut on) {
            Ok(()) => return,
            Err(e) => e,
        };
        if !said_none {
            tracing::info!("no notification daemon: {err}");
            if !on(None) {
                return;
            }
            said_none = true;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Ok when `on` wants no more; Err when the daemon or bus went away.
fn watch(on: &mut (impl FnMut(Option<CentreState>) -> bool + Send)) -> anyhow::Result<()> {
    let conn = zbus::blocking::Connection::session()?;
    let proxy = CentreProxyBlocking::new(&conn)?;
    let (tx, rx) = channel::<Option<String>>();
    // Subscribed before the first State call, so no change falls between them.
    let changes = proxy.receive_changed()?;
    let owners = proxy.inner().receive_owner_changed()?;
    let t = tx.clone();
    std::thread::spawn(move || {
        for c in changes {
            if let Ok(args) = c.args() {
                if t.send(Some(args.state)).is_err() {
                    return;
                }
            }
        }
    });
    std::thread::spawn(move || {
        for owner in owners {
            // A new daemon: ask it; none: the watch ends.
            if tx.send(owner.map(|_| String::new())).is_err() {
                return;
            }
        }
    });
    let mut first = Some(proxy.state()?);
    loop {
        let json = match first.take() {
            Some(j) => j,
            None => match rx.recv()? {
                Some(j) if j.is_empty() => proxy.state()?,
                Some(j) => j,
                None => anyhow::bail!("the notification daemon went away"),
            },
        };
        match serde_json::from_str(&json) {
            Ok(state) => {
                if !on(Some(state)) {
                    return Ok(());
                }
            }
            Err(e) => tracing::warn!("unreadable notification centre state: {e}"),
        }
    }
}

/// Sends the panel's commands to the daemon on a thread of its own, so that a slow daemon never
/// holds the panel.
#[derive(Clone)]
pub struct Commands(Sender<Command>);

impl Commands {
    pub fn start() -> Commands {
        let (tx, rx) = channel::<Command>();
        std::thread::spawn(move || {
            let mut proxy = None;
            for cmd in rx {
                if proxy.is_none() {
                    proxy = zbus::blocking::Connection::session()
                        .and_then(|c| CentreProxyBlocking::new(&c))
                        .map_err(|e| tracing::warn!("cannot reach the notification daemon: {e}"))
                        .ok();
                }
                let Some(p) = &proxy else { continue };
                let r = match &cmd {
                    Command::Dismiss { vm, id } => p.dismiss(&vm_arg(vm), *id),
                    Command::Clear { vm: Some(vm) } => p.clear(&vm_arg(vm)),
                    Command::Clear { vm: None } => p.clear_all(),
                    Command::SetDnd(on) => p.set_dnd(*on),
                    Command::SetMuted { vm, muted } => p.set_muted(vm, *muted),
                    Command::MarkRead => p.mark_read(),
                };
                if let Err(e) = r {
                    tracing::warn!("notification centre: {cmd:?} failed: {e}");
                    proxy = None;
                }
            }
        });
        Commands(tx)
    }

    pub fn send(&self, cmd: Command) {
        let _ = self.0.send(cmd);
    }
}
