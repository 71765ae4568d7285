//! What `canopy-open` and `canopy-send` share: where the VM's agent listens for them, turning
//! a command-line argument into a request, asking, and the exit codes scripts can rely on.

use std::path::{Path, PathBuf};

use canopy_protocols::lifecycle::open::{is_scheme, parse_url, Delivered, OpenError, OpenerRequest, Outcome};

use crate::client::{ClientError, Connection};
use canopy_common::transport::Address;

/// A connection to the agent's opener socket.
pub type OpenerClient = Connection<OpenerRequest, Outcome>;

/// Where the agent listens: `$CANOPY_OPENER`, else `$XDG_RUNTIME_DIR/canopy-open.sock`.
pub fn default_address() -> String {
    if let Ok(a) = std::env::var("CANOPY_OPENER") {
        return a;
    }
    let runtime = std::env::var_os("XDG_RUNTIME_DIR").map_or_else(|| PathBuf::from("/run/user/1000"), PathBuf::from);
    format!("unix:{}", runtime.join("canopy-open.sock").display())
}

/// Exit codes of `canopy-open` and `canopy-send`, one per kind of failure.
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const UNREACHABLE: u8 = 3;
    pub const DENIED: u8 = 4;
    pub const CANCELLED: u8 = 5;
    pub const TOO_LARGE: u8 = 6;
    pub const NO_SUCH_TARGET: u8 = 7;
    pub const TARGET_FAILED: u8 = 8;
    pub const TRANSFER_FAILED: u8 = 9;
    pub const BUSY: u8 = 10;
    pub const BAD_REQUEST: u8 = 11;
}

/// The `--help` text about exit codes.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
   0  done
   1  other failure
   2  bad command line
   3  the VM's agent or hostd cannot be reached
   4  denied (by the policy, or nobody chose in time)
   5  cancelled by the user
   6  too large
   7  no VM may take it
   8  the target VM failed (to start, to keep the file, or to open it)
   9  the transfer broke off
  10  busy (too many requests)
  11  bad request (such as a URL with hidden characters)";

pub fn exit_code(e: &OpenError) -> u8 {
    match e {
        OpenError::Denied { .. } => exit::DENIED,
        OpenError::Cancelled => exit::CANCELLED,
        OpenError::TooLarge { .. } => exit::TOO_LARGE,
        OpenError::NoSuchTarget { .. } => exit::NO_SUCH_TARGET,
        OpenError::TargetFailed { .. } => exit::TARGET_FAILED,
        OpenError::TransferFailed { .. } => exit::TRANSFER_FAILED,
        OpenError::Busy { .. } => exit::BUSY,
        OpenError::BadRequest { .. } => exit::BAD_REQUEST,
        OpenError::Unreachable { .. } => exit::UNREACHABLE,
    }
}

/// What `canopy-open ARG` asks: a link, or a file of this VM (a path, or a `file:` URL).
pub fn open_request(arg: &str, cwd: &Path) -> Result<OpenerRequest, String> {
    if let Some(rest) = arg.strip_prefix("file://") {
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if !host.is_empty() && host != "localhost" {
            return Err(format!("{arg:?} names a file on another machine ({host})"));
        }
        let path = percent_encoding::percent_decode_str(path)
            .decode_utf8()
            .map_err(|_| format!("{arg:?} is not a UTF-8 path"))?;
        return Ok(OpenerRequest::OpenFile { path: path.into_owned() });
    }
    // A scheme of two letters or more, and no file of that name: a link (`C:` or `./a:b` are not).
    let url_like = arg.split_once(':').is_some_and(|(s, _)| s.len() > 1 && is_scheme(s));
    if url_like && !cwd.join(arg).exists() {
        // Checked here too, so that a URL too long for a frame gets the same clear error.
        parse_url(arg)?;
        return Ok(OpenerRequest::OpenUrl { url: arg.to_string() });
    }
    Ok(OpenerRequest::OpenFile { path: absolute(arg, cwd) })
}

/// `path` made absolute against `cwd`.
pub fn absolute(path: &str, cwd: &Path) -> String {
    cwd.join(path).display().to_string()
}

/// Ask the agent at `addr`; the outcome, or why the agent could not be asked.
pub fn ask(addr: &Address, client: &str, req: &OpenerRequest) -> Result<Delivered, OpenError> {
    let unreachable = |e: ClientError| OpenError::Unreachable { reason: format!("this VM's agent: {e}") };
    let mut c = OpenerClient::connect(addr, client, None).map_err(unreachable)?;
    match c.request(req) {
        Ok(outcome) => outcome.into_result(),
        Err(ClientError::Refused(e)) => Err(OpenError::bad_request(e.to_string())),
        Err(e) => Err(unreachable(e)),
    }
}

/// One line saying where it went.
pub fn done_line(d: &Delivered) -> String {
    match (d.opened, d.files.as_slice()) {
        (true, []) => format!("opened in {}", d.vm),
        (true, files) => format!("opened in {} (kept as {})", d.vm, files.join(", ")),
        (false, files) => format!("sent to {}: {}", d.vm, files.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_become_links_or_files() {
        let cwd = Path::new("/home/u/docs");
        let url = |u: &str| OpenerRequest::OpenUrl { url: u.into() };
        let file = |p: &str| OpenerRequest::OpenFile { path: p.into() };
        assert_eq!(open_request("https://example.org/", cwd), Ok(url("https://example.org/")));
        assert_eq!(open_request("mailto:a@example.org", cwd), Ok(url("mailto:a@example.org")));
        assert_eq!(open_request("report.pdf", cwd), Ok(file("/home/u/docs/report.pdf")));
        assert_eq!(open_request("/tmp/a.pdf", cwd), Ok(file("/tmp/a.pdf")));
        assert_eq!(open_request("file:///tmp/a%20b.pdf", cwd), Ok(file("/tmp/a b.pdf")));
        assert_eq!(open_request("file://localhost/tmp/x", cwd), Ok(file("/tmp/x")));
        assert!(open_request("file://server/share/x", cwd).unwrap_err().contains("another machine"));
        assert_eq!(open_request("C:x", cwd), Ok(file("/home/u/docs/C:x")));
        assert!(open_request(&format!("https://a/{}", "x".repeat(5000)), cwd).unwrap_err().contains("longer than"));
    }
}
