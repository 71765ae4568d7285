//! The global clipboard: the one way data crosses between VMs. Ctrl+Shift+C copies the focused
//! VM's clipboard into it (after giving the app the press, so a terminal can put its selection
//! there first); Ctrl+Shift+V offers it to the focused VM once, if the policy allows, and then it
//! is empty. Every step shows a notice saying which VM and how many bytes.

use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::wayland::selection::data_device::{
    clear_data_device_selection, request_data_device_client_selection, set_data_device_selection,
};

use super::pipe::{write_in_background, Received};
use super::policy::Decision;
use super::Domain;
use crate::state::Canopy;

/// How long a VM has to hand over its clipboard when copied from.
pub const COPY_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a paste that needs confirmation waits for the second key press.
pub const ASK_WINDOW: Duration = Duration::from_secs(5);
/// How long the copy key waits for the app it reached to set a new clipboard (a terminal copies
/// its selection on that key) before taking the one the VM already had.
pub const COPY_KEY_WAIT: Duration = Duration::from_millis(500);

/// What the paste key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paste {
    /// The global clipboard is offered to the focused VM now.
    Offered,
    /// Nothing to offer: the app may paste its own clipboard with the key.
    Empty,
    /// Refused, asking, or nothing focused: the key stays the compositor's.
    Held,
}

/// The data of a compositor-provided selection.
#[derive(Debug, Clone)]
pub struct OfferedClip {
    pub id: u64,
    pub data: Arc<Vec<u8>>,
    /// A screenshot on the GUI VM's clipboard (`screenshot`), served every time it is asked for;
    /// otherwise the global clipboard's offer, served once.
    pub screenshot: bool,
}

#[derive(Debug, Clone)]
pub struct Clip {
    pub from: Domain,
    pub mime: String,
    pub data: Arc<Vec<u8>>,
}

#[derive(Debug, Default)]
pub struct GlobalClipboard {
    pub content: Option<Clip>,
    /// The id of the clip now offered to a target; it is served once.
    offered: Option<u64>,
    next_id: u64,
    /// A paste waiting for its confirming second key press: target and time.
    pending_ask: Option<(Domain, Instant)>,
    copy_in_progress: bool,
    /// A copy key press waiting for its app's new clipboard: the focused domain then, and the
    /// press's number (a later press replaces it).
    copy_waiting: Option<(Domain, u64)>,
}

pub fn human(n: usize) -> String {
    if n < 1024 {
        format!("{n} bytes")
    } else {
        format!("{:.1} KiB", n as f64 / 1024.0)
    }
}

impl Canopy {
    pub fn domain_label(&self, d: &Domain) -> String {
        match d {
            Domain::Local => "the desktop".into(),
            Domain::Vm(v) => format!("[{v}]"),
        }
    }

    pub fn domain_accent(&self, d: &Domain) -> Option<canopy_themes::Rgba> {
        Some(crate::trust::colours(&self.config, d.vm()).focused)
    }

    /// The domain of the focused window (the global clipboard acts on windows, not panels).
    fn focused_domain(&self) -> Option<Domain> {
        let w = self.focused_window()?;
        Some(match w.vm() {
            Some(vm) => Domain::Vm(vm.to_string()),
            None => Domain::Local,
        })
    }

    /// The copy key went on to the focused app too: copy the clipboard its domain sets in
    /// answer (the next selection within [`COPY_KEY_WAIT`]), else the one it has. A VM gains
    /// nothing by answering or not: either way only its own clipboard is copied, bounded as
    /// always, and only while it keeps the focus it had at the press.
    pub fn global_clipboard_copy_after_app(&mut self) {
        let Some(domain) = self.focused_domain() else {
            self.show_notice("Nothing copied: no window has focus", None);
            return;
        };
        self.clipboard.global.next_id += 1;
        let press = self.clipboard.global.next_id;
        self.clipboard.global.copy_waiting = Some((domain, press));
        let _ = self.loop_handle.insert_source(Timer::from_duration(COPY_KEY_WAIT), move |_, _, state| {
            state.canopy.copy_wait_over(press);
            TimeoutAction::Drop
        });
    }

    /// The focused domain set a new clipboard: a waiting copy key takes it (the caller runs
    /// this once smithay has installed the new source).
    pub fn clipboard_set_for_copy(&mut self, by: &Domain) {
        if matches!(&self.clipboard.global.copy_waiting, Some((d, _)) if d == by) {
            let press = self.clipboard.global.copy_waiting.as_ref().map_or(0, |w| w.1);
            self.copy_wait_over(press);
        }
    }

    fn copy_wait_over(&mut self, press: u64) {
        let Some((domain, _)) = self.clipboard.global.copy_waiting.take_if(|(_, p)| *p == press) else { return };
        if self.focused_domain() == Some(domain) {
            self.global_clipboard_copy();
        } else {
            self.show_notice("Nothing copied: the focus moved before the copy", None);
        }
    }

