//! Where links and files from a VM may go: hostd's `[open]` config. Rules are tried in order
//! and the first that matches decides: deny, go to a named VM (`open`, for a send: deliver
//! there), or ask the user, offering one or more VMs (`*`: every VM that can take it). Without
//! rules, every request asks. Only managed VMs with an agent can ever be a target: nothing goes
//! to the GUI VM (trust `local`, not managed) or to the host.

use canopy_common::config::{ConfigError, TomlFile};
use canopy_protocols::lifecycle::open::{is_scheme, Intent, OpenError};
use canopy_protocols::lifecycle::{AppKind, ArgKind};
use serde::Deserialize;

use super::config::{App, Config};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenConfig {
    /// Largest file that may be sent or opened across VMs.
    #[serde(default = "default_max_file")]
    pub max_file_bytes: u64,
    /// How long the user has to choose; no answer denies.
    #[serde(default = "default_choice")]
    pub choice_timeout_secs: f64,
    /// How long one file may take to go from one VM to the other.
    #[serde(default = "default_transfer")]
    pub transfer_timeout_secs: f64,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

impl Default for OpenConfig {
    fn default() -> Self {
        OpenConfig {
            max_file_bytes: default_max_file(),
            choice_timeout_secs: default_choice(),
            transfer_timeout_secs: default_transfer(),
            rules: Vec::new(),
        }
    }
}

fn default_max_file() -> u64 {
    1 << 30
}
fn default_choice() -> f64 {
    30.0
}
fn default_transfer() -> f64 {
    600.0
}
fn anyone() -> Vec<String> {
    vec!["*".into()]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Url,
    File,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Ask,
    Open,
    Deny,
}

/// One rule: what it matches (every field it sets must match) and what it decides.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Source VMs, or `*`.
    #[serde(default = "anyone")]
    pub from: Vec<String>,
    #[serde(default)]
    pub kind: Option<Kind>,
    /// `open` or `send` (files only are sent).
    #[serde(default)]
    pub intent: Option<Intent>,
    /// URL schemes (`kind = "url"`).
    #[serde(default)]
    pub schemes: Vec<String>,
    /// MIME types such as `application/pdf` or `image/*` (`kind = "file"`; every file of a
    /// request must match).
    #[serde(default)]
    pub types: Vec<String>,
    pub action: Action,
    /// Target VMs: one for `open`, one or more for `ask` (`*` adds every VM that can take it).
    #[serde(default)]
    pub to: Vec<String>,
    /// What a `deny` tells the user.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A request, as the rules see it.
#[derive(Debug, Clone)]
pub struct What<'a> {
    pub from: &'a str,
    pub intent: Intent,
    pub looks: Looks<'a>,
}

#[derive(Debug, Clone)]
pub enum Looks<'a> {
    Url { scheme: &'a str },
    Files { types: &'a [String] },
}

/// What the policy decided, with the targets checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Deny(String),
    Go(Target),
    /// Offer these, the first preferred.
    Ask(Vec<Target>),
}

/// A VM a request may go to, and the app that opens it there (none for a send).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub vm: String,
    pub app: Option<String>,
}

/// The MIME type of a file, from its name.
pub fn type_of(name: &str) -> String {
    mime_guess::from_path(name).first_or_octet_stream().essence_str().to_string()
}

fn type_matches(pattern: &str, mime: &str) -> bool {
    match pattern.split_once('/') {
        _ if pattern == "*" || pattern == "*/*" => true,
        Some((major, "*")) => mime.split('/').next().is_some_and(|m| m.eq_ignore_ascii_case(major)),
        _ => pattern.eq_ignore_ascii_case(mime),
    }
}

fn good_type_pattern(p: &str) -> bool {
    let token = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c));
    p == "*" || p == "*/*" || p.split_once('/').is_some_and(|(a, b)| token(a) && (b == "*" || token(b)))
}

