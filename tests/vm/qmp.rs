//! A QMP client: QEMU's JSON control protocol on a Unix socket (screendumps, input events,
//! quitting). Asynchronous events QEMU sends in between are skipped.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

pub struct Qmp {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Qmp {
    /// Connect (QEMU creates the socket shortly after it starts) and leave negotiation mode.
    pub fn connect(path: &Path, timeout: Duration) -> Result<Qmp> {
        let start = Instant::now();
        let stream = loop {
            match UnixStream::connect(path) {
                Ok(s) => break s,
                Err(e) if start.elapsed() > timeout => {
                    return Err(e).with_context(|| format!("connecting to QMP at {}", path.display()))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        let mut qmp = Qmp { reader: BufReader::new(stream.try_clone()?), writer: stream };
        let greeting = qmp.read()?;
        if greeting.get("QMP").is_none() {
            bail!("not a QMP greeting: {greeting}");
        }
        qmp.execute("qmp_capabilities", json!({}))?;
        Ok(qmp)
    }

    fn read(&mut self) -> Result<Value> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            bail!("QMP connection closed");
        }
        serde_json::from_str(&line).with_context(|| format!("QMP sent {line:?}"))
    }

    /// Run one command and return its `return` value; a QMP error becomes an Err.
    pub fn execute(&mut self, command: &str, arguments: Value) -> Result<Value> {
        let request = json!({ "execute": command, "arguments": arguments });
        writeln!(self.writer, "{request}")?;
        loop {
            let reply = self.read()?;
            if let Some(r) = reply.get("return") {
                return Ok(r.clone());
            }
            if let Some(e) = reply.get("error") {
                bail!("QMP {command}: {e}");
            }
            // An event ({"event": …}): not the reply.
        }
    }
}

/// An `input-send-event` key event by QEMU key code ("a", "ret", "shift"). Presses and
/// releases go in separate commands: QEMU ends each command with one SYN_REPORT.
pub fn key_event(qcode: &str, down: bool) -> Value {
    json!([{ "type": "key", "data": { "down": down, "key": { "type": "qcode", "data": qcode } } }])
}

/// The QEMU key code that types `c` on a US keyboard without modifiers, if there is one.
pub fn qcode(c: char) -> Option<String> {
    Some(match c {
        'a'..='z' | '0'..='9' => c.to_string(),
        ' ' => "spc".into(),
        '/' => "slash".into(),
        '-' => "minus".into(),
        '.' => "dot".into(),
        '\n' => "ret".into(),
        _ => return None,
    })
}

/// An absolute pointer position (the virtio tablet), in QEMU's 0..=0x7fff range per axis.
pub fn abs_event(x: u32, y: u32) -> Value {
    json!([
        { "type": "abs", "data": { "axis": "x", "value": x } },
        { "type": "abs", "data": { "axis": "y", "value": y } },
    ])
}

/// The left button going down or up.
pub fn button_event(down: bool) -> Value {
    json!([{ "type": "btn", "data": { "down": down, "button": "left" } }])
}
