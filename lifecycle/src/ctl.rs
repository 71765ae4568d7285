//! What `canopy-ctl` prints and the exit codes scripts can rely on.

use canopy_protocols::lifecycle::open::{Intent, Shown};
use canopy_protocols::lifecycle::{AppInfo, AppKind, ArgKind, Error, Event, State, VmInfo};

use crate::client::ClientError;

/// Exit codes of `canopy-ctl`, one per kind of failure.
pub mod exit {
    pub const OK: u8 = 0;
    /// Anything not listed below.
    pub const FAILED: u8 = 1;
    /// Bad command line (clap's own code).
    pub const USAGE: u8 = 2;
    /// hostd cannot be reached, or the connection broke.
    pub const UNREACHABLE: u8 = 3;
    pub const UNKNOWN: u8 = 4;
    pub const NOT_ALLOWED: u8 = 5;
    pub const VM_FAILED: u8 = 6;
    pub const AGENT_UNREACHABLE: u8 = 7;
    pub const APP_FAILED: u8 = 8;
    pub const BUSY: u8 = 9;
    pub const BAD_REQUEST: u8 = 10;
    pub const DISK_IMAGE_MISSING: u8 = 11;
    pub const ACTION_FAILED: u8 = 12;
}

/// The `--help` text about exit codes.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
   0  done
   1  other failure
   2  bad command line
   3  hostd unreachable (or the connection broke)
   4  unknown VM or app
   5  not allowed
   6  the VM failed to start
   7  the VM's agent is unreachable
   8  the app failed (could not start, or exited at once)
   9  busy
  10  bad request (for example an argument of the wrong kind)
  11  the VM needs a disk image: set one with `canopy-ctl set-disk-image VM PATH`
  12  a backend or power command failed";

pub fn exit_code(e: &ClientError) -> u8 {
    match e {
        ClientError::Connect { .. } | ClientError::Connection { .. } => exit::UNREACHABLE,
        ClientError::Unexpected { .. } | ClientError::Excess { .. } => exit::FAILED,
        ClientError::Refused(e) => match e {
            Error::UnknownVm { .. } | Error::UnknownApp { .. } => exit::UNKNOWN,
            Error::NotAllowed { .. } => exit::NOT_ALLOWED,
            Error::VmFailedToStart { .. } => exit::VM_FAILED,
            Error::AgentUnreachable { .. } => exit::AGENT_UNREACHABLE,
            Error::AppFailed { .. } => exit::APP_FAILED,
            Error::Busy { .. } => exit::BUSY,
            Error::BadRequest { .. } => exit::BAD_REQUEST,
            Error::DiskImageMissing { .. } => exit::DISK_IMAGE_MISSING,
            Error::ActionFailed { .. } => exit::ACTION_FAILED,
            Error::UnsupportedVersion { .. } => exit::UNREACHABLE,
        },
    }
}

fn state_word(s: &State) -> String {
    match s {
        State::Failed(reason) => format!("failed ({reason})"),
        other => other.to_string(),
    }
}

pub fn vm_table(vms: &[VmInfo]) -> String {
    let w = vms.iter().map(|v| v.name.len()).max().unwrap_or(0).max(2);
    let mut out = format!("{:w$}  {:9}  {:10}  NOTES\n", "VM", "TRUST", "STATE");
    for v in vms {
        let mut notes = Vec::new();
        if !v.managed {
            notes.push("not managed".to_string());
        }
        if v.needs_disk_image {
            notes.push(match &v.disk_image {
                Some(p) => format!("disk image {p}"),
                None => "needs a disk image".into(),
            });
        }
        let line = format!("{:w$}  {:9}  {:10}  {}", v.name, v.trust, state_word(&v.state), notes.join(", "));
        out += line.trim_end();
        out.push('\n');
    }
    out
}

pub fn app_table(apps: &[AppInfo]) -> String {
    let w = apps.iter().map(|a| a.name.len()).max().unwrap_or(0).max(3);
    let vw = apps.iter().map(|a| a.vm.len()).max().unwrap_or(0).max(2);
    let mut out = format!("{:w$}  {:vw$}  {:4}  NAME\n", "APP", "VM", "ARG");
    for a in apps {
        let arg = match (a.kind, a.args.kind) {
            (AppKind::VmDisplay, _) => "vm",
            (_, ArgKind::None) => "-",
            (_, ArgKind::Url) => "url",
            (_, ArgKind::File) => "file",
        };
        let vm = if a.other_vms.is_empty() { a.vm.clone() } else { format!("{}+", a.vm) };
        out += &format!("{:w$}  {:vw$}  {:4}  {}\n", a.name, vm, arg, a.display_name);
    }
    out
}

/// One line per event, `KIND NAME… STATE`, easy to grep.
pub fn event_line(ev: &Event) -> String {
    match ev {
        Event::Vm(v) => format!("vm {} {}", v.vm, state_word(&v.state)),
        Event::App(a) => format!("app {} {} {} {}", a.app, a.instance, a.vm, state_word(&a.state)),
        Event::Progress { vm, message } => format!("progress {vm} {message}"),
        Event::Choose(c) => {
            let targets: Vec<&str> = c.targets.iter().map(|t| t.vm.as_str()).collect();
            let what = match &c.what {
                Shown::Url { url, .. } => url.clone(),
                Shown::Files(files) => files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(" "),
            };
            let intent = match c.intent {
                Intent::Open => "open",
                Intent::Send => "send",
            };
            format!("choose {} {} {intent} {what} to {}", c.id, c.from, targets.join(","))
        }
        Event::Notice(n) => {
            format!("notice {} {} {}: {}", n.from, if n.ok { "ok" } else { "failed" }, n.title, n.detail)
        }
        Event::SuspendDue { id, wait_ms } => format!("suspend-due {id} {wait_ms}"),
        Event::Resumed => "resumed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_protocols::lifecycle::{AppStatus, VmStatus};

    #[test]
    fn event_lines() {
        let ev = Event::Vm(VmStatus { vm: "web".into(), state: State::Starting });
        assert_eq!(event_line(&ev), "vm web starting");
        let ev = Event::App(AppStatus {
            instance: 3,
            app: "pdf".into(),
            vm: "pdf-vm".into(),
            state: State::Failed("exited with status 2".into()),
        });
        assert_eq!(event_line(&ev), "app pdf 3 pdf-vm failed (exited with status 2)");
    }

    #[test]
    fn exit_codes_are_distinct() {
        let all = [
            exit::OK,
            exit::FAILED,
            exit::USAGE,
            exit::UNREACHABLE,
            exit::UNKNOWN,
            exit::NOT_ALLOWED,
            exit::VM_FAILED,
            exit::AGENT_UNREACHABLE,
            exit::APP_FAILED,
            exit::BUSY,
            exit::BAD_REQUEST,
            exit::DISK_IMAGE_MISSING,
            exit::ACTION_FAILED,
        ];
        let set: std::collections::BTreeSet<_> = all.iter().collect();
        assert_eq!(set.len(), all.len());
        for code in all.iter().skip(1) {
            assert!(EXIT_CODES_HELP.contains(&format!("{code:>4}  ")), "code {code} undocumented");
        }
    }
}
