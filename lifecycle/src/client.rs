//! Clients of the lifecycle protocol: [`HostClient`] for the panel, launcher, power menu and
//! `canopy-ctl`; [`AgentClient`] for hostd talking to an agent.
//!
//! Requests block until their reply. [`Watcher`] reads the event stream either blocking (from a
//! thread, [`Watcher::next_event`]) or from an event loop: put [`Watcher::as_fd`] in the loop
//! (calloop `Generic`), call [`Watcher::set_nonblocking`] once, and call
//! [`Watcher::read_events`] whenever the fd is readable.
//!
//! ```no_run
//! use std::time::{Duration, Instant};
//! use canopy_lifecycle::{Address, HostClient};
//! use canopy_protocols::lifecycle::{AppArg, Request};
//!
//! let hostd: Address = "vsock:2:7100".parse()?;
//! // The launcher: list apps, start one (this waits while a stopped VM boots).
//! let mut c = HostClient::connect(&hostd, "canopy-launcher", Some(Duration::from_secs(120)))?;
//! for app in c.list_apps()? {
//!     println!("{} ({}) in {}", app.display_name, app.name, app.vm);
//! }
//! let instance = c.start_app("browser", None, vec![AppArg::Url("https://example.org/".into())])?;
//! // The power menu.
//! c.action(&Request::Suspend)?;
//! // The panel: VM states now, then every change, from an event loop.
//! let (snapshot, mut events) = HostClient::connect(&hostd, "canopy-panel", None)?.watch()?;
//! events.set_nonblocking()?;
//! // … register `events.as_fd()` with calloop; when readable:
//! for event in events.read_events()? {
//!     println!("{event:?}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, Read};
use std::marker::PhantomData;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::{Duration, Instant};

