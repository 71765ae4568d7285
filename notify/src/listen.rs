//! The GUI VM's listeners, one per app VM, each on that VM's own address: the VM of everything
//! that arrives is the one the listener belongs to, and a vsock peer must have that VM's CID
//! (which the hypervisor sets). Nothing a message says names a VM.
//!
//! Every byte from the VM is checked here, on the VM's own threads: frames within the protocol's
//! limit ([`canopy_protocols::notify::MAX_FRAME`]) and whole within [`FRAME_TIME`] of their first
//! byte, JSON of the protocol's types, notifications that keep the [`rules`](crate::rules). A
//! frame too long or too slow ends the connection; anything else that breaks a rule is dropped
//! and reported as an [`Event::Broke`] (the daemon counts them and mutes a VM that keeps at it,
//! through its [`Gate`]). One connection per VM is live: a new one (an agent that restarted)
//! replaces it.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use canopy_common::transport::deadline::wait;
use canopy_common::transport::{peer_allowed, Address, Listener, Peer, Stream};
use canopy_protocols::framing::FrameError;
use canopy_protocols::notify::{read_frame_bytes, write_frame, FromVm, ToVm, PROTOCOL, VERSION};
use canopy_protocols::text::{sanitise, MESSAGE};
use rustix::event::PollFlags;

use crate::rules::{self, Checked};

/// How long the hello may take, and a frame once its first byte has come.
pub const FRAME_TIME: Duration = Duration::from_secs(5);
const WRITE_TIME: Duration = Duration::from_secs(10);
/// Messages to a VM that wait to be written; beyond, they are dropped (a VM that does not read
/// loses its own actions, nothing more).
const TO_VM_QUEUE: usize = 64;
/// Connections of one VM still in their hello; more are closed at once.
const HANDSHAKES: usize = 4;

/// What a VM's listener tells the daemon.
#[derive(Debug)]
pub enum Event {
    /// A connection passed its hello; `to_vm` writes to it.
    Connected {
        vm: Arc<str>,
        conn: u64,
        to_vm: SyncSender<ToVm>,
    },
    Notify {
        vm: Arc<str>,
        conn: u64,
        n: Checked,
    },
    /// CloseNotification in the VM.
    Close {
        vm: Arc<str>,
        id: u32,
    },
    /// The VM broke a rule; what it sent was dropped.
    Broke {
        vm: Arc<str>,
        rule: String,
    },
    Disconnected {
        vm: Arc<str>,
        conn: u64,
    },
}

/// Closes a VM's connection and refuses new ones while shut (a VM muted for breaking rules).
#[derive(Debug, Default)]
pub struct Gate {
    shut: AtomicBool,
    live: Mutex<Option<(u64, Stream)>>,
}

impl Gate {
    pub fn shut(&self) {
        self.shut.store(true, Ordering::SeqCst);
        if let Some((_, s)) = self.live.lock().expect("gate").take() {
            s.shutdown();
        }
    }

    pub fn open(&self) {
        self.shut.store(false, Ordering::SeqCst);
    }

    fn is_shut(&self) -> bool {
        self.shut.load(Ordering::SeqCst)
    }
}

/// Who may connect to one VM's listener.
#[derive(Debug, Clone)]
pub struct Admit {
    /// On vsock: only this CID.
    pub cid: Option<u32>,
    /// On Unix sockets: these uids.
    pub uids: Vec<u32>,
}

static CONNS: AtomicU64 = AtomicU64::new(0);

