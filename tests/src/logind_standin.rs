//! A stand-in for logind, only because logind cannot run in the test environment: it owns
//! `org.freedesktop.login1` on a private `dbus-daemon` (the compositor and the panel are pointed
//! at it with `DBUS_SYSTEM_BUS_ADDRESS`) and has just what canopy uses: `Manager.Inhibit`
//! (returning a pipe whose closing it records, with the time, as logind notices an inhibitor
//! let go), the `PrepareForSleep` signal (sent when the test asks), and
//! `Session.SetBrightness` (recorded, and written to the backlight directory as logind writes
//! sysfs).

use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use rustix::pipe::{pipe_with, PipeFlags};

use crate::notify::start_bus;

/// One `Inhibit` call, and when its descriptor was closed by every holder.
#[derive(Debug, Clone)]
pub struct Inhibitor {
    pub what: String,
    pub who: String,
    pub mode: String,
    pub closed_at: Option<f64>,
}

/// One `SetBrightness` call.
#[derive(Debug, Clone, PartialEq)]
pub struct Brightness {
    pub subsystem: String,
    pub name: String,
    pub value: u32,
}

#[derive(Debug, Default)]
struct Record {
    inhibitors: Vec<Inhibitor>,
    brightness: Vec<Brightness>,
}

type Shared = Arc<Mutex<Record>>;

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

struct Manager(Shared);

#[zbus::interface(name = "org.freedesktop.login1.Manager")]
impl Manager {
    fn inhibit(
        &self,
        what: String,
        who: String,
        _why: String,
        mode: String,
    ) -> zbus::fdo::Result<zbus::zvariant::OwnedFd> {
        let (read, write) = pipe_with(PipeFlags::CLOEXEC).map_err(|e| zbus::fdo::Error::Failed(e.to_string()))?;
        let index = {
            let mut r = self.0.lock().unwrap();
            r.inhibitors.push(Inhibitor { what, who, mode, closed_at: None });
            r.inhibitors.len() - 1
        };
        let shared = self.0.clone();
        // The end of file comes when every copy of the write end is closed.
        std::thread::spawn(move || {
            let mut buf = [0u8; 16];
            while rustix::io::read(&read, &mut buf).is_ok_and(|n| n > 0) {}
            shared.lock().unwrap().inhibitors[index].closed_at = Some(now());
        });
        Ok(write.into())
    }

    #[zbus(signal)]
    async fn prepare_for_sleep(emitter: &zbus::object_server::SignalEmitter<'_>, start: bool) -> zbus::Result<()>;
}

struct Session {
    record: Shared,
    backlights: Option<PathBuf>,
}

#[zbus::interface(name = "org.freedesktop.login1.Session")]
impl Session {
    fn set_brightness(&self, subsystem: String, name: String, brightness: u32) -> zbus::fdo::Result<()> {
        if subsystem != "backlight" || name.contains('/') {
            return Err(zbus::fdo::Error::InvalidArgs(format!("{subsystem}/{name}")));
        }
        if let Some(root) = &self.backlights {
            std::fs::write(root.join(&name).join("brightness"), format!("{brightness}\n"))
                .map_err(|e| zbus::fdo::Error::Failed(e.to_string()))?;
        }
        self.record.lock().unwrap().brightness.push(Brightness { subsystem, name, value: brightness });
        Ok(())
    }
}

pub struct LogindStandIn {
    bus: Child,
    bus_path: PathBuf,
    address: String,
    conn: zbus::blocking::Connection,
    record: Shared,
    backlights: Option<PathBuf>,
}

/// logind's objects and name on the bus at `address`.
fn serve(address: &str, record: &Shared, backlights: &Option<PathBuf>) -> zbus::blocking::Connection {
    let session = Session { record: record.clone(), backlights: backlights.clone() };
    zbus::blocking::connection::Builder::address(address)
        .and_then(|b| b.serve_at("/org/freedesktop/login1", Manager(record.clone())))
        .and_then(|b| b.serve_at("/org/freedesktop/login1/session/auto", session))
        .and_then(|b| b.name("org.freedesktop.login1"))
        .and_then(|b| b.build())
        .expect("the logind stand-in on its private bus")
}

impl LogindStandIn {
    /// A private bus at `dir/system_bus` with the stand-in on it. `SetBrightness` writes under
    /// `backlights` (a sysfs-shaped `/sys/class/backlight`) when given.
    pub fn start(dir: &Path, backlights: Option<&Path>) -> LogindStandIn {
        let (bus, address) = start_bus(&dir.join("system_bus"));
        let record = Shared::default();
        let backlights = backlights.map(Path::to_path_buf);
        let conn = serve(&address, &record, &backlights);
        LogindStandIn { bus, bus_path: dir.join("system_bus"), address, conn, record, backlights }
    }

    /// As `systemctl restart systemd-logind`: the name leaves the bus and a new logind, knowing
    /// no inhibitors, takes it. The record goes on.
    pub fn restart_logind(&mut self) {
        self.conn.release_name("org.freedesktop.login1").expect("the name released");
        self.conn = serve(&self.address, &self.record, &self.backlights);
    }

    /// The system bus dies and a new one starts at the same address, with logind on it.
    pub fn restart_bus(&mut self) {
        let _ = self.bus.kill();
        let _ = self.bus.wait();
        let _ = std::fs::remove_file(&self.bus_path);
        let (bus, address) = start_bus(&self.bus_path);
        assert_eq!(address, self.address);
        self.bus = bus;
        self.conn = serve(&self.address, &self.record, &self.backlights);
    }

    /// What `DBUS_SYSTEM_BUS_ADDRESS` should be for canopy to find the stand-in.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Sends `PrepareForSleep(start)`, as logind does before a sleep (`true`) and after it.
    pub fn prepare_for_sleep(&self, start: bool) {
        self.conn
            .emit_signal(
                None::<&str>,
                "/org/freedesktop/login1",
                "org.freedesktop.login1.Manager",
                "PrepareForSleep",
                &(start,),
            )
            .expect("PrepareForSleep sent");
    }

    pub fn inhibitors(&self) -> Vec<Inhibitor> {
        self.record.lock().unwrap().inhibitors.clone()
    }

    pub fn brightness_calls(&self) -> Vec<Brightness> {
        self.record.lock().unwrap().brightness.clone()
    }
}

impl Drop for LogindStandIn {
    fn drop(&mut self) {
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}