use canopy_protocols::lifecycle::{
    decode, read_frame, write_frame, AgentApp, AgentEvent, AgentReply, AgentRequest, AppArg, AppInfo, AppStatus,
    Bounded, Error, Event, FrameDecoder, FrameError, HandshakeResponse, Hello, Protocol, Reply, Request, Response,
    VmInfo, VmStatus, MAX_FRAME,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use rustix::event::PollFlags;

use crate::deadline::FRAME_TIME;
use canopy_common::transport::deadline::wait;
use canopy_common::transport::Address;
use canopy_common::transport::Stream;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect to {addr}: {source}")]
    Connect { addr: Address, source: io::Error },
    /// The server answered with a typed error.
    #[error("{0}")]
    Refused(#[from] Error),
    #[error("connection to {addr} failed: {source}")]
    Connection { addr: Address, source: FrameError },
    #[error("unexpected reply from {addr}: {what}")]
    Unexpected { addr: Address, what: String },
    /// A message over a limit of its own (see [`Bounded`]): the peer is not to be believed.
    #[error("{addr} reported {what}")]
    Excess { addr: Address, what: String },
}

impl ClientError {
    /// The server's typed error, when that is what this is.
    pub fn lifecycle_error(&self) -> Option<&Error> {
        match self {
            ClientError::Refused(e) => Some(e),
            _ => None,
        }
    }
}

/// One connection after the handshake; `Req` and `Rep` are the request and reply types.
#[derive(Debug)]
pub struct Connection<Req, Rep> {
    stream: Stream,
    addr: Address,
    limit: Limit,
    _types: PhantomData<fn(Req) -> Rep>,
}

/// How long exchanges on a connection may take, in wall-clock time.
#[derive(Debug, Clone, Copy)]
enum Limit {
    None,
    /// Each exchange (connecting with the handshake, each request with its reply) in this long.
    Each(Duration),
    /// Everything on the connection by then.
    Until(Instant),
}

/// A connection to `canopy-hostd`.
pub type HostClient = Connection<Request, Reply>;
/// A connection to `canopy-agent`.
pub type AgentClient = Connection<AgentRequest, AgentReply>;

impl<Req: Serialize + Protocol, Rep: DeserializeOwned + Bounded> Connection<Req, Rep> {
    /// Connect and do the handshake. `timeout` bounds each exchange as a whole: connecting with
    /// the handshake, and later each request with its reply (None: wait forever). `client`
    /// names the caller in the server's log.
    pub fn connect(addr: &Address, client: &str, timeout: Option<Duration>) -> Result<Self, ClientError> {
        Self::connect_with(addr, client, timeout.map_or(Limit::None, Limit::Each))
    }

    /// Connect and do the handshake; this and every request on the connection (up to the
    /// reply to a watch) end by `deadline`, however the server paces its bytes.
    pub fn connect_until(addr: &Address, client: &str, deadline: Instant) -> Result<Self, ClientError> {
        Self::connect_with(addr, client, Limit::Until(deadline))
    }

    /// The handshake on a stream already connected (by [`Stream::connect_until`], so that the
    /// caller can hold a clone to shut it down); it and every request end by `deadline`.
    pub fn handshake_until(
        stream: Stream,
        addr: &Address,
        client: &str,
        deadline: Instant,
    ) -> Result<Self, ClientError> {
        Self::handshake(stream, addr, client, Limit::Until(deadline), Some(deadline))
    }

    fn connect_with(addr: &Address, client: &str, limit: Limit) -> Result<Self, ClientError> {
        let deadline = exchange_deadline(limit);
        let stream = match deadline {
            Some(d) => Stream::connect_until(addr, d),
            None => Stream::connect(addr),
        }
        .map_err(|source| ClientError::Connect { addr: addr.clone(), source })?;
        Self::handshake(stream, addr, client, limit, deadline)
    }

    fn handshake(
        stream: Stream,
        addr: &Address,
        client: &str,
        limit: Limit,
        deadline: Option<Instant>,
    ) -> Result<Self, ClientError> {
        let conn = Self { stream, addr: addr.clone(), limit, _types: PhantomData };
        let welcome: HandshakeResponse = conn.exchange(&Hello::speaking::<Req>(client), deadline)?;
        welcome.into_result()?;
        Ok(conn)
    }

    /// Send one request and wait for its reply.
    pub fn request(&mut self, req: &Req) -> Result<Rep, ClientError> {
        let resp: Response<Rep> = self.exchange(req, exchange_deadline(self.limit))?;
        let rep = resp.into_result()?;
        match rep.excess() {
            None => Ok(rep),
            Some(what) => Err(ClientError::Excess { addr: self.addr.clone(), what }),
        }
    }

    /// Write `msg` and read the answer, all by `deadline`.
    fn exchange<M: Serialize, A: DeserializeOwned>(
        &self,
        msg: &M,
        deadline: Option<Instant>,
    ) -> Result<A, ClientError> {
        let sent = match deadline {
            Some(d) => write_frame(&mut self.stream.until(d), msg),
            None => write_frame(&mut &self.stream, msg),
        };
        sent.map_err(|e| self.io_error(e))?;
        self.read_message(deadline)
    }

    /// Read one message by `deadline`.
    fn read_message<A: DeserializeOwned>(&self, deadline: Option<Instant>) -> Result<A, ClientError> {
        match deadline {
            Some(d) => read_frame(&mut self.stream.until(d)),
            None => read_frame(&mut &self.stream),
        }
        .map_err(|e| self.io_error(e))
    }

    pub fn address(&self) -> &Address {
        &self.addr
    }

    /// The connection's stream, for raw bytes after a reply that announces them (a file's
    /// `sending` or `ready`).
    pub fn into_stream(self) -> Stream {
        self.stream
    }

    fn io_error(&self, source: FrameError) -> ClientError {
        let source = if source.is_timeout() {
            let what = match self.limit {
                Limit::Each(t) => format!("no complete reply within {:.1} s", t.as_secs_f64()),
                _ => "no complete reply in time".to_string(),
            };
            FrameError::Io(io::Error::new(io::ErrorKind::TimedOut, what))
        } else {
            source
        };
        ClientError::Connection { addr: self.addr.clone(), source }
    }

    fn unexpected(&self, what: impl std::fmt::Debug) -> ClientError {
        ClientError::Unexpected { addr: self.addr.clone(), what: format!("{what:?}") }
    }

    /// This connection as a stream of events `E`, once a watch request has been answered (for
    /// protocols whose watch has no helper here).
    pub fn into_watcher<E>(self) -> Watcher<E> {
        Watcher {
            stream: self.stream,
            addr: self.addr,
            decoder: FrameDecoder::new(MAX_FRAME),
            frame_started: None,
            _event: PhantomData,
        }
    }
}

/// When an exchange starting now must end.
fn exchange_deadline(limit: Limit) -> Option<Instant> {
    match limit {
        Limit::None => None,
        Limit::Each(t) => Some(Instant::now() + t),
        Limit::Until(d) => Some(d),
    }
}

/// The state at the start of a hostd watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub vms: Vec<VmStatus>,
    pub apps: Vec<AppStatus>,
}

