//! Desktop notifications from an app VM to the GUI VM: `canopy-notify-agent` (the
//! `org.freedesktop.Notifications` server on the VM's session bus) sends each one to the GUI VM's
//! `canopy-notifyd`, which learns the VM from the connection it came over (the vsock CID, or a
//! port reserved for that VM), never from anything in these messages.
//!
//! On the wire (a stream socket) every message is one frame of [`crate::framing`], at most
//! [`MAX_FRAME`] bytes of JSON.
//!
//! 1. The VM sends [`FromVm::Hello`]; the GUI side answers [`ToVm::Welcome`] or closes.
//! 2. The VM sends [`FromVm::Notify`] and [`FromVm::Close`] as apps call the D-Bus methods; the
//!    GUI side sends [`ToVm::ActionInvoked`] and [`ToVm::Closed`] as the user acts. Nothing is
//!    answered: ids are the VM's own (its D-Bus server hands them out), and the GUI side keys
//!    everything by (VM, id), so one VM's ids never reach another's notifications.
//!
//! The limits below are what a message may carry on the wire; the agent cuts legitimate text to
//! them, so a field over a limit is a broken rule. What is shown is cut further by the daemon.

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::framing::FrameError;

/// Name sent in the hello, so that a peer speaking something else is caught at once.
pub const PROTOCOL: &str = "canopy-notify";
/// The protocol version this build speaks.
pub const VERSION: u32 = 1;
/// Largest frame payload, in bytes: room for one 255x255 RGBA image in base64 and the text.
pub const MAX_FRAME: usize = 512 * 1024;

/// Bytes of the application's name.
pub const MAX_APP_NAME: usize = 256;
/// Bytes of the summary.
pub const MAX_SUMMARY: usize = 1024;
/// Bytes of the body.
pub const MAX_BODY: usize = 16 * 1024;
/// Actions (key and label pairs).
pub const MAX_ACTIONS: usize = 8;
/// Bytes of an action's key.
pub const MAX_ACTION_KEY: usize = 64;
/// Bytes of an action's label.
pub const MAX_ACTION_LABEL: usize = 256;
/// Largest width and height of an image, in pixels (as Qubes' notification proxy allows).
pub const MAX_IMAGE_SIDE: u32 = 255;

/// Whether `key` may name an action: an ASCII letter, then letters, digits, `-`, `.` or `_`, at
/// most [`MAX_ACTION_KEY`] bytes. Keys go back to the VM and into logs; labels are what is shown.
pub fn valid_action_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    key.len() <= MAX_ACTION_KEY
        && bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

/// What an app VM sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromVm {
    Hello {
        protocol: String,
        version: u32,
    },
    Notify(Notification),
    /// An app called CloseNotification.
    Close {
        id: u32,
    },
}

impl FromVm {
    pub fn hello() -> Self {
        FromVm::Hello { protocol: PROTOCOL.into(), version: VERSION }
    }
}

/// One notification as an app gave it to the VM's D-Bus server. Every field is the VM's word.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notification {
    /// The VM's id: a new one, or the one the app asked to replace.
    pub id: u32,
    #[serde(default)]
    pub app_name: String,
    pub summary: String,
    #[serde(default)]
    pub body: String,
    /// Action keys and labels, alternating, as in D-Bus.
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub urgency: Urgency,
    /// Milliseconds; -1: the server's default; 0: never.
    #[serde(default = "default_timeout")]
    pub expire_timeout: i32,
    /// The `transient` hint: not kept once its popup is gone.
    #[serde(default)]
    pub transient: bool,
    #[serde(default)]
    pub image: Option<Image>,
}

fn default_timeout() -> i32 {
    -1
}

