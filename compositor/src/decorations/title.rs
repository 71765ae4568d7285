//! Window titles as canopy shows them: sanitised, bounded, and prefixed with the VM's name.

/// Longest title kept, in characters, before the `[vm] ` prefix is added.
pub const MAX_TITLE_CHARS: usize = 256;

/// Drops control characters (including newlines and escape sequences' introducers) and bidi
/// overrides that could make a title read differently from what it is, and keeps at most
/// [`MAX_TITLE_CHARS`] characters.
pub fn sanitise_title(raw: &str) -> String {
    raw.chars().filter(|c| !c.is_control() && !is_bidi_control(*c)).take(MAX_TITLE_CHARS).collect()
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
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
        assert_eq!(decorated_title(Some("a"), "x\ny\u{1b}[2J\u{7}z"), "[a] xy[2Jz");
        assert_eq!(decorated_title(Some("a"), "\u{202e}fdp.exe"), "[a] fdp.exe");
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
