//! What the panels (canopy_shell_v1, ext-foreign-toplevel-list) and the title bars learn about
//! windows. A change only marks its window; once per frame the marked windows are announced,
//! each with its latest state, and a VM's announcements are rate-limited: a burst of
//! [`BURST`], then [`RATE`] a second. A VM setting its title 100 000 times a second so costs
//! the compositor a flag per request, and the panel and the screen at most 20 updates a second;
//! no trusted client's connection can fill up because of it.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use smithay::reexports::calloop::timer::{TimeoutAction, Timer};

use super::window::WindowElement;
use crate::state::Canopy;

/// Announcements a VM may make per second, once its burst is spent.
pub const RATE: f64 = 20.0;
/// Announcements a VM may make at once (a VM restoring its session's windows).
pub const BURST: f64 = 40.0;
/// When a VM's windows wait for its budget, the next round comes this much later.
const RETRY: Duration = Duration::from_millis(50);

/// A token bucket.
#[derive(Debug)]
struct Budget {
    tokens: f64,
    at: Instant,
}

impl Budget {
    fn take(&mut self, now: Instant) -> bool {
        self.tokens = (self.tokens + now.saturating_duration_since(self.at).as_secs_f64() * RATE).min(BURST);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[derive(Debug, Default)]
pub struct Announcer {
    /// Marked windows, per VM (`None`: the GUI VM's own windows, never limited), oldest first.
    queues: HashMap<Option<String>, VecDeque<u64>>,
    budgets: HashMap<String, Budget>,
    retry_armed: bool,
}

impl Canopy {
    /// Something about a window changed that the panel or its title bar shows: redraw, and
    /// announce it in the next round.
    pub fn window_changed(&mut self, w: &WindowElement) {
        self.queue_redraw_window(w);
        if !w.data.state.borrow().placed {
            return;
        }
        if !w.is_minimized() {
            // It may have grown, or moved to another output.
            self.fit_to_output(w, None);
        }
        self.mark_for_announcement(w);
    }

    /// A window's title or app_id changed: nothing to redraw or fit until it is announced, so
    /// a request of a flood costs a flag and a queue entry.
    pub fn mark_for_announcement(&mut self, w: &WindowElement) {
        if !w.data.state.borrow().placed || w.data.announce_queued.replace(true) {
            return;
        }
        self.announcer.queues.entry(w.data.vm.clone()).or_default().push_back(w.id());
        // A round happens with the next frame.
        self.queue_a_frame();
    }

    /// One round of announcements: before each frame (and each screenshot), so at most one
    /// per frame.
    pub fn announce_round(&mut self) {
        if self.announcer.queues.is_empty() {
            return;
        }
        let now = Instant::now();
        let mut queues = std::mem::take(&mut self.announcer.queues);
        let mut sent = false;
        for (vm, queue) in queues.iter_mut() {
            while let Some(&id) = queue.front() {
                let Some(w) = self.window_by_id(id) else {
                    queue.pop_front();
                    continue;
                };
                // Nothing new to say (a commit that changed nothing the panel shows) costs the
                // VM nothing.
                if !w.data.state.borrow().placed || !self.has_news(&w) {
                    queue.pop_front();
                    w.data.announce_queued.set(false);
                    continue;
                }
                if let Some(vm) = vm {
                    let budget = self.announcer.budgets.entry(vm.clone()).or_insert(Budget { tokens: BURST, at: now });
                    if !budget.take(now) {
                        let waiting = queue.len();
                        self.violations.report(vm, "announcement rate", || {
                            format!(
                                "window changes beyond {RATE}/s (title, app_id, state): {waiting} windows wait, \
                                 each shown with its latest state"
                            )
                        });
                        break;
                    }
                }
                queue.pop_front();
                w.data.announce_queued.set(false);
                sent |= self.announce(&w);
            }
        }
        queues.retain(|_, q| !q.is_empty());
        // Windows marked while this round ran join the queues after the ones that waited.
        for (vm, mut queue) in std::mem::replace(&mut self.announcer.queues, queues) {
            self.announcer.queues.entry(vm).or_default().append(&mut queue);
        }
        if sent {
            self.shell_done();
        }
        if !self.announcer.queues.is_empty() {
            self.retry_announcements(RETRY);
        }
    }

    /// Announce a window's state at once, outside the rounds and the VM's budget: for changes
    /// made by the user (focus), which a VM cannot repeat at will. Its frame colour changes on
    /// the outputs it is on, so only those are redrawn (none for a window that is not shown).
    pub fn announce_now(&mut self, w: &WindowElement) {
        if let Some(bbox) = self.bbox_of(w) {
            self.queue_redraw_area(bbox);
        }
        if w.data.state.borrow().placed && self.announce(w) {
            self.shell_done();
        }
    }

    /// Come back for windows still waiting, with a frame, even if no other event does.
    fn retry_announcements(&mut self, after: Duration) {
        if std::mem::replace(&mut self.announcer.retry_armed, true) {
            return;
        }
        let _ = self.loop_handle.insert_source(Timer::from_duration(after), |_, _, state| {
            state.canopy.announcer.retry_armed = false;
            state.canopy.queue_a_frame();
            TimeoutAction::Drop
        });
    }

    /// Whether the title bar or the panels would learn anything new about `w` (the title bar's
    /// title is set with each announcement, from the same title as the panels').
    fn has_news(&self, w: &WindowElement) -> bool {
        w.data.announced.borrow().as_ref() != Some(&self.toplevel_info(w))
    }

    /// Tell the title bar, the foreign-toplevel list and the panels a window's current state;
    /// true if the panels were told something.
    fn announce(&mut self, w: &WindowElement) -> bool {
        let info = self.toplevel_info(w);
        // The title bar draws `[vm]` as its own run (canopy-text), so it keeps the title alone.
        let title = crate::decorations::sanitise_title(&w.title_and_app_id().0);
        if *w.data.shown_title.borrow() != title {
            w.data.shown_title.replace(title);
            self.queue_redraw_window(w);
        }
        if w.data.announced.borrow().as_ref() == Some(&info) {
            return false;
        }
        w.data.announced.replace(Some(info.clone()));
        let mut foreign = w.data.foreign.borrow_mut();
        match foreign.as_ref() {
            Some(h) => {
                h.send_title(&info.title);
                h.send_app_id(&info.app_id);
                h.send_done();
            }
            None => {
                let h = self
                    .foreign_toplevel_list_state
                    .new_toplevel::<crate::state::State>(info.title.clone(), info.app_id.clone());
                *foreign = Some(h);
            }
        }
        drop(foreign);
        self.shell_window_changed(info);
        true
    }
}
