//! Texts in every script canopy must draw, and titles built to move the `[vm]` prefix: the one
//! list the golden images, the hostile-title tests and the benchmarks of every part use.

/// A name for each case (golden image rows are labelled by it) and its text.
pub const SCRIPTS: [(&str, &str); 8] = [
    ("arabic", "تقرير الميزانية السنوية"),
    ("hebrew", "דוח התקציב השנתי"),
    ("arabic+latin+digits", "تقرير 2024 report v3.1 (نهائي) ٢٠٢٤"),
    ("chinese", "年度预算报告"),
    ("japanese", "年次予算レポート・ひらがな"),
    ("devanagari", "वार्षिक बजट रिपोर्ट"),
    ("emoji", "🔒 Budget 📊✅👍🏽🇩🇪"),
    ("combining", "Cre\u{300}me bru\u{302}le\u{301}e a\u{323}\u{308} n\u{303}\u{331} A\u{30a}"),
];

/// A title of 300 right-to-left characters (Arabic words and spaces): cut by the sanitiser and
/// again to the width, at its logical end, which is its left.
pub fn long_rtl() -> String {
    let words = ["تقرير", "الميزانية", "السنوية", "للمؤسسة"];
    let mut s = String::new();
    let mut i = 0;
    while s.chars().count() < 300 {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(words[i % words.len()]);
        i += 1;
    }
    s.chars().take(300).collect()
}

/// Every character with the Unicode Bidi_Control property, and the marks of direction.
pub const BIDI_CONTROLS: [char; 12] = [
    '\u{61c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}',
    '\u{2067}', '\u{2068}', '\u{2069}',
];

/// Titles built to move or reorder a `[vm]` prefix drawn before them: every bidi control at
/// the start, in the middle and at the end of right-to-left, left-to-right and neutral text;
/// Arabic and Eastern Arabic digits; mirrored brackets (that could pair with the prefix's);
/// marks with nothing to sit on; a fake prefix of another VM.
pub fn hostile_titles() -> Vec<String> {
    let bodies = ["שלום", "abc", "123", "] [", "سلام ١٢٣"];
    let mut out = Vec::new();
    for c in BIDI_CONTROLS {
        for body in bodies {
            out.push(format!("{c}{body}"));
            out.push(format!("{body}{c}"));
            out.push(format!("{body}{c}{body}"));
            out.push(format!("{c}{c}{body}{c}"));
        }
    }
    out.extend(
        [
            "\u{202e}[bank-vm] Login",
            "\u{200f}\u{202b}]mv-knab[ \u{202c}",
            "٠١٢٣٤٥٦٧٨٩ ۰۱۲ 0123",
            "(] [) {} ‹› «» ⁅⁆ ❨❩",
            ")]}]) (([[",
            "\u{301}\u{20dd}\u{93e}mark first",
            "[bank-vm] Login",
            "]trusted[ مرحبا",
            "\u{2067}\u{5d0}\u{2066}x\u{2069}\u{2069}",
        ]
        .map(String::from),
    );
    out
}
