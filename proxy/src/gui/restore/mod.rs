//! Keeping a VM's client alive through a compositor crash and restoring it on the next one.
//!
//! Every request that passed the live checks also updates the client's restorable state
//! ([`model`], kept with each object). When the compositor connection closes without a
//! protocol error the client is kept ([`Mode::Away`]): what cannot survive is ended as the
//! protocol allows ([`away`]), and its requests keep feeding the state, checked as strictly as
//! ever, while nothing is forwarded. On a new connection ([`Mode::Restoring`]) the proxy learns
//! the globals with a registry of its own, sends what rebuilds the client ([`plan`], every
//! message checked again by [`verify`]), acks the configures of its windows and commits their
//! last content; the client's stream is held meanwhile. Then ids and serials that the new
//! compositor numbers differently are mapped both ways ([`ids`]).

pub mod away;
pub mod events;
pub mod ids;
pub mod messages;
pub mod model;
pub mod plan;
pub mod requests;
pub mod stand_ins;
pub mod surfaces;
pub mod verify;

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use wayland_client::backend::protocol::Interface;

use crate::pump::Outbox;
use crate::wayland::message::Builder;
use crate::wayland::objects::Objects;
use crate::wayland::tables::{self, op};

use self::ids::{ClientIds, Names, ProxyIds, Serials, ServerIds};
use self::model::GuiObj;

/// Most region rectangles one client's regions and surfaces hold together (each wl_region is
/// capped at --max-region-rects; this bounds the copies surfaces keep of them).
pub const MAX_REGION_OPS: usize = 1 << 16;
/// Most MIME types one data source offers.
pub const MAX_MIME_TYPES: usize = 256;

/// Where the client's compositor connection is.
pub enum Mode {
    Live,
    /// No compositor: requests only update the state.
    Away,
    /// A new compositor connection is being brought up to the client's state.
    Restoring(Box<verify::Verifier>, Phase),
}

/// The steps of a restore, each ended by the `done` of a callback of the proxy's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Learning the globals (the proxy's registry).
    Hello { sync: u32 },
    /// The client's objects made again; waiting for their configures.
    Rebuild { sync: u32 },
}

/// An object of the proxy's own on the compositor connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temp {
    Registry,
    Callback,
    /// A buffer standing in for one the client destroyed while a surface still showed it;
    /// destroyed once the compositor releases it.
    Buffer,
    /// Made and destroyed within one restore (pools, regions, bound globals).
    Other,
}

pub struct Restore {
    pub mode: Mode,
    pub serials: Serials,
    pub names: Names,
    pub server_ids: ServerIds,
    pub client_ids: ClientIds,
    pub proxy_ids: ProxyIds,
    pub temps: HashMap<u32, Temp>,
    /// Globals of the current compositor that a VM may see: name → (interface, version the
    /// proxy allows), from the proxy's own registry.
    pub globals: HashMap<u32, (&'static Interface, u32)>,
    /// The same in the order the compositor announced them (matching them up is by order).
    pub announced: Vec<u32>,
    /// Creation order of objects; objects made before `epoch_seq` were made on an earlier
    /// compositor connection.
    seq: u64,
    epoch_seq: u64,
    /// The compositor ended this client with a protocol error: it is not restored.
    pub fatal: bool,
    /// Events the proxy makes for the client, delivered after the message at hand.
    pub synthetic: VecDeque<Vec<u8>>,
    /// Popups made this moment that are dismissed at once (after they exist).
    pub popup_done: Vec<u32>,
    /// The request as the compositor gets it, when translated.
    pub wire: Vec<u8>,
    /// Region rectangles held (see [`MAX_REGION_OPS`]).
    pub region_ops: Rc<Cell<usize>>,
    /// How many restores this client went through.
    pub restores: u32,
    /// Window surfaces whose content the second restore step shows.
    pub windows: Vec<u32>,
}

impl Default for Restore {
    fn default() -> Self {
        Restore {
            mode: Mode::Live,
            serials: Serials::default(),
            names: Names::default(),
            server_ids: ServerIds::default(),
            client_ids: ClientIds::default(),
            proxy_ids: ProxyIds::default(),
            temps: HashMap::new(),
            globals: HashMap::new(),
            announced: Vec::new(),
            seq: 0,
            epoch_seq: 0,
            fatal: false,
            synthetic: VecDeque::new(),
            popup_done: Vec::new(),
            wire: Vec::new(),
            region_ops: Rc::default(),
            restores: 0,
            windows: Vec::new(),
        }
    }
}

impl Restore {
    pub fn is_live(&self) -> bool {
        matches!(self.mode, Mode::Live)
    }