impl HostClient {
    pub fn list_vms(&mut self) -> Result<Vec<VmInfo>, ClientError> {
        match self.request(&Request::ListVms)? {
            Reply::Vms { vms } => Ok(vms),
            other => Err(self.unexpected(other)),
        }
    }

    pub fn list_apps(&mut self) -> Result<Vec<AppInfo>, ClientError> {
        match self.request(&Request::ListApps)? {
            Reply::Apps { apps } => Ok(apps),
            other => Err(self.unexpected(other)),
        }
    }

    /// Start an app (and its VM when it is down); returns the new instance's id.
    pub fn start_app(&mut self, app: &str, vm: Option<&str>, args: Vec<AppArg>) -> Result<u64, ClientError> {
        self.start_app_activated(app, vm, args, None)
    }

    /// As [`Self::start_app`], handing the app an xdg-activation token (the launcher's, from the
    /// user's click) so that its first window may take the keyboard.
    pub fn start_app_activated(
        &mut self,
        app: &str,
        vm: Option<&str>,
        args: Vec<AppArg>,
        activation_token: Option<String>,
    ) -> Result<u64, ClientError> {
        let req = Request::StartApp { app: app.into(), vm: vm.map(Into::into), args, activation_token };
        match self.request(&req)? {
            Reply::AppStarted { instance, .. } => Ok(instance),
            other => Err(self.unexpected(other)),
        }
    }

    /// Send a request whose answer is `done` (VM and power actions, stop app, set disk image).
    pub fn action(&mut self, req: &Request) -> Result<(), ClientError> {
        match self.request(req)? {
            Reply::Done => Ok(()),
            other => Err(self.unexpected(other)),
        }
    }

    /// Send the GUI VM's file at `path` (`canopy-ctl send`, the screenshot notice's button) to VM
    /// `to`, or without one where the policy or the user in the chooser says: the VM it went to
    /// and the name it was kept under there.
    pub fn send_path(&mut self, to: Option<&str>, path: &std::path::Path) -> Result<(String, String), ClientError> {
        let bad = |e: io::Error| Error::bad_request(format!("{}: {e}", path.display()));
        let mut f = std::fs::File::open(path).map_err(bad)?;
        let size = f.metadata().map_err(bad)?.len();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        self.send_file(to, &name, size, &mut f)
    }

    /// Send a file of `size` bytes read from `data` to VM `to` (or where the policy or the user
    /// says): hostd checks its policy and makes the target ready, the bytes follow, and the
    /// reply says the VM and the name the file was kept under there.
    pub fn send_file(
        &mut self,
        to: Option<&str>,
        name: &str,
        size: u64,
        data: &mut impl Read,
    ) -> Result<(String, String), ClientError> {
        use std::io::Write;
        let req = Request::Send { to: to.map(Into::into), name: name.into(), size };
        match self.request(&req)? {
            Reply::Ready => {}
            other => return Err(self.unexpected(other)),
        }
        let mut buf = vec![0u8; 256 * 1024];
        let mut sent = 0u64;
        while sent < size {
            let want = (size - sent).min(buf.len() as u64) as usize;
            let n = data.read(&mut buf[..want]).map_err(|e| self.io_error(e.into()))?;
            if n == 0 {
                let e = io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("the file ended after {sent} of {size} bytes"),
                );
                return Err(self.io_error(e.into()));
            }
            let written = match exchange_deadline(self.limit) {
                Some(d) => self.stream.until(d.max(Instant::now() + FRAME_TIME)).write_all(&buf[..n]),
                None => (&self.stream).write_all(&buf[..n]),
            };
            written.map_err(|e| self.io_error(e.into()))?;
            sent += n as u64;
        }
        let reply: Response<Reply> = self.read_message(exchange_deadline(self.limit))?;
        match reply.into_result()? {
            Reply::Sent { vm, name } => Ok((vm, name)),
            other => Err(self.unexpected(other)),
        }
    }

    /// Turn this connection into an event stream. The snapshot is whole: when hostd split it,
    /// the rest has been read from the events that follow the reply.
    pub fn watch(mut self) -> Result<(Snapshot, Watcher<Event>), ClientError> {
        // Events may be far apart; only the request and the snapshot are bounded in time.
        let deadline = exchange_deadline(self.limit);
        let reply = self.request(&Request::Watch)?;
        let Reply::Watching { mut vms, mut apps, more } = reply else { return Err(self.unexpected(reply)) };
        for _ in 0..more {
            match self.read_message::<Event>(deadline)? {
                Event::Vm(v) => vms.push(v),
                Event::App(a) => apps.push(a),
                other => return Err(self.unexpected(other)),
            }
        }
        Ok((Snapshot { vms, apps }, self.into_watcher()))
    }
}

