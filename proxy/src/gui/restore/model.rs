//! The restorable state of one client, kept with each object in the GUI side's object map: how
//! the object was made, the last value of each of its state requests, and what a surface,
//! buffer, region or window holds. Fed by requests after they passed every check, and by the
//! compositor's events; read by `plan` to rebuild the client on a new compositor.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use smallvec::SmallVec;
use wayland_client::backend::protocol::Interface;

use crate::gui::conn::Mem;

/// What the GUI side knows of one object (the client's view of it).
#[derive(Default)]
pub struct GuiObj {
    pub kind: Kind,
    /// When and by which request it was made, as the compositor got it; `None` for wl_display
    /// and objects the compositor made.
    pub made: Option<Made>,
    /// State requests, for the objects that have any (most have none: kept out of line).
    pub state: Option<Box<State>>,
    /// Exists for the client only, not on the compositor's connection (a dismissed popup, an
    /// offer of a dead compositor): its requests are answered or dropped by the proxy.
    pub ghost: bool,
}

/// The state requests of one object.
#[derive(Default)]
pub struct State {
    /// The last request of each state slot (`messages::slot`), in the client's ids.
    pub slots: Vec<(u8, Box<[u8]>)>,
    /// Requests that add up (data-source MIME types), in order.
    pub log: Vec<Box<[u8]>>,
}

impl GuiObj {
    pub fn slots(&self) -> &[(u8, Box<[u8]>)] {
        self.state.as_ref().map_or(&[], |s| &s.slots)
    }

    pub fn log(&self) -> &[Box<[u8]>] {
        self.state.as_ref().map_or(&[], |s| &s.log)
    }

    pub fn state_mut(&mut self) -> &mut State {
        self.state.get_or_insert_with(Box::default)
    }
}

pub struct Made {
    pub seq: u64,
    pub bytes: Box<[u8]>,
}

/// The memory a pool or buffer lives in.
#[derive(Clone)]
pub enum Backing {
    Mem(Rc<RefCell<Mem>>),
    /// The shared region; offsets are region offsets.
    Region,
}

impl Backing {
    pub fn same(&self, other: &Backing) -> bool {
        match (self, other) {
            (Backing::Mem(a), Backing::Mem(b)) => Rc::ptr_eq(a, b),
            (Backing::Region, Backing::Region) => true,
            _ => false,
        }
    }
}

/// A wl_buffer: enough to make it again when the client destroyed it or its pool.
pub struct BufferRec {
    /// Its pool's memory (`None`: a single-pixel buffer, made again from its request).
    pub backing: Option<Backing>,
    /// The pool it was made from, and the create_buffer (or single-pixel) request.
    pub pool: u32,
    pub request: Box<[u8]>,
    /// Attached by a commit and not yet released by the compositor.
    pub busy: Cell<bool>,
}

/// A buffer a surface has attached: its id, and its record (kept after the client destroys it,
/// since the surface still shows it).
#[derive(Clone)]
pub struct Attached {
    pub id: u32,
    pub rec: Rc<BufferRec>,
}

/// One rectangle added to (`add` true) or subtracted from a region.
pub type RegionOp = (bool, [i32; 4]);

/// The rectangles of a region (or of a surface's input or opaque region, which keeps a copy of
/// the region it was set from), counted in the client's `meter` while they exist.
pub struct RegionOps {
    pub ops: Vec<RegionOp>,
    meter: Rc<Cell<usize>>,
}

impl RegionOps {
    pub fn new(meter: Rc<Cell<usize>>) -> Self {
        RegionOps { ops: Vec::new(), meter }
    }

    pub fn push(&mut self, op: RegionOp) {
        self.ops.push(op);
        self.meter.set(self.meter.get() + 1);
    }
}

impl Clone for RegionOps {
    fn clone(&self) -> Self {
        self.meter.set(self.meter.get() + self.ops.len());
        RegionOps { ops: self.ops.clone(), meter: self.meter.clone() }
    }
}

impl Drop for RegionOps {
    fn drop(&mut self) {
        self.meter.set(self.meter.get() - self.ops.len());
    }
}

/// Double-buffered surface state; `None` fields were not set.
#[derive(Default, Clone)]
pub struct SurfaceState {
    /// `Some(None)`: a null buffer (unmapped).
    pub buffer: Option<Option<Attached>>,
    pub scale: Option<i32>,
    pub transform: Option<i32>,
    pub input: Option<Option<Rc<RegionOps>>>,
    pub opaque: Option<Option<Rc<RegionOps>>>,
    pub damaged: bool,
}

