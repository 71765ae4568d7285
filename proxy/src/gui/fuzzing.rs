//! The fuzzing entry points of the GUI side, shared by the cargo-fuzz targets in proxy/fuzz and
//! by unit tests that replay their seed corpora with mutations on stable Rust:
//! - `gui_decoder`: a connection that has said hello and been shown a registry, then fed
//!   arbitrary stream bytes;
//! - `gui_restore`: a client's stream cut in two (before the compositor dies, and while it is
//!   gone), then restored on a new compositor with other global names and serials.

use std::collections::VecDeque;
use std::sync::Arc;

use canopy_protocols::wire::{self, Frame};

use super::conn::GuiConn;
use super::fake_compositor::FakeCompositor;
use crate::limits::{Cap, Limits, Usage, CAPPED};
use crate::pump::{End, Engine, Outbox};
use crate::wayland::message::{self, Builder};

/// Globals the fake compositor advertises: (name, interface, version).
pub const GLOBALS: &[(u32, &str, u32)] = &[
    (1, "wl_compositor", 6),
    (2, "wl_shm", 1),
    (3, "wl_seat", 7),
    (4, "wl_data_device_manager", 3),
    (5, "xdg_wm_base", 5),
    (6, "wp_viewporter", 1),
    (7, "zwlr_layer_shell_v1", 4),
    (8, "wl_subcompositor", 1),
];

/// The globals of the compositor that comes back: other names, another order, one more
/// global, a privileged one, and wp_viewporter gone.
pub const GLOBALS_AFTER: &[(u32, &str, u32)] = &[
    (40, "xdg_wm_base", 6),
    (41, "zwlr_layer_shell_v1", 4),
    (42, "wl_shm", 2),
    (43, "wl_compositor", 6),
    (44, "wl_subcompositor", 1),
    (45, "wl_data_device_manager", 3),
    (46, "wl_seat", 9),
];

/// Small limits so the fuzzer reaches them quickly.
pub fn limits() -> Limits {
    Limits {
        max_pool: 1 << 20,
        max_vm_pools: 4 << 20,
        max_frame: 1 << 20,
        max_objects: 2000,
        max_buffer_side: 4096,
        caps: (0..CAPPED.len()).map(|index| Cap { index, client: 16, vm: 32 }).collect(),
        max_region_rects: 16,
        ..Limits::default()
    }
}

/// A connection past hello with registry 2 showing [`GLOBALS`].
pub fn prepared() -> (GuiConn, Outbox) {
    let mut conn = GuiConn::new("fuzz-vm".into(), Arc::new(limits()), Arc::new(Usage::default()), None);
    let mut out = Outbox::default();
    let mut f = Vec::new();
    wire::encode::hello(&mut f, wire::VERSION, false);
    wire::encode::wayland(&mut f, &Builder::new(1, 1).uint(2).build());
    conn.feed(&f, &mut out).expect("preamble");
    for (name, iface, version) in GLOBALS {
        let ev = Builder::new(2, 0).uint(*name).string(iface).uint(*version).build();
        conn.wayland(&ev, &mut VecDeque::new(), &mut out).expect("global");
    }
    (conn, out)
}

/// Feeds `data` as stream bytes from the VM; returns whether the connection survived.
pub fn feed_after_preamble(data: &[u8]) -> bool {
    let (mut conn, mut out) = prepared();
    conn.feed(data, &mut out).is_ok()
}

/// A client of the GUI side with a stand-in compositor behind it.
pub struct Session {
    pub conn: GuiConn,
    pub out: Outbox,
    pub comp: FakeCompositor,
    /// Wayland messages the client got (from the compositor, or made by the proxy).
    pub client: Vec<Vec<u8>>,
    /// Pipes the proxy closed towards the client at once.
    pub closed_pipes: Vec<u32>,
}

