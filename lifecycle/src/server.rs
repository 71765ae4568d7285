//! The server side shared by hostd and the agent: accept loop, handshake with the peer check,
//! and reading requests so that bad input gets an error reply and never ends the daemon.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use std::io::Write;
use std::time::Instant;

use canopy_protocols::lifecycle::{
    decode, encode, read_frame, read_frame_bytes, Error, FrameError, HandshakeResponse, Hello, Protocol, Response,
    Welcome,
};
use rustix::event::PollFlags;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::deadline::FRAME_TIME;
use canopy_common::transport::deadline::wait;
use canopy_common::transport::{Address, Listener, Peer, Stream};

/// How long a new connection may take to say hello (all of it), and a reader to take a reply.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Most connections of peers that will be refused, handled at once. They are counted apart, so
/// that a VM hammering a port it may not use never takes the places of allowed peers.
const REFUSED_LIMIT: usize = 16;

/// Bind `addr` and serve it with [`spawn_acceptor`]; `what` names it in the log line. Gives the
/// acceptor thread and the socket file to remove at exit (for a Unix address).
pub fn listen<A, F>(
    addr: &Address,
    what: &str,
    limit: usize,
    allowed: A,
    on_conn: F,
) -> Result<(JoinHandle<()>, Option<std::path::PathBuf>), String>
where
    A: Fn(&Peer) -> bool + Send + 'static,
    F: Fn(Stream, Peer) + Send + Sync + 'static,
{
    let listener = Listener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let socket = listener.unix_path().map(std::path::PathBuf::from);
    tracing::info!("listening {what}on {addr}");
    let thread =
        spawn_acceptor(listener, limit, allowed, on_conn).map_err(|e| format!("cannot start a thread: {e}"))?;
    Ok((thread, socket))
}

