//! The `org.freedesktop.Notifications` server (Desktop Notifications spec 1.2): Notify,
//! CloseNotification, GetCapabilities, GetServerInformation, and the NotificationClosed and
//! ActionInvoked signals. The same server runs on an app VM's session bus (where the agent sends
//! each notification to the GUI VM) and on the GUI VM's (where the daemon shows it itself).
//!
//! The server turns a call into the wire's [`Notification`], cut to the wire's limits so that a
//! well-behaved app never breaks a rule: hints it understands are `urgency`, `transient` and the
//! image (`image-data`, or the older `image_data` and `icon_data`); `app_icon` and image paths
//! are ignored (an icon name could pass for the desktop's own icons, and a path names a file in
//! another VM). It does not offer `body-markup` or `body-hyperlinks`: text is shown as it is.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use canopy_protocols::notify::{
    valid_action_key, Notification, Urgency, MAX_ACTIONS, MAX_ACTION_LABEL, MAX_APP_NAME, MAX_BODY, MAX_SUMMARY,
};
use zbus::object_server::SignalEmitter;
use zbus::zvariant::{OwnedValue, Value};

use crate::image::{self, RawImage};

pub const NAME: &str = "org.freedesktop.Notifications";
pub const PATH: &str = "/org/freedesktop/Notifications";

/// Where the server's calls go (the agent's link to the GUI VM, or the daemon's own loop).
pub trait Sink: Send + Sync + 'static {
    fn notify(&self, n: Notification);
    fn close(&self, id: u32);
}

/// Notification ids of one server: never 0, wrapping around.
#[derive(Debug, Default, Clone)]
pub struct Ids(Arc<AtomicU32>);

impl Ids {
    pub fn next(&self) -> u32 {
        loop {
            let id = self.0.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
            if id != 0 {
                return id;
            }
        }
    }
}

pub struct Server {
    sink: Box<dyn Sink>,
    ids: Ids,
    /// Who answers GetServerInformation, such as `canopy-notify-agent`.
    name: &'static str,
}

impl Server {
    pub fn new(sink: impl Sink, ids: Ids, name: &'static str) -> Self {
        Server { sink: Box::new(sink), ids, name }
    }
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Server {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        hints: HashMap<String, OwnedValue>,
        expire_timeout: i32,
    ) -> u32 {
        let id = if replaces_id != 0 { replaces_id } else { self.ids.next() };
        let n = from_call(id, app_name, summary, body, actions, hints, expire_timeout);
        self.sink.notify(n);
        id
    }

    fn close_notification(&self, id: u32) {
        self.sink.close(id);
    }

    fn get_capabilities(&self) -> Vec<String> {
        ["actions", "body", "icon-static", "persistence"].map(String::from).to_vec()
    }

    #[zbus(out_args("name", "vendor", "version", "spec_version"))]
    fn get_server_information(&self) -> (String, String, String, String) {
        (self.name.into(), "canopy".into(), env!("CARGO_PKG_VERSION").into(), "1.2".into())
    }

    #[zbus(signal)]
    async fn notification_closed(emitter: &SignalEmitter<'_>, id: u32, reason: u32) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn action_invoked(emitter: &SignalEmitter<'_>, id: u32, action_key: &str) -> zbus::Result<()>;
}

/// Owns the name on the session bus (`$DBUS_SESSION_BUS_ADDRESS`) and serves `server` there.
/// Fails when another notification server has the name.
pub fn serve(server: Server) -> zbus::Result<zbus::blocking::Connection> {
    zbus::blocking::connection::Builder::session()?.serve_at(PATH, server)?.name(NAME)?.build()
}

/// Sends the server's signals on its connection.
#[derive(Clone)]
pub struct Signals(pub zbus::blocking::Connection);

impl Signals {
    pub fn closed(&self, id: u32, reason: u32) {
        if let Err(e) = self.0.emit_signal(None::<&str>, PATH, NAME, "NotificationClosed", &(id, reason)) {
            tracing::warn!("cannot emit NotificationClosed: {e}");
        }
    }

