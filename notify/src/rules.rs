//! The rules a notification must keep to be shown, checked in the GUI VM on every notification
//! (a VM's, or a local program's): the wire's limits, action lists and images, and the text made
//! plain with the one sanitiser for text from VMs (`canopy_protocols::text::sanitise`). There is
//! no markup and there are no links: `<b>` or `<a href>` arrive as the literal text they are.

use std::sync::Arc;

use canopy_protocols::notify::{
    valid_action_key, Notification, Urgency, MAX_ACTIONS, MAX_ACTION_KEY, MAX_ACTION_LABEL, MAX_APP_NAME, MAX_BODY,
    MAX_SUMMARY,
};
use canopy_protocols::text::{sanitise, Limit};

use crate::image::{self, RgbaImage};

/// The summary: one line.
pub const SUMMARY: Limit = Limit { chars: 120, bytes: 480 };
/// Each line of the body.
pub const BODY_LINE: Limit = Limit { chars: 200, bytes: 800 };
/// Lines of the body kept (the popup shows fewer, the centre all of them).
pub const BODY_LINES: usize = 8;
/// An action's label.
pub const LABEL: Limit = Limit { chars: 24, bytes: 96 };
/// The application's name (for logs and the centre).
pub const APP_NAME: Limit = Limit { chars: 48, bytes: 192 };

/// One action: the key the VM gave (sent back to it when chosen) and the label shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub key: String,
    pub label: String,
}

/// How long the popup stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expire {
    /// The daemon's default (the app said -1).
    Default,
    /// Until dismissed (the app said 0).
    Never,
    Millis(u32),
}

/// A notification that kept the rules, ready to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub id: u32,
    pub app_name: String,
    pub summary: String,
    pub body: Vec<String>,
    /// The buttons, in the app's order, without the `default` action (a click on the popup).
    pub actions: Vec<Action>,
    pub default_action: bool,
    pub urgency: Urgency,
    pub expire: Expire,
    pub transient: bool,
    pub image: Option<Arc<RgbaImage>>,
}

/// `n` checked and made plain, or the rule it broke.
pub fn check(n: Notification) -> Result<Checked, String> {
    over("app name", &n.app_name, MAX_APP_NAME)?;
    over("summary", &n.summary, MAX_SUMMARY)?;
    over("body", &n.body, MAX_BODY)?;
    if n.expire_timeout < -1 {
        return Err(format!("expire timeout {}", n.expire_timeout));
    }
    let (actions, default_action) = actions(&n.actions)?;
    let image = n.image.as_ref().map(image::check).transpose()?.map(Arc::new);
    Ok(Checked {
        id: n.id,
        app_name: sanitise(&n.app_name, APP_NAME),
        summary: sanitise(&n.summary, SUMMARY),
        body: body_lines(&n.body),
        actions,
        default_action,
        urgency: n.urgency,
        expire: match n.expire_timeout {
            -1 => Expire::Default,
            0 => Expire::Never,
            ms => Expire::Millis(ms as u32),
        },
        transient: n.transient,
        image,
    })
}

fn over(what: &str, text: &str, max: usize) -> Result<(), String> {
    match text.len() {
        n if n > max => Err(format!("{what} of {n} bytes (at most {max})")),
        _ => Ok(()),
    }
}

/// Keys and labels in pairs; keys valid and unique; labels not empty once made plain.
fn actions(flat: &[String]) -> Result<(Vec<Action>, bool), String> {
    if !flat.len().is_multiple_of(2) {
        return Err(format!("odd action list of {} strings", flat.len()));
    }
    if flat.len() / 2 > MAX_ACTIONS {
        return Err(format!("{} actions (at most {MAX_ACTIONS})", flat.len() / 2));
    }
    let mut out: Vec<Action> = Vec::new();
    let mut default = false;
    for pair in flat.chunks(2) {
        let (key, label) = (&pair[0], &pair[1]);
        if !valid_action_key(key) {
            let shown = sanitise(key, Limit { chars: MAX_ACTION_KEY, bytes: 4 * MAX_ACTION_KEY });
            return Err(format!("action key {shown:?} (a letter, then letters, digits, '-', '.', '_')"));
        }
        over("action label", label, MAX_ACTION_LABEL)?;
        if key == "default" {
            if default {
                return Err("action key \"default\" twice".into());
            }
            default = true;
            continue;
        }
        if out.iter().any(|a| &a.key == key) {
            return Err(format!("action key {key:?} twice"));
        }
        let label = sanitise(label, LABEL);
        if label.trim().is_empty() {
            return Err(format!("action {key:?} without a label"));
        }
        out.push(Action { key: key.clone(), label });
    }
    Ok((out, default))
}

