//! A one-line text field's content and caret: edits by grapheme cluster (a letter with its
//! marks, an emoji, a Devanagari syllable part are one step), and caret moves that follow the
//! screen (Right goes right, in right-to-left text too) over the laid-out line.

use unicode_segmentation::UnicodeSegmentation;

use crate::line::{boundaries, Line};

/// What a text field holds: the text and the caret, a byte offset on a grapheme boundary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextField {
    text: String,
    caret: usize,
}

impl TextField {
    pub fn new() -> TextField {
        TextField::default()
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn caret(&self) -> usize {
        self.caret
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Number of grapheme clusters (what a person counts as characters).
    pub fn clusters(&self) -> usize {
        clusters(&self.text)
    }

    /// Replaces the text; the caret goes to its end.
    pub fn set(&mut self, text: &str) {
        self.text = text.to_string();
        self.caret = self.text.len();
    }

    /// Puts the caret at `offset`, or at the next cluster boundary after it.
    pub fn set_caret(&mut self, offset: usize) {
        self.caret = self.snap(offset.min(self.text.len()));
    }

    pub fn clear(&mut self) {
        self.text.clear();
        self.caret = 0;
    }

    /// Types `s` at the caret, which moves after it.
    pub fn insert(&mut self, s: &str) {
        self.text.insert_str(self.caret, s);
        self.caret += s.len();
        // A mark typed after a letter joins its cluster: the caret stays on a boundary.
        self.caret = self.snap(self.caret);
    }

    /// Deletes the cluster before the caret; false when there is none.
    pub fn backspace(&mut self) -> bool {
        let Some(start) = self.prev(self.caret) else { return false };
        self.text.replace_range(start..self.caret, "");
        self.caret = start;
        true
    }

    /// Deletes the cluster after the caret; false when there is none.
    pub fn delete(&mut self) -> bool {
        let Some(end) = self.next(self.caret) else { return false };
        self.text.replace_range(self.caret..end, "");
        true
    }

    /// To the start of the text (its right end when it reads right to left).
    pub fn home(&mut self) {
        self.caret = 0;
    }

    pub fn end(&mut self) {
        self.caret = self.text.len();
    }

    /// One cluster back or forward in reading order.
    pub fn step_logical(&mut self, forward: bool) {
        let to = if forward { self.next(self.caret) } else { self.prev(self.caret) };
        if let Some(to) = to {
            self.caret = to;
        }
    }

    /// One caret stop to the right (or left) on screen, over `line`, the field's text as drawn.
    pub fn step_visual(&mut self, line: &Line, right: bool) {
        let stops = visual_stops(&self.text, line);
        let Some(i) = stops.iter().position(|(_, o)| *o == self.caret) else {
            return self.step_logical(right != line.rtl);
        };
        let j = if right { i + 1 } else { i.wrapping_sub(1) };
        if let Some((_, o)) = stops.get(j) {
            self.caret = *o;
        }
    }

    fn prev(&self, at: usize) -> Option<usize> {
        prev_boundary(&self.text, at)
    }

    fn next(&self, at: usize) -> Option<usize> {
        self.text[at..].graphemes(true).next().map(|g| at + g.len())
    }

    fn snap(&self, at: usize) -> usize {
        boundaries(&self.text).find(|b| *b >= at).unwrap_or(self.text.len())
    }
}

/// Number of grapheme clusters in `text`.
pub fn clusters(text: &str) -> usize {
    text.graphemes(true).count()
}

/// Where the grapheme cluster before byte `at` of `text` starts; None at the start.
pub fn prev_boundary(text: &str, at: usize) -> Option<usize> {
    text[..at].grapheme_indices(true).next_back().map(|(i, _)| i)
}

/// Every caret position of `text` (a grapheme boundary) with its x on `line`, left to right.
/// Positions at the same x (where directions meet) are ordered as the paragraph reads.
pub fn visual_stops(text: &str, line: &Line) -> Vec<(f32, usize)> {
    let mut stops: Vec<(f32, usize)> = boundaries(text).map(|o| (line.caret_x(o), o)).collect();
    stops.sort_by(|a, b| a.0.total_cmp(&b.0).then(if line.rtl { b.1.cmp(&a.1) } else { a.1.cmp(&b.1) }));
    stops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_step_over_whole_clusters() {
        let mut f = TextField::new();
        // e + combining acute, a flag (two regional indicators), Devanagari "ki" (consonant + vowel sign).
        f.insert("e\u{301}🇩🇪कि");
        assert_eq!(f.clusters(), 3);
        assert!(f.backspace());
        assert_eq!(f.text(), "e\u{301}🇩🇪");
        f.step_logical(false);
        assert_eq!(f.caret(), "e\u{301}".len());
        assert!(f.delete());
        assert_eq!(f.text(), "e\u{301}");
        f.home();
        assert!(!f.backspace());
        assert!(f.delete());
        assert_eq!(f.text(), "");
        assert!(!f.delete());
    }

    #[test]
    fn a_mark_typed_after_a_letter_keeps_the_caret_on_a_boundary() {
        let mut f = TextField::new();
        f.insert("a");
        f.insert("\u{308}");
        assert_eq!((f.text(), f.caret()), ("a\u{308}", 3));
        assert!(f.backspace());
        assert_eq!(f.text(), "");
    }

    #[test]
    fn typing_in_the_middle() {
        let mut f = TextField::new();
        f.insert("سلام");
        f.home();
        f.step_logical(true);
        f.insert("x");
        assert_eq!(f.text(), "سxلام");
        assert_eq!(f.caret(), "سx".len());
    }
}
