//! The IPC server, on the compositor's event loop. Each connection is read without blocking
//! the loop; a client that sends more than a request's worth or nothing at all is dropped.

use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;

use smithay::reexports::calloop::generic::Generic;
use smithay::reexports::calloop::{Interest, LoopHandle, Mode, PostAction};

use super::Request;
use crate::state::State;

const MAX_REQUEST: usize = 64 * 1024;

pub fn listen(path: &Path, handle: &LoopHandle<'static, State>) -> anyhow::Result<()> {
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path).map_err(|e| anyhow::anyhow!("control socket {}: {e}", path.display()))?;
    listener.set_nonblocking(true)?;
    // Weak: a strong handle inside one of the loop's own sources would keep the loop, and with
    // it the Wayland socket and every client, alive after the session is dropped.
    let inner = handle.downgrade();
    handle
        .insert_source(Generic::new(listener, Interest::READ, Mode::Level), move |_, listener, _state| {
            loop {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let Some(inner) = inner.upgrade() else { break };
                        if stream.set_nonblocking(true).is_ok() {
                            let mut buf = Vec::new();
                            let _ = inner.insert_source(
                                Generic::new(stream, Interest::READ, Mode::Level),
                                move |_, stream, state| {
                                    // Safety: the stream is not replaced while the source lives.
                                    let stream = unsafe { stream.get_mut() };
                                    Ok(read_request(stream, &mut buf, state))
                                },
                            );
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => {
                        tracing::warn!("control socket accept: {e}");
                        break;
                    }
                }
            }
            Ok(PostAction::Continue)
        })
        .map_err(|e| anyhow::anyhow!("control socket source: {e}"))?;
    Ok(())
}

fn read_request(stream: &mut UnixStream, buf: &mut Vec<u8>, state: &mut State) -> PostAction {
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return PostAction::Remove,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() > MAX_REQUEST {
                    return PostAction::Remove;
                }
                if let Some(end) = buf.iter().position(|&b| b == b'\n') {
                    let reply = match serde_json::from_slice::<Request>(&buf[..end]) {
                        Ok(req) => state.handle_ipc(req),
                        Err(e) => Err(format!("bad request: {e}")),
                    };
                    let out = canopy_ipc::socket::encode_reply(&reply);
                    // Replies are small; write them out even if that needs a moment.
                    let _ = stream.set_nonblocking(false);
                    let _ = stream.write_all(&out);
                    return PostAction::Remove;
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return PostAction::Continue,
            Err(_) => return PostAction::Remove,
        }
    }
}
