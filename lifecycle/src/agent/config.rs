//! `canopy-agent`'s config file (TOML): who may connect, the Wayland socket apps get, and the
//! only commands the agent will ever run. See `assets/examples/agent.toml`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use canopy_common::config::{ConfigError, TomlFile};
use canopy_protocols::lifecycle::{ArgSpec, MAX_AGENT_APPS, MAX_APP_NAME};
use serde::Deserialize;

use canopy_common::transport::Address;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub listen: Vec<Address>,
    pub allow: Allow,
    /// `WAYLAND_DISPLAY` for apps: the guest proxy's socket, a name in the runtime dir or an
    /// absolute path.
    pub wayland_display: String,
    /// `XDG_RUNTIME_DIR` for apps; the agent's own when absent.
    #[serde(default)]
    pub runtime_dir: Option<PathBuf>,
    /// Extra environment for every app.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// How long a start waits for the Wayland socket to appear (the guest proxy may still be
    /// starting); 0 does not check it at all.
    #[serde(default = "default_display_wait")]
    pub display_wait_secs: f64,
    /// How long an app may take to exit after SIGTERM before it gets SIGKILL.
    #[serde(default = "default_stop_timeout")]
    pub stop_timeout_secs: f64,
    /// `canopy-open` and `canopy-send` in this VM, and files from other VMs.
    #[serde(default)]
    pub opener: Opener,
    pub apps: BTreeMap<String, App>,
}

/// Where `canopy-open` and `canopy-send` reach the agent, who may use them, and where files
/// from other VMs land.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opener {
    /// Local sockets for `canopy-open` and `canopy-send` (none: this VM cannot ask).
    #[serde(default)]
    pub listen: Vec<Address>,
    /// Users who may ask (on `unix:` sockets, the only kind this takes).
    #[serde(default)]
    pub uids: Vec<u32>,
    /// Files from VM `v` land in `incoming/v/`; default `$HOME/Incoming`.
    #[serde(default)]
    pub incoming: Option<PathBuf>,
}

/// Who may send requests: hostd.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allow {
    /// hostd's CID on vsock (2 when hostd runs on the host).
    #[serde(default)]
    pub host_cid: Option<u32>,
    /// Users allowed on `unix:` sockets.
    #[serde(default)]
    pub uids: Vec<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct App {
    /// Program and fixed arguments; request arguments are appended, one argv element each.
    pub command: Vec<String>,
    #[serde(default = "ArgSpec::none")]
    pub args: ArgSpec,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Overrides the agent's `wayland_display` for this app.
    #[serde(default)]
    pub wayland_display: Option<String>,
    #[serde(default)]
    pub working_dir: Option<PathBuf>,
    /// An exit within this time after the start is reported as the start's result (an app that
    /// fails at once makes the StartApp request fail). 0 answers at once.
    #[serde(default = "default_grace")]
    pub startup_grace_ms: u64,
}

impl App {
    pub fn grace(&self) -> Duration {
        Duration::from_millis(self.startup_grace_ms)
    }
}

fn default_stop_timeout() -> f64 {
    5.0
}
fn default_display_wait() -> f64 {
    10.0
}
fn default_grace() -> u64 {
    500
}

