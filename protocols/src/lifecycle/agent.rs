//! Messages between `canopy-hostd` and `canopy-agent` in an app VM.

use serde::{Deserialize, Serialize};

use super::open::{Intent, Outcome, Subject, MAX_FILES};
use super::{AppArg, MAX_ARG_LEN};

/// Most app instances an agent may report running, and hostd keeps, per VM.
pub const MAX_INSTANCES: usize = 256;
/// Most apps an agent may name in its config (a [`AgentReply::Pong`]).
pub const MAX_AGENT_APPS: usize = 256;
/// Longest app name an agent may use, in bytes.
pub const MAX_APP_NAME: usize = 256;

/// Messages whose lists and strings have limits beyond the frame's: the receiver checks them on
/// arrival, and `canopy-hostd` drops an agent whose message breaks one.
pub trait Bounded {
    /// What is over a limit, if anything.
    fn excess(&self) -> Option<String>;
}

fn names_excess<'a>(what: &str, names: impl IntoIterator<Item = &'a str>, max: usize) -> Option<String> {
    let mut n = 0;
    for name in names {
        n += 1;
        if name.len() > MAX_APP_NAME {
            return Some(format!("an app name of {} bytes (at most {MAX_APP_NAME})", name.len()));
        }
    }
    (n > max).then(|| format!("{n} {what}, more than the limit of {max}"))
}

impl Bounded for AgentReply {
    fn excess(&self) -> Option<String> {
        match self {
            AgentReply::Pong { apps } => names_excess("apps", apps.iter().map(String::as_str), MAX_AGENT_APPS),
            AgentReply::Running { apps } | AgentReply::Watching { apps } => {
                names_excess("running apps", apps.iter().map(|a| a.app.as_str()), MAX_INSTANCES)
            }
            AgentReply::Received { name, path } if name.len() > MAX_ARG_LEN || path.len() > MAX_ARG_LEN => {
                Some(format!("a received file's name or path of more than {MAX_ARG_LEN} bytes"))
            }
            AgentReply::Started { .. }
            | AgentReply::Done
            | AgentReply::Sending { .. }
            | AgentReply::Ready
            | AgentReply::Received { .. } => None,
        }
    }
}

impl Bounded for AgentEvent {
    fn excess(&self) -> Option<String> {
        match self {
            AgentEvent::Exited { app, .. } => names_excess("apps", [app.as_str()], 1),
            AgentEvent::Ask { subject: Subject::Files(files), .. } if files.len() > MAX_FILES => {
                Some(format!("a request with {} files, more than the limit of {MAX_FILES}", files.len()))
            }
            AgentEvent::Ask { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AgentRequest {
    /// Readiness check; the agent answers with the apps it is configured to run.
    Ping,
    /// Start the agent's configured app `app` with these arguments; with `activation_token`,
    /// in `XDG_ACTIVATION_TOKEN` (and `DESKTOP_STARTUP_ID`) of its environment.
    Start {
        app: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        args: Vec<AppArg>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        activation_token: Option<String>,
    },
    /// Stop a running instance (its whole process group).
    Stop {
        instance: u64,
    },
    List,
    /// Turns the connection into a stream of [`AgentEvent`]s after a [`AgentReply::Watching`].
    Watch,
    /// How the agent's request `ask` ended (from hostd, for the program that asked).
    Answer {
        ask: u64,
        outcome: Outcome,
    },
    /// Send file `file` of request `ask`: the reply is [`AgentReply::Sending`], then exactly that
    /// many raw bytes follow on the connection.
    Fetch {
        ask: u64,
        file: u32,
    },
    /// Take a file from VM `from`: the reply is [`AgentReply::Ready`], then hostd sends exactly
    /// `size` raw bytes, and the agent answers [`AgentReply::Received`] once it is kept in
    /// `~/Incoming/<from>/` under `name` (made safe, and numbered when taken).
    Receive {
        from: String,
        name: String,
        size: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AgentReply {
    Pong {
        apps: Vec<String>,
    },
    /// The app runs. `exited` is set when it ended within its start-up grace period (a status
    /// other than success means it failed to start).
    Started {
        instance: u64,
        pid: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exited: Option<ExitStatus>,
    },
    Running {
        apps: Vec<AgentApp>,
    },
    Watching {
        apps: Vec<AgentApp>,
    },
    Done,
    /// `size` raw bytes follow.
    Sending {
        size: u64,
    },
    /// Send the bytes.
    Ready,
    /// The file is kept: its name, and its path in the agent's VM.
    Received {
        name: String,
        path: String,
    },
}

/// A running app instance in an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentApp {
    pub instance: u64,
    pub app: String,
    pub pid: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AgentEvent {
    /// An app instance ended. `requested` is true when it ended because it was asked to stop.
    Exited { instance: u64, app: String, status: ExitStatus, requested: bool },
    /// A program in the VM asks to open or send something in another VM (see
    /// [`super::open`]); `id` names it in hostd's answer and fetches.
    Ask { id: u64, intent: Intent, subject: Subject },
}

/// How a process ended: `{"code": 3}` or `{"signal": 9}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitStatus {
    Code(i32),
    Signal(i32),
}

impl ExitStatus {
    pub fn success(&self) -> bool {
        matches!(self, ExitStatus::Code(0))
    }
}

impl From<std::process::ExitStatus> for ExitStatus {
    fn from(s: std::process::ExitStatus) -> Self {
        use std::os::unix::process::ExitStatusExt;
        match (s.code(), s.signal()) {
            (Some(code), _) => ExitStatus::Code(code),
            (None, Some(sig)) => ExitStatus::Signal(sig),
            // Neither happens for a waited-for child; keep a value that cannot look like success.
            (None, None) => ExitStatus::Code(-1),
        }
    }
}

impl std::fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExitStatus::Code(c) => write!(f, "exited with status {c}"),
            ExitStatus::Signal(s) => write!(f, "killed by signal {s}"),
        }
    }
}
