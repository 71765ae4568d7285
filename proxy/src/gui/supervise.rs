//! One client's compositor link, kept through a compositor crash: when the connection closes
//! and the compositor itself is gone (its trusted connection to the proxy closed too), the
//! client is kept and a new connection is tried with backoff (50 ms, doubling to 1 s) until
//! `wait` has passed; then the client is ended. A connection the compositor closed while it
//! lives on (it ended this client) ends the client, as does a protocol error.

use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use canopy_protocols::wire::Frame;
use rustix::event::{poll, PollFd, PollFlags};

use super::conn::GuiConn;
use crate::pump::{Direct, End, Engine, Link, Outbox};

/// The first wait before trying the compositor again, and the longest.
pub const FIRST_RETRY: Duration = Duration::from_millis(50);
pub const MAX_RETRY: Duration = Duration::from_secs(1);
/// Longest a restore may take before the new connection is given up (and tried again).
pub const RESTORE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a closed client connection waits for the compositor's own connection to close.
const CRASH_GRACE: Duration = Duration::from_millis(500);

/// The proxy's own connection to a compositor: it closes when that compositor dies.
pub type Watch = Arc<OwnedFd>;

/// Connects a client to the compositor through the VM's security context.
pub type Connect = Box<dyn FnMut() -> anyhow::Result<(UnixStream, Option<Watch>)> + Send>;

pub struct Supervised {
    pub conn: GuiConn,
    connect: Connect,
    wait: Duration,
    watch: Option<Watch>,
    away_since: Option<Instant>,
    next_try: Option<Instant>,
    backoff: Duration,
    restore_deadline: Option<Instant>,
}

/// Whether the compositor behind `watch` is gone (waiting up to `grace` for it to go).
pub fn gone(watch: &Watch, grace: Duration) -> bool {
    let deadline = Instant::now() + grace;
    loop {
        let mut fds = [PollFd::new(&**watch, PollFlags::empty())];
        let left = deadline.saturating_duration_since(Instant::now());
        let t = rustix::time::Timespec { tv_sec: left.as_secs() as i64, tv_nsec: i64::from(left.subsec_nanos()) };
        match poll(&mut fds, Some(&t)) {
            Ok(_) if fds[0].revents().intersects(PollFlags::HUP | PollFlags::ERR) => return true,
            Ok(_) if Instant::now() >= deadline => return false,
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(_) => return true,
        }
    }
}

impl Supervised {
    /// `watch`: the compositor the client is connected to now (`None`: not connected; it
    /// starts away and connects when it can).
    pub fn new(conn: GuiConn, connect: Connect, wait: Duration, watch: Option<Watch>, connected: bool) -> Self {
        let mut s = Supervised {
            conn,
            connect,
            wait,
            watch,
            away_since: None,
            next_try: None,
            backoff: FIRST_RETRY,
            restore_deadline: None,
        };
        if !connected {
            s.conn.start_away();
            s.away_since = Some(Instant::now());
            s.next_try = Some(Instant::now());
        }
        s
    }
}

impl Engine for Supervised {
    fn frame(&mut self, frame: Frame<'_>, out: &mut Outbox) -> Result<(), End> {
        self.conn.frame(frame, out)
    }

    fn direct(&mut self, mem: u32, spans: &[(u32, u32)]) -> Result<Option<Direct>, End> {
        self.conn.direct(mem, spans)
    }

    fn wayland(
        &mut self,
        msg: &[u8],
        fds: &mut std::collections::VecDeque<OwnedFd>,
        out: &mut Outbox,
    ) -> Result<(), End> {
        self.conn.wayland(msg, fds, out)?;
        if self.conn.restore.is_live() {
            self.restore_deadline = None;
            self.away_since = None;
        }
        Ok(())
    }

    fn wayland_lost(&mut self, out: &mut Outbox) -> Result<(), End> {
        if self.wait.is_zero() {
            return Err(End::WaylandClosed);
        }
        // A compositor that lives on and closed this client ended it on purpose.
        if let Some(w) = &self.watch {
            if !gone(w, CRASH_GRACE) {
                return Err(End::WaylandClosed);
            }
        }
        self.conn.compositor_lost(out)?;
        self.restore_deadline = None;
        // The bound counts from when the client last had a working compositor.
        let now = Instant::now();
        self.away_since.get_or_insert(now);
        tracing::info!(vm = self.conn.vm(), wait_s = self.wait.as_secs_f32(), "compositor gone: keeping the client");
        self.next_try = Some(now + self.backoff);
        Ok(())
    }

    fn deadline(&self) -> Option<Instant> {
        match (self.next_try, self.restore_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn timer(&mut self, out: &mut Outbox) -> Result<Link, End> {
        let now = Instant::now();
        if self.restore_deadline.is_some_and(|d| now >= d) {
            self.restore_deadline = None;
            tracing::warn!(vm = self.conn.vm(), "the new compositor did not finish the restore: trying again");
            return Ok(Link::Drop);
        }
        let Some(at) = self.next_try else { return Ok(Link::Keep) };
        if now < at {
            return Ok(Link::Keep);
        }
        let since = *self.away_since.get_or_insert(now);
        if now.duration_since(since) > self.wait {
            return Err(End::Local(format!("the compositor did not come back within {} s", self.wait.as_secs_f32())));
        }
        match (self.connect)() {
            Ok((stream, watch)) => {
                self.watch = watch;
                self.next_try = None;
                self.backoff = FIRST_RETRY;
                self.restore_deadline = Some(now + RESTORE_TIMEOUT);
                self.conn.reconnected(out);
                tracing::info!(vm = self.conn.vm(), "compositor back: restoring the client");
                Ok(Link::Connect(stream.into()))
            }
            Err(e) => {
                tracing::debug!(vm = self.conn.vm(), "compositor not back yet: {e:#}");
                self.next_try = Some(now + self.backoff);
                self.backoff = (self.backoff * 2).min(MAX_RETRY);
                Ok(Link::Keep)
            }
        }
    }

    fn hold_stream(&self) -> bool {
        self.conn.hold_stream()
    }
}
