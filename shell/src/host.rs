//! Every request the shell sends to `canopy-hostd` goes through here (lifecycle protocol,
//! client library of crate canopy-lifecycle).
//!
//! Requests block, so programs call them from worker threads and get the answer back through
//! a calloop channel; [`Host::watch_forever`] keeps the VM states flowing and reconnects.
//!
//! Text in what hostd sends (error messages, failure reasons) may quote a VM's agent: it leaves
//! here through the one sanitiser (`canopy_protocols::text`), as hostd already applies it, so the
//! panel and the launcher draw it as one plain line whatever hostd let through.

use std::time::Duration;

use canopy_lifecycle::{Address, ClientError, HostClient};
use canopy_protocols::lifecycle::open::{Choice, Notice};
use canopy_protocols::lifecycle::{AppInfo, Event, Request, State, VmInfo};
use canopy_protocols::text;

/// Where hostd listens unless `--hostd` or `CANOPY_HOSTD` says otherwise.
pub const DEFAULT_ADDRESS: &str = "unix:/run/canopy/hostd.sock";

/// Requests that are answered at once (lists, power) wait at most this long.
const QUICK: Duration = Duration::from_secs(10);
/// Starting an app may first boot its VM.
const START: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerAction {
    PowerOff,
    Reboot,
    Suspend,
}

/// A change in what the host reports, for the panel and the launcher.
#[derive(Debug, Clone, PartialEq)]
pub enum HostUpdate {
    /// The full list of VMs (after connecting or reconnecting).
    Vms(Vec<VmInfo>),
    VmState {
        vm: String,
        state: State,
    },
    /// The connection to hostd is lost or cannot be made; why.
    Lost(String),
    /// A VM asks to open or send something, and the user is to choose where.
    Choose(Choice),
    /// How a request from a VM ended.
    Notice(Notice),
    /// What a VM starting or stopping is doing now (hostd's words).
    Progress {
        vm: String,
        message: String,
    },
}

#[derive(Debug, Clone)]
pub struct Host {
    addr: Address,
}

impl Host {
    pub fn new(addr: Address) -> Self {
        Host { addr }
    }

    pub fn address(&self) -> &Address {
        &self.addr
    }

    fn connect(&self, timeout: Duration) -> Result<HostClient, ClientError> {
        HostClient::connect(&self.addr, client_name(), Some(timeout))
    }

    pub fn vms(&self) -> Result<Vec<VmInfo>, ClientError> {
        self.connect(QUICK)?.list_vms()
    }

    pub fn apps(&self) -> Result<Vec<AppInfo>, ClientError> {
        self.connect(QUICK)?.list_apps()
    }

    /// Starts an app in `vm` or its default VM (booting the VM first when it is down), handing
    /// it `activation_token` (see [`crate::wl::Core::activation_token`]).
    pub fn start_app(&self, app: &str, vm: Option<&str>, activation_token: Option<String>) -> Result<u64, ClientError> {
        self.connect(START)?.start_app_activated(app, vm, Vec::new(), activation_token)
    }

    /// Tells hostd where a VM's disk image is (the answer to `disk_image_missing`); hostd checks
    /// the path and remembers it.
    pub fn set_disk_image(&self, vm: &str, path: &str) -> Result<(), ClientError> {
        self.connect(QUICK)?.action(&Request::SetDiskImage { vm: vm.into(), path: path.into() })
    }

    /// The user's answer to a request waiting for a choice: the VM, or None for Cancel.
    pub fn choose(&self, id: u64, vm: Option<&str>) -> Result<(), ClientError> {
        self.connect(QUICK)?.action(&Request::Choose { id, vm: vm.map(Into::into) })
    }

    /// Starts, stops or restarts a VM (the panel's VM menu); answered once hostd has done it.
    pub fn vm_action(&self, vm: &str, op: crate::panel::vm_menu::VmOp) -> Result<(), ClientError> {
        use crate::panel::vm_menu::VmOp;
        let vm = vm.to_string();
        let req = match op {
            VmOp::Start => Request::StartVm { vm },
            VmOp::Stop => Request::StopVm { vm },
            VmOp::Restart => Request::RestartVm { vm },
        };
        self.connect(START)?.action(&req)
    }

    pub fn power(&self, action: PowerAction) -> Result<(), ClientError> {
        let req = match action {
            PowerAction::PowerOff => Request::PowerOff,
            PowerAction::Reboot => Request::Reboot,
            PowerAction::Suspend => Request::Suspend,
        };
        self.connect(QUICK)?.action(&req)
    }

    /// Sends the VM list and then every VM state change to `send`, for as long as `send`
    /// accepts them; reconnects (1 s, doubling up to 30 s) when hostd goes away. Run it on a
    /// thread of its own: it blocks.
    pub fn watch_forever(&self, mut send: impl FnMut(HostUpdate) -> bool) {
        let mut delay = Duration::from_secs(1);
        loop {
            match self.watch_once(&mut send) {
                Ok(false) => return,
                Ok(true) => delay = Duration::from_secs(1),
                Err(e) => {
                    tracing::debug!("hostd watch: {e}");
                    if !send(HostUpdate::Lost(e.to_string())) {
                        return;
                    }
                }
            }
            std::thread::sleep(delay);
            delay = (delay * 2).min(Duration::from_secs(30));
        }
    }

    /// One watch connection; Ok(false) when the receiver is gone, Ok(true) when hostd ended it.
    fn watch_once(&self, send: &mut impl FnMut(HostUpdate) -> bool) -> Result<bool, ClientError> {
        let mut client = self.connect(QUICK)?;
        let mut vms = client.list_vms()?;
        let (snapshot, mut watcher) = self.connect(QUICK)?.watch()?;
        for s in snapshot.vms {
            if let Some(vm) = vms.iter_mut().find(|v| v.name == s.vm) {
                vm.state = s.state;
            }
        }
        for vm in &mut vms {
            vm.state = shown_state(std::mem::replace(&mut vm.state, State::Stopped));
        }
        if !send(HostUpdate::Vms(vms)) {
            return Ok(false);
        }
        loop {
            let update = match watcher.next_event() {
                Ok(Event::Vm(s)) => HostUpdate::VmState { vm: s.vm, state: shown_state(s.state) },
                Ok(Event::Choose(c)) => HostUpdate::Choose(c),
                Ok(Event::Notice(n)) => HostUpdate::Notice(n),
                Ok(Event::Progress { vm, message }) => HostUpdate::Progress { vm, message },
                Ok(_) => continue,
                Err(e) => {
                    if !send(HostUpdate::Lost(e.to_string())) {
                        return Ok(false);
                    }
                    return Ok(true);
                }
            };
            if !send(update) {
                return Ok(false);
            }
        }
    }
}

/// The program's name, for hostd's log.
fn client_name() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        std::env::current_exe()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "canopy-shell".into())
    })
}

/// A one-line description of a failed request for the screen: hostd's own message when it
/// refused, otherwise what went wrong with the connection. Sanitised: it may quote an agent.
pub fn describe(e: &ClientError) -> String {
    let text = match e {
        ClientError::Connect { addr, source } => format!("cannot reach the host daemon at {addr}: {source}"),
        other => other.to_string(),
    };
    text::sanitise(&text, text::MESSAGE)
}

/// A VM state as the shell shows it: a failure's reason sanitised.
fn shown_state(state: State) -> State {
    match state {
        State::Failed(why) => State::Failed(text::sanitise(&why, text::MESSAGE)),
        other => other,
    }
}