/// Accept connections on a thread of their own, one thread per connection: at most `limit`
/// at once from peers that `allowed` admits, and a few from others (who only get their refusal).
/// More are closed at once, with a log line.
pub fn spawn_acceptor<A, F>(listener: Listener, limit: usize, allowed: A, on_conn: F) -> std::io::Result<JoinHandle<()>>
where
    A: Fn(&Peer) -> bool + Send + 'static,
    F: Fn(Stream, Peer) + Send + Sync + 'static,
{
    let on_conn = Arc::new(on_conn);
    let active = Arc::new(AtomicUsize::new(0));
    let refusing = Arc::new(AtomicUsize::new(0));
    std::thread::Builder::new().name(format!("accept {}", listener.address())).spawn(move || loop {
        let (stream, peer) = match listener.accept() {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("accept on {} failed: {e}", listener.address());
                // EMFILE and friends: back off instead of spinning.
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let (counter, max) = if allowed(&peer) { (active.clone(), limit) } else { (refusing.clone(), REFUSED_LIMIT) };
        if counter.fetch_add(1, Ordering::SeqCst) >= max {
            counter.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!("{peer}: closed at once, already {max} such connections");
            continue;
        }
        let on_conn = on_conn.clone();
        let spawned = std::thread::Builder::new().name(format!("conn {peer}")).spawn({
            let counter = counter.clone();
            move || {
                on_conn(stream, peer);
                counter.fetch_sub(1, Ordering::SeqCst);
            }
        });
        if let Err(e) = spawned {
            counter.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!("{peer}: cannot start a thread: {e}");
        }
    })
}

/// Why a connection did not get past the handshake.
#[derive(Debug)]
pub struct Refused {
    pub reason: String,
    /// Whether the peer itself was not allowed (as opposed to speaking badly).
    pub not_allowed: bool,
}

/// Read the peer's hello (of protocol `P`) and answer it. `allowed` is the transport-level peer
/// check; a refused peer gets a `not_allowed` error reply and the connection ends. `on_refused`
/// runs before that reply goes out (so the log line and audit record exist by the time the peer
/// knows).
pub fn handshake<P: Protocol>(
    stream: &Stream,
    server: &str,
    allowed: Result<(), String>,
    on_refused: impl FnOnce(&str),
) -> Result<Hello, Refused> {
    let bad = |reason: String| Refused { reason, not_allowed: false };
    let hello: Hello = match read_frame(&mut stream.until(Instant::now() + HANDSHAKE_TIMEOUT)) {
        Ok(h) => h,
        Err(FrameError::Closed) => return Err(bad("closed before hello".into())),
        Err(e) => {
            let reason = format!("bad hello: {e}");
            if e.stream_intact() || matches!(e, FrameError::TooLong { .. }) {
                reply(stream, &HandshakeResponse::Error(Error::bad_request(&reason)));
            }
            return Err(bad(reason));
        }
    };
    if let Err(reason) = allowed {
        on_refused(&reason);
        reply(stream, &HandshakeResponse::Error(Error::not_allowed(&reason)));
        return Err(Refused { reason, not_allowed: true });
    }
    if let Err(e) = hello.check_for::<P>() {
        reply(stream, &HandshakeResponse::Error(e.clone()));
        return Err(bad(e.to_string()));
    }
    reply(stream, &HandshakeResponse::Ok(Welcome::speaking::<P>(server)));
    Ok(hello)
}

/// What came in on a connection after the handshake.
pub enum Incoming<R> {
    Request(R),
    /// A frame that is not a valid request; it has been answered with `bad_request`.
    Malformed(String),
    /// The connection is over (closed by the peer, broken, or a frame over the limit, which has
    /// been answered and logged).
    End(Option<String>),
}

/// Wait (without limit) for the next request, which must then arrive whole within
/// [`FRAME_TIME`].
pub fn next_request<R: DeserializeOwned, Rep: Serialize>(stream: &Stream) -> Incoming<R> {
    if let Err(e) = wait(stream, PollFlags::IN, None) {
        return Incoming::End(Some(e.to_string()));
    }
    let bytes = match read_frame_bytes(&mut stream.until(Instant::now() + FRAME_TIME)) {
        Ok(b) => b,
        Err(FrameError::Closed) => return Incoming::End(None),
        Err(e @ FrameError::TooLong { .. }) => {
            let reason = e.to_string();
            reply(stream, &Response::<Rep>::Error(Error::bad_request(&reason)));
            return Incoming::End(Some(reason));
        }
        Err(e) if e.is_timeout() => {
            let reason = format!("a request did not arrive whole within {:.1} s", FRAME_TIME.as_secs_f64());
            return Incoming::End(Some(reason));
        }
        Err(e) => return Incoming::End(Some(e.to_string())),
    };
    match decode::<R>(&bytes) {
        Ok(r) => Incoming::Request(r),
        Err(e) => {
            let reason = e.to_string();
            reply(stream, &Response::<Rep>::Error(Error::bad_request(&reason)));
            Incoming::Malformed(reason)
        }
    }
}

/// What went wrong on a connection after its handshake (already logged), for a daemon that
/// also records it.
pub enum Fault {
    /// The connection ended badly: broken, too slow, or a frame over the limit.
    Closed(String),
    /// A frame that is not a request (answered with `bad_request`; the connection goes on). The
    /// text is sanitised, since it may quote the peer's bytes.
    Malformed(String),
}

/// Serve one connection: the handshake of protocol `P` with the transport-level peer check
/// `allowed` (a refusal is logged, then `on_refused` runs), then each request in turn to
/// `on_request` until it returns false or the peer is done. Bad frames get their error reply
/// (of reply type `Rep`) and a log line here, and go to `on_fault`.
pub fn serve<P, Rep>(
    stream: &Stream,
    peer: &Peer,
    server: &str,
    allowed: Result<(), String>,
    on_refused: impl FnOnce(&str),
    mut on_fault: impl FnMut(Fault),
    mut on_request: impl FnMut(P) -> bool,
) where
    P: Protocol + DeserializeOwned,
    Rep: Serialize,
{
    let refused = |reason: &str| {
        tracing::warn!("{peer}: refused: {reason}");
        on_refused(reason);
    };
    match handshake::<P>(stream, server, allowed, refused) {
        Ok(hello) => tracing::debug!("{peer}: connected ({:?})", hello.client),
        Err(r) if r.not_allowed => return,
        Err(r) => {
            tracing::warn!("{peer}: {}", r.reason);
            return;
        }
    }
    loop {
        match next_request::<P, Rep>(stream) {
            Incoming::End(None) => return,
            Incoming::End(Some(reason)) => {
                tracing::warn!("{peer}: connection closed: {reason}");
                on_fault(Fault::Closed(reason));
                return;
            }
            Incoming::Malformed(reason) => {
                let reason = canopy_protocols::text::sanitise(&reason, canopy_protocols::text::MESSAGE);
                tracing::warn!("{peer}: {reason}");
                on_fault(Fault::Malformed(reason));
            }
            Incoming::Request(req) => {
                if !on_request(req) {
                    return;
                }
            }
        }
    }
}

/// Write one message, within [`WRITE_TIMEOUT`]; false when it could not be (the caller ends
/// the connection). A message that cannot be encoded (over the frame limit) is a fault of ours
/// and logged at warn; a peer that is gone or reads too slowly, at debug.
pub fn reply<T: Serialize>(stream: &Stream, msg: &T) -> bool {
    let frame = match encode(msg) {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!("cannot send a reply: {e}");
            return false;
        }
    };
    match stream.until(Instant::now() + WRITE_TIMEOUT).write_all(&frame) {
        Ok(()) => true,
        Err(e) => {
            tracing::debug!("write failed: {e}");
            false
        }
    }
}

