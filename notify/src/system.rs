//! Messages of the GUI VM's own trusted parts (the compositor, the panel passing on hostd's
//! news, the lock screen) sent to `canopy-notifyd` on the GUI VM's session bus. No VM can reach
//! that bus, so the daemon draws what arrives there as the trusted system's (see its cards).
//!
//! Only `canopy-notifyd` is spoken to (another server on the name could not mark the message as
//! the system's); when it is not there the sender is told, and shows the message the way it did
//! before the daemon existed.

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::Duration;

use zbus::zvariant::Value;

use crate::dbus::{NAME, PATH};

/// The name `canopy-notifyd` answers GetServerInformation with.
pub const DAEMON: &str = "canopy-notifyd";
/// How long a call may take before the message is shown some other way.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// One message from the trusted system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub summary: String,
    pub body: String,
    pub critical: bool,
    /// Messages with the same key replace each other on screen (a VM starting, then running).
    pub key: Option<String>,
}

impl Message {
    pub fn new(summary: impl Into<String>, body: impl Into<String>) -> Self {
        Message { summary: summary.into(), body: body.into(), critical: false, key: None }
    }
}

#[zbus::proxy(interface = "org.freedesktop.Notifications", default_service = "org.freedesktop.Notifications")]
trait Notifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: &str,
        replaces_id: u32,
        app_icon: &str,
        summary: &str,
        body: &str,
        actions: &[&str],
        hints: HashMap<&str, Value<'_>>,
        expire_timeout: i32,
    ) -> zbus::Result<u32>;

    fn get_server_information(&self) -> zbus::Result<(String, String, String, String)>;
}

/// A connection to `canopy-notifyd` on the session bus, made when first needed and made
/// again after a failure.
#[derive(Default)]
pub struct Sender {
    proxy: Option<NotificationsProxyBlocking<'static>>,
    /// The id each key's last message got, for `replaces_id`.
    ids: HashMap<String, u32>,
}

impl Sender {
    /// Shows `m` through `canopy-notifyd`; `app` names the sending part (`canopy`,
    /// `canopy-panel`, …). The error says why it could not.
    pub fn send(&mut self, app: &str, m: &Message) -> Result<u32, String> {
        let result = self.try_send(app, m);
        if result.is_err() {
            self.proxy = None;
        }
        result
    }

    fn try_send(&mut self, app: &str, m: &Message) -> Result<u32, String> {
        let proxy = match &self.proxy {
            Some(p) => p,
            None => self.proxy.insert(connect()?),
        };
        let replaces = m.key.as_ref().and_then(|k| self.ids.get(k)).copied().unwrap_or(0);
        let mut hints = HashMap::new();
        hints.insert("urgency", Value::U8(if m.critical { 2 } else { 1 }));
        let id = proxy
            .notify(app, replaces, "", &m.summary, &m.body, &[], hints, -1)
            .map_err(|e| format!("canopy-notifyd did not take it: {e}"))?;
        if let Some(k) = &m.key {
            self.ids.insert(k.clone(), id);
        }
        Ok(id)
    }
}

fn connect() -> Result<NotificationsProxyBlocking<'static>, String> {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        return Err("no session bus (DBUS_SESSION_BUS_ADDRESS is not set)".into());
    }
    let conn = zbus::blocking::connection::Builder::session()
        .and_then(|b| b.method_timeout(CALL_TIMEOUT).build())
        .map_err(|e| format!("cannot reach the session bus: {e}"))?;
    let proxy = NotificationsProxyBlocking::builder(&conn)
        .destination(NAME)
        .and_then(|b| b.path(PATH))
        .and_then(|b| b.cache_properties(zbus::proxy::CacheProperties::No).build())
        .map_err(|e| format!("cannot reach {NAME}: {e}"))?;
    let (name, ..) = proxy.get_server_information().map_err(|e| format!("no notification server: {e}"))?;
    if name != DAEMON {
        return Err(format!("the notification server is {name:?}, not {DAEMON}"));
    }
    Ok(proxy)
}

/// A thread that sends messages in order, so that a slow bus never holds up the caller. Each
/// message carries `T`, what the caller does instead when it cannot be sent; `fallback` gets it
/// back with the reason, on the thread.
pub struct Worker<T> {
    tx: mpsc::Sender<(Message, T)>,
}

impl<T: Send + 'static> Worker<T> {
    pub fn start(app: &'static str, mut fallback: impl FnMut(T, String) + Send + 'static) -> Self {
        let (tx, rx) = mpsc::channel::<(Message, T)>();
        std::thread::Builder::new()
            .name("system-notify".into())
            .spawn(move || {
                let mut sender = Sender::default();
                for (m, t) in rx {
                    if let Err(why) = sender.send(app, &m) {
                        fallback(t, why);
                    }
                }
            })
            .expect("starting the system-notify thread");
        Worker { tx }
    }

    pub fn send(&self, m: Message, otherwise: T) {
        let _ = self.tx.send((m, otherwise));
    }
}
