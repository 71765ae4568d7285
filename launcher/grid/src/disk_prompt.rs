//! The question the launcher asks when a VM needs a disk image that hostd does not know (the
//! Windows VM on first start): a path field, what went wrong with the last answer, and whether
//! the answer is with hostd. hostd remembers the answer, so it is asked once.

use canopy_shell::draw::TextField;

use crate::model::Tile;

#[derive(Debug, Clone, PartialEq)]
pub struct DiskPrompt {
    /// The app to start once the image is known.
    pub tile: Tile,
    /// The VM that needs the image.
    pub vm: String,
    /// hostd's reason, such as "no disk image is set".
    pub reason: String,
    /// What the user has typed.
    pub path: TextField,
    /// Why the last answer was refused.
    pub error: Option<String>,
    /// The path is with hostd (set_disk_image, then the start again).
    pub sending: bool,
}

impl DiskPrompt {
    pub fn new(tile: Tile, vm: String, reason: String) -> Self {
        DiskPrompt { tile, vm, reason, path: TextField::new(), error: None, sending: false }
    }

    pub fn type_text(&mut self, text: &str) {
        self.edit(|p| p.insert(text));
    }

    pub fn backspace(&mut self) {
        self.edit(|p| {
            p.backspace();
        });
    }

    pub fn clear(&mut self) {
        self.edit(TextField::clear);
    }

    /// Applies `edit` to the path unless it is with hostd. Typing clears the last error; while
    /// the user only deletes and moves, it stays in view as the reason to.
    pub fn edit(&mut self, edit: impl FnOnce(&mut TextField)) {
        if self.sending {
            return;
        }
        let before = self.path.text().len();
        edit(&mut self.path);
        if self.path.text().len() > before {
            self.error = None;
        }
    }

    /// The path to send, or None (with the reason in `error`) when it cannot be right.
    pub fn submit(&mut self) -> Option<String> {
        if self.sending {
            return None;
        }
        let path = self.path.text().trim();
        if path.is_empty() {
            self.error = Some("Type the path of the disk image first".into());
            return None;
        }
        // hostd runs on another machine: a relative path or ~ would mean nothing there.
        if !path.starts_with('/') {
            self.error = Some("Give the full path, starting with /".into());
            return None;
        }
        self.error = None;
        self.sending = true;
        Some(path.to_string())
    }

    /// hostd refused the path (or could not be asked): say why, let the user edit it.
    pub fn refused(&mut self, why: String) {
        self.sending = false;
        self.error = Some(why);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt() -> DiskPrompt {
        let tile = Tile {
            app: "windows".into(),
            display_name: "Windows".into(),
            icon: "windows".into(),
            vm: "windows-vm".into(),
            trust: "untrusted".into(),
            state: None,
        };
        DiskPrompt::new(tile, "windows-vm".into(), "no disk image is set".into())
    }

    #[test]
    fn only_full_paths_are_sent() {
        let mut p = prompt();
        assert_eq!(p.submit(), None);
        assert!(p.error.as_deref().unwrap().contains("first"));
        p.type_text("~/win.qcow2");
        assert_eq!(p.error, None, "typing clears the message");
        assert_eq!(p.submit(), None);
        assert!(p.error.as_deref().unwrap().contains("starting with /"));
        p.clear();
        p.type_text("  /var/lib/win.qcow2 ");
        assert_eq!(p.submit().as_deref(), Some("/var/lib/win.qcow2"));
        assert!(p.sending);
    }

    #[test]
    fn the_field_is_frozen_while_hostd_answers_and_editable_after_a_refusal() {
        let mut p = prompt();
        p.type_text("/img/win.qcow2");
        p.submit().unwrap();
        p.type_text("x");
        p.backspace();
        assert_eq!(p.path.text(), "/img/win.qcow2");
        assert_eq!(p.submit(), None, "sent once");
        p.refused("/img/win.qcow2: No such file or directory".into());
        assert!(!p.sending);
        p.backspace();
        assert_eq!(p.path.text(), "/img/win.qcow");
        assert_eq!(p.error, Some("/img/win.qcow2: No such file or directory".into()));
    }
}
