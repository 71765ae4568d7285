//! URLs that a VM asks to open in another VM: refused when they hide anything (control, format
//! or direction-changing characters, spaces, %-escapes in the host), and split into the parts
//! the trusted chooser shows, so that the real host stands apart from a user name written
//! before an `@` to look like another site. Hand-written because the `url` crate pulls in ICU.

use serde::{Deserialize, Serialize};

use crate::text::first_unsafe;

/// Longest URL accepted, in bytes (the longest app argument).
pub const MAX_URL: usize = super::super::MAX_ARG_LEN;

/// A checked URL's parts, as the chooser shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UrlParts {
    /// In lower case, such as `https` or `mailto`.
    pub scheme: String,
    /// The host of a `scheme://host/…` URL, in lower case: the site the link really leads to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// What comes before the last `@` of the authority: a user name, which a link can make look
    /// like a site's name (`https://www.bank.example@evil.example/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo: Option<String>,
}

fn short(s: &str) -> String {
    s.chars().take(80).collect()
}

/// Whether `s` is a URL scheme's syntax (a letter, then letters, digits, `+`, `-`, `.`).
pub fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Check `url` and split it; the error says what is wrong, for a person.
pub fn parse_url(url: &str) -> Result<UrlParts, String> {
    if url.is_empty() {
        return Err("empty URL".into());
    }
    if url.len() > MAX_URL {
        return Err(format!("URL is longer than {MAX_URL} bytes ({} bytes)", url.len()));
    }
    if url.chars().any(char::is_control) {
        return Err(format!("URL {:?} contains control characters", short(url)));
    }
    if let Some(c) = first_unsafe(url) {
        return Err(format!(
            "URL {:?} contains an invisible or direction-changing character (U+{:04X})",
            short(url),
            c as u32
        ));
    }
    if url.contains(char::is_whitespace) {
        return Err(format!("URL {:?} contains spaces", short(url)));
    }
    let Some((scheme, rest)) = url.split_once(':') else {
        return Err(format!("{:?} is not a URL (no scheme)", short(url)));
    };
    if !is_scheme(scheme) {
        return Err(format!("{:?} is not a URL (bad scheme)", short(url)));
    }
    let scheme = scheme.to_ascii_lowercase();
    let mut parts = UrlParts { scheme, host: None, port: None, userinfo: None };
    let web = matches!(parts.scheme.as_str(), "http" | "https");
    let Some(after) = rest.strip_prefix("//") else {
        if web {
            return Err(format!("URL {:?} has no host", short(url)));
        }
        return Ok(parts);
    };
    // Browsers end the authority at a backslash too (they read it as `/`), so a user name cannot
    // hide behind one: `https://evil.example\@bank.example/` leads to evil.example.
    let end = after.find(['/', '?', '#', '\\']).unwrap_or(after.len());
    let authority = &after[..end];
    let hostport = match authority.rsplit_once('@') {
        Some((user, hostport)) => {
            parts.userinfo = Some(user.to_string());
            hostport
        }
        None => authority,
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let Some((addr, tail)) = v6.split_once(']') else {
            return Err(format!("URL {:?} has an unclosed [ in its host", short(url)));
        };
        let port = tail.strip_prefix(':');
        if !tail.is_empty() && port.is_none() {
            return Err(format!("URL {:?} has text after its host's ]", short(url)));
        }
        (format!("[{addr}]"), port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (hostport.to_string(), None),
        }
    };
    if let Some(p) = port {
        if !p.is_empty() && !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("URL {:?} has a port that is not a number", short(url)));
        }
        parts.port = Some(p.to_string()).filter(|p| !p.is_empty());
    }
    // Browsers decode %-escapes in a host, so what is shown would not be where the link leads.
    if host.contains('%') {
        return Err(format!("URL {:?} has %-escapes in its host", short(url)));
    }
    if host.chars().any(|c| c.is_ascii() && !(c.is_ascii_alphanumeric() || "-._~[]:".contains(c))) {
        return Err(format!("URL {:?} has a character in its host that no host name has", short(url)));
    }
    if host.is_empty() && web {
        return Err(format!("URL {:?} has no host", short(url)));
    }
    parts.host = Some(host.to_lowercase()).filter(|h| !h.is_empty());
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(url: &str) -> Option<String> {
        parse_url(url).unwrap().host
    }

    #[test]
    fn the_real_host_is_found_whatever_comes_before_it() {
        let p = parse_url("https://www.bank.example@evil.example/login").unwrap();
        assert_eq!(p.host.as_deref(), Some("evil.example"));
        assert_eq!(p.userinfo.as_deref(), Some("www.bank.example"));
        // The last @ counts, as in browsers.
        let p = parse_url("https://a@b@EVIL.example:8443/x").unwrap();
        assert_eq!((p.host.as_deref(), p.userinfo.as_deref()), (Some("evil.example"), Some("a@b")));
        assert_eq!(p.port.as_deref(), Some("8443"));
        // An @ after the authority is part of the path.
        assert_eq!(host("https://good.example/@evil.example"), Some("good.example".into()));
        assert_eq!(host("https://good.example?q=@evil.example"), Some("good.example".into()));
        // A backslash ends the authority, as browsers read it.
        let p = parse_url("https://evil.example\\@bank.example/").unwrap();
        assert_eq!((p.host.as_deref(), p.userinfo), (Some("evil.example"), None));
        assert_eq!(host("http://[::1]:8080/"), Some("[::1]".into()));
        assert_eq!(host("https://bücher.example/"), Some("bücher.example".into()));
        let mail = parse_url("MAILTO:someone@example.org").unwrap();
        assert_eq!((mail.scheme.as_str(), mail.host), ("mailto", None));
    }

    #[test]
    fn urls_that_hide_something_are_refused() {
        for (bad, why) in [
            ("https://example.org/\u{202e}gpj.exe", "direction-changing character (U+202E)"),
            ("https://exa\u{200b}mple.org/", "invisible"),
            ("https://example.org/a\u{1b}[2J", "control characters"),
            ("https://example.org/a\nb", "control characters"),
            ("https://example.org/a b", "spaces"),
            ("https://ex%61mple.org/", "%-escapes in its host"),
            ("https://evil.example\"x/", "no host name has"),
            ("https:///path", "no host"),
            ("https://", "no host"),
            ("https:/x", "no host"),
            ("https://a:b c", "spaces"),
            ("https://a:port/", "not a number"),
            ("-x", "not a URL"),
            ("", "empty"),
        ] {
            let e = parse_url(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        let long = format!("https://example.org/{}", "a".repeat(100 * 1024));
        assert!(parse_url(&long).unwrap_err().contains("longer than 4096 bytes (102420 bytes)"));
    }
}