impl Session {
    /// A client past hello, on a compositor advertising `globals`.
    pub fn new(limits: Limits, globals: &[(u32, &'static str, u32)]) -> Session {
        let mut conn = GuiConn::new("test-vm".into(), Arc::new(limits), Arc::new(Usage::default()), None);
        let mut out = Outbox::default();
        let mut f = Vec::new();
        wire::encode::hello(&mut f, wire::VERSION, false);
        conn.feed(&f, &mut out).expect("hello");
        Session { conn, out, comp: FakeCompositor::new(globals, 0), client: Vec::new(), closed_pipes: Vec::new() }
    }

    /// Stream bytes from the VM, then what the compositor answers, until all is quiet.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), End> {
        self.conn.feed(bytes, &mut self.out)?;
        self.pump()
    }

    /// Requests from the client in one Wayland frame.
    pub fn send(&mut self, msgs: &[Vec<u8>]) -> Result<(), End> {
        let mut f = Vec::new();
        wire::encode::wayland(&mut f, &msgs.concat());
        self.feed(&f)
    }

    /// One compositor event, as if it came from the compositor.
    pub fn event(&mut self, msg: Vec<u8>) -> Result<(), End> {
        self.conn.wayland(&msg, &mut VecDeque::new(), &mut self.out)?;
        self.pump()
    }

    /// Lets the compositor answer until nothing more comes (when there is one).
    pub fn pump(&mut self) -> Result<(), End> {
        for _ in 0..64 {
            self.collect();
            if !self.conn.restore.is_live() && !self.conn.restore.is_restoring() {
                // No compositor: what was queued for the old one is gone with it.
                self.out.wayland = Default::default();
                return Ok(());
            }
            let replies = self.comp.take(&mut self.out);
            if let Some(e) = &self.comp.error {
                return Err(End::Local(format!("the stand-in compositor could not read a request: {e}")));
            }
            if replies.is_empty() {
                return Ok(());
            }
            for r in replies {
                self.conn.wayland(&r, &mut VecDeque::new(), &mut self.out)?;
            }
        }
        Ok(())
    }

    /// The compositor dies.
    pub fn crash(&mut self) -> Result<(), End> {
        self.out.wayland = Default::default();
        self.conn.compositor_lost(&mut self.out)?;
        self.collect();
        Ok(())
    }

    /// A new compositor advertising `globals`, with serials from `first_serial`.
    pub fn restart(&mut self, globals: &[(u32, &'static str, u32)], first_serial: u32) -> Result<(), End> {
        self.comp = FakeCompositor::new(globals, first_serial);
        self.conn.reconnected(&mut self.out);
        self.pump()
    }

    /// Moves what the client was sent into `client`.
    fn collect(&mut self) {
        let bytes = std::mem::take(&mut self.out.stream).queued();
        let mut at = 0;
        while let Ok(Some((frame, n))) = wire::decode(&bytes[at..], usize::MAX >> 1) {
            at += n;
            match frame {
                Frame::Wayland(mut w) => {
                    while let Ok(Some((_, _, size))) = message::peek(w, 1 << 16) {
                        self.client.push(w[..size].to_vec());
                        w = &w[size..];
                    }
                }
                Frame::PipeClose { pipe } => self.closed_pipes.push(pipe),
                _ => {}
            }
        }
    }

    /// Whether client object `c` exists on the compositor with interface `iface`.
    pub fn on_compositor(&self, c: u32, iface: &str) -> bool {
        self.conn.restore.client_ids.to_compositor(c).is_some_and(|k| self.comp.has(k, iface))
    }

    /// The client's id of compositor object `k` (0: none).
    pub fn client_id(&self, k: u32) -> u32 {
        self.conn.restore.client_ids.to_client(k).unwrap_or(0)
    }

    /// Messages the client got on object `id` with opcode `opcode`.
    pub fn client_got(&self, id: u32, opcode: u16) -> Vec<&Vec<u8>> {
        self.client
            .iter()
            .filter(|m| {
                u32::from_ne_bytes(m[0..4].try_into().unwrap()) == id
                    && u32::from_ne_bytes(m[4..8].try_into().unwrap()) & 0xffff == u32::from(opcode)
            })
            .collect()
    }
}

/// The `gui_restore` target: `data` split near its first byte's share (of 255); the first part is fed
/// before the compositor dies, the second while it is gone; then the client is restored, and
/// again after a second crash. Any input the live path accepted must restore without breaking
/// a rule or the protocol (the stand-in compositor reads every message against the tables).
/// Returns the session when the live path accepted the input.
pub fn restore_after_crash(data: &[u8]) -> Option<Session> {
    let (&cut, data) = data.split_first()?;
    // The crash falls between frames (a frame cut in two is the pump's business).
    let want = data.len() * usize::from(cut) / 255;
    let mut at = 0;
    while at < want {
        match wire::frame_len(&data[at..]) {
            Some(n) if at + n <= data.len() => at += n,
            _ => break,
        }
    }
    let mut s = Session::new(limits(), GLOBALS);
    let mut f = Vec::new();
    wire::encode::wayland(&mut f, &Builder::new(1, 1).uint(2).build());
    s.feed(&f).ok()?;
    if let Err(e) = s.feed(&data[..at]) {
        tracing::debug!("refused before the crash: {e:?}");
        return None;
    }
    s.crash().ok()?;
    if let Err(e) = s.feed(&data[at..]) {
        tracing::debug!("refused while away: {e:?}");
        return None;
    }
    if let Err(e) = s.restart(GLOBALS_AFTER, 1000) {
        panic!("a client the live path accepted failed its restore: {e:?}");
    }
    assert!(s.conn.restore.is_live(), "the restore did not finish");
    // A second crash and restore, from the restored state.
    s.crash().expect("second crash");
    if let Err(e) = s.restart(GLOBALS, 5) {
        panic!("the second restore failed: {e:?}");
    }
    assert!(s.conn.restore.is_live(), "the second restore did not finish");
    Some(s)
}

/// Cheap stable-Rust fuzzing for the unit tests: `rounds` mutations (bit flips, cuts, words
/// overwritten, seeds joined) of the seeds in `dir`, each given to `run`. `cargo fuzz` goes
/// much further.
pub fn mutations(dir: &std::path::Path, seed: u64, rounds: usize, mut run: impl FnMut(&[u8])) {
    let seeds: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .expect("corpus")
        .map(|e| std::fs::read(e.expect("entry").path()).expect("seed"))
        .collect();
    let mut x = seed;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..rounds {
        let mut m = seeds[(next() % seeds.len() as u64) as usize].clone();
        for _ in 0..1 + next() % 4 {
            let r = next();
            let at = (r >> 8) as usize % m.len().max(1);
            match r % 4 {
                0 if !m.is_empty() => m[at] ^= (r >> 32) as u8 | 1,
                1 => m.truncate(at),
                2 if !m.is_empty() => {
                    // Small values: ids, sizes and opcodes that mean something.
                    let v = if r & (1 << 60) == 0 { (r >> 40) as u32 } else { (r >> 40) as u32 % 64 };
                    let end = (at + 4).min(m.len());
                    m[at..end].copy_from_slice(&v.to_le_bytes()[..end - at]);
                }
                _ => {
                    let other = &seeds[(r >> 16) as usize % seeds.len()];
                    m.extend_from_slice(other);
                }
            }
        }
        run(&m);
    }
}
