//! The audit trail: one line per request saying who asked, what, and how it ended. Lines go to
//! the log (target `audit`) and, when configured, as JSON lines to the audit file.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use canopy_common::transport::Peer;

#[derive(Debug)]
pub struct Audit {
    file: Option<Mutex<File>>,
}

impl Audit {
    pub fn open(path: Option<&Path>) -> Result<Audit, String> {
        let file = match path {
            None => None,
            Some(p) => {
                if let Some(dir) = p.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                }
                let f = File::options()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|e| format!("cannot open audit log {}: {e}", p.display()))?;
                Some(Mutex::new(f))
            }
        };
        Ok(Audit { file })
    }

    /// A VM's request to open or send (it came on the agent connection hostd made, so the VM is
    /// the transport's word): what, to where, how it ended, how many bytes went.
    pub fn record_open(&self, vm: &str, what: Value, to: Option<&str>, result: Result<String, String>, bytes: u64) {
        let (ok, detail) = match &result {
            Ok(s) => (true, s.as_str()),
            Err(e) => (false, e.as_str()),
        };
        let to_text = to.unwrap_or("-");
        tracing::info!(target: "audit", "VM {vm}: {what} to {to_text}, {bytes} bytes -> {} {detail}", if ok { "ok" } else { "error" });
        let time = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
        let line =
            json!({"time": time, "vm": vm, "request": what, "to": to, "ok": ok, "result": detail, "bytes": bytes});
        self.write(&line);
    }

    /// `what` is the request (or a description of what came in); `result` is `Ok(summary)` or
    /// the error.
    pub fn record(&self, peer: &Peer, what: Value, result: Result<String, String>) {
        let (ok, detail) = match &result {
            Ok(s) => (true, s.as_str()),
            Err(e) => (false, e.as_str()),
        };
        tracing::info!(target: "audit", "{peer}: {what} -> {} {detail}", if ok { "ok" } else { "error" });
        if self.file.is_none() {
            return;
        }
        let time = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
        let peer = match peer {
            Peer::Unix { uid, pid } => json!({"uid": uid, "pid": pid}),
            Peer::Vsock { cid, port } => json!({"cid": cid, "port": port}),
        };
        let line = json!({"time": time, "peer": peer, "request": what, "ok": ok, "result": detail});
        self.write(&line);
    }

    fn write(&self, line: &Value) {
        let Some(file) = &self.file else { return };
        let mut f = file.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = writeln!(f, "{line}") {
            tracing::error!("cannot write the audit log: {e}");
        }
    }
}
