//! One client's compositor link, kept through a compositor crash: when the connection closes
//! and the compositor itself is gone (its trusted connection to the proxy closed too), the
//! client is kept and a new connection is tried with backoff (20 ms, doubling to 100 ms) until
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
pub const FIRST_RETRY: Duration = Duration::from_millis(20);
/// A failed try costs a connect() on a socket path (about 10 µs); a compositor that is back
/// is found within this.
pub const MAX_RETRY: Duration = Duration::from_millis(100);
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
    /// The proxy itself dropped the connection (a restore that did not finish).
    dropped: bool,
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
            dropped: false,
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
        if let (Some(w), false) = (&self.watch, std::mem::take(&mut self.dropped)) {
            if !gone(w, CRASH_GRACE) {
                return Err(End::WaylandClosed);
            }
        }
        self.conn.compositor_lost(out)?;
        self.restore_deadline = None;
        // The bound counts from when the client last had a working compositor.
        let now = Instant::now();
        self.away_since.get_or_insert(now);
        tracing::info!(
            vm = self.conn.vm(),
            wait_s = self.wait.as_secs_f32(),
            objects = self.conn.object_count(),
            restore_bytes = self.conn.restore_bytes(),
            "compositor gone: keeping the client"
        );
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
            self.dropped = true;
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

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::io::Write;
    use std::os::fd::AsFd;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use canopy_protocols::wire::{self, Frame};

    use super::*;
    use crate::gui::fake_compositor::FakeCompositor;
    use crate::gui::fuzzing::GLOBALS;
    use crate::limits::{Limits, Usage};
    use crate::pump::{self, Settings};
    use crate::shm::map::Mapping;
    use crate::sockio;
    use crate::wayland::message::{self, Builder};

    /// A stand-in compositor on a real socket.
    struct Served {
        fake: FakeCompositor,
        sock: UnixStream,
        buf: Vec<u8>,
        fds: VecDeque<OwnedFd>,
        /// Every fd it got, in order.
        all_fds: Vec<OwnedFd>,
    }

    impl Served {
        fn new(sock: UnixStream) -> Self {
            sockio::set_nonblocking(sock.as_fd()).unwrap();
            Served {
                fake: FakeCompositor::new(GLOBALS, 0),
                sock,
                buf: Vec::new(),
                fds: VecDeque::new(),
                all_fds: Vec::new(),
            }
        }

        /// Reads and answers until `done` holds.
        fn until(&mut self, what: &str, done: impl Fn(&FakeCompositor) -> bool) {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !done(&self.fake) {
                assert!(Instant::now() < deadline, "timed out waiting for {what}; got {:?}", self.fake.got);
                let _ = sockio::recv_with_fds(self.sock.as_fd(), &mut self.buf, &mut self.fds);
                let mut at = 0;
                while let Ok(Some((_, _, size))) = message::peek(&self.buf[at..], 1 << 16) {
                    at += size;
                }
                if at == 0 {
                    std::thread::sleep(Duration::from_millis(2));
                    continue;
                }
                let whole: Vec<u8> = self.buf.drain(..at).collect();
                let fds = self.fds.len();
                self.all_fds.extend(self.fds.drain(..));
                for r in self.fake.read(&whole, fds) {
                    (&self.sock).write_all(&r).unwrap();
                }
                assert!(self.fake.error.is_none(), "{:?}", self.fake.error);
            }
        }
    }

    fn wl(f: &mut Vec<u8>, msgs: &[Vec<u8>]) {
        wire::encode::wayland(f, &msgs.concat());
    }

    /// The compositor dies while a commit is half sent (attach and damage before, commit after)
    /// and a 4 MiB pool-data frame is half read straight into the pool's memory: the rest
    /// arrives while it is gone, and the next compositor gets the whole picture committed.
    #[test]
    fn a_commit_and_pool_data_cut_by_a_crash_reach_the_next_compositor() {
        let (stream_ours, mut vm) = UnixStream::pair().unwrap();
        let (a_ours, a) = UnixStream::pair().unwrap();
        let (b_ours, b) = UnixStream::pair().unwrap();
        let next = Arc::new(Mutex::new(Some(b_ours)));
        let connect: Connect = Box::new(move || {
            let s = next.lock().unwrap().take().ok_or_else(|| anyhow::anyhow!("no compositor"))?;
            Ok((s, None))
        });
        let pump = std::thread::spawn(move || {
            let conn = GuiConn::new("vm".into(), Arc::new(Limits::default()), Arc::new(Usage::default()), None);
            let mut engine = Supervised::new(conn, connect, Duration::from_secs(10), None, true);
            let settings = Settings {
                max_frame: 8 << 20,
                max_message: 4096,
                high_water: 8 << 20,
                max_pending: 64 << 20,
                max_pipe_bytes: 1 << 20,
                max_pipes: 4,
                whole_transfers: true,
            };
            let end =
                pump::run(&mut engine, stream_ours.into(), Some(a_ours.into()), &settings, &mut Default::default());
            (end, engine.conn.restore.restores)
        });
        let mut a = Served::new(a);
        let bind = |name: u32, iface: &str, v: u32, id: u32| {
            Builder::new(2, 0).uint(name).string(iface).uint(v).uint(id).build()
        };
        let mut f = Vec::new();
        wire::encode::hello(&mut f, wire::VERSION, false);
        wl(&mut f, &[Builder::new(1, 1).uint(2).build()]);
        vm.write_all(&f).unwrap();
        a.until("get_registry", |c| !c.named("wl_display", "get_registry").is_empty());
        // Once the globals reached the client's side of the stream, it binds and makes a window.
        let mut seen = Vec::new();
        let mut read_frames = |vm: &mut UnixStream, want: &dyn Fn(&[u8]) -> bool| {
            let deadline = Instant::now() + Duration::from_secs(10);
            vm.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
            loop {
                let mut b = [0u8; 65536];
                if let Ok(n) = std::io::Read::read(vm, &mut b) {
                    seen.extend_from_slice(&b[..n]);
                }
                let mut at = 0;
                let mut found = false;
                while let Ok(Some((frame, n))) = wire::decode(&seen[at..], 1 << 24) {
                    if let Frame::Wayland(w) = frame {
                        found |= want(w);
                    }
                    at += n;
                }
                if found {
                    return;
                }
                assert!(Instant::now() < deadline, "the client side never got what it waited for");
            }
        };
        read_frames(&mut vm, &|w| String::from_utf8_lossy(w).contains("xdg_wm_base"));
        let mut f = Vec::new();
        wl(
            &mut f,
            &[
                bind(1, "wl_compositor", 6, 3),
                bind(2, "wl_shm", 1, 4),
                bind(5, "xdg_wm_base", 5, 5),
                Builder::new(3, 0).uint(6).build(),         // create_surface
                Builder::new(5, 2).uint(7).uint(6).build(), // get_xdg_surface
                Builder::new(7, 1).uint(8).build(),         // get_toplevel
                Builder::new(6, 6).build(),                 // commit
            ],
        );
        vm.write_all(&f).unwrap();
        a.until("the initial commit", |c| c.named("wl_surface", "commit").len() == 1);
        // The configure of xdg_surface 7, somewhere in a frame of messages.
        read_frames(&mut vm, &|mut w| {
            while let Ok(Some((object, _, size))) = message::peek(w, 4096) {
                if object == 7 {
                    return true;
                }
                w = &w[size..];
            }
            false
        });
        let size = 4 << 20;
        let data: Vec<u8> = (0..size).map(|i| (i * 13 % 251) as u8).collect();
        let mut f = Vec::new();
        wl(&mut f, &[Builder::new(7, 4).uint(1).build()]); // ack_configure(1)
        wire::encode::fd_shm_pool(&mut f, 1, size as u32);
        wl(
            &mut f,
            &[
                Builder::new(4, 0).uint(9).int(size as i32).build(), // create_pool
                Builder::new(9, 0).uint(10).int(0).int(1024).int(1024).int(4096).uint(0).build(),
                Builder::new(6, 1).uint(10).int(0).int(0).build(), // attach
                Builder::new(6, 9).int(0).int(0).int(1024).int(1024).build(), // damage_buffer
            ],
        );
        let mut pd = Vec::new();
        wire::encode::pool_data(&mut pd, 1, wire::Encoding::Raw, &[(0, size as u32)], &data);
        let half = pd.len() / 2;
        f.extend_from_slice(&pd[..half]);
        vm.write_all(&f).unwrap();
        a.until("the attach", |c| !c.named("wl_surface", "attach").is_empty());
        // The compositor dies; the rest of the frame and the commit come while it is gone.
        drop(a);
        // The VM writes on its own: while a restore is in flight the proxy holds the stream,
        // and a write may wait for that.
        let mut f = pd[half..].to_vec();
        wl(&mut f, &[Builder::new(6, 6).build()]);
        let vm = std::thread::spawn(move || {
            vm.write_all(&f).unwrap();
            vm
        });

        let mut b = Served::new(b);
        b.until("the window's content committed", |c| {
            c.named("wl_surface", "attach").len() == 1 && c.named("wl_surface", "commit").len() == 2
        });
        let pool = b.fake.named("wl_shm", "create_pool");
        assert_eq!((pool.len(), pool[0].arg(2)), (1, size as u32), "the pool made again at its size");
        let m = Mapping::new(b.all_fds[0].as_fd(), size, false).unwrap();
        assert!(m.bytes() == &data[..], "the next compositor maps every byte the client sent");
        drop(vm.join().unwrap());
        drop(b);
        let (end, restores) = pump.join().unwrap();
        assert!(matches!(end, End::StreamClosed | End::WaylandClosed), "{end:?}");
        assert_eq!(restores, 1);
    }
}
