//! Where the control socket is, and the two ends of one exchange: a request line out, a reply
//! line back (`{"ok": …}` or `{"error": "…"}`).

use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Reply, Request};

/// The variable that names the socket for clients the compositor starts.
pub const SOCKET_ENV: &str = "CANOPY_SOCKET";

/// `$XDG_RUNTIME_DIR/canopy-<wayland socket>.sock`.
pub fn socket_path(wayland_socket: &str) -> PathBuf {
    runtime_dir().join(format!("canopy-{wayland_socket}.sock"))
}

pub fn runtime_dir() -> PathBuf {
    std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from).unwrap_or_else(std::env::temp_dir)
}

/// The socket to talk to: `explicit` (a path, or a Wayland socket name such as `wayland-1` as
/// `canopy --socket` takes), else `$CANOPY_SOCKET`, else the one of `$WAYLAND_DISPLAY`, else
/// the only canopy socket in the runtime dir that something listens on.
pub fn find_socket(explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = explicit {
        return Ok(match p.to_str() {
            Some(name) if !name.contains('/') => socket_path(name),
            _ => p.to_path_buf(),
        });
    }
    if let Some(p) = std::env::var_os(SOCKET_ENV) {
        return Ok(PathBuf::from(p));
    }
    if let Some(display) = std::env::var("WAYLAND_DISPLAY").ok().filter(|d| !d.contains('/')) {
        let path = socket_path(&display);
        if listens(&path) {
            return Ok(path);
        }
    }
    let dir = runtime_dir();
    let found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("reading {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("canopy-") && n.ends_with(".sock"))
        })
        .filter(|p| listens(p))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!("no canopy socket in {}; is canopy running? (set CANOPY_SOCKET or --socket)", dir.display())),
        _ => {
            Err(format!("several running canopys in {}; choose one with --socket NAME or CANOPY_SOCKET", dir.display()))
        }
    }
}

/// Whether a compositor accepts connections on `path` (a socket left by a killed one does not).
fn listens(path: &Path) -> bool {
    UnixStream::connect(path).is_ok()
}

/// Send one request and wait up to `timeout` for its reply. `Err` is a failure to talk to the
/// compositor; `Ok(Err(…))` is the compositor's refusal.
pub fn send(socket: &Path, request: &Request, timeout: Duration) -> io::Result<Reply> {
    let mut stream = UnixStream::connect(socket)
        .map_err(|e| io::Error::new(e.kind(), format!("connecting to {}: {e}", socket.display())))?;
    stream.set_read_timeout(Some(timeout))?;
    let mut line = serde_json::to_string(request)?;
    line.push('\n');
    stream.write_all(line.as_bytes())?;
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply)?;
    decode_reply(request, &reply).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{e}: {reply:?}")))
}

/// The reply as it travels: exactly one of the two keys.
#[derive(Serialize, Deserialize)]
struct Wire<T> {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    ok: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    error: Option<String>,
}

/// One reply line, with its newline.
pub fn encode_reply(reply: &Reply) -> Vec<u8> {
    let wire = match reply {
        Ok(r) => Wire { ok: Some(r), error: None },
        Err(e) => Wire { ok: None, error: Some(e.clone()) },
    };
    let mut out = serde_json::to_vec(&wire).unwrap_or_default();
    out.push(b'\n');
    out
}

/// Read a reply line to `request`.
pub fn decode_reply(request: &Request, line: &str) -> Result<Reply, String> {
    let wire: Wire<serde_json::Value> = serde_json::from_str(line).map_err(|e| format!("bad reply: {e}"))?;
    match wire {
        Wire { error: Some(e), .. } => Ok(Err(e)),
        Wire { ok: Some(ok), .. } => request.decode(ok).map(Ok).map_err(|e| format!("bad reply to {request:?}: {e}")),
        Wire { ok: None, error: None } => Err("a reply with neither ok nor error".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cursor, CursorImage, Rect, Response, Window};

    #[test]
    fn requests_on_the_wire() {
        let r = Request::Screenshot { output: Some("HEADLESS-1".into()), pointer: false, file: "/tmp/x.png".into() };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, r#"{"command":"screenshot","output":"HEADLESS-1","pointer":false,"file":"/tmp/x.png"}"#);
        let old: Request = serde_json::from_str(r#"{"command":"screenshot","file":"/tmp/x.png"}"#).unwrap();
        assert_eq!(old, Request::Screenshot { output: None, pointer: false, file: "/tmp/x.png".into() });
        assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), r);
        assert_eq!(serde_json::to_string(&Request::ReloadConfig).unwrap(), r#"{"command":"reload-config"}"#);
    }

    #[test]
    fn replies_on_the_wire() {
        let focused = encode_reply(&Ok(Response::Focused { focused: 7 }));
        assert_eq!(focused, b"{\"ok\":{\"focused\":7}}\n");
        let err = encode_reply(&Err("no window 9".into()));
        assert_eq!(err, b"{\"error\":\"no window 9\"}\n");
        let line = std::str::from_utf8(&focused).unwrap();
        assert_eq!(decode_reply(&Request::Focus { id: 7 }, line), Ok(Ok(Response::Focused { focused: 7 })));
        assert_eq!(
            decode_reply(&Request::Focus { id: 9 }, "{\"error\":\"no window 9\"}"),
            Ok(Err("no window 9".into()))
        );
        assert!(decode_reply(&Request::Version, "{}").is_err());
    }

    #[test]
    fn an_empty_list_is_what_was_asked_for() {
        assert_eq!(decode_reply(&Request::Windows, r#"{"ok":[]}"#), Ok(Ok(Response::Windows(vec![]))));
        assert_eq!(decode_reply(&Request::Outputs, r#"{"ok":[]}"#), Ok(Ok(Response::Outputs(vec![]))));
    }

    #[test]
    fn typed_replies_round_trip() {
        let w = Window {
            id: 3,
            title: "[vm-a] term".into(),
            raw_title: "term".into(),
            vm: Some("vm-a".into()),
            trust: "work".into(),
            app_id: "foot".into(),
            output: Some("HEADLESS-1".into()),
            geometry: Some(Rect { x: 1, y: 2, width: 3, height: 4 }),
            focused: true,
            minimized: false,
            maximized: false,
            fullscreen: false,
            decorated: true,
        };
        let line = String::from_utf8(encode_reply(&Ok(Response::Windows(vec![w.clone()])))).unwrap();
        assert!(line.contains(r#""geometry":{"x":1,"y":2,"width":3,"height":4}"#), "{line}");
        assert_eq!(decode_reply(&Request::Windows, &line), Ok(Ok(Response::Windows(vec![w]))));
        // A cursor and a pointer move both have x and y; the request tells them apart.
        let c = Cursor { x: 1.0, y: 2.0, image: CursorImage::Client, set_by: Some("vm-a".into()), shape: None };
        let line = String::from_utf8(encode_reply(&Ok(Response::Cursor(c.clone())))).unwrap();
        assert!(line.contains(r#""image":"client""#), "{line}");
        assert_eq!(decode_reply(&Request::Cursor, &line), Ok(Ok(Response::Cursor(c))));
        let moved = r#"{"ok":{"x":5.0,"y":6.0}}"#;
        let req = Request::PointerMove { x: 5.0, y: 6.0 };
        assert_eq!(decode_reply(&req, moved), Ok(Ok(Response::Pointer { x: 5.0, y: 6.0 })));
    }
}
