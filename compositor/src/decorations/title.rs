//! Window titles as canopy shows them: sanitised, bounded, and prefixed with the VM's name.

use canopy_protocols::text;

/// Longest title kept, in characters, before the `[vm] ` prefix is added.
pub const MAX_TITLE_CHARS: usize = text::TITLE.chars;

/// A title or app id as canopy shows it: through the sanitiser every trusted part uses for
/// text from VMs (no control, format, separator or bidi characters, no leading combining mark
/// that could draw over the `[vm]` prefix, at most [`MAX_TITLE_CHARS`] characters).
pub fn sanitise_title(raw: &str) -> String {
    text::sanitise(raw, text::TITLE)
}

/// The title shown in the title bar and the window list: `[vm] title` for VM windows.
pub fn decorated_title(vm: Option<&str>, raw: &str) -> String {
    let title = sanitise_title(raw);
    match vm {
        Some(vm) => format!("[{vm}] {title}"),
        None => title,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_and_sanitise() {
        assert_eq!(decorated_title(Some("work-vm"), "Inbox"), "[work-vm] Inbox");
        assert_eq!(decorated_title(None, "Inbox"), "Inbox");
        assert_eq!(decorated_title(Some("a"), "x\ny\u{1b}[2J\u{7}z"), "[a] x y[2Jz");
        assert_eq!(decorated_title(Some("a"), "\u{202e}fdp.exe"), "[a] fdp.exe");
        assert_eq!(decorated_title(Some("a"), "in\u{2029}two\u{200b}\u{ad}lines"), "[a] in twolines");
    }

    #[test]
    fn a_title_cannot_start_with_a_mark_over_the_prefix() {
        // A combining mark first would be drawn over the `]` of `[vm]`.
        assert_eq!(decorated_title(Some("bank-vm"), "\u{301}\u{20dd}\u{200d}\u{302}Login"), "[bank-vm] Login");
        assert_eq!(decorated_title(Some("a"), " \u{301}x"), "[a]  x");
        assert_eq!(decorated_title(Some("a"), "e\u{301}"), "[a] e\u{301}");
    }

    #[test]
    fn a_title_cannot_fake_another_prefix_first() {
        // The client can put "[trusted-vm]" in its title, but canopy's prefix always comes first.
        assert_eq!(decorated_title(Some("evil"), "[bank-vm] Login"), "[evil] [bank-vm] Login");
    }

    #[test]
    fn long_titles_are_cut() {
        let t = decorated_title(Some("v"), &"é".repeat(1000));
        assert_eq!(t.chars().count(), MAX_TITLE_CHARS + "[v] ".len());
    }
}