impl Rule {
    fn matches(&self, what: &What) -> bool {
        let from = self.from.iter().any(|f| f == "*" || f == what.from);
        let intent = self.intent.is_none_or(|i| i == what.intent);
        let looks = match (&what.looks, self.kind) {
            (Looks::Url { scheme }, None | Some(Kind::Url)) => {
                self.schemes.is_empty() || self.schemes.iter().any(|s| s.eq_ignore_ascii_case(scheme))
            }
            (Looks::Files { types }, None | Some(Kind::File)) => {
                self.types.is_empty() || types.iter().all(|t| self.types.iter().any(|p| type_matches(p, t)))
            }
            _ => false,
        };
        from && intent && looks
    }
}

/// Whether a VM may ever be a target: managed, with an agent, and not the GUI VM's trust level.
fn may_receive(config: &Config, vm: &str) -> Result<(), String> {
    match config.vms.get(vm) {
        None => Err(format!("no VM {vm:?}")),
        Some(v) if !v.managed || v.trust == "local" => Err(format!("{vm:?} is the GUI VM: nothing opens there")),
        Some(v) if v.agent.is_none() => Err(format!("VM {vm:?} has no agent to take it")),
        Some(_) => Ok(()),
    }
}

/// The app that opens `looks` in `vm`, by name (the first in the config that can).
pub fn app_for<'a>(config: &'a Config, vm: &str, looks: &Looks) -> Option<(&'a str, &'a App)> {
    config.apps.iter().map(|(n, a)| (n.as_str(), a)).find(|(_, app)| {
        app.kind == AppKind::App
            && app.offered_in(vm)
            && app.args.max_count() >= 1
            && match looks {
                Looks::Url { scheme } => {
                    app.args.kind == ArgKind::Url && app.args.schemes.iter().any(|s| s.eq_ignore_ascii_case(scheme))
                }
                Looks::Files { types } => {
                    app.args.kind == ArgKind::File
                        && types.len() == 1
                        && app.opens.iter().any(|p| type_matches(p, &types[0]))
                }
            }
    })
}

impl OpenConfig {
    /// Decide where `what` may go. An error when no VM can take it.
    pub fn decide(&self, config: &Config, what: &What) -> Result<Decision, OpenError> {
        let default = [Rule {
            from: anyone(),
            kind: None,
            intent: None,
            schemes: Vec::new(),
            types: Vec::new(),
            action: Action::Ask,
            to: vec!["*".into()],
            reason: None,
        }];
        let rules = if self.rules.is_empty() { &default[..] } else { &self.rules[..] };
        let Some((i, rule)) = rules.iter().enumerate().find(|(_, r)| r.matches(what)) else {
            return Ok(Decision::Deny("no rule allows it".into()));
        };
        tracing::debug!("request from {}: rule {i} decides ({:?})", what.from, rule.action);
        match rule.action {
            Action::Deny => Ok(Decision::Deny(rule.reason.clone().unwrap_or_else(|| "the policy forbids it".into()))),
            Action::Open => {
                let vm = &rule.to[0];
                self.target(config, vm, what).map(Decision::Go).map_err(|reason| OpenError::NoSuchTarget { reason })
            }
            Action::Ask => {
                let mut targets: Vec<Target> = Vec::new();
                for vm in &rule.to {
                    let found = if vm == "*" {
                        self.every_target(config, what)
                    } else {
                        self.target(config, vm, what).into_iter().collect()
                    };
                    for t in found {
                        if !targets.iter().any(|o| o.vm == t.vm) {
                            targets.push(t);
                        }
                    }
                }
                if targets.is_empty() {
                    return Err(OpenError::NoSuchTarget { reason: nothing_can(what) });
                }
                Ok(Decision::Ask(targets))
            }
        }
    }

    /// `vm` as a target of `what`, or why it cannot be one.
    fn target(&self, config: &Config, vm: &str, what: &What) -> Result<Target, String> {
        may_receive(config, vm)?;
        match what.intent {
            Intent::Send => Ok(Target { vm: vm.into(), app: None }),
            Intent::Open => match app_for(config, vm, &what.looks) {
                Some((app, _)) => Ok(Target { vm: vm.into(), app: Some(app.into()) }),
                None => Err(format!("VM {vm:?} has no app for it ({})", nothing_can(what))),
            },
        }
    }

