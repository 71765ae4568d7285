//! Carrying a file's bytes from one VM to another through hostd: the target's agent is made
//! ready first, then the bytes are pulled from the source (the asking VM's agent, or the GUI
//! VM's connection) and pushed to the target, exactly the size announced, each chunk within a
//! stall limit and the whole within the configured transfer time. When the source stops short,
//! the target's connection is closed, so it removes the partial file.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use canopy_protocols::lifecycle::open::OpenError;
use canopy_protocols::lifecycle::{read_frame, AgentReply, AgentRequest, AgentResponse, Bounded};

use super::super::{untrusted, Daemon};
use crate::client::ClientError;
use canopy_common::transport::Stream;

const CHUNK: usize = 256 * 1024;
/// Longest wait for one chunk to be read or written.
const STALL: Duration = Duration::from_secs(30);
/// How long the target may take to report the file kept, after the last byte.
const FINISH: Duration = Duration::from_secs(30);

/// Which side of a copy failed.
pub enum CopyError {
    Source(String),
    Target(String),
}

/// Copy exactly `size` bytes from `src` to `dst` by `deadline`.
pub fn copy(src: &Stream, dst: &Stream, size: u64, deadline: Instant) -> Result<(), CopyError> {
    let mut buf = vec![0u8; CHUNK];
    let mut done = 0u64;
    let step = || deadline.min(Instant::now() + STALL);
    while done < size {
        let want = (size - done).min(CHUNK as u64) as usize;
        let n = match src.until(step()).read(&mut buf[..want]) {
            Ok(0) => return Err(CopyError::Source(format!("it stopped sending after {done} of {size} bytes"))),
            Ok(n) => n,
            Err(e) => return Err(CopyError::Source(format!("after {done} of {size} bytes: {e}"))),
        };
        dst.until(step()).write_all(&buf[..n]).map_err(|e| CopyError::Target(format!("after {done} bytes: {e}")))?;
        done += n as u64;
    }
    Ok(())
}

/// A connection to `vm`'s agent, made ready to take a file from `from`; the stream and the
/// registration that lets a stop of the VM cut it.
pub type Receiving<'a> = (Stream, super::super::waits::Held<'a>);

impl Daemon {
    /// Ask `target`'s agent to take a file; Ok once it is ready for the bytes.
    pub(super) fn receiving(
        &self,
        target: &str,
        from: &str,
        name: &str,
        size: u64,
        deadline: Instant,
    ) -> Result<Receiving<'_>, OpenError> {
        let failed = |reason: String| OpenError::TargetFailed { vm: target.into(), reason };
        let addr = self.config.vms[target].agent.as_ref().ok_or_else(|| failed("it has no agent".into()))?;
        let (mut c, held) = self.open_agent(target, addr, deadline).map_err(|e| failed(untrusted(e)))?;
        match c.request(&AgentRequest::Receive { from: from.into(), name: name.into(), size }) {
            Ok(AgentReply::Ready) => Ok((c.into_stream(), held)),
            Ok(other) => Err(failed(untrusted(format!("unexpected reply: {other:?}")))),
            Err(ClientError::Refused(e)) => Err(failed(untrusted(e))),
            Err(e) => Err(failed(untrusted(e))),
        }
    }

    /// After the bytes: the target's word that it kept the file (its name and path there).
    pub(super) fn received(
        &self,
        target: &str,
        stream: &Stream,
        deadline: Instant,
    ) -> Result<(String, String), OpenError> {
        let failed = |reason: String| OpenError::TargetFailed { vm: target.into(), reason };
        let reply: AgentResponse = read_frame(&mut stream.until(deadline.min(Instant::now() + FINISH)))
            .map_err(|e| failed(format!("no word that the file was kept: {}", untrusted(e))))?;
        match reply {
            AgentResponse::Ok(r) if r.excess().is_some() => Err(failed(untrusted(r.excess().unwrap_or_default()))),
            AgentResponse::Ok(AgentReply::Received { name, path }) => Ok((untrusted(name), path)),
            AgentResponse::Ok(other) => Err(failed(untrusted(format!("unexpected reply: {other:?}")))),
            AgentResponse::Error(e) => Err(failed(untrusted(e))),
        }
    }

    /// Carry file `file` of VM `from`'s request `ask` (`name`, `size` bytes) to `target`.
    pub(super) fn carry(
        &self,
        from: &str,
        ask: u64,
        file: u32,
        name: &str,
        size: u64,
        target: &str,
    ) -> Result<(String, String), OpenError> {
        let deadline = Instant::now() + Duration::from_secs_f64(self.config.open.transfer_timeout_secs);
        let (to, _to_held) = self.receiving(target, from, name, size, deadline)?;
        let lost = |reason: String| OpenError::TransferFailed { reason: format!("VM {from}: {reason}") };
        let addr = self.config.vms[from].agent.as_ref().ok_or_else(|| lost("it has no agent".into()))?;
        let source = self.open_agent(from, addr, deadline).map_err(|e| lost(untrusted(e))).and_then(|(mut c, held)| {
            match c.request(&AgentRequest::Fetch { ask, file }) {
                Ok(AgentReply::Sending { size: s }) if s == size => Ok((c.into_stream(), held)),
                Ok(AgentReply::Sending { size: s }) => {
                    Err(lost(format!("it offers {s} bytes of a file it said had {size}")))
                }
                Ok(other) => Err(lost(untrusted(format!("unexpected reply: {other:?}")))),
                Err(e) => Err(lost(untrusted(e))),
            }
        });
        let (src, _src_held) = match source {
            Ok(s) => s,
            Err(e) => {
                to.shutdown();
                return Err(e);
            }
        };
        match copy(&src, &to, size, deadline) {
            Ok(()) => self.received(target, &to, deadline),
            Err(CopyError::Source(why)) => {
                // Closing the target's connection makes it remove the partial file.
                to.shutdown();
                Err(lost(untrusted(why)))
            }
            Err(CopyError::Target(why)) => {
                src.shutdown();
                Err(self
                    .received(target, &to, deadline)
                    .err()
                    .unwrap_or(OpenError::TargetFailed { vm: target.into(), reason: why }))
            }
        }
    }
}