    pub fn action(&self, id: u32, key: &str) {
        if let Err(e) = self.0.emit_signal(None::<&str>, PATH, NAME, "ActionInvoked", &(id, key)) {
            tracing::warn!("cannot emit ActionInvoked: {e}");
        }
    }
}

/// An app's call as the wire's notification, within the wire's limits.
fn from_call(
    id: u32,
    app_name: String,
    summary: String,
    body: String,
    actions: Vec<String>,
    mut hints: HashMap<String, OwnedValue>,
    expire_timeout: i32,
) -> Notification {
    let urgency = match hints.get("urgency").map(|v| &**v) {
        Some(Value::U8(b)) => Urgency::from_hint(*b).unwrap_or_default(),
        _ => Urgency::Normal,
    };
    let transient = matches!(hints.get("transient").map(|v| &**v), Some(Value::Bool(true)));
    let image = ["image-data", "image_data", "icon_data"].iter().find_map(|k| hints.remove(*k)).and_then(|v| {
        let (width, height, rowstride, has_alpha, bits_per_sample, channels, data): (
            i32,
            i32,
            i32,
            bool,
            i32,
            i32,
            Vec<u8>,
        ) = v.try_into().ok()?;
        image::from_hint(&RawImage { width, height, rowstride, has_alpha, bits_per_sample, channels, data: &data })
    });
    Notification {
        id,
        app_name: cut(app_name, MAX_APP_NAME),
        summary: cut(summary, MAX_SUMMARY),
        body: cut(body, MAX_BODY),
        actions: tidy_actions(actions),
        urgency,
        expire_timeout: expire_timeout.max(-1),
        transient,
        image,
    }
}

/// `s` cut to at most `max` bytes at a character boundary.
fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// The app's actions that the GUI side will take: whole pairs with valid, unique keys, labels
/// cut to the limit, at most [`MAX_ACTIONS`].
fn tidy_actions(flat: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for pair in flat.chunks_exact(2) {
        let (key, label) = (&pair[0], &pair[1]);
        let dup = out.chunks_exact(2).any(|p| &p[0] == key);
        if valid_action_key(key) && !dup && out.len() / 2 < MAX_ACTIONS {
            out.push(key.clone());
            out.push(cut(label.clone(), MAX_ACTION_LABEL));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(actions: &[&str], hints: HashMap<String, OwnedValue>) -> Notification {
        from_call(1, "app".into(), "s".into(), "b".into(), actions.iter().map(|s| s.to_string()).collect(), hints, -7)
    }

    #[test]
    fn what_well_behaved_apps_send_keeps_the_rules() {
        let n = call(&["default", "Open", "bad key", "X", "default", "Again", "odd"], HashMap::new());
        assert_eq!(n.actions, ["default", "Open"]);
        assert_eq!(n.expire_timeout, -1);
        assert!(crate::rules::check(n).is_ok());
        let mut long = call(&[], HashMap::new());
        long.summary = cut("é".repeat(MAX_SUMMARY), MAX_SUMMARY);
        assert_eq!(long.summary.len(), MAX_SUMMARY);
        assert!(crate::rules::check(long).is_ok());
    }

    #[test]
    fn hints() {
        let mut h = HashMap::new();
        h.insert("urgency".to_string(), OwnedValue::from(2u8));
        h.insert("transient".to_string(), OwnedValue::from(true));
        let data = vec![10u8, 20, 30, 40];
        let img = Value::from((1i32, 1i32, 4i32, true, 8i32, 4i32, data));
        h.insert("image-data".to_string(), img.try_into().unwrap());
        let n = call(&[], h);
        assert_eq!(n.urgency, Urgency::Critical);
        assert!(n.transient);
        assert_eq!(crate::image::check(&n.image.unwrap()).unwrap().data, [10, 20, 30, 40]);
    }

    #[test]
    fn ids_skip_zero() {
        let ids = Ids(Arc::new(AtomicU32::new(u32::MAX - 1)));
        assert_eq!(ids.next(), u32::MAX);
        assert_eq!(ids.next(), 1);
    }
}
