//! `canopy-hostd`'s config file (TOML). Every error names the file, the line and the key.
//! See `assets/examples/hostd.toml` for a commented example.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use canopy_common::config::{good_name, ConfigError, TomlFile};
use canopy_protocols::lifecycle::{AppKind, ArgSpec};
use serde::Deserialize;

pub use crate::allow::Allow;

use super::policy::OpenConfig;
use crate::command::unknown_placeholder;
use canopy_common::transport::Address;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where to listen: `vsock:any:PORT` on a host (`vsock-mux:PATH:PORT` behind a hybrid-vsock
    /// VMM), `unix:PATH` for tests and single-machine use.
    pub listen: Vec<Address>,
    pub allow: Allow,
    /// Where hostd remembers what the user told it (disk image paths).
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    /// One JSON line per request: who, what, result. Without it, audit lines go to the log only.
    #[serde(default)]
    pub audit_log: Option<PathBuf>,
    #[serde(default)]
    pub timeouts: Timeouts,
    /// Backend of VMs that name none.
    #[serde(default)]
    pub default_backend: Backend,
    #[serde(default)]
    pub power: Power,
    /// Links and files across VMs: limits and the policy.
    #[serde(default)]
    pub open: OpenConfig,
    pub vms: BTreeMap<String, Vm>,
    #[serde(default)]
    pub apps: BTreeMap<String, App>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    /// How long a started VM's agent may take to answer.
    #[serde(default = "default_agent_ready")]
    pub agent_ready_secs: f64,
    /// How long one request to an agent may take, all of it: connecting, the hello, the request
    /// and its reply (starting an app waits out its grace period).
    #[serde(default = "default_agent_request")]
    pub agent_request_secs: f64,
    /// How long a backend or power command may run.
    #[serde(default = "default_command")]
    pub command_secs: f64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            agent_ready_secs: default_agent_ready(),
            agent_request_secs: default_agent_request(),
            command_secs: default_command(),
        }
    }
}

impl Timeouts {
    pub fn agent_request(&self) -> Duration {
        Duration::from_secs_f64(self.agent_request_secs)
    }

    pub fn command(&self) -> Duration {
        Duration::from_secs_f64(self.command_secs)
    }
}

/// How hostd starts, stops and queries a VM.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Backend {
    /// Through `systemctl start|stop|is-active UNIT`.
    Systemd {
        #[serde(default = "default_unit")]
        unit: String,
    },
    /// Configured commands. `start` returns once the VM is launched, `stop` once it is down;
    /// `status` exits 0 while it runs. Placeholders: {vm}, {cid}, {disk_image}.
    Command { start: Vec<String>, stop: Vec<String>, status: Vec<String> },
}

impl Default for Backend {
    fn default() -> Self {
        Backend::Systemd { unit: default_unit() }
    }
}

