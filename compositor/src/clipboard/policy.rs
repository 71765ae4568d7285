//! The cross-VM clipboard policy: which VM may paste into which, how much, and of what type.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Allow,
    Deny,
    /// The paste key must be pressed a second time within a few seconds.
    Ask,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A VM name, `local` for the GUI VM's own windows, or `*`.
    pub from: String,
    pub to: String,
    pub action: Decision,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClipboardConfig {
    /// Largest transfer through the global clipboard, in bytes.
    #[serde(default = "default_max")]
    pub max_bytes: usize,
    /// MIME types that may cross between VMs, in order of preference.
    #[serde(default = "default_mime_types")]
    pub mime_types: Vec<String>,
    /// For pairs that no rule names.
    #[serde(default = "default_decision")]
    pub default: Decision,
    /// First matching rule wins.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

fn default_max() -> usize {
    64 * 1024
}

/// Text only: what most people mean by copy and paste, and the least able to carry an exploit.
pub const TEXT_TYPES: &[&str] = &["text/plain;charset=utf-8", "text/plain", "UTF8_STRING", "STRING", "TEXT"];

fn default_mime_types() -> Vec<String> {
    TEXT_TYPES.iter().map(|s| s.to_string()).collect()
}

fn default_decision() -> Decision {
    Decision::Allow
}

impl Default for ClipboardConfig {
    fn default() -> Self {
        Self {
            max_bytes: default_max(),
            mime_types: default_mime_types(),
            default: default_decision(),
            rules: Vec::new(),
        }
    }
}

impl ClipboardConfig {
    pub fn validate(&self) -> Result<(), (String, String)> {
        if !(1..=64 * 1024 * 1024).contains(&self.max_bytes) {
            return Err(("max_bytes".into(), "must be between 1 byte and 64 MiB".into()));
        }
        if self.mime_types.is_empty() {
            return Err(("mime_types".into(), "at least one type is needed".into()));
        }
        for (i, m) in self.mime_types.iter().enumerate() {
            if m.is_empty() || m.len() > 255 || m.chars().any(|c| c.is_control() || c.is_whitespace()) {
                return Err((format!("mime_types.{i}"), format!("`{m}` is not a MIME type")));
            }
        }
        for (i, r) in self.rules.iter().enumerate() {
            for (k, v) in [("from", &r.from), ("to", &r.to)] {
                if v.is_empty() {
                    return Err((format!("rules.{i}.{k}"), "name a VM, `local` or `*`".into()));
                }
            }
        }
        Ok(())
    }

    /// What happens to a paste from `from` into `to` (domain names: a VM or `local`).
    pub fn decide(&self, from: &str, to: &str) -> Decision {
        let matches = |pat: &str, name: &str| pat == "*" || pat == name;
        self.rules
            .iter()
            .find(|r| matches(&r.from, from) && matches(&r.to, to))
            .map(|r| r.action)
            .unwrap_or(self.default)
    }

    /// The types offered to the target for data of `mime`: all text aliases for text.
    pub fn offer_types(&self, mime: &str) -> Vec<String> {
        if TEXT_TYPES.contains(&mime) {
            TEXT_TYPES.iter().filter(|t| self.mime_types.iter().any(|m| m == *t)).map(|s| s.to_string()).collect()
        } else {
            vec![mime.to_string()]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_matching_rule_wins() {
        let c = ClipboardConfig {
            rules: vec![
                Rule { from: "work-vm".into(), to: "chromium-vm".into(), action: Decision::Deny },
                Rule { from: "*".into(), to: "chromium-vm".into(), action: Decision::Ask },
            ],
            ..Default::default()
        };
        assert_eq!(c.decide("work-vm", "chromium-vm"), Decision::Deny);
        assert_eq!(c.decide("pdf-vm", "chromium-vm"), Decision::Ask);
        assert_eq!(c.decide("chromium-vm", "work-vm"), Decision::Allow);
    }

    #[test]
    fn text_is_offered_under_all_its_names() {
        let c = ClipboardConfig::default();
        assert_eq!(c.offer_types("UTF8_STRING").len(), 5);
        assert_eq!(c.offer_types("image/png"), vec!["image/png"]);
    }
}