/// Listens for `vm` on `addr` on a thread of its own; `events` gets what arrives (it returns
/// false once the daemon is gone). The gate shuts the VM out.
pub fn spawn<F>(vm: &str, addr: &Address, admit: Admit, events: F) -> std::io::Result<Arc<Gate>>
where
    F: Fn(Event) -> bool + Send + Sync + 'static,
{
    let listener = Listener::bind(addr)?;
    let gate = Arc::new(Gate::default());
    let vm: Arc<str> = vm.into();
    let events = Arc::new(events);
    let handshakes = Arc::new(AtomicUsize::new(0));
    let g = gate.clone();
    std::thread::Builder::new().name(format!("notify {vm}")).spawn(move || loop {
        let (stream, peer) = match listener.accept() {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(vm = %vm, "accept failed: {e}");
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        if let Err(why) = peer_allowed(&peer, &admit.uids, admit.cid, "this VM's") {
            tracing::warn!(vm = %vm, "notification connection from {peer} refused: {why}");
            continue;
        }
        if g.is_shut() {
            tracing::info!(vm = %vm, "connection closed: the VM is muted for breaking the notification rules");
            continue;
        }
        if handshakes.fetch_add(1, Ordering::SeqCst) >= HANDSHAKES {
            handshakes.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!(vm = %vm, "connection closed: already {HANDSHAKES} waiting for their hello");
            continue;
        }
        let (vm, events, gate, handshakes) = (vm.clone(), events.clone(), g.clone(), handshakes.clone());
        let spawned = std::thread::Builder::new().name(format!("notify {vm} {peer}")).spawn(move || {
            let hello = hello(&stream, &vm);
            handshakes.fetch_sub(1, Ordering::SeqCst);
            match hello {
                Ok(()) => serve(stream, peer, &vm, &gate, &*events),
                Err(rule) => {
                    events(Event::Broke { vm, rule });
                }
            }
        });
        if let Err(e) = spawned {
            tracing::warn!("cannot start a connection thread: {e}");
        }
    })?;
    Ok(gate)
}

fn clean(rule: impl AsRef<str>) -> String {
    sanitise(rule.as_ref(), MESSAGE)
}

fn hello(stream: &Stream, vm: &str) -> Result<(), String> {
    let bytes = read_frame_bytes(&mut stream.until(Instant::now() + FRAME_TIME))
        .map_err(|e| clean(format!("no hello: {e}")))?;
    match serde_json::from_slice(&bytes) {
        Ok(FromVm::Hello { protocol, version }) if protocol == PROTOCOL && version == VERSION => {
            write_frame(&mut stream.until(Instant::now() + WRITE_TIME), &ToVm::Welcome { version: VERSION })
                .map_err(|e| format!("cannot answer the hello: {e}"))?;
            tracing::debug!(vm, "hello");
            Ok(())
        }
        Ok(FromVm::Hello { protocol, version }) => Err(clean(format!("hello for {protocol:?} version {version}"))),
        Ok(_) => Err("a message before the hello".into()),
        Err(e) => Err(clean(format!("bad hello: {e}"))),
    }
}

fn serve(stream: Stream, peer: Peer, vm: &Arc<str>, gate: &Gate, events: &dyn Fn(Event) -> bool) {
    let conn = CONNS.fetch_add(1, Ordering::Relaxed) + 1;
    let (Ok(reader), Ok(writer)) = (stream.try_clone(), stream.try_clone()) else { return };
    {
        let mut live = gate.live.lock().expect("gate");
        if let Some((_, old)) = live.replace((conn, stream)) {
            tracing::info!(vm = %vm, "a new connection replaces the old one");
            old.shutdown();
        }
    }
    let (to_vm, rx) = sync_channel::<ToVm>(TO_VM_QUEUE);
    std::thread::spawn(move || {
        for msg in rx {
            if write_frame(&mut writer.until(Instant::now() + WRITE_TIME), &msg).is_err() {
                writer.shutdown();
                return;
            }
        }
    });
    tracing::info!(vm = %vm, conn, "VM connected ({peer})");
    if !events(Event::Connected { vm: vm.clone(), conn, to_vm }) {
        return;
    }
    match read_messages(&reader, vm, conn, gate, events) {
        End::Closed => tracing::info!(vm = %vm, conn, "VM disconnected"),
        End::Gone(why) => tracing::warn!(vm = %vm, conn, "connection closed: {why}"),
        End::Broke(rule) => {
            tracing::warn!(vm = %vm, conn, "connection closed: {rule}");
            events(Event::Broke { vm: vm.clone(), rule });
        }
    }
    reader.shutdown();
    let mut live = gate.live.lock().expect("gate");
    if live.as_ref().is_some_and(|(c, _)| *c == conn) {
        *live = None;
    }
    drop(live);
    events(Event::Disconnected { vm: vm.clone(), conn });
}

/// How a connection ended.
enum End {
    /// The VM closed it between messages.
    Closed,
    /// It ended otherwise (mid-message, muted, the daemon stopping).
    Gone(String),
    /// The VM broke a rule that leaves the stream unreadable (a frame too long or too slow).
    Broke(String),
}

/// Reads until the connection ends.
fn read_messages(stream: &Stream, vm: &Arc<str>, conn: u64, gate: &Gate, events: &dyn Fn(Event) -> bool) -> End {
    loop {
        if gate.is_shut() {
            return End::Gone("the VM is muted for breaking the notification rules".into());
        }
        if let Err(e) = wait(stream, PollFlags::IN, None) {
            return End::Gone(e.to_string());
        }
        let bytes = match read_frame_bytes(&mut stream.until(Instant::now() + FRAME_TIME)) {
            Ok(b) => b,
            Err(FrameError::Closed) => return End::Closed,
            Err(e @ FrameError::TooLong { .. }) => return End::Broke(e.to_string()),
            Err(e) if e.is_timeout() => {
                return End::Broke(format!("a message did not arrive whole within {} s", FRAME_TIME.as_secs()));
            }
            Err(FrameError::Io(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return End::Gone("the VM went away in the middle of a message".into());
            }
            Err(e) => return End::Gone(e.to_string()),
        };
        let event = match serde_json::from_slice::<FromVm>(&bytes) {
            Err(e) => Event::Broke { vm: vm.clone(), rule: clean(format!("malformed message: {e}")) },
            Ok(FromVm::Hello { .. }) => Event::Broke { vm: vm.clone(), rule: "a second hello".into() },
            Ok(FromVm::Close { id }) => Event::Close { vm: vm.clone(), id },
            Ok(FromVm::Notify(n)) => {
                let id = n.id;
                match rules::check(n) {
                    Ok(n) => Event::Notify { vm: vm.clone(), conn, n },
                    Err(rule) => Event::Broke { vm: vm.clone(), rule: clean(format!("notification {id}: {rule}")) },
                }
            }
        };
        if !events(event) {
            return End::Gone("the daemon is stopping".into());
        }
    }
}

#[cfg(test)]
mod tests;