/// Placeholders a backend command or unit may use.
pub const BACKEND_PLACEHOLDERS: [&str; 3] = ["vm", "cid", "disk_image"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Power {
    #[serde(default)]
    pub poweroff: Option<Vec<String>>,
    #[serde(default)]
    pub reboot: Option<Vec<String>>,
    #[serde(default)]
    pub suspend: Option<Vec<String>>,
    /// How long a host suspend waits for the GUI VM to say it is locked.
    #[serde(default = "default_lock_wait")]
    pub lock_wait_secs: f64,
}

fn default_lock_wait() -> f64 {
    10.0
}

impl Default for Power {
    fn default() -> Self {
        Power { poweroff: None, reboot: None, suspend: None, lock_wait_secs: default_lock_wait() }
    }
}

impl Power {
    pub fn lock_wait(&self) -> Duration {
        Duration::from_secs_f64(self.lock_wait_secs)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vm {
    /// Trust level, which picks the VM's colour.
    pub trust: String,
    #[serde(default)]
    pub cid: Option<u32>,
    /// The VM's `canopy-agent`; a VM without one can only be started and stopped (or displayed).
    #[serde(default)]
    pub agent: Option<Address>,
    /// False for a VM that hostd never starts or stops, such as the GUI VM.
    #[serde(default = "yes")]
    pub managed: bool,
    #[serde(default)]
    pub backend: Option<Backend>,
    /// The VM boots from a disk image whose path the user gives (the Windows VM).
    #[serde(default)]
    pub needs_disk_image: bool,
    /// The image path, unless the user has set one (which wins).
    #[serde(default)]
    pub disk_image: Option<PathBuf>,
    /// Overrides `timeouts.agent_ready_secs` for this VM.
    #[serde(default)]
    pub agent_ready_secs: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct App {
    pub display_name: String,
    #[serde(default)]
    pub icon: Option<String>,
    #[serde(default = "default_kind")]
    pub kind: AppKind,
    /// The VM the app runs in by default (for `vm-display`: the VM whose display it is).
    pub vm: String,
    /// Further VMs the app may be started in.
    #[serde(default)]
    pub other_vms: Vec<String>,
    /// The app's name in the agent's config (the agent runs only commands of its own config).
    /// Defaults to the app's name.
    #[serde(default)]
    pub agent_app: Option<String>,
    #[serde(default = "ArgSpec::none")]
    pub args: ArgSpec,
    /// MIME types (`application/pdf`, `image/*`) of files from other VMs this app opens.
    #[serde(default)]
    pub opens: Vec<String>,
    /// `vm-display` only: the VM whose agent runs the display client (the GUI VM)…
    #[serde(default)]
    pub display_vm: Option<String>,
    /// …and the display client's name in that agent's config.
    #[serde(default)]
    pub display_app: Option<String>,
}

impl App {
    pub fn agent_app<'a>(&'a self, name: &'a str) -> &'a str {
        self.agent_app.as_deref().unwrap_or(name)
    }

    pub fn offered_in(&self, vm: &str) -> bool {
        self.vm == vm || self.other_vms.iter().any(|v| v == vm)
    }
}

fn default_state_dir() -> PathBuf {
    "/var/lib/canopy-hostd".into()
}
fn default_agent_ready() -> f64 {
    60.0
}
fn default_agent_request() -> f64 {
    30.0
}
fn default_command() -> f64 {
    120.0
}
fn default_unit() -> String {
    "microvm@{vm}.service".into()
}
fn default_kind() -> AppKind {
    AppKind::App
}
fn yes() -> bool {
    true
}

/// Trust levels a VM may have (those every theme colours, except `unknown`).
fn known_trust_level(level: &str) -> bool {
    level != "unknown" && canopy_themes::theme::REQUIRED_LEVELS.contains(&level)
}

/// What is wrong with an app's icon: it is drawn by the launcher in the GUI VM, so it is one of
/// the icons built into it, or an absolute path to an SVG file there (which hostd cannot read).
fn icon_problem(icon: &str) -> Option<String> {
    if icon.contains('/') {
        let svg = Path::new(icon);
        return (!svg.is_absolute() || svg.extension().is_none_or(|e| e != "svg"))
            .then(|| format!("`{icon}` is not an absolute path to an .svg file in the GUI VM"));
    }
    (!canopy_common::icons::is_builtin(icon)).then(|| {
        format!(
            "no built-in icon `{icon}` (built in: {}; or an absolute path to an .svg file in the GUI VM)",
            canopy_common::icons::builtin_names()
        )
    })
}

/// VM and app names end up in unit names, file names and logs.
impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Self::from_file(&TomlFile::read(path)?)
    }

    pub fn from_file(file: &TomlFile) -> Result<Config, ConfigError> {
        let config: Config = file.parse()?;
        config.check(file)?;
        Ok(config)
    }

    fn check(&self, file: &TomlFile) -> Result<(), ConfigError> {
        if self.listen.is_empty() {
            return Err(file.error_at("listen", "give at least one address"));
        }
        if self.allow.nobody() {
            return Err(file.error_at("allow", "nobody is allowed: set gui_cid and/or uids"));
        }
        let t = &self.timeouts;
        for (key, v) in [
            ("agent_ready_secs", t.agent_ready_secs),
            ("agent_request_secs", t.agent_request_secs),
            ("command_secs", t.command_secs),
        ] {
            if !(v > 0.0 && v <= 86400.0) {
                return Err(file.error_at(&format!("timeouts.{key}"), "must be between 0 and 86400 seconds"));
            }
        }
        if !(self.power.lock_wait_secs > 0.0 && self.power.lock_wait_secs <= 600.0) {
            return Err(file.error_at("power.lock_wait_secs", "must be between 0 and 600 seconds"));
        }
        check_backend(file, "default_backend", &self.default_backend)?;
        for (key, cmd) in
            [("poweroff", &self.power.poweroff), ("reboot", &self.power.reboot), ("suspend", &self.power.suspend)]
        {
            if cmd.as_ref().is_some_and(|c| c.is_empty()) {
                return Err(file.error_at(&format!("power.{key}"), "empty command"));
            }
        }
        for (name, vm) in &self.vms {
            let key = |k: &str| format!("vms.{name}.{k}");
            if !good_name(name) {
                return Err(file.error_at(&format!("vms.{name}"), "VM names are letters, digits, `-`, `_`, `.`"));
            }
            if !known_trust_level(&vm.trust) {
                return Err(file.error_at(
                    &key("trust"),
                    format!("unknown trust level {:?} (known: local, trusted, work, personal, untrusted)", vm.trust),
                ));
            }
            if let Some(b) = &vm.backend {
                if !vm.managed {
                    return Err(file.error_at(&key("backend"), "an unmanaged VM has no backend"));
                }
                check_backend(file, &key("backend"), b)?;
            }
            if vm.needs_disk_image && !vm.managed {
                return Err(file.error_at(&key("needs_disk_image"), "only a managed VM can be given a disk image"));
            }
            if vm.disk_image.is_some() && !vm.needs_disk_image {
                return Err(file.error_at(&key("disk_image"), "set needs_disk_image = true to use a disk image"));
            }
            if vm.disk_image.as_ref().is_some_and(|p| !p.is_absolute()) {
                return Err(file.error_at(&key("disk_image"), "must be an absolute path"));
            }
            if vm.agent_ready_secs.is_some_and(|v| !(v > 0.0 && v <= 86400.0)) {
                return Err(file.error_at(&key("agent_ready_secs"), "must be between 0 and 86400 seconds"));
            }
            if !vm.managed && vm.agent.is_none() {
                return Err(file.error_at(&format!("vms.{name}"), "an unmanaged VM needs an agent, or it is of no use"));
            }
        }
        for (name, app) in &self.apps {
            let key = |k: &str| format!("apps.{name}.{k}");
            if !good_name(name) {
                return Err(file.error_at(&format!("apps.{name}"), "app names are letters, digits, `-`, `_`, `.`"));
            }
            if let Some(problem) = app.icon.as_deref().and_then(icon_problem) {
                return Err(file.error_at(&key("icon"), problem));
            }
            for (i, vm_name) in std::iter::once(&app.vm).chain(&app.other_vms).enumerate() {
                let k = if i == 0 { key("vm") } else { key(&format!("other_vms.{}", i - 1)) };
                let Some(vm) = self.vms.get(vm_name) else {
                    return Err(file.error_at(&k, format!("no VM {vm_name:?} in [vms]")));
                };
                if app.kind == AppKind::App && vm.agent.is_none() {
                    return Err(file.error_at(&k, format!("VM {vm_name:?} has no agent to start apps")));
                }
                if app.kind == AppKind::VmDisplay && !vm.managed {
                    return Err(file.error_at(&k, format!("VM {vm_name:?} is not managed, so it cannot be started")));
                }
            }
            if let Some(problem) = app.args.problem() {
                return Err(file.error_at(&key("args"), problem));
            }
            match app.kind {
                AppKind::App => {
                    for k in ["display_vm", "display_app"] {
                        let set = if k == "display_vm" { &app.display_vm } else { &app.display_app };
                        if set.is_some() {
                            return Err(file.error_at(&key(k), "only for apps of kind \"vm-display\""));
                        }
                    }
                }
                AppKind::VmDisplay => {
                    if !app.other_vms.is_empty() {
                        return Err(file.error_at(&key("other_vms"), "a VM display belongs to one VM"));
                    }
                    let Some(dvm) = &app.display_vm else {
                        return Err(file
                            .error_at(&format!("apps.{name}"), "missing display_vm (where the display client runs)"));
                    };
                    if app.display_app.is_none() {
                        return Err(file.error_at(
                            &format!("apps.{name}"),
                            "missing display_app (the display client in the agent's config)",
                        ));
                    }
                    match self.vms.get(dvm) {
                        None => return Err(file.error_at(&key("display_vm"), format!("no VM {dvm:?} in [vms]"))),
                        Some(v) if v.agent.is_none() => {
                            return Err(file.error_at(&key("display_vm"), format!("VM {dvm:?} has no agent")))
                        }
                        Some(_) if dvm == &app.vm => {
                            return Err(file.error_at(&key("display_vm"), "the display client runs in another VM"))
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        self.open.check(file, self)
    }

    /// The backend of a managed VM.
    pub fn backend_of<'a>(&'a self, vm: &'a Vm) -> &'a Backend {
        vm.backend.as_ref().unwrap_or(&self.default_backend)
    }

    pub fn agent_ready(&self, vm: &Vm) -> Duration {
        Duration::from_secs_f64(vm.agent_ready_secs.unwrap_or(self.timeouts.agent_ready_secs))
    }
}

fn check_backend(file: &TomlFile, key: &str, b: &Backend) -> Result<(), ConfigError> {
    match b {
        Backend::Systemd { unit } => {
            if unit.is_empty() || unit.contains(char::is_whitespace) {
                return Err(file.error_at(&format!("{key}.unit"), "not a unit name"));
            }
            if let Some(p) = unknown_placeholder(std::slice::from_ref(unit), &["vm"]) {
                return Err(file.error_at(&format!("{key}.unit"), format!("unknown placeholder {p} (known: {{vm}})")));
            }
        }
        Backend::Command { start, stop, status } => {
            for (k, argv) in [("start", start), ("stop", stop), ("status", status)] {
                if argv.is_empty() {
                    return Err(file.error_at(&format!("{key}.{k}"), "empty command"));
                }
                if let Some(p) = unknown_placeholder(argv, &BACKEND_PLACEHOLDERS) {
                    return Err(file.error_at(
                        &format!("{key}.{k}"),
                        format!("unknown placeholder {p} (known: {{vm}}, {{cid}}, {{disk_image}})"),
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../../assets/examples/hostd.toml");

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_file(&TomlFile::from_text("/etc/canopy/hostd.toml", text))
    }

    const BASE: &str = r#"
listen = ["unix:/run/h.sock"]
[allow]
uids = [1000]
[vms.web]
trust = "untrusted"
agent = "unix:/run/web-agent.sock"
backend = { kind = "command", start = ["vm", "start", "{vm}"], stop = ["vm", "stop", "{vm}"], status = ["vm", "status", "{vm}"] }
[apps.browser]
display_name = "Browser"
vm = "web"
args = { kind = "url" }
"#;

    #[test]
    fn the_example_is_valid() {
        let c = parse(EXAMPLE).unwrap();
        assert_eq!(c.vms.len(), 5);
        assert_eq!(c.apps["windows"].kind, AppKind::VmDisplay);
        assert_eq!(c.backend_of(&c.vms["chromium-vm"]), &Backend::Systemd { unit: "microvm@{vm}.service".into() });
        assert_eq!(c.apps["browser"].agent_app("browser"), "chromium");
        let with_svg =
            BASE.replace("display_name = \"Browser\"", "icon = \"/usr/share/icons/b.svg\"\ndisplay_name = \"B\"");
        assert_eq!(parse(&with_svg).unwrap().apps["browser"].icon.as_deref(), Some("/usr/share/icons/b.svg"));
        // Its policy: links from any VM ask, the browser's VM first; the mail VM's PDFs go to
        // the PDF VM without asking.
        use super::super::policy::{Decision, Looks, Target, What};
        use canopy_protocols::lifecycle::open::Intent;
        let link = What { from: "zathura-vm", intent: Intent::Open, looks: Looks::Url { scheme: "https" } };
        let Decision::Ask(offered) = c.open.decide(&c, &link).unwrap() else { panic!("links ask") };
        assert_eq!(offered[0].vm, "chromium-vm");
        assert!(offered.iter().all(|t| t.vm != "gui-vm"));
        let pdf = ["application/pdf".to_string()];
        let mail_pdf = What { from: "gala-vm", intent: Intent::Open, looks: Looks::Files { types: &pdf } };
        let to_pdf_vm = Target { vm: "zathura-vm".into(), app: Some("pdf".into()) };
        assert_eq!(c.open.decide(&c, &mail_pdf).unwrap(), Decision::Go(to_pdf_vm));
    }

    #[test]
    fn base_is_valid_and_defaults_apply() {
        let c = parse(BASE).unwrap();
        assert_eq!(c.timeouts.agent_ready_secs, 60.0);
        assert!(c.vms["web"].managed);
        assert_eq!(c.apps["browser"].agent_app("browser"), "browser");
        assert_eq!(c.apps["browser"].args.max, 1);
    }

    /// Each mistake is reported with the line and key where it is.
    #[test]
    fn mistakes_name_line_and_key() {
        let cases: &[(&str, &str, &str, usize, &str)] = &[
            // (replace, with, key, line, message part)
            ("trust = \"untrusted\"", "trust = \"mauve\"", "vms.web.trust", 6, "unknown trust level"),
            ("vm = \"web\"", "vm = \"nope\"", "apps.browser.vm", 11, "no VM \"nope\""),
            ("{vm}\"], status", "{vmname}\"], status", "vms.web.backend.stop", 8, "unknown placeholder {vmname}"),
            (
                "args = { kind = \"url\" }",
                "args = { kind = \"shell\" }",
                "apps.browser.args.kind",
                12,
                "unknown variant",
            ),
            ("args = { kind = \"url\" }", "args = { kind = \"url\", min = 2 }", "apps.browser.args", 12, "min (2)"),
            ("display_name", "dispay_name", "apps.browser.dispay_name", 10, "unknown field `dispay_name`"),
            ("uids = [1000]", "uids = []", "allow", 3, "nobody is allowed"),
            (
                "display_name = \"Browser\"",
                "icon = \"document\"\ndisplay_name = \"B\"",
                "apps.browser.icon",
                10,
                "no built-in icon `document` (built in: app, android",
            ),
            (
                "display_name = \"Browser\"",
                "icon = \"icons/b.svg\"\ndisplay_name = \"B\"",
                "apps.browser.icon",
                10,
                "not an absolute path",
            ),
            ("kind = \"command\"", "kind = \"libvirt\"", "vms.web.backend.kind", 8, "unknown variant `libvirt`"),
            (
                "agent = \"unix:/run/web-agent.sock\"",
                "agent = \"tcp:1.2.3.4:5\"",
                "vms.web.agent",
                7,
                "expected unix:PATH, vsock:CID:PORT or vsock-mux:PATH:PORT",
            ),
        ];
        for (from, to, key, line, msg) in cases {
            assert!(BASE.contains(from), "{from}");
            let e = parse(&BASE.replacen(from, to, 1)).unwrap_err();
            assert_eq!((e.key.as_str(), e.line), (*key, *line), "{e}");
            assert!(e.message.contains(msg), "{e}");
            assert!(e.to_string().starts_with(&format!("/etc/canopy/hostd.toml:{line}: key `{key}`")), "{e}");
        }
    }

    #[test]
    fn apps_need_an_agent_and_displays_need_a_display_vm() {
        let no_agent = BASE.replace("agent = \"unix:/run/web-agent.sock\"\n", "");
        let e = parse(&no_agent).unwrap_err();
        assert_eq!(e.key, "apps.browser.vm");
        assert!(e.message.contains("has no agent"), "{e}");

        let display = format!("{BASE}[apps.win]\ndisplay_name = \"W\"\nkind = \"vm-display\"\nvm = \"web\"\n");
        let e = parse(&display).unwrap_err();
        assert!(e.message.contains("missing display_vm"), "{e}");
        assert_eq!(e.line, 13, "{e}");
    }
}