fn good_env_name(k: &str) -> bool {
    !k.is_empty() && !k.contains(['=', '\0']) && !k.starts_with(|c: char| c.is_ascii_digit())
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Self::from_file(&TomlFile::read(path)?)
    }

    pub fn from_file(file: &TomlFile) -> Result<Config, ConfigError> {
        let c: Config = file.parse()?;
        if c.listen.is_empty() {
            return Err(file.error_at("listen", "give at least one address"));
        }
        if c.allow.host_cid.is_none() && c.allow.uids.is_empty() {
            return Err(file.error_at("allow", "nobody is allowed: set host_cid and/or uids"));
        }
        if c.wayland_display.is_empty() {
            return Err(file.error_at("wayland_display", "must not be empty"));
        }
        if !(c.display_wait_secs >= 0.0 && c.display_wait_secs <= 3600.0) {
            return Err(file.error_at("display_wait_secs", "must be between 0 and 3600 seconds"));
        }
        if !(c.stop_timeout_secs > 0.0 && c.stop_timeout_secs <= 3600.0) {
            return Err(file.error_at("stop_timeout_secs", "must be between 0 and 3600 seconds"));
        }
        if let Some(k) = c.env.keys().find(|k| !good_env_name(k)) {
            return Err(file.error_at(&format!("env.{k}"), "not an environment variable name"));
        }
        let o = &c.opener;
        if !o.listen.is_empty() && o.uids.is_empty() {
            return Err(file.error_at("opener.uids", "nobody may ask: give the uids of this VM's users"));
        }
        if let Some(i) = o.listen.iter().position(|a| !matches!(a, Address::Unix(_))) {
            return Err(file.error_at(&format!("opener.listen.{i}"), "only unix: sockets (programs of this VM ask)"));
        }
        if o.incoming.as_ref().is_some_and(|p| !p.is_absolute()) {
            return Err(file.error_at("opener.incoming", "must be an absolute path"));
        }
        // hostd believes no agent that names more apps, or longer names.
        if c.apps.len() > MAX_AGENT_APPS {
            return Err(file.error_at("apps", format!("at most {MAX_AGENT_APPS} apps")));
        }
        for (name, app) in &c.apps {
            let key = |k: &str| format!("apps.{name}.{k}");
            if name.len() > MAX_APP_NAME {
                return Err(
                    file.error_at(&format!("apps.{name}"), format!("app names are at most {MAX_APP_NAME} bytes"))
                );
            }
            if app.command.first().is_none_or(|p| p.is_empty()) {
                return Err(file.error_at(&key("command"), "empty command"));
            }
            if let Some(problem) = app.args.problem() {
                return Err(file.error_at(&key("args"), problem));
            }
            if let Some(k) = app.env.keys().find(|k| !good_env_name(k)) {
                return Err(file.error_at(&key(&format!("env.{k}")), "not an environment variable name"));
            }
            if app.startup_grace_ms > 60_000 {
                return Err(file.error_at(&key("startup_grace_ms"), "at most 60000"));
            }
        }
        Ok(c)
    }

    /// The Wayland socket an app gets, as a path, when it can be known here.
    pub fn display_path(&self, app: &App) -> Option<PathBuf> {
        let display = Path::new(app.wayland_display.as_ref().unwrap_or(&self.wayland_display));
        if display.is_absolute() {
            return Some(display.to_path_buf());
        }
        let runtime = self.runtime_dir.clone().or_else(|| std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from))?;
        Some(runtime.join(display))
    }

    pub fn stop_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.stop_timeout_secs)
    }

    /// Where files from other VMs land (in a folder per VM): the configured folder, or
    /// `$HOME/Incoming`.
    pub fn incoming(&self) -> Option<PathBuf> {
        self.opener.incoming.clone().or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join("Incoming")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_file(&TomlFile::from_text("agent.toml", text))
    }

    #[test]
    fn the_examples_are_valid() {
        let c = parse(include_str!("../../../assets/examples/agent.toml")).unwrap();
        assert_eq!(c.apps["zathura"].command, ["zathura"]);
        assert_eq!(c.apps["chromium"].grace(), Duration::from_millis(500));
        parse(include_str!("../../../assets/examples/gui-agent.toml")).unwrap();
    }

    #[test]
    fn mistakes_name_line_and_key() {
        let base =
            "listen = [\"unix:/a\"]\nwayland_display = \"w\"\n[allow]\nuids = [0]\n[apps.x]\ncommand = [\"x\"]\n";
        parse(base).unwrap();
        let e = parse(&base.replace("command = [\"x\"]", "command = []")).unwrap_err();
        assert_eq!((e.key.as_str(), e.line), ("apps.x.command", 6), "{e}");
        let e = parse(&base.replace("command = [\"x\"]", "command = [\"x\"]\nshell = true")).unwrap_err();
        assert_eq!((e.key.as_str(), e.line), ("apps.x.shell", 7), "{e}");
        assert!(e.message.contains("unknown field `shell`"), "{e}");
        let e =
            parse(&base.replace("[apps.x]", "[opener]\nlisten = [\"vsock:2:5\"]\nuids = [1]\n[apps.x]")).unwrap_err();
        assert_eq!((e.key.as_str(), e.line), ("opener.listen.0", 6), "{e}");
        let e = parse(&base.replace("[apps.x]", "[opener]\nlisten = [\"unix:/o\"]\n[apps.x]")).unwrap_err();
        assert!(e.message.contains("nobody may ask"), "{e}");
        let e = parse(&base.replace("[allow]", "env = { \"A=B\" = \"1\" }\n[allow]")).unwrap_err();
        assert_eq!(e.key, "env.A=B", "{e}");
        let long = "n".repeat(MAX_APP_NAME + 1);
        let e = parse(&base.replace("[apps.x]", &format!("[apps.{long}]"))).unwrap_err();
        assert_eq!((e.key, e.line), (format!("apps.{long}"), 5));
        assert!(e.message.contains("at most 256 bytes"), "{}", e.message);
    }
}