impl AgentClient {
    pub fn watch(mut self) -> Result<(Vec<AgentApp>, Watcher<AgentEvent>), ClientError> {
        let reply = self.request(&AgentRequest::Watch)?;
        let AgentReply::Watching { apps } = reply else { return Err(self.unexpected(reply)) };
        Ok((apps, self.into_watcher()))
    }
}

/// The event stream of a watch connection. Events may be far apart, but once one has begun to
/// arrive it must be complete within [`FRAME_TIME`] (when read blocking), so a server that
/// dribbles its bytes cannot hold the reader.
#[derive(Debug)]
pub struct Watcher<E> {
    stream: Stream,
    addr: Address,
    decoder: FrameDecoder,
    /// When the bytes of a frame not yet complete began to arrive.
    frame_started: Option<Instant>,
    _event: PhantomData<fn() -> E>,
}

impl<E: DeserializeOwned + Bounded> Watcher<E> {
    /// Wait for the next event. [`FrameError::Closed`] (inside [`ClientError::Connection`]) when
    /// the server ended the stream.
    pub fn next_event(&mut self) -> Result<E, ClientError> {
        loop {
            if let Some(ev) = self.decoded()? {
                return Ok(ev);
            }
            let deadline = if self.decoder.pending() == 0 {
                self.frame_started = None;
                None
            } else {
                Some(*self.frame_started.get_or_insert_with(Instant::now) + FRAME_TIME)
            };
            let ready = wait(&self.stream, PollFlags::IN, deadline).map_err(|_| {
                let why = format!("an event did not arrive whole within {:.1} s", FRAME_TIME.as_secs_f64());
                self.error(FrameError::Io(io::Error::new(io::ErrorKind::TimedOut, why)))
            });
            ready?;
            if !self.fill()? {
                return Err(self.error(FrameError::Closed));
            }
        }
    }

    /// Make reads non-blocking, for use from an event loop.
    pub fn set_nonblocking(&self) -> Result<(), ClientError> {
        self.stream.set_nonblocking(true).map_err(|e| self.error(e.into()))
    }

    /// Every event that has arrived, without blocking (after [`Self::set_nonblocking`]). An error
    /// means the stream is over; events read before it are returned first on the previous call.
    pub fn read_events(&mut self) -> Result<Vec<E>, ClientError> {
        let mut events = Vec::new();
        loop {
            while let Some(ev) = self.decoded()? {
                events.push(ev);
            }
            match self.fill() {
                Ok(true) => {}
                Ok(false) if events.is_empty() => return Err(self.error(FrameError::Closed)),
                Ok(false) => return Ok(events),
                Err(ClientError::Connection { source: FrameError::Io(e), .. })
                    if e.kind() == io::ErrorKind::WouldBlock =>
                {
                    return Ok(events)
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// End the stream from another thread: a blocked [`Self::next_event`] returns an error.
    pub fn shutdown_handle(&self) -> io::Result<Stream> {
        self.stream.try_clone()
    }

    fn decoded(&mut self) -> Result<Option<E>, ClientError> {
        match self.decoder.next_frame().map_err(|e| self.error(e))? {
            Some(frame) => {
                self.frame_started = None;
                let ev: E = decode(&frame).map_err(|e| self.error(e))?;
                match ev.excess() {
                    None => Ok(Some(ev)),
                    Some(what) => Err(ClientError::Excess { addr: self.addr.clone(), what }),
                }
            }
            None => Ok(None),
        }
    }

    /// Read what is there; false at end of stream.
    fn fill(&mut self) -> Result<bool, ClientError> {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match (&self.stream).read(&mut buf) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.decoder.push(&buf[..n]);
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.error(e.into())),
            }
        }
    }

    fn error(&self, source: FrameError) -> ClientError {
        ClientError::Connection { addr: self.addr.clone(), source }
    }
}

impl<E> AsFd for Watcher<E> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.stream.as_fd()
    }
}

impl<E> AsRawFd for Watcher<E> {
    fn as_raw_fd(&self) -> RawFd {
        self.stream.as_raw_fd()
    }
}