    /// Every VM that can take `what`: those whose app for it has them as its own VM first (the
    /// browser's VM for links), then the others; for a send, every VM but the sender's.
    fn every_target(&self, config: &Config, what: &What) -> Vec<Target> {
        let mut found: Vec<(bool, Target)> = config
            .vms
            .keys()
            .filter(|vm| !(what.intent == Intent::Send && vm.as_str() == what.from))
            .filter_map(|vm| self.target(config, vm, what).ok())
            .map(|t| {
                let home = t.app.as_ref().is_some_and(|a| config.apps[a].vm == t.vm);
                (!home, t)
            })
            .collect();
        found.sort_by(|a, b| (a.0, &a.1.vm).cmp(&(b.0, &b.1.vm)));
        found.into_iter().map(|(_, t)| t).collect()
    }

    /// Problems with the `[open]` section and the apps' `opens`, placed on their lines.
    pub fn check(&self, file: &TomlFile, config: &Config) -> Result<(), ConfigError> {
        if self.max_file_bytes == 0 {
            return Err(file.error_at("open.max_file_bytes", "must be more than 0"));
        }
        for (key, v, max) in [
            ("choice_timeout_secs", self.choice_timeout_secs, 3600.0),
            ("transfer_timeout_secs", self.transfer_timeout_secs, 86400.0),
        ] {
            if !(v > 0.0 && v <= max) {
                return Err(file.error_at(&format!("open.{key}"), format!("must be between 0 and {max} seconds")));
            }
        }
        for (i, r) in self.rules.iter().enumerate() {
            let key = |k: &str| format!("open.rules.{i}.{k}");
            for (j, f) in r.from.iter().enumerate() {
                if f != "*" && !config.vms.contains_key(f) {
                    return Err(file.error_at(&key(&format!("from.{j}")), format!("no VM {f:?} in [vms]")));
                }
            }
            if !r.schemes.is_empty() && r.kind != Some(Kind::Url) {
                return Err(file.error_at(&key("schemes"), "schemes need kind = \"url\""));
            }
            if let Some(s) = r.schemes.iter().find(|s| !is_scheme(s)) {
                return Err(file.error_at(&key("schemes"), format!("{s:?} is not a URL scheme")));
            }
            if !r.types.is_empty() && r.kind != Some(Kind::File) {
                return Err(file.error_at(&key("types"), "types need kind = \"file\""));
            }
            if let Some(t) = r.types.iter().find(|t| !good_type_pattern(t)) {
                return Err(
                    file.error_at(&key("types"), format!("{t:?} is not a MIME type such as image/png or image/*"))
                );
            }
            if r.intent == Some(Intent::Send) && r.kind == Some(Kind::Url) {
                return Err(file.error_at(&key("intent"), "links are opened, never sent"));
            }
            if r.reason.is_some() && r.action != Action::Deny {
                return Err(file.error_at(&key("reason"), "only a deny gives a reason"));
            }
            match (r.action, r.to.len()) {
                (Action::Deny, 0) => {}
                (Action::Deny, _) => return Err(file.error_at(&key("to"), "a deny goes nowhere: leave out `to`")),
                (Action::Open, 1) if r.to[0] != "*" => {}
                (Action::Open, _) => return Err(file.error_at(&key("to"), "`open` names exactly one VM")),
                (Action::Ask, 0) => return Err(file.error_at(&key("action"), "`ask` needs VMs to offer in `to`")),
                (Action::Ask, _) => {}
            }
            for (j, vm) in r.to.iter().enumerate() {
                if vm != "*" {
                    may_receive(config, vm).map_err(|why| file.error_at(&key(&format!("to.{j}")), why))?;
                }
            }
        }
        for (name, app) in &config.apps {
            if app.opens.is_empty() {
                continue;
            }
            let key = format!("apps.{name}.opens");
            if app.args.kind != ArgKind::File {
                return Err(file.error_at(&key, "only an app that takes a file opens file types"));
            }
            if let Some(t) = app.opens.iter().find(|t| !good_type_pattern(t)) {
                return Err(file.error_at(&key, format!("{t:?} is not a MIME type such as image/png or image/*")));
            }
        }
        Ok(())
    }
}

