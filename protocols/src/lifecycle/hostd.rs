//! Messages between the GUI VM (panel, launcher, power menu, `canopy-ctl`) and `canopy-hostd`.

use serde::{Deserialize, Serialize};

use super::open::{Choice, Notice};
use super::{AppArg, ArgSpec};

/// A request to `canopy-hostd`, such as `{"type": "start_app", "app": "browser", "args": [{"url": "https://example.org"}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    ListVms,
    ListApps,
    /// Turns the connection into a stream of [`Event`]s after a [`Reply::Watching`] snapshot.
    Watch,
    StartVm {
        vm: String,
    },
    StopVm {
        vm: String,
    },
    RestartVm {
        vm: String,
    },
    /// Start an app, starting its VM first when it is down. `vm` picks one of the VMs the app is
    /// offered in; without it, the app's default VM.
    /// `activation_token` (from the launcher's click, see `canopy_common::activation`) is handed
    /// to the app, so its first window may take the keyboard; hostd refuses one that fails
    /// [`super::activation_token_ok`].
    StartApp {
        app: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vm: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        args: Vec<AppArg>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        activation_token: Option<String>,
    },
    /// Stop one instance of an app, or every instance when `instance` is absent.
    StopApp {
        app: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        instance: Option<u64>,
    },
    PowerOff,
    Reboot,
    /// Suspend, asked by the GUI VM's compositor once its lock shows on every output.
    Suspend,
    /// The host's own suspend (low battery, a host-side power button: `canopy-ctl host-suspend`
    /// on the host). hostd announces it to its watchers ([`Event::SuspendDue`]), waits up to
    /// `power.lock_wait_secs` for the GUI VM's [`Request::Locked`], then suspends; the reply
    /// comes after the suspend command returned.
    HostSuspend,
    /// The GUI VM's answer to [`Event::SuspendDue`] `id`: its lock shows on every output.
    Locked {
        id: u64,
    },
    /// Remember the disk image of a VM that needs one (the answer to `disk_image_missing`).
    SetDiskImage {
        vm: String,
        path: String,
    },
    /// The user's answer to [`Event::Choose`] `id`: the VM chosen, or none for Cancel.
    Choose {
        id: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vm: Option<String>,
    },
    /// Send a file of the GUI VM to VM `to` (policy permitting), or, without `to`, to the VM
    /// the policy names or the user picks in the chooser: the reply is [`Reply::Ready`], then
    /// exactly `size` raw bytes follow, and hostd answers [`Reply::Sent`].
    Send {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        name: String,
        size: u64,
    },
}

impl Request {
    /// A short name for logs, such as `start_app`.
    pub fn name(&self) -> &'static str {
        match self {
            Request::ListVms => "list_vms",
            Request::ListApps => "list_apps",
            Request::Watch => "watch",
            Request::StartVm { .. } => "start_vm",
            Request::StopVm { .. } => "stop_vm",
            Request::RestartVm { .. } => "restart_vm",
            Request::StartApp { .. } => "start_app",
            Request::StopApp { .. } => "stop_app",
            Request::PowerOff => "power_off",
            Request::Reboot => "reboot",
            Request::Suspend => "suspend",
            Request::HostSuspend => "host_suspend",
            Request::Locked { .. } => "locked",
            Request::SetDiskImage { .. } => "set_disk_image",
            Request::Choose { .. } => "choose",
            Request::Send { .. } => "send",
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Reply {
    Vms {
        vms: Vec<VmInfo>,
    },
    Apps {
        apps: Vec<AppInfo>,
    },
    /// The state when the watch began; [`Event`]s follow. A snapshot too large for one frame
    /// is split: the first `more` events after this reply are the rest of it (an [`Event::Vm`]
    /// or [`Event::App`] each), before any change.
    Watching {
        vms: Vec<VmStatus>,
        apps: Vec<AppStatus>,
        #[serde(default, skip_serializing_if = "is_zero")]
        more: u32,
    },
    AppStarted {
        instance: u64,
        app: String,
        vm: String,
    },
    Done,
    /// Send the bytes.
    Ready,
    /// The file is kept in VM `vm` under `name` (in `~/Incoming/<source-vm>/`).
    Sent {
        vm: String,
        name: String,
    },
}

/// The state of a VM or an app instance: `"running"`, or `{"failed": "reason"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Stopped,
    Starting,
    Running,
    Stopping,
    Failed(String),
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            State::Stopped => f.write_str("stopped"),
            State::Starting => f.write_str("starting"),
            State::Running => f.write_str("running"),
            State::Stopping => f.write_str("stopping"),
            State::Failed(reason) => write!(f, "failed: {reason}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmInfo {
    pub name: String,
    /// Trust level, which picks the VM's colour (`trusted`, `work`, `personal`, `untrusted`…).
    pub trust: String,
    pub state: State,
    /// Whether hostd starts and stops this VM (the GUI VM, for one, it does not).
    pub managed: bool,
    pub needs_disk_image: bool,
    /// The disk image in use, for VMs that need one and have it set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_image: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppKind {
    /// A program that the VM's agent starts.
    App,
    /// A whole VM's display (the Windows VM): starting it starts the VM and a display client in
    /// the GUI VM.
    VmDisplay,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppInfo {
    pub name: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    pub kind: AppKind,
    /// The VM the app starts in by default.
    pub vm: String,
    /// Further VMs the app may be started in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_vms: Vec<String>,
    pub args: ArgSpec,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmStatus {
    pub vm: String,
    pub state: State,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppStatus {
    pub instance: u64,
    pub app: String,
    pub vm: String,
    pub state: State,
}

// hostd is the trusted side; the GUI's clients take its messages as they come.
impl super::Bounded for Reply {
    fn excess(&self) -> Option<String> {
        None
    }
}

impl super::Bounded for Event {
    fn excess(&self) -> Option<String> {
        None
    }
}

/// A change seen on a watch connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    Vm(VmStatus),
    App(AppStatus),
    /// What a VM starting or stopping is doing now (the panel passes it on as that VM's
    /// notification, each step replacing the last).
    Progress {
        vm: String,
        message: String,
    },
    /// A VM asks to open or send something and the user is to choose where (the panel starts
    /// `canopy-chooser`, which answers with [`Request::Choose`]).
    Choose(Choice),
    /// How a request from a VM ended, for a notice on screen.
    Notice(Notice),
    /// The host is about to suspend: lock the screen and answer [`Request::Locked`] within
    /// `wait_ms`; after that the host suspends regardless.
    SuspendDue {
        id: u64,
        wait_ms: u64,
    },
    /// The suspend command returned: the laptop woke up.
    Resumed,
}
