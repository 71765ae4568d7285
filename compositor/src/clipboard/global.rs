//! The global clipboard: the one way data crosses between VMs. Ctrl+Shift+C copies the focused
//! VM's clipboard into it; Ctrl+Shift+V offers it to the focused VM once, if the policy allows,
//! and then it is empty. Every step shows a notice saying which VM and how many bytes.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use smithay::reexports::calloop::generic::Generic;
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::{Interest, Mode, PostAction};
use smithay::reexports::rustix::pipe::{pipe_with, PipeFlags};
use smithay::wayland::selection::data_device::{
    clear_data_device_selection, request_data_device_client_selection, set_data_device_selection,
};

use super::policy::Decision;
use super::Domain;
use crate::state::Canopy;

/// How long a VM has to hand over its clipboard when copied from.
const COPY_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a paste that needs confirmation waits for the second key press.
pub const ASK_WINDOW: Duration = Duration::from_secs(5);

/// The data of a compositor-provided selection.
#[derive(Debug, Clone)]
pub struct OfferedClip {
    pub id: u64,
    pub data: Arc<Vec<u8>>,
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
}

fn human(n: usize) -> String {
    if n < 1024 {
        format!("{n} bytes")
    } else {
        format!("{:.1} KiB", n as f64 / 1024.0)
    }
}

impl Canopy {
    fn domain_label(&self, d: &Domain) -> String {
        match d {
            Domain::Local => "the desktop".into(),
            Domain::Vm(v) => format!("[{v}]"),
        }
    }

    fn domain_accent(&self, d: &Domain) -> Option<canopy_themes::Rgba> {
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
        let Ok((read, write)) = pipe_with(PipeFlags::CLOEXEC | PipeFlags::NONBLOCK) else { return };
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
        let mut buf = Vec::new();
        let file = std::fs::File::from(read);
        let token =
            self.loop_handle.insert_source(Generic::new(file, Interest::READ, Mode::Level), move |_, file, state| {
                let mut chunk = [0u8; 16 * 1024];
                loop {
                    // Safety: the file is not replaced while the source lives.
                    match unsafe { file.get_mut() }.read(&mut chunk) {
                        Ok(0) => {
                            state.canopy.copy_finished(domain.clone(), mime.clone(), std::mem::take(&mut buf), started);
                            return Ok(PostAction::Remove);
                        }
                        Ok(n) => {
                            buf.extend_from_slice(&chunk[..n]);
                            if buf.len() > limit {
                                state.canopy.copy_too_big(&domain, limit);
                                return Ok(PostAction::Remove);
                            }
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(PostAction::Continue),
                        Err(_) => {
                            state.canopy.clipboard.global.copy_in_progress = false;
                            return Ok(PostAction::Remove);
                        }
                    }
                }
            });
        let Ok(token) = token else {
            self.clipboard.global.copy_in_progress = false;
            return;
        };
        let _ = self.loop_handle.insert_source(Timer::from_duration(COPY_TIMEOUT), move |_, _, state| {
            if state.canopy.clipboard.global.copy_in_progress {
                state.canopy.loop_handle.remove(token);
                state.canopy.clipboard.global.copy_in_progress = false;
                state.canopy.show_notice("Nothing copied: the window did not hand over its clipboard in time", None);
            }
            TimeoutAction::Drop
        });
    }

    fn copy_finished(&mut self, from: Domain, mime: String, data: Vec<u8>, started: Instant) {
        self.clipboard.global.copy_in_progress = false;
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
        self.clipboard.global.copy_in_progress = false;
        let accent = self.domain_accent(from);
        let label = self.domain_label(from);
        self.show_notice(
            format!("Nothing copied: {label}'s clipboard is larger than the limit of {}", human(limit)),
            accent,
        );
    }

    pub fn global_clipboard_paste(&mut self) {
        let Some(target) = self.focused_domain() else {
            self.show_notice("Nothing pasted: no window has focus", None);
            return;
        };
        let Some(clip) = self.clipboard.global.content.clone() else {
            self.show_notice("The global clipboard is empty: Ctrl+Shift+C copies into it", None);
            return;
        };
        let (from, to) = (self.domain_label(&clip.from), self.domain_label(&target));
        let accent = self.domain_accent(&target);
        let size = human(clip.data.len());
        match self.config.clipboard.decide(clip.from.name(), target.name()) {
            Decision::Deny => {
                tracing::info!(from = clip.from.name(), to = target.name(), "paste refused by policy");
                self.show_notice(format!("Paste refused: the policy does not let {from} paste into {to}"), accent);
                return;
            }
            Decision::Ask => {
                let confirmed = matches!(&self.clipboard.global.pending_ask, Some((t, at)) if *t == target && at.elapsed() < ASK_WINDOW);
                if !confirmed {
                    self.clipboard.global.pending_ask = Some((target, Instant::now()));
                    self.show_notice(
                        format!("Paste {size} from {from} into {to}? Press Ctrl+Shift+V again to confirm"),
                        accent,
                    );
                    return;
                }
            }
            Decision::Allow => {}
        }
        self.clipboard.global.pending_ask = None;
        self.clipboard.global.next_id += 1;
        let id = self.clipboard.global.next_id;
        self.clipboard.global.offered = Some(id);
        let types = self.config.clipboard.offer_types(&clip.mime);
        set_data_device_selection(&self.display_handle, &self.seat, types, OfferedClip { id, data: clip.data.clone() });
        self.clipboard.clipboard_owner = Some(target.clone());
        self.update_selection_focus();
        tracing::info!(
            from = clip.from.name(),
            to = target.name(),
            bytes = clip.data.len(),
            "global clipboard offered"
        );
        self.show_notice(format!("{size} from {from} offered to {to} once: paste now"), accent);
    }

    /// The target asked for the offered data: serve it once, then empty the global clipboard.
    pub fn global_clipboard_send(&mut self, mime: String, fd: OwnedFd, clip: &OfferedClip) {
        if self.clipboard.global.offered != Some(clip.id) {
            return;
        }
        let data = clip.data.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::File::from(fd);
            if let Err(e) = f.write_all(&data) {
                tracing::warn!(mime, "global clipboard transfer: {e}");
            }
        });
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
