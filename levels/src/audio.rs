//! The GUI VM's side of the audio control protocol: one connection to `canopy-audiod`, with a
//! call for each request and the reply it must have. Every reply is checked against the
//! protocol's limits before it is returned (the daemon is in another VM): too much in it is
//! refused, and numbers out of range are clamped with a log line.

use std::time::Duration;

use canopy_common::transport::Address;
use canopy_lifecycle::client::{ClientError, Connection, Watcher};
use canopy_protocols::audio::{AudioState, Clamp, Event, Level, Mute, Reply, Request, Target};

/// How long connecting, and then each request with its reply, may take.
pub const TIMEOUT: Duration = Duration::from_secs(3);

/// A connection to `canopy-audiod`.
#[derive(Debug)]
pub struct AudioClient {
    conn: Connection<Request, Reply>,
}

impl AudioClient {
    /// Connect and do the handshake; `client` names the caller in the daemon's log.
    pub fn connect(addr: &Address, client: &str) -> Result<Self, ClientError> {
        Ok(AudioClient { conn: Connection::connect(addr, client, Some(TIMEOUT))? })
    }

    pub fn state(&mut self) -> Result<AudioState, ClientError> {
        match self.request(&Request::State)? {
            Reply::State { state } => Ok(state),
            other => Err(self.unexpected(other)),
        }
    }

    /// Move a volume by whole steps (the keys); the level once the sound server shows it.
    pub fn step_volume(&mut self, target: Target, steps: i32) -> Result<Level, ClientError> {
        self.level(Request::StepVolume { target, steps })
    }

    pub fn set_volume(&mut self, target: Target, volume: f32) -> Result<Level, ClientError> {
        self.level(Request::SetVolume { target, volume })
    }

    pub fn set_mute(&mut self, target: Target, mute: Mute) -> Result<Level, ClientError> {
        self.level(Request::SetMute { target, mute })
    }

    pub fn set_default(&mut self, device: u32) -> Result<(), ClientError> {
        match self.request(&Request::SetDefault { device })? {
            Reply::Done => Ok(()),
            other => Err(self.unexpected(other)),
        }
    }

    /// The state now and a stream of every change after it.
    pub fn watch(mut self) -> Result<(AudioState, AudioWatcher), ClientError> {
        match self.request(&Request::Watch)? {
            Reply::Watching { state } => Ok((state, AudioWatcher(self.conn.into_watcher()))),
            other => Err(self.unexpected(other)),
        }
    }

    fn request(&mut self, req: &Request) -> Result<Reply, ClientError> {
        let mut reply = self.conn.request(req)?;
        clamped(&mut reply);
        Ok(reply)
    }

    fn level(&mut self, req: Request) -> Result<Level, ClientError> {
        match self.request(&req)? {
            Reply::Level { level } => Ok(level),
            other => Err(self.unexpected(other)),
        }
    }

    fn unexpected(&self, what: Reply) -> ClientError {
        ClientError::Unexpected { addr: self.conn.address().clone(), what: format!("{what:?}") }
    }
}

/// The events of a watch, their numbers clamped as replies' are.
#[derive(Debug)]
pub struct AudioWatcher(Watcher<Event>);

impl AudioWatcher {
    /// The next change; blocks.
    pub fn next_event(&mut self) -> Result<Event, ClientError> {
        let mut ev = self.0.next_event()?;
        clamped(&mut ev);
        Ok(ev)
    }
}

/// Brings what the audio VM said into range, saying so in the log.
fn clamped(msg: &mut impl Clamp) {
    for note in msg.clamp_levels() {
        tracing::warn!("the audio VM sent {note}");
    }
}
