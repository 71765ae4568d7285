//! Strict TOML loading: every error names the file, the line and the key.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// A config error that a person can act on: which file, which line, which key, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based; 0 when the error is about the file as a whole (for example it cannot be read).
    pub line: usize,
    /// Dotted key path such as `vms.browser.trust`; empty for file-level errors.
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if !self.key.is_empty() {
            write!(f, ": key `{}`", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Whether `name` may name a VM or an app in a config: 1 to 64 ASCII letters, digits, `-`, `_`
/// and `.`, not starting with `-` or `.`.
pub fn good_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with(['-', '.'])
}

/// The text of a TOML file, kept so that errors found after parsing can still be placed.
#[derive(Debug, Clone)]
pub struct TomlFile {
    pub path: PathBuf,
    pub text: String,
}

impl TomlFile {
    pub fn read(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref().to_path_buf();
        let text = std::fs::read_to_string(&path).map_err(|e| ConfigError {
            file: path.clone(),
            line: 0,
            key: String::new(),
            message: format!("cannot read: {e}"),
        })?;
        Ok(Self { path, text })
    }

    pub fn from_text(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        Self { path: path.into(), text: text.into() }
    }

    /// Deserialise the whole file. Unknown keys are errors when the target type says
    /// `#[serde(deny_unknown_fields)]`, which every canopy config type does.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        let de = toml::de::Deserializer::parse(&self.text).map_err(|e| self.toml_error(&e, ""))?;
        serde_path_to_error::deserialize(de).map_err(|e| {
            let key = path_to_key(e.path());
            self.toml_error(e.inner(), &key)
        })
    }

    /// An error about `key` (dotted path) found after parsing, placed on the key's line.
    pub fn error_at(&self, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.path.clone(),
            line: self.line_of_key(key).unwrap_or(0),
            key: key.to_string(),
            message: message.into(),
        }
    }

    fn toml_error(&self, e: &toml::de::Error, key: &str) -> ConfigError {
        let line = e.span().map(|s| line_of_offset(&self.text, s.start)).or_else(|| self.line_of_key(key)).unwrap_or(0);
        ConfigError { file: self.path.clone(), line, key: key.to_string(), message: e.message().trim().to_string() }
    }

    /// 1-based line where the key (or the deepest existing part of its path) is written.
    pub fn line_of_key(&self, key: &str) -> Option<usize> {
        let root = DeTable::parse(&self.text).ok()?;
        let mut span = None;
        let mut table: &DeTable = root.get_ref();
        let parts = split_key(key);
        let mut current: Option<&Spanned<DeValue>> = None;
        for part in parts.iter().map(String::as_str) {
            let next = match current.map(|v| v.get_ref()) {
                None => find_in_table(table, part),
                Some(DeValue::Table(t)) => {
                    table = t;
                    find_in_table(table, part)
                }
                Some(DeValue::Array(a)) => part.parse::<usize>().ok().and_then(|i| a.get(i)).map(|v| (None, v)),
                Some(_) => None,
            };
            match next {
                Some((k, v)) => {
                    span = Some(k.unwrap_or_else(|| v.span()));
                    current = Some(v);
                }
                None => break,
            }
        }
        span.map(|s| line_of_offset(&self.text, s.start))
    }
}

type Entry<'a, 'i> = (Option<std::ops::Range<usize>>, &'a Spanned<DeValue<'i>>);

fn find_in_table<'a, 'i>(table: &'a DeTable<'i>, name: &str) -> Option<Entry<'a, 'i>> {
    table.iter().find(|(k, _)| k.get_ref().as_ref() == name).map(|(k, v)| (Some(k.span()), v))
}

/// Split a dotted key path; segments may be quoted (`keybindings."Super+Return"`).
fn split_key(key: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in key.chars() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    parts.push(cur);
    parts.retain(|p| !p.is_empty());
    parts
}

fn path_to_key(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        let s = match seg {
            Segment::Seq { index } => index.to_string(),
            Segment::Map { key } => key.clone(),
            Segment::Enum { variant } => variant.clone(),
            Segment::Unknown => continue,
        };
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(&s);
    }
    out
}

fn line_of_offset(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset].iter().filter(|&&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Cfg {
        name: String,
        #[serde(default)]
        vms: std::collections::BTreeMap<String, Vm>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Vm {
        trust: String,
        cid: u32,
    }

    fn parse(text: &str) -> Result<Cfg, ConfigError> {
        TomlFile::from_text("/etc/x.toml", text).parse()
    }

    #[test]
    fn type_error_names_line_and_key() {
        let e = parse("name = \"a\"\n\n[vms.browser]\ntrust = \"work\"\ncid = \"three\"\n").unwrap_err();
        assert_eq!(e.line, 5, "{e}");
        assert_eq!(e.key, "vms.browser.cid");
        assert!(e.to_string().starts_with("/etc/x.toml:5: key `vms.browser.cid`: "), "{e}");
    }

    #[test]
    fn unknown_key_is_an_error() {
        let e = parse("name = \"a\"\ncolour = 3\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(e.message.contains("unknown field `colour`"), "{e}");
    }

    #[test]
    fn syntax_error_names_line() {
        let e = parse("name = \"a\"\n[vms.x\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
    }

    #[test]
    fn missing_key_names_table() {
        let e = parse("name = \"a\"\n[vms.pdf]\ncid = 4\n").unwrap_err();
        assert!(e.message.contains("missing field `trust`"), "{e}");
        assert_eq!(e.key, "vms.pdf");
        assert_eq!(e.line, 2, "{e}");
    }

    #[test]
    fn error_at_finds_nested_keys() {
        let f = TomlFile::from_text("f", "name = \"a\"\n[vms.b]\ntrust = \"x\"\ncid = 1\n");
        assert_eq!(f.error_at("vms.b.trust", "bad").line, 3);
        assert_eq!(f.error_at("vms.b", "bad").line, 2);
        assert_eq!(f.error_at("nope", "bad").line, 0);
    }

    #[test]
    fn quoted_key_segments() {
        let f = TomlFile::from_text("f", "[keys]\na = 1\n\"Super+Return\" = 2\n");
        assert_eq!(f.line_of_key("keys.\"Super+Return\""), Some(3));
        assert_eq!(split_key("a.\"b.c\".d"), vec!["a", "b.c", "d"]);
    }

    #[test]
    fn unreadable_file() {
        let e = TomlFile::read("/nonexistent/canopy.toml").unwrap_err();
        assert!(e.to_string().contains("/nonexistent/canopy.toml: cannot read"), "{e}");
    }
}