/// The body as plain lines: each line sanitised and bounded, blank lines at either end dropped
/// and runs of them made one, at most [`BODY_LINES`] (the last one ending in `…` when more were
/// cut).
pub fn body_lines(body: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cut = false;
    for raw in body.split(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']) {
        let line = sanitise(raw, BODY_LINE).trim_end().to_string();
        if line.trim().is_empty() && lines.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        if lines.len() == BODY_LINES {
            cut = true;
            break;
        }
        lines.push(if line.trim().is_empty() { String::new() } else { line });
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    if cut {
        if let Some(last) = lines.last_mut() {
            let mut kept: String = last.chars().take(BODY_LINE.chars - 1).collect();
            kept.push('…');
            *last = kept;
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_protocols::notify::{Image, MAX_IMAGE_SIDE};

    fn n(summary: &str, body: &str) -> Notification {
        let mut n = Notification::new(1, summary);
        n.body = body.into();
        n
    }

    fn with_actions(a: &[&str]) -> Notification {
        let mut x = n("s", "");
        x.actions = a.iter().map(|s| s.to_string()).collect();
        x
    }

    #[test]
    fn markup_links_and_claims_arrive_as_literal_plain_text() {
        let c = check(n("[trusted-vm] <b>Bank</b>", "<a href=\"https://evil\">click</a> &amp; <i>x</i>")).unwrap();
        assert_eq!(c.summary, "[trusted-vm] <b>Bank</b>");
        assert_eq!(c.body, vec!["<a href=\"https://evil\">click</a> &amp; <i>x</i>"]);
    }

    #[test]
    fn text_is_made_plain_and_bounded() {
        let c = check(n("a\u{202e}b\nc\u{200b}d", "one\u{2029}two\r\n\r\n\r\nthree\u{1b}[2J\n\n")).unwrap();
        assert_eq!(c.summary, "ab cd");
        assert_eq!(c.body, vec!["one", "two", "", "three[2J"]);
        let long = check(n(&"s".repeat(1000), &format!("{}\n", "b".repeat(900)).repeat(12))).unwrap();
        assert_eq!(long.summary.chars().count(), SUMMARY.chars);
        assert_eq!(long.body.len(), BODY_LINES);
        assert!(long.body.iter().all(|l| l.chars().count() <= BODY_LINE.chars));
        assert!(long.body.last().unwrap().ends_with('…'));
    }

    #[test]
    fn fields_over_the_wire_limits_break_the_rules() {
        assert!(check(n(&"s".repeat(MAX_SUMMARY), "")).is_ok());
        let e = check(n(&"s".repeat(MAX_SUMMARY + 1), "")).unwrap_err();
        assert_eq!(e, format!("summary of {} bytes (at most {MAX_SUMMARY})", MAX_SUMMARY + 1));
        assert!(check(n("s", &"b".repeat(MAX_BODY + 1))).is_err());
        let mut x = n("s", "");
        x.app_name = "a".repeat(MAX_APP_NAME + 1);
        assert!(check(x).is_err());
        let mut x = n("s", "");
        x.expire_timeout = -2;
        assert!(check(x).is_err());
    }

    #[test]
    fn action_lists() {
        let c = check(with_actions(&["default", "Open", "reply", "Reply", "later", "Later"])).unwrap();
        assert!(c.default_action);
        assert_eq!(c.actions.iter().map(|a| a.label.as_str()).collect::<Vec<_>>(), ["Reply", "Later"]);
        for bad in [
            &["reply"][..],
            &["reply", "Reply", "x"],
            &["re ply", "Reply"],
            &["reply", "A", "reply", "B"],
            &["default", "a", "default", "b"],
            &["reply", "\u{200b}\u{202e}"],
            &["1x", "One"],
        ] {
            assert!(check(with_actions(bad)).is_err(), "{bad:?}");
        }
        let many: Vec<String> = (0..=MAX_ACTIONS).flat_map(|i| [format!("k{i}"), "L".to_string()]).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(check(with_actions(&refs)).unwrap_err().contains("actions"));
    }

    #[test]
    fn images_are_checked() {
        let mut x = n("s", "");
        x.image = Some(Image { width: MAX_IMAGE_SIDE + 1, height: 1, rgba: String::new() });
        assert!(check(x.clone()).unwrap_err().contains("256x1"));
        x.image = Some(Image { width: 1, height: 1, rgba: "AQIDBA==".into() });
        assert_eq!(check(x).unwrap().image.unwrap().data, [1, 2, 3, 4]);
    }
}
