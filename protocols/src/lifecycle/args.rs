//! Typed app arguments. An app's config says which kind of argument it takes (a URL for the
//! browser, a file for the PDF viewer, none for a terminal) and how many; a request carries typed
//! values that are checked against that. There is no way to pass a free command line: every value
//! becomes exactly one argv element, and no accepted value can start with `-`.

use serde::{Deserialize, Serialize};

use super::open::is_scheme;
use super::open::parse_url;

/// Longest accepted URL or path, in bytes.
pub const MAX_ARG_LEN: usize = 4096;

/// Longest xdg-activation token accepted in transit (smithay makes 32 characters; other
/// compositors differ).
pub const MAX_ACTIVATION_TOKEN: usize = 128;

/// Whether an xdg-activation token may travel to a VM and into an app's environment: non-empty,
/// at most [`MAX_ACTIVATION_TOKEN`] bytes, printable ASCII without spaces.
pub fn activation_token_ok(token: &str) -> bool {
    !token.is_empty() && token.len() <= MAX_ACTIVATION_TOKEN && token.bytes().all(|b| b.is_ascii_graphic())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArgKind {
    #[default]
    None,
    Url,
    File,
}

/// One argument: `{"url": "https://…"}` or `{"file": "/home/user/a.pdf"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppArg {
    Url(String),
    File(String),
}

impl AppArg {
    pub fn kind(&self) -> ArgKind {
        match self {
            AppArg::Url(_) => ArgKind::Url,
            AppArg::File(_) => ArgKind::File,
        }
    }

    pub fn value(&self) -> &str {
        match self {
            AppArg::Url(s) | AppArg::File(s) => s,
        }
    }
}

/// What arguments an app accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgSpec {
    #[serde(default)]
    pub kind: ArgKind,
    /// Fewest arguments.
    #[serde(default)]
    pub min: u32,
    /// Most arguments.
    #[serde(default = "default_max")]
    pub max: u32,
    /// URL schemes accepted for `kind = "url"`.
    #[serde(default = "default_schemes")]
    pub schemes: Vec<String>,
}

fn default_max() -> u32 {
    1
}

fn default_schemes() -> Vec<String> {
    vec!["https".into(), "http".into()]
}

impl Default for ArgSpec {
    fn default() -> Self {
        Self::none()
    }
}

impl ArgSpec {
    /// No arguments at all.
    pub fn none() -> Self {
        Self { kind: ArgKind::None, min: 0, max: 0, schemes: Vec::new() }
    }

    /// At most one argument of `kind`.
    pub fn optional(kind: ArgKind) -> Self {
        Self { kind, min: 0, max: 1, schemes: default_schemes() }
    }

    /// Largest number of arguments actually accepted (none for `kind = "none"`).
    pub fn max_count(&self) -> u32 {
        if self.kind == ArgKind::None {
            0
        } else {
            self.max
        }
    }

    /// A problem with the spec itself, for config checking.
    pub fn problem(&self) -> Option<String> {
        if self.min > self.max_count() {
            return Some(format!("min ({}) is more than max ({})", self.min, self.max_count()));
        }
        if self.kind == ArgKind::Url {
            if self.schemes.is_empty() {
                return Some("a URL argument needs at least one scheme".into());
            }
            if let Some(s) = self.schemes.iter().find(|s| !is_scheme(s)) {
                return Some(format!("{s:?} is not a URL scheme"));
            }
        }
        None
    }

    /// Check request arguments against this spec; the error says what is wrong, for a person.
    pub fn check(&self, args: &[AppArg]) -> Result<(), String> {
        let n = args.len() as u64;
        if n < self.min as u64 || n > self.max_count() as u64 {
            return Err(match (self.kind, self.min, self.max_count()) {
                (ArgKind::None, _, _) => "this app takes no arguments".into(),
                (_, min, max) if min == max => {
                    format!("this app takes exactly {min} argument(s), got {n}")
                }
                (_, min, max) => format!("this app takes {min} to {max} argument(s), got {n}"),
            });
        }
        for arg in args {
            if arg.kind() != self.kind {
                return Err(format!(
                    "argument {:?} is a {}, this app takes a {}",
                    truncate(arg.value()),
                    kind_name(arg.kind()),
                    kind_name(self.kind)
                ));
            }
            match arg {
                AppArg::Url(url) => check_url(url, &self.schemes)?,
                AppArg::File(path) => check_file(path)?,
            }
        }
        Ok(())
    }
}

fn kind_name(kind: ArgKind) -> &'static str {
    match kind {
        ArgKind::None => "nothing",
        ArgKind::Url => "URL",
        ArgKind::File => "file",
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

fn check_len_and_controls(s: &str, what: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err(format!("empty {what}"));
    }
    if s.len() > MAX_ARG_LEN {
        return Err(format!("{what} is longer than {MAX_ARG_LEN} bytes"));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(format!("{what} {:?} contains control characters", truncate(s)));
    }
    Ok(())
}

/// A URL as [`parse_url`] checks it (no spaces, controls or hidden characters, a host for
/// http and https), with a scheme from the allowed list. The app parses the URL itself; this
/// check keeps out whatever is not plainly a URL, such as options.
fn check_url(url: &str, schemes: &[String]) -> Result<(), String> {
    let parts = parse_url(url)?;
    if !schemes.iter().any(|s| s.eq_ignore_ascii_case(&parts.scheme)) {
        return Err(format!("URL scheme {:?} is not allowed (allowed: {})", parts.scheme, schemes.join(", ")));
    }
    Ok(())
}

/// A path inside the app's VM: absolute, without `..`, without control characters.
fn check_file(path: &str) -> Result<(), String> {
    check_len_and_controls(path, "path")?;
    if !path.starts_with('/') {
        return Err(format!("path {:?} is not absolute", truncate(path)));
    }
    if path.split('/').any(|c| c == "..") {
        return Err(format!("path {:?} contains `..`", truncate(path)));
    }
    Ok(())
}