impl Notification {
    /// A notification with a summary and nothing else.
    pub fn new(id: u32, summary: &str) -> Self {
        Notification {
            id,
            app_name: String::new(),
            summary: summary.into(),
            body: String::new(),
            actions: Vec::new(),
            urgency: Urgency::Normal,
            expire_timeout: -1,
            transient: false,
            image: None,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Low,
    #[default]
    Normal,
    Critical,
}

impl Urgency {
    /// The `urgency` hint's byte.
    pub fn from_hint(b: u8) -> Option<Urgency> {
        match b {
            0 => Some(Urgency::Low),
            1 => Some(Urgency::Normal),
            2 => Some(Urgency::Critical),
            _ => None,
        }
    }
}

/// A picture for the notification, as the agent converted it: straight-alpha RGBA rows without
/// padding, in standard base64.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub rgba: String,
}

/// What the GUI VM sends back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ToVm {
    Welcome {
        version: u32,
    },
    /// The user chose this action of this notification.
    ActionInvoked {
        id: u32,
        key: String,
    },
    /// The notification is gone.
    Closed {
        id: u32,
        reason: CloseReason,
    },
}

/// Why a notification closed, as the D-Bus NotificationClosed signal numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    Expired,
    Dismissed,
    /// Closed by a CloseNotification call.
    Closed,
    Undefined,
}

impl CloseReason {
    pub fn code(self) -> u32 {
        match self {
            CloseReason::Expired => 1,
            CloseReason::Dismissed => 2,
            CloseReason::Closed => 3,
            CloseReason::Undefined => 4,
        }
    }
}

/// One message as a frame of this protocol.
pub fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, FrameError> {
    crate::framing::encode(msg, MAX_FRAME)
}

pub fn write_frame<W: Write + ?Sized, T: Serialize>(w: &mut W, msg: &T) -> Result<(), FrameError> {
    crate::framing::write_frame(w, msg, MAX_FRAME)
}

pub fn read_frame_bytes<R: Read + ?Sized>(r: &mut R) -> Result<Vec<u8>, FrameError> {
    crate::framing::read_frame_bytes(r, MAX_FRAME)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> Result<FromVm, serde_json::Error> {
        serde_json::from_value(v)
    }

    #[test]
    fn messages_on_the_wire() {
        let mut n = Notification::new(7, "hi");
        n.actions = vec!["default".into(), "Open".into()];
        n.urgency = Urgency::Critical;
        let wire = serde_json::to_value(FromVm::Notify(n.clone())).unwrap();
        assert_eq!(wire["type"], "notify");
        assert_eq!(wire["urgency"], "critical");
        assert_eq!(parse(wire).unwrap(), FromVm::Notify(n));
        assert_eq!(parse(json!({"type": "close", "id": 3})).unwrap(), FromVm::Close { id: 3 });
        let minimal = parse(json!({"type": "notify", "id": 1, "summary": "s"})).unwrap();
        assert_eq!(minimal, FromVm::Notify(Notification::new(1, "s")));
        let back = serde_json::to_value(ToVm::Closed { id: 2, reason: CloseReason::Dismissed }).unwrap();
        assert_eq!(back, json!({"type": "closed", "id": 2, "reason": "dismissed"}));
    }

    #[test]
    fn unknown_fields_types_and_values_are_refused() {
        for bad in [
            json!({"type": "notify", "id": 1, "summary": "s", "vm": "trusted-vm"}),
            json!({"type": "notify", "id": 1, "summary": "s", "urgency": "panic"}),
            json!({"type": "notify", "id": -1, "summary": "s"}),
            json!({"type": "action_invoked", "id": 1, "key": "k"}),
            json!({"type": "close"}),
            json!({"type": "notify", "id": 1, "summary": "s", "image": {"width": 1, "height": 1}}),
        ] {
            assert!(parse(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn action_keys() {
        for good in ["default", "reply", "open-url", "a.b_c-9", &"k".repeat(MAX_ACTION_KEY)] {
            assert!(valid_action_key(good), "{good}");
        }
        for bad in ["", "9lives", "-x", "has space", "ключ", "a\n", "a/b", &"k".repeat(MAX_ACTION_KEY + 1)] {
            assert!(!valid_action_key(bad), "{bad}");
        }
    }

    #[test]
    fn frames_have_this_protocols_limit() {
        let big = FromVm::Notify(Notification::new(1, &"x".repeat(MAX_FRAME)));
        assert!(matches!(encode(&big), Err(FrameError::TooLong { max: MAX_FRAME, .. })));
        let f = encode(&FromVm::hello()).unwrap();
        let bytes = read_frame_bytes(&mut std::io::Cursor::new(f)).unwrap();
        assert_eq!(serde_json::from_slice::<FromVm>(&bytes).unwrap(), FromVm::hello());
    }
}