    pub fn is_away(&self) -> bool {
        matches!(self.mode, Mode::Away)
    }

    pub fn is_restoring(&self) -> bool {
        matches!(self.mode, Mode::Restoring(..))
    }

    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// A new compositor connection: asks it for its globals with a registry of the proxy's own
    /// and a sync, on `out.wayland`.
    pub fn reconnected(&mut self, verifier: verify::Verifier, out: &mut Outbox) {
        self.serials.new_epoch();
        self.server_ids.new_epoch();
        self.client_ids.new_epoch();
        self.proxy_ids.reset();
        self.temps.clear();
        self.globals.clear();
        self.announced.clear();
        self.epoch_seq = self.seq + 1;
        self.restores += 1;
        let (registry, sync) = (self.proxy_ids.take(), self.proxy_ids.take());
        self.temps.insert(registry, Temp::Registry);
        self.temps.insert(sync, Temp::Callback);
        let mut v = verifier;
        for m in [
            Builder::new(1, op::DISPLAY_GET_REGISTRY).uint(registry).build(),
            Builder::new(1, op::DISPLAY_SYNC).uint(sync).build(),
        ] {
            let wire = v.check(&m, 0, &mut self.client_ids).expect("the proxy's own first requests");
            out.wayland.push(&wire, Vec::new());
        }
        self.mode = Mode::Restoring(Box::new(v), Phase::Hello { sync });
    }

    /// Queues the event `name` on object `id` (of the client), built by `args`.
    pub fn send(&mut self, objects: &Objects<GuiObj>, id: u32, name: &str, args: impl FnOnce(Builder) -> Builder) {
        let Some(o) = objects.get(id) else { return };
        let Some(opcode) = event_opcode(o.interface, name) else { return };
        if o.interface.events[opcode as usize].since > o.version {
            return;
        }
        self.synthetic.push_back(args(Builder::new(id, opcode)).build());
    }

    /// After a request made its object: events that need it to exist.
    pub fn after_apply(&mut self, objects: &Objects<GuiObj>) {
        for id in std::mem::take(&mut self.popup_done) {
            self.send(objects, id, "popup_done", |b| b);
        }
    }

    /// Queues wl_display.delete_id for a client id the compositor will never delete.
    pub fn delete_id(&mut self, id: u32) {
        self.synthetic.push_back(Builder::new(1, op::DISPLAY_EV_DELETE_ID).uint(id).build());
    }
}

/// The opcode of event `name` of `interface`.
pub fn event_opcode(interface: &Interface, name: &str) -> Option<u16> {
    interface.events.iter().position(|e| e.name == name).map(|i| i as u16)
}

/// The opcode of request `name` of `interface`.
pub fn request_opcode(interface: &Interface, name: &str) -> Option<u16> {
    interface.requests.iter().position(|e| e.name == name).map(|i| i as u16)
}

/// The interfaces the proxy lets through: the allowed globals and every interface their
/// requests and events make or name.
pub fn interfaces() -> &'static [&'static Interface] {
    static ALL: std::sync::OnceLock<Vec<&'static Interface>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        let mut all: Vec<&'static Interface> = vec![tables::display()];
        all.extend(tables::allowed_globals());
        let mut i = 0;
        while i < all.len() {
            let iface = all[i];
            for m in iface.requests.iter().chain(iface.events) {
                for child in m.child_interface.into_iter().chain(m.arg_interfaces.iter().copied()) {
                    if !child.name.starts_with('<') && !all.iter().any(|a| a.name == child.name) {
                        all.push(child);
                    }
                }
            }
            i += 1;
        }
        all
    })
}

/// One of [`interfaces`], by name.
pub fn interface(name: &str) -> Option<&'static Interface> {
    interfaces().iter().copied().find(|i| i.name == name)
}

#[cfg(test)]
mod tests;