/// Why nothing can take `what`, for the user.
fn nothing_can(what: &What) -> String {
    match (&what.looks, what.intent) {
        (Looks::Url { scheme }, _) => format!("no VM has an app for {scheme}: links"),
        (Looks::Files { .. }, Intent::Send) => "no VM may take files from this one".into(),
        (Looks::Files { types }, Intent::Open) => format!("no VM has an app for {}", types.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
listen = ["unix:/run/h.sock"]
[allow]
uids = [1000]
[vms.gui]
trust = "local"
managed = false
agent = "unix:/run/gui-agent.sock"
[vms.docs]
trust = "work"
agent = "unix:/run/docs-agent.sock"
[vms.web]
trust = "untrusted"
agent = "unix:/run/web-agent.sock"
[vms.mail]
trust = "personal"
agent = "unix:/run/mail-agent.sock"
[vms.win]
trust = "untrusted"
[apps.browser]
display_name = "Browser"
vm = "web"
other_vms = ["mail"]
args = { kind = "url" }
[apps.mailer]
display_name = "Mail"
vm = "mail"
args = { kind = "url", schemes = ["mailto"] }
[apps.pdf]
display_name = "PDF viewer"
vm = "docs"
args = { kind = "file" }
opens = ["application/pdf", "image/*"]
"#;

    fn config(extra: &str) -> Result<Config, ConfigError> {
        Config::from_file(&TomlFile::from_text("/etc/canopy/hostd.toml", format!("{BASE}{extra}")))
    }

    fn url<'a>(from: &'a str, scheme: &'a str) -> What<'a> {
        What { from, intent: Intent::Open, looks: Looks::Url { scheme } }
    }

    fn vms(d: &Decision) -> Vec<&str> {
        match d {
            Decision::Ask(t) => t.iter().map(|t| t.vm.as_str()).collect(),
            Decision::Go(t) => vec![t.vm.as_str()],
            Decision::Deny(_) => vec![],
        }
    }

    #[test]
    fn without_rules_everything_asks_the_vms_that_can_take_it() {
        let c = config("").unwrap();
        let d = c.open.decide(&c, &url("docs", "https")).unwrap();
        // The browser's own VM first, then the other it is offered in; never the GUI VM.
        assert_eq!(vms(&d), ["web", "mail"]);
        let Decision::Ask(t) = &d else { panic!() };
        assert_eq!(t[0].app.as_deref(), Some("browser"));
        assert_eq!(vms(&c.open.decide(&c, &url("web", "mailto")).unwrap()), ["mail"]);
        let e = c.open.decide(&c, &url("docs", "javascript")).unwrap_err();
        assert_eq!(e, OpenError::NoSuchTarget { reason: "no VM has an app for javascript: links".into() });
        let pdf = ["application/pdf".to_string()];
        let open = What { from: "web", intent: Intent::Open, looks: Looks::Files { types: &pdf } };
        assert_eq!(vms(&c.open.decide(&c, &open).unwrap()), ["docs"]);
        let exe = ["application/x-msdownload".to_string()];
        let open_exe = What { from: "web", intent: Intent::Open, looks: Looks::Files { types: &exe } };
        assert!(c.open.decide(&c, &open_exe).is_err());
        // A send may go to any VM with an agent but its own and the GUI VM.
        let send = What { from: "web", intent: Intent::Send, looks: Looks::Files { types: &exe } };
        assert_eq!(vms(&c.open.decide(&c, &send).unwrap()), ["docs", "mail"]);
    }

    #[test]
    fn the_first_matching_rule_decides() {
        let c = config(
            r#"
[[open.rules]]
from = ["docs"]
kind = "url"
schemes = ["mailto"]
action = "deny"
reason = "mail links stay here"
[[open.rules]]
kind = "url"
action = "ask"
to = ["mail", "*"]
[[open.rules]]
kind = "file"
types = ["image/*"]
intent = "send"
action = "open"
to = ["web"]
[[open.rules]]
action = "deny"
"#,
        )
        .unwrap();
        assert_eq!(c.open.decide(&c, &url("docs", "mailto")).unwrap(), Decision::Deny("mail links stay here".into()));
        // Listed first, then the rest that can take it.
        assert_eq!(vms(&c.open.decide(&c, &url("web", "mailto")).unwrap()), ["mail"]);
        assert_eq!(vms(&c.open.decide(&c, &url("docs", "https")).unwrap()), ["mail", "web"]);
        let png = ["image/png".to_string(), "image/jpeg".to_string()];
        let send = What { from: "docs", intent: Intent::Send, looks: Looks::Files { types: &png } };
        assert_eq!(c.open.decide(&c, &send).unwrap(), Decision::Go(Target { vm: "web".into(), app: None }));
        let mixed = ["image/png".to_string(), "application/pdf".to_string()];
        let send = What { from: "docs", intent: Intent::Send, looks: Looks::Files { types: &mixed } };
        assert!(matches!(c.open.decide(&c, &send).unwrap(), Decision::Deny(_)), "every file must match");
    }

    #[test]
    fn nothing_goes_to_the_gui_vm_and_mistakes_name_line_and_key() {
        let cases: &[(&str, &str, usize, &str)] = &[
            ("[[open.rules]]\naction = \"ask\"\nto = [\"gui\"]\n", "open.rules.0.to.0", 36, "the GUI VM"),
            ("[[open.rules]]\naction = \"open\"\nto = [\"win\"]\n", "open.rules.0.to.0", 36, "has no agent"),
            ("[[open.rules]]\naction = \"open\"\nto = [\"web\", \"mail\"]\n", "open.rules.0.to", 36, "exactly one"),
            ("[[open.rules]]\naction = \"ask\"\n", "open.rules.0.action", 35, "needs VMs"),
            ("[[open.rules]]\nfrom = [\"nope\"]\naction = \"deny\"\n", "open.rules.0.from.0", 35, "no VM \"nope\""),
            (
                "[[open.rules]]\nschemes = [\"https\"]\naction = \"deny\"\n",
                "open.rules.0.schemes",
                35,
                "kind = \"url\"",
            ),
            (
                "[[open.rules]]\nkind = \"file\"\ntypes = [\"pdf\"]\naction = \"deny\"\n",
                "open.rules.0.types",
                36,
                "not a MIME",
            ),
            ("[[open.rules]]\naction = \"deny\"\nto = [\"web\"]\n", "open.rules.0.to", 36, "goes nowhere"),
            ("[[open.rules]]\naction = \"allow\"\n", "open.rules.0.action", 35, "unknown variant"),
            ("[open]\nchoice_timeout_secs = 0\n", "open.choice_timeout_secs", 35, "between 0"),
        ];
        for (extra, key, line, msg) in cases {
            let e = config(extra).unwrap_err();
            assert_eq!((e.key.as_str(), e.line), (*key, *line), "{extra}: {e}");
            assert!(e.message.contains(msg), "{extra}: {e}");
        }
        let e = config("").map(|_| ()).and_then(|()| {
            Config::from_file(&TomlFile::from_text(
                "h.toml",
                BASE.replace("opens = [\"application/pdf\", \"image/*\"]", "opens = [\"x\"]"),
            ))
            .map(|_| ())
        });
        assert!(e.unwrap_err().message.contains("not a MIME type"));
    }

    #[test]
    fn types_come_from_names_and_match_patterns() {
        assert_eq!(type_of("report.pdf"), "application/pdf");
        assert_eq!(type_of("photo.JPG"), "image/jpeg");
        assert_eq!(type_of("no-extension"), "application/octet-stream");
        assert!(type_matches("image/*", "image/png"));
        assert!(!type_matches("image/*", "application/pdf"));
        assert!(type_matches("*", "text/plain"));
        assert!(type_matches("Application/PDF", "application/pdf"));
    }
}
