//! Opening links and files across VMs, and sending files to a VM (issue 20).
//!
//! 1. `canopy-open URL|FILE` or `canopy-send FILE…` in an app VM asks that VM's `canopy-agent`
//!    over a local socket ([`OpenerRequest`], answered with one [`Outcome`]).
//! 2. The agent passes it to `canopy-hostd` as an [`AgentEvent::Ask`](super::AgentEvent::Ask) on
//!    the watch connection hostd holds to it: hostd dialled that VM's configured address, so the
//!    asking VM is what the transport says, never a field.
//! 3. hostd's policy decides: deny, go to a named VM, or ask the user. To ask, hostd sends an
//!    [`Event::Choose`](super::Event::Choose) with a [`Choice`] to its watchers in the GUI VM; the
//!    panel starts `canopy-chooser`, which draws it and answers with a
//!    [`Request::Choose`](super::Request::Choose). No answer in time denies.
//! 4. A link starts the target VM's app for its scheme (`start_app`, which boots a stopped VM).
//!    A file is pulled from the asking agent ([`AgentRequest::Fetch`](super::AgentRequest::Fetch):
//!    a `sending` reply, then exactly that many raw bytes) and pushed to the target's agent
//!    ([`AgentRequest::Receive`](super::AgentRequest::Receive): a `ready` reply, the raw bytes,
//!    then a `received` reply), which writes it to `~/Incoming/<source-vm>/`; an open then starts
//!    the target's app for its type with that path.
//! 5. hostd answers the asking agent ([`AgentRequest::Answer`](super::AgentRequest::Answer)),
//!    writes one audit line, and puts a [`Notice`] on screen for failures and sent files.
//!
//! The GUI VM's own files go with [`Request::Send`](super::Request::Send) (`canopy-ctl send`):
//! a `ready` reply, the raw bytes, then a `sent` reply.

mod names;
mod url;

use serde::{Deserialize, Serialize};

pub use names::{numbered, safe_file_name, MAX_NAME_BYTES};
pub use url::is_scheme;
pub use url::{parse_url, UrlParts, MAX_URL};

use super::State;

/// Most files one request may carry.
pub const MAX_FILES: usize = 16;

/// Whether the target opens what it gets, or only keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Open,
    Send,
}

/// What a request is about: `{"url": "https://…"}` or `{"files": [{"name": …, "size": …}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Url(String),
    Files(Vec<FileMeta>),
}

/// A file as its VM describes it: its name there and its size in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileMeta {
    pub name: String,
    pub size: u64,
}

/// What `canopy-open` and `canopy-send` ask their VM's agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OpenerRequest {
    /// Open a link in another VM.
    OpenUrl { url: String },
    /// Open a file of this VM (an absolute path) in another VM.
    OpenFile { path: String },
    /// Copy files of this VM (absolute paths) to another VM, without opening them.
    Send { paths: Vec<String> },
}

/// How a request ended: `{"done": …}` or `{"failed": {"kind": …}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    Done(Delivered),
    Failed(OpenError),
}

/// Where a request went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivered {
    pub vm: String,
    /// Whether an app there opened it.
    pub opened: bool,
    /// The names the files landed under in `~/Incoming/<source-vm>/` there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
}

/// Why a request did not go through. The kinds are for programs (`canopy-open` exits with a
/// code per kind); the words are for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OpenError {
    /// The policy says no, or nobody chose in time.
    #[error("denied: {reason}")]
    Denied { reason: String },
    /// The user chose Cancel.
    #[error("cancelled by the user")]
    Cancelled,
    #[error("too large: {size} bytes, the most is {limit}")]
    TooLarge { size: u64, limit: u64 },
    /// No VM may take it (the policy names none that can), or the named one does not exist.
    #[error("no such target: {reason}")]
    NoSuchTarget { reason: String },
    #[error("VM {vm:?} failed: {reason}")]
    TargetFailed { vm: String, reason: String },
    /// The file could not be carried whole (the asking VM stopped sending, or changed it).
    #[error("transfer failed: {reason}")]
    TransferFailed { reason: String },
    /// Too many requests at once or too fast.
    #[error("busy: {reason}")]
    Busy { reason: String },
    #[error("bad request: {reason}")]
    BadRequest { reason: String },
    /// The agent, or hostd behind it, cannot be reached.
    #[error("unreachable: {reason}")]
    Unreachable { reason: String },
}

impl OpenError {
    /// The kind as written on the wire, such as `too_large`.
    pub fn kind(&self) -> &'static str {
        match self {
            OpenError::Denied { .. } => "denied",
            OpenError::Cancelled => "cancelled",
            OpenError::TooLarge { .. } => "too_large",
            OpenError::NoSuchTarget { .. } => "no_such_target",
            OpenError::TargetFailed { .. } => "target_failed",
            OpenError::TransferFailed { .. } => "transfer_failed",
            OpenError::Busy { .. } => "busy",
            OpenError::BadRequest { .. } => "bad_request",
            OpenError::Unreachable { .. } => "unreachable",
        }
    }

    pub fn bad_request(reason: impl Into<String>) -> Self {
        OpenError::BadRequest { reason: reason.into() }
    }

    pub fn busy(reason: impl Into<String>) -> Self {
        OpenError::Busy { reason: reason.into() }
    }
}

impl From<Result<Delivered, OpenError>> for Outcome {
    fn from(r: Result<Delivered, OpenError>) -> Self {
        match r {
            Ok(d) => Outcome::Done(d),
            Err(e) => Outcome::Failed(e),
        }
    }
}

// The agent's answer to a program of its own VM, which takes it as it comes.
impl super::Bounded for Outcome {
    fn excess(&self) -> Option<String> {
        None
    }
}

impl Outcome {
    pub fn into_result(self) -> Result<Delivered, OpenError> {
        match self {
            Outcome::Done(d) => Ok(d),
            Outcome::Failed(e) => Err(e),
        }
    }
}

/// A request waiting for the user's choice, as the chooser shows it. Everything in it comes
/// from hostd: the names and the URL are checked and sanitised there (the chooser sanitises
/// what it draws once more).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// What the answer names.
    pub id: u64,
    /// The VM that asks, and its trust level (its colour).
    pub from: String,
    pub from_trust: String,
    pub intent: Intent,
    pub what: Shown,
    /// The VMs it may go to, the one to prefer first.
    pub targets: Vec<ChoiceTarget>,
    /// No answer in this long denies it.
    pub timeout_ms: u64,
}

/// What a [`Choice`] is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shown {
    Url { url: String, parts: UrlParts },
    Files(Vec<ShownFile>),
}

/// A file as the chooser shows it: the name it will land under, its size and type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShownFile {
    pub name: String,
    pub size: u64,
    pub mime: String,
}

/// A VM a [`Choice`] offers: its trust level and state, and the app that would open it there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceTarget {
    pub vm: String,
    pub trust: String,
    pub state: State,
    /// The app's display name and icon; none for a file that is only sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
}

/// A line for the screen about how a request from a VM ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    pub from: String,
    pub from_trust: String,
    pub ok: bool,
    pub title: String,
    pub detail: String,
}
