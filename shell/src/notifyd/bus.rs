//! The daemon on the GUI VM's session bus: `org.freedesktop.Notifications` for the GUI VM's
//! own programs, and `org.canopy.NotificationCentre1` for the panel and the lock screen. Calls
//! reach the event loop through its channel; signals go out from the loop.

use std::sync::{Arc, Mutex};

use canopy_notify::centre::{self, CentreState};
use canopy_notify::dbus::{self, Ids, Signals, Sink};
use canopy_protocols::notify::Notification;
use smithay_client_toolkit::reexports::calloop::channel::SyncSender;

use super::Incoming;

pub struct Bus {
    conn: zbus::blocking::Connection,
    pub signals: Signals,
    state: Arc<Mutex<String>>,
}

/// Calls of the bus's threads, handed to the event loop (waiting when it is behind).
struct ToLoop(Mutex<SyncSender<Incoming>>);

impl ToLoop {
    fn send(&self, msg: Incoming) {
        let _ = self.0.lock().expect("sender").send(msg);
    }
}

impl Sink for ToLoop {
    fn notify(&self, n: Notification) {
        self.send(Incoming::Local(n));
    }

    fn close(&self, id: u32) {
        self.send(Incoming::LocalClose(id));
    }
}

impl Bus {
    /// Owns both names on the session bus; fails when there is no bus or another notification
    /// server has the name.
    pub fn start(tx: SyncSender<Incoming>, ids: Ids) -> anyhow::Result<Bus> {
        let server = dbus::Server::new(ToLoop(Mutex::new(tx.clone())), ids, "canopy-notifyd");
        let to_loop = ToLoop(Mutex::new(tx));
        let (centre, state) = centre::Server::new(move |cmd| to_loop.send(Incoming::Centre(cmd)));
        let conn = zbus::blocking::connection::Builder::session()?
            .serve_at(dbus::PATH, server)?
            .serve_at(centre::PATH, centre)?
            .name(dbus::NAME)?
            .name(centre::NAME)?
            .build()?;
        tracing::info!("serving {} and {} on the session bus", dbus::NAME, centre::NAME);
        Ok(Bus { signals: Signals(conn.clone()), conn, state })
    }

    pub fn publish(&self, state: &CentreState) {
        centre::publish(&self.conn, &self.state, state);
    }
}