    pub fn global_clipboard_copy(&mut self) {
        let Some(domain) = self.focused_domain() else {
            self.show_notice("Nothing copied: no window has focus", None);
            return;
        };
        let accent = self.domain_accent(&domain);
        let label = self.domain_label(&domain);
        if self.clipboard.clipboard_owner.as_ref() != Some(&domain) {
            self.show_notice(format!("Nothing copied: {label} has nothing in its clipboard"), accent);
            return;
        }
        if self.clipboard.global.copy_in_progress {
            return;
        }
        let Some((read, write)) = super::pipe::client_pipe() else { return };
        let mut chosen = None;
        for mime in self.config.clipboard.mime_types.clone() {
            let Ok(fd) = write.try_clone() else { return };
            if request_data_device_client_selection(&self.seat, mime.clone(), fd).is_ok() {
                chosen = Some(mime);
                break;
            }
        }
        drop(write);
        let Some(mime) = chosen else {
            let types = self.config.clipboard.mime_types.join(", ");
            self.show_notice(
                format!("Nothing copied: {label}'s clipboard holds no type that may cross VMs ({types})"),
                accent,
            );
            return;
        };
        self.clipboard.global.copy_in_progress = true;
        let limit = self.config.clipboard.max_bytes;
        let started = Instant::now();
        self.read_bounded(read, limit, COPY_TIMEOUT, move |state, received| {
            let canopy = &mut state.canopy;
            canopy.clipboard.global.copy_in_progress = false;
            match received {
                Received::Data(data) => canopy.copy_finished(domain, mime, data, started),
                Received::TooBig => canopy.copy_too_big(&domain, limit),
                Received::TimedOut => {
                    canopy.show_notice("Nothing copied: the window did not hand over its clipboard in time", None)
                }
                Received::Failed => {}
            }
        });
    }

    fn copy_finished(&mut self, from: Domain, mime: String, data: Vec<u8>, started: Instant) {
        let accent = self.domain_accent(&from);
        let label = self.domain_label(&from);
        tracing::info!(
            from = from.name(),
            bytes = data.len(),
            mime,
            ms = started.elapsed().as_millis() as u64,
            "copied to the global clipboard"
        );
        self.show_notice(format!("Copied {} from {label} to the global clipboard", human(data.len())), accent);
        self.clipboard.global.content = Some(Clip { from, mime, data: Arc::new(data) });
        self.clipboard.global.pending_ask = None;
    }

    fn copy_too_big(&mut self, from: &Domain, limit: usize) {
        let accent = self.domain_accent(from);
        let label = self.domain_label(from);
        self.show_notice(
            format!("Nothing copied: {label}'s clipboard is larger than the limit of {}", human(limit)),
            accent,
        );
    }

    /// Offers the global clipboard to the focused window's domain, once, if the policy lets
    /// it (asking first where it says so).
    pub fn global_clipboard_paste(&mut self) -> Paste {
        let Some(target) = self.focused_domain() else {
            self.show_notice("Nothing pasted: no window has focus", None);
            return Paste::Held;
        };
        let Some(clip) = self.clipboard.global.content.clone() else {
            self.show_notice("The global clipboard is empty: Ctrl+Shift+C copies into it", None);
            return Paste::Empty;
        };
        let (from, to) = (self.domain_label(&clip.from), self.domain_label(&target));
        let accent = self.domain_accent(&target);
        let size = human(clip.data.len());
        match self.config.clipboard.decide(clip.from.name(), target.name()) {
            Decision::Deny => {
                tracing::info!(from = clip.from.name(), to = target.name(), "paste refused by policy");
                self.show_notice(format!("Paste refused: the policy does not let {from} paste into {to}"), accent);
                return Paste::Held;
            }
            Decision::Ask => {
                let confirmed = matches!(&self.clipboard.global.pending_ask, Some((t, at)) if *t == target && at.elapsed() < ASK_WINDOW);
                if !confirmed {
                    self.clipboard.global.pending_ask = Some((target, Instant::now()));
                    self.show_notice(
                        format!("Paste {size} from {from} into {to}? Press Ctrl+Shift+V again to confirm"),
                        accent,
                    );
                    return Paste::Held;
                }
            }
            Decision::Allow => {}
        }
        self.clipboard.global.pending_ask = None;
        self.clipboard.global.next_id += 1;
        let id = self.clipboard.global.next_id;
        self.clipboard.global.offered = Some(id);
        let types = self.config.clipboard.offer_types(&clip.mime);
        set_data_device_selection(
            &self.display_handle,
            &self.seat,
            types,
            OfferedClip { id, data: clip.data.clone(), screenshot: false },
        );
        self.clipboard.clipboard_owner = Some(target.clone());
        self.update_selection_focus();
        tracing::info!(
            from = clip.from.name(),
            to = target.name(),
            bytes = clip.data.len(),
            "global clipboard offered"
        );
        self.show_notice(format!("{size} from {from} offered to {to} once: paste now"), accent);
        Paste::Offered
    }

    /// The target asked for the offered data: serve it once, then empty the global clipboard.
    pub fn global_clipboard_send(&mut self, mime: String, fd: OwnedFd, clip: &OfferedClip) {
        if self.clipboard.global.offered != Some(clip.id) {
            return;
        }
        write_in_background(fd, clip.data.clone(), mime);
        self.clipboard.global.offered = None;
        self.clipboard.global.content = None;
        self.show_notice(format!("Pasted {}; the global clipboard is now empty", human(clip.data.len())), None);
        // Withdraw the offer once this request is handled, so no later paste can get it.
        self.loop_handle.insert_idle(|state| {
            let canopy = &mut state.canopy;
            if canopy.clipboard.global.offered.is_none() && canopy.clipboard.clipboard_owner.is_some() {
                clear_data_device_selection(&canopy.display_handle, &canopy.seat);
                canopy.clipboard.clipboard_owner = None;
                canopy.update_selection_focus();
            }
        });
    }
}
