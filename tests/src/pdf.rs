//! A minimal, valid one-page PDF with lines of text, so tests and the demo can open real
//! documents in zathura without shipping binary files.

/// A PDF of one A5 page showing `lines` in Helvetica, the first one larger.
pub fn text_pdf(lines: &[&str]) -> Vec<u8> {
    let mut content = String::from("BT\n/F1 20 Tf\n40 540 Td\n");
    for (i, line) in lines.iter().enumerate() {
        let escaped: String = line
            .chars()
            .filter(|c| c.is_ascii() && !c.is_ascii_control())
            .map(|c| match c {
                '(' | ')' | '\\' => format!("\\{c}"),
                c => c.to_string(),
            })
            .collect();
        if i == 1 {
            content.push_str("/F1 12 Tf\n");
        }
        content.push_str(&format!("({escaped}) Tj\n0 -24 Td\n"));
    }
    content.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 595] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, obj) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{obj}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    out
}

/// Writes `pdf` as `dir/name` with a zathurarc beside it, and returns zathura's arguments to
/// open it: the title then shows the file's name only, not the temporary directory (so a
/// screenshot of the title bar is the same on every run).
pub fn zathura_args(dir: &std::path::Path, name: &str, pdf: &[u8]) -> Vec<String> {
    let path = dir.join(name);
    std::fs::write(&path, pdf).expect("writing the PDF");
    std::fs::write(dir.join("zathurarc"), "set window-title-basename true\n").expect("writing zathurarc");
    vec!["-c".into(), dir.display().to_string(), path.display().to_string()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn xref_offsets_point_at_objects() {
        let pdf = super::text_pdf(&["Title", "a (line)"]);
        let text = String::from_utf8(pdf).unwrap();
        let xref_at: usize = text.lines().rev().nth(1).unwrap().parse().unwrap();
        assert!(text[xref_at..].starts_with("xref"));
        for line in text[xref_at..].lines().skip(3).take(5) {
            let off: usize = line[..10].parse().unwrap();
            assert!(text[off..].split_whitespace().nth(2) == Some("obj"), "{line}");
        }
        assert!(text.contains("(a \\(line\\)) Tj"));
    }
}