/// After a watch request has been answered: forward events from `rx` until the peer goes away
/// or the sender side ends. A peer that closes is noticed within `IDLE_CHECK` even when no
/// events come.
pub fn forward_events<E: Serialize>(stream: &Stream, rx: std::sync::mpsc::Receiver<E>) {
    use std::sync::mpsc::RecvTimeoutError;
    const IDLE_CHECK: Duration = Duration::from_secs(5);
    loop {
        match rx.recv_timeout(IDLE_CHECK) {
            Ok(ev) => {
                if !reply(stream, &ev) {
                    return;
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                if peer_gone(stream) {
                    return;
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Whether a watching peer has closed (or, against the protocol, sent something).
fn peer_gone(stream: &Stream) -> bool {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    let mut fds = [PollFd::new(stream, PollFlags::IN)];
    match poll(&mut fds, Some(&Timespec { tv_sec: 0, tv_nsec: 0 })) {
        Ok(0) => false,
        // Readable means closed (or data the protocol does not allow): either way, done.
        Ok(_) | Err(_) => true,
    }
}

/// Subscribers of an event stream. A subscriber that falls `QUEUE` events behind is dropped
/// (its connection ends) rather than holding memory or blocking the daemon.
#[derive(Debug)]
pub struct Subscribers<E> {
    senders: Vec<std::sync::mpsc::SyncSender<E>>,
}

impl<E> Default for Subscribers<E> {
    fn default() -> Self {
        Self { senders: Vec::new() }
    }
}

impl<E: Clone> Subscribers<E> {
    const QUEUE: usize = 4096;

    pub fn subscribe(&mut self) -> std::sync::mpsc::Receiver<E> {
        let (tx, rx) = std::sync::mpsc::sync_channel(Self::QUEUE);
        self.senders.push(tx);
        rx
    }

    /// Send `ev` to every subscriber; returns how many got it.
    pub fn publish(&mut self, ev: &E) -> usize {
        use std::sync::mpsc::TrySendError;
        self.senders.retain(|s| match s.try_send(ev.clone()) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                tracing::warn!("a watcher is {} events behind; dropping it", Self::QUEUE);
                false
            }
            Err(TrySendError::Disconnected(_)) => false,
        });
        self.senders.len()
    }
}