impl SurfaceState {
    /// Takes what `pending` set.
    pub fn apply(&mut self, pending: SurfaceState) {
        if pending.buffer.is_some() {
            self.buffer = pending.buffer;
        }
        self.scale = pending.scale.or(self.scale);
        self.transform = pending.transform.or(self.transform);
        if pending.input.is_some() {
            self.input = pending.input;
        }
        if pending.opaque.is_some() {
            self.opaque = pending.opaque;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.buffer.is_none()
            && self.scale.is_none()
            && self.transform.is_none()
            && self.input.is_none()
            && self.opaque.is_none()
            && !self.damaged
    }

    pub fn buffer(&self) -> Option<&Attached> {
        self.buffer.as_ref().and_then(Option::as_ref)
    }
}

#[derive(Default)]
pub struct SurfaceRec {
    pub current: SurfaceState,
    pub pending: SurfaceState,
    /// Frame callbacks and presentation feedbacks asked for since the last commit.
    pub frames: Vec<u32>,
    pub feedbacks: Vec<u32>,
    /// Its xdg_surface (0: none).
    pub xdg: u32,
    /// Committed at least once.
    pub committed: bool,
    /// Outputs the compositor said it entered.
    pub outputs: SmallVec<[u32; 2]>,
    /// Its subsurfaces stacked below and above it, bottom to top.
    pub below: Vec<u32>,
    pub above: Vec<u32>,
}

#[derive(Default)]
pub struct XdgRec {
    pub surface: u32,
    /// Its surface was committed since it was made (the initial commit).
    pub committed: bool,
    /// The compositor serial of the last configure on the current connection.
    pub configure: Option<u32>,
    /// A configure the proxy acked for the client while restoring it (compositor serial).
    pub acked: Option<u32>,
}

#[derive(Default)]
pub struct ToplevelRec {
    pub xdg: u32,
    /// The last configure's size and states (xdg_toplevel.state values).
    pub size: (i32, i32),
    pub maximized: bool,
    pub fullscreen: bool,
    /// Made again on a new compositor and not configured there yet: a first configure that
    /// leaves the size to the client gets the size it had, so that it keeps it.
    pub keep_size: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Callback {
    Sync,
    /// A frame callback of `surface`, `committed` once its surface was.
    Frame {
        surface: u32,
        committed: bool,
    },
}

#[derive(Default)]
pub enum Kind {
    #[default]
    None,
    /// Globals advertised on this registry: client name → (interface, version).
    Registry(Box<HashMap<u32, (&'static Interface, u32)>>),
    Pool(Backing),
    Buffer(Rc<BufferRec>),
    Region(Rc<RegionOps>),
    Surface(Box<SurfaceRec>),
    Subsurface {
        surface: u32,
        parent: u32,
    },
    XdgSurface(XdgRec),
    Toplevel(Box<ToplevelRec>),
    Popup {
        xdg: u32,
    },
    Callback(Callback),
    /// wp_presentation_feedback of `surface`.
    Feedback {
        surface: u32,
        committed: bool,
    },
    Seat {
        caps: Option<u32>,
    },
    /// Pointer or keyboard: the surface it entered (0: none).
    Focus {
        surface: u32,
    },
    Touch {
        down: u32,
    },
    /// wl_data_device or zwp_primary_selection_device_v1: the offers of the selection and of a
    /// drag in progress (0: none).
    Device {
        selection: u32,
        drag: u32,
    },
    /// A data source: set as selection or dragged (cancelled when the compositor goes).
    Source {
        used: bool,
    },
    Token {
        committed: bool,
        done: bool,
    },
    /// zwp_text_input_v3: the surface it entered, the client's commits so far, and how many
    /// of them earlier compositors counted (added to the new one's `done` serials).
    TextInput {
        entered: u32,
        commits: u32,
        offset: u32,
    },
}

impl Kind {
    pub fn surface(&self) -> Option<&SurfaceRec> {
        match self {
            Kind::Surface(s) => Some(s),
            _ => None,
        }
    }

    pub fn surface_mut(&mut self) -> Option<&mut SurfaceRec> {
        match self {
            Kind::Surface(s) => Some(s),
            _ => None,
        }
    }
}

/// Heap bytes a record holds beyond the object map's entry (the figure for "memory held per
/// client to restore it"; pool memory is not counted: the proxy holds it anyway).
pub fn heap_bytes(o: &GuiObj) -> usize {
    use std::mem::size_of;
    let boxed = |b: &[u8]| b.len() + 16;
    let mut n = o.made.as_ref().map_or(0, |m| boxed(&m.bytes));
    if let Some(st) = &o.state {
        n += size_of::<State>() + 16;
        n += st.slots.capacity() * size_of::<(u8, Box<[u8]>)>() + st.slots.iter().map(|(_, b)| boxed(b)).sum::<usize>();
        n += st.log.capacity() * size_of::<Box<[u8]>>() + st.log.iter().map(|b| boxed(b)).sum::<usize>();
    }
    n += match &o.kind {
        Kind::Registry(g) => {
            size_of::<HashMap<u32, (&Interface, u32)>>() + g.capacity() * (size_of::<(u32, (&Interface, u32))>() + 1)
        }
        Kind::Buffer(b) => size_of::<BufferRec>() + boxed(&b.request),
        Kind::Region(r) => r.ops.capacity() * size_of::<RegionOp>(),
        Kind::Surface(s) => {
            size_of::<SurfaceRec>()
                + (s.frames.capacity() + s.feedbacks.capacity() + s.below.capacity() + s.above.capacity()) * 4
                + if s.outputs.spilled() { s.outputs.capacity() * 4 } else { 0 }
        }
        Kind::Toplevel(_) => size_of::<ToplevelRec>(),
        _ => 0,
    };
    n
}
