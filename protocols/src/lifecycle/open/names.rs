//! The name a file from another VM lands under: one plain component that can name nothing but a
//! new, visible, ordinary file in `~/Incoming/<source-vm>/` of the target VM, whatever the source
//! VM called it. hostd shows and sends this name; the target's agent applies it again (it is
//! idempotent) before it writes.

use crate::text::{sanitise, Limit};

/// Longest name a file lands under, in bytes (what every common file system takes).
pub const MAX_NAME_BYTES: usize = 255;
/// Longest extension kept whole when a long name is shortened.
const MAX_EXTENSION: usize = 32;
/// The name of a file whose own name leaves nothing.
const FALLBACK: &str = "file";
/// Names that Windows reserves for devices, with or without an extension.
const DEVICES: [&str; 24] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2",
    "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "CONIN$", "CONOUT$",
];

/// `raw` made into a safe file name:
/// - only its last path component counts (`../../.bashrc` is `.bashrc`, `a\b` is `b`);
/// - controls, format and bidi characters go, line breaks become spaces (the one sanitiser);
/// - characters Windows cannot have in a name (`<>:"|?*`) become `_`;
/// - leading dots, spaces and dashes go (no hidden files, nothing that reads as an option),
///   and so do trailing dots and spaces;
/// - a device name (`CON`, `nul.txt`…) gets a `_` in front;
/// - at most [`MAX_NAME_BYTES`] bytes, the extension kept; `file` when nothing is left.
pub fn safe_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).find(|c| !c.is_empty()).unwrap_or("");
    // A name comes in one frame, so this bound cuts nothing; `shorten` keeps the extension.
    let clean = sanitise(last, Limit { chars: usize::MAX, bytes: usize::MAX });
    let replaced: String = clean.chars().map(|c| if "<>:\"|?*".contains(c) { '_' } else { c }).collect();
    let trimmed = replaced.trim_start_matches(['.', ' ', '-']).trim_end_matches(['.', ' ', '…']);
    let mut name = if trimmed.is_empty() { FALLBACK.to_string() } else { trimmed.to_string() };
    let stem = name.split('.').next().unwrap_or("").trim_end();
    if DEVICES.iter().any(|d| d.eq_ignore_ascii_case(stem)) {
        name.insert(0, '_');
    }
    shorten(name)
}

/// At most [`MAX_NAME_BYTES`], cut at a character boundary, the extension kept when it is short.
fn shorten(name: String) -> String {
    if name.len() <= MAX_NAME_BYTES {
        return name;
    }
    with_suffix(&name, "")
}

/// `name`'s stem, shortened as needed, then `suffix`, then its extension (when short): at most
/// [`MAX_NAME_BYTES`].
fn with_suffix(name: &str, suffix: &str) -> String {
    let ext = match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= MAX_EXTENSION => &name[i..],
        _ => "",
    };
    let stem = &name[..name.len() - ext.len()];
    let mut cut = stem.len().min(MAX_NAME_BYTES - ext.len() - suffix.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    let stem = stem[..cut].trim_end_matches(['.', ' ']);
    format!("{stem}{suffix}{ext}")
}

/// `name` with ` (n)` before its extension: the n-th try at a name no file has yet.
pub fn numbered(name: &str, n: u32) -> String {
    with_suffix(name, &format!(" ({n})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_reach_out_or_hide_are_defused() {
        for (raw, want) in [
            ("report.pdf", "report.pdf"),
            ("../../.bashrc", "bashrc"),
            ("/etc/passwd", "passwd"),
            ("..\\..\\Windows\\win.ini", "win.ini"),
            ("a/", "a"),
            ("..", "file"),
            (".", "file"),
            ("", "file"),
            ("...hidden", "hidden"),
            (" -rf", "rf"),
            ("a\0b.txt", "ab.txt"),
            ("line\nbreak.txt", "line break.txt"),
            ("evil\u{202e}fdp.exe", "evilfdp.exe"),
            ("what?<is>this:\"|*.txt", "what__is_this____.txt"),
            ("trailing. . .", "trailing"),
            ("CON", "_CON"),
            ("nul.txt", "_nul.txt"),
            ("Com1.tar.gz", "_Com1.tar.gz"),
            ("console.txt", "console.txt"),
        ] {
            assert_eq!(safe_file_name(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn long_names_are_bounded_with_their_extension() {
        let long = format!("{}.pdf", "x".repeat(10_000));
        let got = safe_file_name(&long);
        assert_eq!(got.len(), MAX_NAME_BYTES);
        assert!(got.ends_with("x.pdf"));
        // Cut at a character boundary.
        let wide = format!("{}.txt", "日".repeat(5000));
        let got = safe_file_name(&wide);
        assert!(got.len() <= MAX_NAME_BYTES && got.ends_with(".txt"), "{got}");
        // An extension too long to be one is cut with the rest.
        let odd = format!("a.{}", "e".repeat(400));
        assert_eq!(safe_file_name(&odd).len(), MAX_NAME_BYTES);
    }

    #[test]
    fn safe_names_stay_as_they_are() {
        for raw in ["../../.bashrc", "a\0b", "CON", &format!("{}.pdf", "y".repeat(9000)), "  x  ", "日本.txt"] {
            let once = safe_file_name(raw);
            assert_eq!(safe_file_name(&once), once, "{raw:?}");
        }
    }

    #[test]
    fn numbered_names_keep_the_extension() {
        assert_eq!(numbered("a.pdf", 1), "a (1).pdf");
        assert_eq!(numbered("notes", 2), "notes (2)");
        assert_eq!(numbered("archive.tar.gz", 3), "archive.tar (3).gz");
        let long = safe_file_name(&format!("{}.pdf", "x".repeat(400)));
        let n = numbered(&long, 12);
        assert!(n.len() <= MAX_NAME_BYTES && n.ends_with(".pdf"), "{n}");
    }
}
