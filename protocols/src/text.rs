//! Text that comes from a VM or an agent (window titles, app ids, an agent's error messages),
//! made safe to draw in the trusted UI and to write to a log. Every part that shows or logs such
//! text uses [`sanitise`], so the rule is the same everywhere:
//!
//! - line breaks (`\n`, `\r`, tab and the other whitespace controls, U+0085, the line and
//!   paragraph separators U+2028/U+2029) become one space, so text stays on one line and words
//!   stay apart;
//! - every other control (Cc) and format character (Cf: the bidi embeddings, overrides, isolates
//!   and marks, zero-width spaces, the soft hyphen, tag characters…) is removed, and so are
//!   unassigned code points and noncharacters (Cn), which a later Unicode may make into format
//!   characters;
//! - the zero-width joiner and non-joiner are the exception: Persian and Indic words need them
//!   to join right, and emoji sequences are built with them. They reorder nothing, so one is kept
//!   between two visible characters; anywhere else (leading, trailing, next to a space, doubled)
//!   it is removed;
//! - combining marks (Mn, Mc, Me) with no character before them to sit on are removed, so that
//!   text cannot start with a mark drawn over whatever precedes it on screen (the `]` of the
//!   compositor's `[vm]` prefix);
//! - the result is at most [`Limit::chars`] characters and [`Limit::bytes`] bytes, cut at a
//!   character boundary, ending in `…` when something was cut.

use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

/// How long a sanitised text may be, in characters and in UTF-8 bytes (whichever is reached
/// first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub chars: usize,
    pub bytes: usize,
}

/// Window titles and app ids.
pub const TITLE: Limit = Limit { chars: 256, bytes: 1024 };
/// An agent's error message, or anything else a VM says that a person reads in one line.
pub const MESSAGE: Limit = Limit { chars: 300, bytes: 1200 };

/// What marks a cut.
const ELLIPSIS: char = '…';

/// What becomes of one character.
enum Kind {
    Keep,
    /// A line break or other whitespace control: a space.
    Break,
    Drop,
    /// A combining mark: kept only after a character it can sit on.
    Mark,
    /// ZWJ or ZWNJ: kept only between two visible characters.
    Joiner,
}

const ZWNJ: char = '\u{200c}';
const ZWJ: char = '\u{200d}';

fn kind(c: char) -> Kind {
    if c == ZWJ || c == ZWNJ {
        return Kind::Joiner;
    }
    match c.general_category() {
        GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator => Kind::Break,
        GeneralCategory::Control if c.is_whitespace() => Kind::Break,
        GeneralCategory::Control | GeneralCategory::Format | GeneralCategory::Unassigned => Kind::Drop,
        // Not in a Rust `char`, but the table knows them.
        GeneralCategory::Surrogate => Kind::Drop,
        _ if c.general_category_group() == GeneralCategoryGroup::Mark => Kind::Mark,
        _ => Kind::Keep,
    }
}

/// The first character of `raw` that [`sanitise`] would remove or turn into a space (a control,
/// a format or bidi character, a line break, an unassigned code point, a mark with nothing to sit
/// on), or any zero-width joiner or non-joiner (which a URL never needs and which could hide in
/// a host name): for input that must be refused rather than cleaned, such as a URL.
pub fn first_unsafe(raw: &str) -> Option<char> {
    let mut base = false;
    for c in raw.chars() {
        match kind(c) {
            Kind::Keep => base |= !c.is_whitespace(),
            Kind::Mark if base => {}
            Kind::Mark | Kind::Break | Kind::Drop | Kind::Joiner => return Some(c),
        }
    }
    None
}

/// `raw` made safe to show and log (see the module's rules), within `limit`.
pub fn sanitise(raw: &str, limit: Limit) -> String {
    let mut out = String::with_capacity(raw.len().min(limit.bytes));
    let mut count = 0;
    // Whether a character a mark can sit on has been kept (not a space).
    let mut base = false;
    // A joiner seen after a visible character, waiting for another one to follow it.
    let mut joiner: Option<char> = None;
    for c in raw.chars() {
        let c = match kind(c) {
            Kind::Drop => continue,
            Kind::Joiner => {
                let after_visible = out.chars().next_back().is_some_and(|p| !p.is_whitespace());
                joiner = if after_visible && joiner.is_none() { Some(c) } else { None };
                continue;
            }
            Kind::Mark if !base => continue,
            Kind::Break if out.is_empty() || out.ends_with(' ') => {
                joiner = None;
                continue;
            }
            Kind::Break => ' ',
            Kind::Mark | Kind::Keep => c,
        };
        let joined = joiner.take().filter(|_| !c.is_whitespace());
        for c in joined.into_iter().chain(std::iter::once(c)) {
            if count + 1 > limit.chars || out.len() + c.len_utf8() > limit.bytes {
                return cut(out, count, limit);
            }
            base |= !c.is_whitespace();
            out.push(c);
            count += 1;
        }
    }
    out
}

