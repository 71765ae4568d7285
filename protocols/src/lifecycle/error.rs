//! The typed errors a lifecycle request can end with. Clients branch on the kind (the launcher
//! asks for a disk image on `disk_image_missing`, `canopy-ctl` maps each kind to an exit code);
//! the message is for people.

use serde::{Deserialize, Serialize};

use super::ExitStatus;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Error {
    #[error("unknown VM {vm:?}")]
    UnknownVm { vm: String },
    #[error("unknown app {app:?}")]
    UnknownApp { app: String },
    #[error("not allowed: {reason}")]
    NotAllowed { reason: String },
    #[error("VM {vm:?} failed to start: {reason}")]
    VmFailedToStart { vm: String, reason: String },
    #[error("the agent of VM {vm:?} is unreachable: {reason}")]
    AgentUnreachable { vm: String, reason: String },
    /// The app could not be started, or exited right after it was.
    #[error("app {app:?} failed: {reason}")]
    AppFailed {
        app: String,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<ExitStatus>,
    },
    #[error("busy: {reason}")]
    Busy { reason: String },
    #[error("bad request: {reason}")]
    BadRequest { reason: String },
    /// The VM needs a disk image whose path is not known (or no longer exists). The launcher asks
    /// the user once and sends `set_disk_image`.
    #[error("VM {vm:?} needs a disk image: {reason}")]
    DiskImageMissing { vm: String, reason: String },
    /// A backend or power command failed.
    #[error("{action} failed: {reason}")]
    ActionFailed { action: String, reason: String },
    #[error("protocol version {version} is not supported (supported: {supported:?})")]
    UnsupportedVersion { version: u32, supported: Vec<u32> },
}

impl Error {
    /// The kind as written on the wire, such as `unknown_vm`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::UnknownVm { .. } => "unknown_vm",
            Error::UnknownApp { .. } => "unknown_app",
            Error::NotAllowed { .. } => "not_allowed",
            Error::VmFailedToStart { .. } => "vm_failed_to_start",
            Error::AgentUnreachable { .. } => "agent_unreachable",
            Error::AppFailed { .. } => "app_failed",
            Error::Busy { .. } => "busy",
            Error::BadRequest { .. } => "bad_request",
            Error::DiskImageMissing { .. } => "disk_image_missing",
            Error::ActionFailed { .. } => "action_failed",
            Error::UnsupportedVersion { .. } => "unsupported_version",
        }
    }

    pub fn bad_request(reason: impl Into<String>) -> Self {
        Error::BadRequest { reason: reason.into() }
    }

    pub fn not_allowed(reason: impl Into<String>) -> Self {
        Error::NotAllowed { reason: reason.into() }
    }
}
