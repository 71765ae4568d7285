//! The lifecycle protocol: the GUI VM's panel, launcher and `canopy-ctl` ask `canopy-hostd` to
//! start apps and VMs and to power the laptop off; hostd asks `canopy-agent` in an app VM to start
//! and stop apps.
//!
//! On the wire (a stream socket: AF_VSOCK, or Unix for tests and single-machine use) every message
//! is one frame: a 4-byte big-endian length, then that many bytes of JSON, at most [`MAX_FRAME`].
//!
//! 1. The client sends [`Hello`]; the server answers [`Welcome`], or a [`Response::Error`] (version
//!    not supported, peer not allowed) and closes.
//! 2. The client sends requests ([`Request`] to hostd, [`AgentRequest`] to an agent); each gets exactly
//!    one [`Response`], in order.
//! 3. Once a `Watch` request is answered, the server sends only events ([`Event`], [`AgentEvent`])
//!    on that connection until it closes.
//!
//! Exceptions: after the reply to an agent's `fetch` or `receive` and to hostd's `send`, raw bytes
//! follow, as [`open`] describes.
//!
//! Sleep: the GUI VM's compositor sends `suspend` only once its lock shows on every output. The
//! host's own suspend (`host_suspend`) is announced to every watcher as [`Event::SuspendDue`];
//! hostd waits, bounded, for the compositor's `locked` with that id before it suspends, and
//! sends [`Event::Resumed`] when the suspend command returns.
//!
//! A frame whose JSON does not parse gets a `bad_request` error and the connection goes on; a frame
//! over the limit gets one and the connection is closed (its body is never read).

mod agent;
mod args;
mod error;
mod framing;
mod hostd;
pub mod open;

pub use agent::{
    AgentApp, AgentEvent, AgentReply, AgentRequest, Bounded, ExitStatus, MAX_AGENT_APPS, MAX_APP_NAME, MAX_INSTANCES,
};
pub use args::{activation_token_ok, AppArg, ArgKind, ArgSpec, MAX_ACTIVATION_TOKEN, MAX_ARG_LEN};
pub use error::Error;
pub use framing::{decode, encode, read_frame, read_frame_bytes, write_frame, FrameDecoder, FrameError};
pub use hostd::{AppInfo, AppKind, AppStatus, Event, Reply, Request, State, VmInfo, VmStatus};

use serde::{Deserialize, Serialize};

/// Name sent in the handshake, so that a peer speaking something else is caught at once.
pub const PROTOCOL: &str = "canopy-lifecycle";
/// The protocol version this build speaks.
pub const VERSION: u32 = 1;
/// Largest frame payload either side accepts, in bytes.
pub const MAX_FRAME: usize = 64 * 1024;

/// A protocol of this shape (a hello, requests each answered once, watch streams): the name and
/// version its handshake carries, so that one client and one server serve each such protocol
/// (this one, and the audio control protocol of [`crate::audio`]). Each protocol's request type
/// names its protocol.
pub trait Protocol {
    const NAME: &'static str;
    const VERSION: u32;
}

impl Protocol for Request {
    const NAME: &'static str = PROTOCOL;
    const VERSION: u32 = VERSION;
}

impl Protocol for AgentRequest {
    const NAME: &'static str = PROTOCOL;
    const VERSION: u32 = VERSION;
}

/// `canopy-open` and `canopy-send` speak to their VM's agent under the lifecycle protocol's name.
impl Protocol for open::OpenerRequest {
    const NAME: &'static str = PROTOCOL;
    const VERSION: u32 = VERSION;
}

/// The client's first frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hello {
    pub protocol: String,
    pub version: u32,
    /// Free text for logs, such as `canopy-ctl`; it decides nothing.
    pub client: String,
}

impl Hello {
    pub fn new(client: &str) -> Self {
        Self::speaking::<Request>(client)
    }

    /// The hello of protocol `P`.
    pub fn speaking<P: Protocol>(client: &str) -> Self {
        Self { protocol: P::NAME.into(), version: P::VERSION, client: client.into() }
    }

    /// Whether a lifecycle server of this build can talk to the client that sent this.
    pub fn check(&self) -> Result<(), Error> {
        self.check_for::<Request>()
    }

    /// Whether a server of protocol `P` of this build can talk to the client that sent this.
    pub fn check_for<P: Protocol>(&self) -> Result<(), Error> {
        if self.protocol != P::NAME {
            return Err(Error::BadRequest { reason: format!("unknown protocol {:?}", self.protocol) });
        }
        if self.version != P::VERSION {
            return Err(Error::UnsupportedVersion { version: self.version, supported: vec![P::VERSION] });
        }
        Ok(())
    }
}

/// The server's answer to a good [`Hello`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Welcome {
    pub protocol: String,
    pub version: u32,
    pub server: String,
}

impl Welcome {
    pub fn new(server: &str) -> Self {
        Self::speaking::<Request>(server)
    }

    /// The welcome of protocol `P`.
    pub fn speaking<P: Protocol>(server: &str) -> Self {
        Self { protocol: P::NAME.into(), version: P::VERSION, server: server.into() }
    }
}

/// The answer to one request: `{"ok": …}` or `{"error": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Response<R> {
    Ok(R),
    Error(Error),
}

impl<R> Response<R> {
    pub fn into_result(self) -> Result<R, Error> {
        match self {
            Response::Ok(r) => Ok(r),
            Response::Error(e) => Err(e),
        }
    }
}

impl<R> From<Result<R, Error>> for Response<R> {
    fn from(r: Result<R, Error>) -> Self {
        match r {
            Ok(r) => Response::Ok(r),
            Err(e) => Response::Error(e),
        }
    }
}

/// What the server sends in place of [`Welcome`]: either the welcome or the reason it refuses.
pub type HandshakeResponse = Response<Welcome>;
/// A reply from `canopy-hostd`.
pub type HostResponse = Response<Reply>;
/// A reply from `canopy-agent`.
pub type AgentResponse = Response<AgentReply>;

#[cfg(test)]
mod tests;