/// `out` (of `count` characters) shortened until an ellipsis fits, with the ellipsis.
fn cut(mut out: String, mut count: usize, limit: Limit) -> String {
    if limit.chars == 0 || limit.bytes < ELLIPSIS.len_utf8() {
        return String::new();
    }
    while count + 1 > limit.chars || out.len() + ELLIPSIS.len_utf8() > limit.bytes {
        out.pop();
        count -= 1;
    }
    out.truncate(out.trim_end_matches(|c: char| c.is_whitespace() || c == ZWJ || c == ZWNJ).len());
    out.push(ELLIPSIS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIG: Limit = Limit { chars: 10_000, bytes: 40_000 };

    fn s(raw: &str) -> String {
        sanitise(raw, BIG)
    }

    /// Every character with the Unicode Bidi_Control property.
    const BIDI_CONTROLS: [char; 12] = [
        '\u{061c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}',
        '\u{2067}', '\u{2068}', '\u{2069}',
    ];

    #[test]
    fn every_bidi_control_is_removed_in_every_position() {
        for c in BIDI_CONTROLS {
            for (raw, want) in [
                (format!("{c}abc"), "abc"),
                (format!("a{c}bc"), "abc"),
                (format!("abc{c}"), "abc"),
                (format!("{c}{c}a{c}{c}b{c}c{c}"), "abc"),
                (format!("{c}"), ""),
                (format!("a {c}b"), "a b"),
            ] {
                let got = s(&raw);
                assert_eq!(got, want, "U+{:04X} in {raw:?}", c as u32);
                assert!(!got.contains(c));
            }
            // Next to a combining mark: the mark still needs a base.
            assert_eq!(s(&format!("{c}\u{301}a")), "a", "U+{:04X}", c as u32);
            assert_eq!(s(&format!("e{c}\u{301}")), "e\u{301}", "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn line_and_paragraph_breaks_become_one_space() {
        assert_eq!(s("Session expired\u{2029}Re-enter your\u{2028}password"), "Session expired Re-enter your password");
        assert_eq!(s("a\nb\r\nc\td\u{85}e\u{b}f\u{c}g"), "a b c d e f g");
        assert_eq!(s("\n\nlead and trail\n\n"), "lead and trail ");
        // Spaces the text has are its own.
        assert_eq!(s("a \n b"), "a  b");
    }

    #[test]
    fn controls_and_format_characters_are_removed() {
        assert_eq!(s("x\u{1b}[2J\u{7}y\u{0}z\u{7f}\u{9b}"), "x[2Jyz");
        // Zero-width space, word joiner, BOM, soft hyphen, invisible operators, interlinear
        // annotation, a tag character, Mongolian vowel separator.
        let hidden = "\u{200b}\u{2060}\u{feff}\u{ad}\u{2062}\u{fff9}\u{e0041}\u{180e}";
        assert_eq!(s(&format!("pass{hidden}word")), "password");
        // Noncharacters and unassigned code points.
        assert_eq!(s("a\u{fffe}\u{ffff}\u{10ffff}\u{e0080}b"), "ab");
        // Ordinary text of every script, spaces and private-use characters stay.
        let kept = "Grüße — 日本語 עברית العربية 🙂 a\u{a0}b\u{3000}c \u{e000}";
        assert_eq!(s(kept), kept);
    }

    #[test]
    fn marks_need_a_base() {
        assert_eq!(s("\u{301}\u{308}\u{20dd}x"), "x");
        assert_eq!(s("  \u{301}x"), "  x");
        assert_eq!(s("\n\u{301}x"), "x");
        // After a base they stay, however many (stacks are drawn inside the text's own box).
        assert_eq!(s("e\u{301}\u{302} a\u{308}"), "e\u{301}\u{302} a\u{308}");
        // A spacing mark (Mc) and an enclosing one (Me) too.
        assert_eq!(s("\u{93e}\u{20dd}ok"), "ok");
    }

    #[test]
    fn length_is_bounded_by_chars_and_bytes_at_a_char_boundary() {
        let l = Limit { chars: 10, bytes: 1000 };
        assert_eq!(sanitise("0123456789", l), "0123456789");
        assert_eq!(sanitise("0123456789x", l), "012345678…");
        // Four bytes per char: the byte limit bites first, never inside a char.
        let l = Limit { chars: 100, bytes: 17 };
        let got = sanitise(&"😀".repeat(10), l);
        assert_eq!(got, "😀😀😀…");
        assert!(got.len() <= 17);
        // Exactly at the limit: nothing cut, no ellipsis.
        assert_eq!(sanitise(&"é".repeat(5), Limit { chars: 5, bytes: 10 }), "ééééé");
        // Removed characters do not count.
        assert_eq!(sanitise("\u{200b}\u{200b}\u{200b}abc", Limit { chars: 3, bytes: 3 }), "abc");
        // A cut after a space leaves no space before the ellipsis.
        assert_eq!(sanitise("abc defgh", Limit { chars: 5, bytes: 100 }), "abc…");
        assert_eq!(sanitise("abc", Limit { chars: 0, bytes: 100 }), "");
        assert_eq!(sanitise("abc", Limit { chars: 2, bytes: 2 }), "");
        let huge = "x".repeat(1_000_000);
        assert_eq!(sanitise(&huge, TITLE).chars().count(), TITLE.chars);
        assert!(sanitise(&"\u{10348}".repeat(1000), MESSAGE).len() <= MESSAGE.bytes);
    }

    #[test]
    fn a_joiner_stays_only_between_two_visible_characters() {
        // Persian "mi-khaham" needs ZWNJ; a family emoji is people joined with ZWJ.
        assert_eq!(
            s("\u{645}\u{6cc}\u{200c}\u{62e}\u{648}\u{627}\u{647}\u{645}"),
            "\u{645}\u{6cc}\u{200c}\u{62e}\u{648}\u{627}\u{647}\u{645}"
        );
        assert_eq!(s("\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}"), "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}");
        for j in [ZWJ, ZWNJ] {
            assert_eq!(s(&format!("{j}a")), "a");
            assert_eq!(s(&format!("a{j}")), "a");
            assert_eq!(s(&format!("a{j}{j}b")), "ab", "a doubled joiner hides nothing");
            assert_eq!(s(&format!("a{j} b")), "a b");
            assert_eq!(s(&format!("a {j}b")), "a b");
            assert_eq!(s(&format!("a{j}\nb")), "a b");
            assert_eq!(s(&format!("a{j}\u{202e}b")), format!("a{j}b"), "a dropped control between is nothing");
        }
        // The joiner counts toward the limit and is never left dangling at a cut.
        let got = sanitise(&format!("ab{ZWJ}cd"), Limit { chars: 3, bytes: 100 });
        assert_eq!(got, "ab…");
        let got = sanitise(&format!("a{ZWJ}bc"), Limit { chars: 3, bytes: 100 });
        assert_eq!(got, "a…");
    }

    #[test]
    fn first_unsafe_finds_what_sanitise_would_change() {
        assert_eq!(first_unsafe("https://example.org/a?b=c#d"), None);
        assert_eq!(first_unsafe("ok e\u{301}"), None);
        assert_eq!(first_unsafe("a\u{202e}b"), Some('\u{202e}'));
        assert_eq!(first_unsafe("a\nb"), Some('\n'));
        assert_eq!(first_unsafe("a\0b"), Some('\0'));
        assert_eq!(first_unsafe("\u{301}x"), Some('\u{301}'));
        assert_eq!(first_unsafe("ex\u{200d}ample.org"), Some('\u{200d}'), "a joiner is refused even where kept");
        for raw in ["plain", "x\u{200b}y", "\u{2029}", "a \u{301}"] {
            assert_eq!(first_unsafe(raw).is_none(), sanitise(raw, BIG) == raw, "{raw:?}");
        }
    }

    #[test]
    fn sanitising_twice_changes_nothing() {
        for raw in ["\u{301} a\n\n\u{202e}b\u{2029}", "abc defgh", " \u{301}x", &"😀".repeat(500), "\u{200b}"] {
            for l in [BIG, TITLE, Limit { chars: 5, bytes: 100 }, Limit { chars: 100, bytes: 17 }] {
                let once = sanitise(raw, l);
                assert_eq!(sanitise(&once, l), once, "{raw:?} {l:?}");
            }
        }
    }

    #[test]
    fn the_attack_text_of_issue_13_reads_as_one_plain_line() {
        let raw =
            "Session expired\u{2029}\u{202e}\u{200b}Re-enter your bank password in the \u{ad}[bank-vm]\u{2066} window";
        assert_eq!(s(raw), "Session expired Re-enter your bank password in the [bank-vm] window");
    }
}
