//! The compositor on its own thread: a headless canopy session driven by requests from the
//! wlcs thread. Every request is answered only once the compositor has handled it, so input
//! and window placement are in effect before the test's next roundtrip.

use std::collections::HashMap;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::{mpsc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use canopy::cli::{BackendKind, RunArgs};
use canopy::config::Config;
use canopy::embed::{VirtualDevice, VirtualEvent};
use canopy::run::Session;
use smithay::reexports::calloop::channel::{self, Event};
use smithay::reexports::wayland_server::Client;

/// The one output of the test compositor.
pub const OUTPUT: &str = "WLCS-1:1280x1024";

pub enum Request {
    /// A new client; the reply carries the client's end of its socket.
    NewClient,
    /// Put the client area of the toplevel `surface_id` of the client on `client_fd` at (x, y).
    PlaceWindow {
        client_fd: RawFd,
        surface_id: u32,
        x: i32,
        y: i32,
    },
    Input {
        device: VirtualDevice,
        events: Vec<VirtualEvent>,
    },
    Stop,
}

pub enum Reply {
    Done,
    Client(std::io::Result<UnixStream>),
}

type Call = (Request, mpsc::Sender<Reply>);

pub struct Server {
    calls: channel::Sender<Call>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Server {
    /// Start the compositor and wait until it is ready for clients.
    pub fn start() -> Server {
        let (calls, rx) = channel::channel::<Call>();
        let (ready_tx, ready_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("canopy".into())
            .spawn(move || run(rx, ready_tx))
            .expect("spawning the compositor thread");
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("canopy did not start: {e:#}"),
            Err(_) => panic!("canopy's thread ended while starting"),
        }
        Server { calls, thread: Mutex::new(Some(thread)) }
    }

    /// Send a request and wait for the compositor to have handled it.
    pub fn call(&self, request: Request) -> Reply {
        let (tx, rx) = mpsc::channel();
        if self.calls.send((request, tx)).is_err() {
            return Reply::Client(Err(std::io::Error::other("canopy has stopped")));
        }
        rx.recv().unwrap_or(Reply::Done)
    }

    /// Stop the compositor and wait for its thread to end.
    pub fn stop(&self) {
        let _ = self.call(Request::Stop);
        let thread = self.thread.lock().map(|mut t| t.take()).unwrap_or(None);
        if let Some(t) = thread {
            let _ = t.join();
        }
    }
}

fn run(calls: channel::Channel<Call>, ready: mpsc::Sender<anyhow::Result<()>>) {
    let args = RunArgs {
        backend: Some(BackendKind::Headless),
        config: None,
        socket: None,
        outputs: vec![OUTPUT.into()],
        check_config: false,
    };
    // Built-in defaults: no user config may change what the suite sees.
    let mut session = match Session::start(&args, Config::default()) {
        Ok(s) => s,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let mut clients: HashMap<RawFd, Client> = HashMap::new();
    let inserted = session.event_loop.handle().insert_source(calls, move |event, _, state| {
        let (request, reply) = match event {
            Event::Msg(call) => call,
            Event::Closed => {
                state.canopy.loop_signal.stop();
                return;
            }
        };
        let answer = match request {
            Request::NewClient => Reply::Client(state.new_client_socket().map(|(stream, client)| {
                clients.insert(stream.as_raw_fd(), client);
                stream
            })),
            Request::PlaceWindow { client_fd, surface_id, x, y } => {
                let w = clients.get(&client_fd).and_then(|c| state.canopy.window_by_protocol_id(c, surface_id));
                // The same move as `canopy msg move`: the client area's corner goes to (x, y).
                match w.map(|w| state.handle_ipc(canopy_ipc::Request::Move { id: w.id(), x, y })) {
                    Some(Ok(_)) => {}
                    Some(Err(e)) => tracing::warn!(surface_id, "wlcs asked to place a window: {e}"),
                    None => tracing::warn!(surface_id, "wlcs asked to place a window that is not mapped"),
                }
                Reply::Done
            }
            Request::Input { device, events } => {
                tracing::debug!(?device, ?events, "wlcs input");
                for e in events {
                    state.inject_virtual(&device, e);
                }
                Reply::Done
            }
            Request::Stop => {
                state.canopy.running = false;
                state.canopy.loop_signal.stop();
                Reply::Done
            }
        };
        // Events for clients go out before the caller continues.
        state.after_dispatch();
        let _ = reply.send(answer);
    });
    if let Err(e) = inserted {
        let _ = ready.send(Err(anyhow::anyhow!("request channel: {e}")));
        return;
    }
    let _ = ready.send(Ok(()));
    while session.state.canopy.running {
        if let Err(e) = session.dispatch(Some(Duration::from_millis(100))) {
            tracing::error!("canopy: {e:#}");
            break;
        }
    }
    let _ = std::fs::remove_file(&session.state.canopy.ipc_path);
}
