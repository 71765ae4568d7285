//! The agent's side of opening and sending across VMs: what `canopy-open` and `canopy-send` ask
//! on the agent's local socket goes to hostd as an `ask` event and waits for hostd's answer;
//! the files a request carries are held open from the moment it is made, and their bytes go to
//! hostd when it fetches them. The VM's programs are limited here (a burst, then a steady rate,
//! a few at once); hostd limits the VM again.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use canopy_protocols::lifecycle::open::{
    parse_url, FileMeta, Intent, OpenError, OpenerRequest, Outcome, Subject, MAX_FILES,
};
use canopy_protocols::lifecycle::{AgentEvent, AgentReply, AgentResponse, Error};

use super::apps::Apps;
use crate::rate::{Limiter, Rate};
use crate::server::reply;
use canopy_common::transport::Stream;

/// What this VM's programs may ask: 8 at once after a quiet spell, then one a second, at most
/// 4 waiting for an answer. (hostd allows each VM more, so this agent never meets its limit.)
pub const RATE: Rate = Rate { burst: 8, per_sec: 1.0, in_flight: 4 };
/// Longest wait for hostd's answer: the user's choice, a VM's start and a transfer fit in it.
const ANSWER_TIME: Duration = Duration::from_secs(30 * 60);
/// Bytes sent to hostd per write.
const CHUNK: usize = 256 * 1024;
/// How long hostd may take to read each chunk.
const STALL: Duration = Duration::from_secs(30);

pub struct Opener {
    table: Mutex<Table>,
    limiter: Mutex<Limiter>,
}

#[derive(Default)]
struct Table {
    next: u64,
    asks: BTreeMap<u64, Pending>,
}

/// A request waiting for hostd: its files (open, with the size they had when asked) and where
/// the answer goes.
struct Pending {
    files: Vec<(File, u64)>,
    answer: SyncSender<Outcome>,
}

impl Default for Opener {
    fn default() -> Self {
        Opener { table: Mutex::default(), limiter: Mutex::new(Limiter::new(RATE)) }
    }
}

impl Opener {
    fn table(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn limiter(&self) -> MutexGuard<'_, Limiter> {
        self.limiter.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ask hostd on behalf of a program of this VM, and wait for the answer.
    pub fn ask(&self, apps: &Apps, req: &OpenerRequest) -> Outcome {
        if let Err(why) = self.limiter().admit() {
            return Outcome::Failed(OpenError::busy(why));
        }
        let outcome = self.ask_admitted(apps, req).unwrap_or_else(Outcome::Failed);
        self.limiter().done();
        outcome
    }

    fn ask_admitted(&self, apps: &Apps, req: &OpenerRequest) -> Result<Outcome, OpenError> {
        let (intent, subject, files) = match req {
            OpenerRequest::OpenUrl { url } => {
                let parts = parse_url(url).map_err(OpenError::bad_request)?;
                if parts.scheme == "file" {
                    return Err(OpenError::bad_request("a file: URL names a file of this VM: open the file itself"));
                }
                (Intent::Open, Subject::Url(url.clone()), Vec::new())
            }
            OpenerRequest::OpenFile { path } => {
                let (meta, file) = open_file(path)?;
                (Intent::Open, Subject::Files(vec![meta]), vec![file])
            }
            OpenerRequest::Send { paths } => {
                if paths.is_empty() || paths.len() > MAX_FILES {
                    return Err(OpenError::bad_request(format!("send 1 to {MAX_FILES} files at a time")));
                }
                let (metas, files) = paths.iter().map(|p| open_file(p)).collect::<Result<(Vec<_>, Vec<_>), _>>()?;
                (Intent::Send, Subject::Files(metas), files)
            }
        };
        let (tx, rx) = mpsc::sync_channel(1);
        let id = {
            let mut t = self.table();
            t.next += 1;
            let id = t.next;
            t.asks.insert(id, Pending { files, answer: tx });
            id
        };
        let _forget = Forget(self, id);
        tracing::info!("request {id}: {intent:?} {subject:?}");
        if apps.publish(&AgentEvent::Ask { id, intent, subject }) == 0 {
            return Err(OpenError::Unreachable { reason: "hostd is not connected to this VM's agent".into() });
        }
        rx.recv_timeout(ANSWER_TIME).map_err(|_| OpenError::Unreachable {
            reason: format!("no answer from hostd within {} minutes", ANSWER_TIME.as_secs() / 60),
        })
    }

    /// hostd's answer to request `ask`.
    pub fn answer(&self, ask: u64, outcome: Outcome) -> Result<AgentReply, Error> {
        let t = self.table();
        let p = t.asks.get(&ask).ok_or_else(|| Error::bad_request(format!("no request {ask} is waiting")))?;
        tracing::info!("request {ask}: {outcome:?}");
        let _ = p.answer.try_send(outcome);
        Ok(AgentReply::Done)
    }

    /// hostd fetches file `file` of request `ask`: the reply, then exactly the size the file had
    /// when asked. A file that shrank since ends the connection early (hostd calls it a failed
    /// transfer); one that grew is sent as it was asked for.
    pub fn fetch(&self, stream: &Stream, ask: u64, file: u32) {
        let found = {
            let t = self.table();
            t.asks.get(&ask).and_then(|p| p.files.get(file as usize)).map(|(f, size)| (f.try_clone(), *size))
        };
        let (f, size) = match found {
            Some((Ok(f), size)) => (f, size),
            Some((Err(e), _)) => {
                reply(stream, &AgentResponse::Error(Error::bad_request(format!("cannot read the file: {e}"))));
                return;
            }
            None => {
                let e = Error::bad_request(format!("request {ask} has no file {file} waiting"));
                reply(stream, &AgentResponse::Error(e));
                return;
            }
        };
        if !reply(stream, &AgentResponse::Ok(AgentReply::Sending { size })) {
            return;
        }
        let mut buf = vec![0u8; CHUNK];
        let mut sent = 0u64;
        while sent < size {
            let want = (size - sent).min(CHUNK as u64) as usize;
            let n = match f.read_at(&mut buf[..want], sent) {
                Ok(0) => {
                    tracing::warn!("request {ask}: the file shrank to {sent} of {size} bytes while it was sent");
                    return;
                }
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!("request {ask}: cannot read the file: {e}");
                    return;
                }
            };
            if let Err(e) = stream.until(Instant::now() + STALL).write_all(&buf[..n]) {
                tracing::warn!("request {ask}: hostd stopped taking the file after {sent} bytes: {e}");
                return;
            }
            sent += n as u64;
        }
        tracing::info!("request {ask}: sent file {file} ({size} bytes)");
    }
}

/// Forgets a request when its asker stops waiting, however that ends.
struct Forget<'a>(&'a Opener, u64);

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        self.0.table().asks.remove(&self.1);
    }
}

/// Open a file a program of this VM names, as it is now: a regular file, by absolute path.
fn open_file(path: &str) -> Result<(FileMeta, (File, u64)), OpenError> {
    let p = Path::new(path);
    if !p.is_absolute() {
        return Err(OpenError::bad_request(format!("{path:?} is not an absolute path")));
    }
    let f = File::open(p).map_err(|e| OpenError::bad_request(format!("{path}: {e}")))?;
    let meta = f.metadata().map_err(|e| OpenError::bad_request(format!("{path}: {e}")))?;
    if !meta.is_file() {
        return Err(OpenError::bad_request(format!("{path} is not a regular file")));
    }
    let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let size = meta.len();
    Ok((FileMeta { name, size }, (f, size)))
}
