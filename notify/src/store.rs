//! What the notification daemon knows and decides: the notifications of each source (a VM, or
//! the GUI VM's own programs) keyed by (source, id), which of them pop up, per-VM rate limits with
//! collapsing, rule breaks and muting, do-not-disturb, and what the user has read. It makes no
//! system calls: the daemon feeds it events and carries out what it asks for in [`Out`].
//!
//! Identity: a source is what the transport said (the VM whose listener the notification came
//! through). A VM's id names only that VM's notifications, so `replaces_id` of one VM can
//! never touch another's.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use canopy_protocols::notify::{CloseReason, Urgency};

use crate::config::{Limits, Popups};
use crate::rate::{Bucket, Window};
use crate::rules::{Checked, Expire};

/// Where a notification came from, as the transport (or the local bus) says.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// A program of the GUI VM (its session bus), or the daemon itself.
    Local,
    Vm(Arc<str>),
}

impl Source {
    pub fn vm(&self) -> Option<&str> {
        match self {
            Source::Local => None,
            Source::Vm(v) => Some(v),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.vm().unwrap_or("local"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub source: Source,
    pub id: u32,
}

/// One notification the daemon holds.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: Key,
    /// Arrival order (a replacement arrives anew).
    pub seq: u64,
    pub n: Checked,
    /// The connection it came over; its actions go back only on that one.
    pub conn: u64,
    pub read: bool,
    /// On screen: since when (in arrival order) and until when (None: until dismissed).
    pub popup: Option<Popup>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Popup {
    pub order: u64,
    pub until: Option<Instant>,
}

/// Why a source is muted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mute {
    /// The user (or the config) chose to.
    User,
    /// It kept breaking the rules; the last rule it broke.
    Rules(String),
}

/// The "N more from VM" popup of a source over its rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Collapsed {
    pub count: u64,
    pub order: u64,
    pub until: Instant,
}

#[derive(Debug)]
struct SourceState {
    bucket: Bucket,
    strikes: Window,
    muted: Option<Mute>,
    /// Dropped while muted.
    hidden: u64,
    /// Dropped from the centre to keep within `limits.keep`.
    dropped: u64,
    collapsed: Option<Collapsed>,
    conn: Option<u64>,
}

/// What the daemon must do after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    /// Tell the source (a VM on the connection `conn`, or the local bus) that it closed.
    Closed { key: Key, conn: u64, reason: CloseReason },
    /// Tell the source that the user chose this action.
    Action { key: Key, conn: u64, action: String },
    /// The VM broke the rules too often: close its connection and refuse new ones.
    Muted { vm: Arc<str>, reason: String },
}

/// A popup on screen, newest first.
#[derive(Debug, Clone, Copy)]
pub enum Card<'a> {
    Entry(&'a Entry),
    Collapsed { source: &'a Source, count: u64 },
}

/// What a popup shows and does, as the daemon's settings say.
#[derive(Debug, Clone)]
pub struct Settings {
    pub popups: Popups,
    pub limits: Limits,
}

pub struct Store {
    settings: Settings,
    entries: Vec<Entry>,
    sources: BTreeMap<Source, SourceState>,
    dnd: bool,
    seq: u64,
    out: Vec<Out>,
}

impl Store {
    pub fn new(settings: Settings, dnd: bool) -> Self {
        Store { settings, entries: Vec::new(), sources: BTreeMap::new(), dnd, seq: 0, out: Vec::new() }
    }

    /// What the daemon must do now (emptied).
    pub fn take_out(&mut self) -> Vec<Out> {
        std::mem::take(&mut self.out)
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn state(&mut self, source: &Source, now: Instant) -> &mut SourceState {
        let l = &self.settings.limits;
        self.sources.entry(source.clone()).or_insert_with(|| SourceState {
            bucket: Bucket::new(l.burst, l.per_minute, now),
            strikes: Window::new(Duration::from_secs_f64(l.strike_seconds)),
            muted: None,
            hidden: 0,
            dropped: 0,
            collapsed: None,
            conn: None,
        })
    }

    pub fn dnd(&self) -> bool {
        self.dnd
    }

    pub fn muted(&self, source: &Source) -> Option<&Mute> {
        self.sources.get(source).and_then(|s| s.muted.as_ref())
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn get(&self, key: &Key) -> Option<&Entry> {
        self.entries.iter().find(|e| &e.key == key)
    }

    pub fn unread(&self) -> usize {
        self.entries.iter().filter(|e| !e.read).count()
    }

    /// The hidden, dropped and collapsed counts of a source.
    pub fn counts(&self, source: &Source) -> (u64, u64) {
        self.sources.get(source).map_or((0, 0), |s| (s.hidden, s.dropped))
    }

    /// Every source the daemon has heard of (or muted), local first.
    pub fn sources(&self) -> impl Iterator<Item = &Source> {
        self.sources.keys()
    }

    /// Whether `conn` is the source's live connection (its notifications' actions can be sent).
    pub fn live(&self, e: &Entry) -> bool {
        match &e.key.source {
            Source::Local => true,
            s => self.sources.get(s).and_then(|st| st.conn) == Some(e.conn),
        }
    }

    pub fn connected(&mut self, vm: &Source, conn: u64, now: Instant) {
        self.state(vm, now).conn = Some(conn);
    }

    pub fn disconnected(&mut self, vm: &Source, conn: u64) {
        if let Some(s) = self.sources.get_mut(vm).filter(|s| s.conn == Some(conn)) {
            s.conn = None;
        }
    }

    /// A notification that kept the rules arrived from `source` over `conn`.
    pub fn notify(&mut self, source: Source, conn: u64, n: Checked, now: Instant) {
        let st = self.state(&source, now);
        if st.muted.is_some() {
            st.hidden += 1;
            return;
        }
        let key = Key { source: source.clone(), id: n.id };
        let seq = self.next_seq();
        let visible = match self.entries.iter().position(|e| e.key == key) {
            // A replacement: the same (source, id), never another source's.
            Some(i) => {
                let e = &mut self.entries[i];
                e.n = n;
                e.conn = conn;
                e.read = false;
                e.seq = seq;
                e.popup.is_some()
            }
            None => {
                self.entries.push(Entry { key: key.clone(), seq, n, conn, read: false, popup: None });
                self.keep_within_limit(&source);
                false
            }
        };
        let Some(i) = self.entries.iter().position(|e| e.key == key) else { return };
        let critical = self.entries[i].n.urgency == Urgency::Critical;
        if self.dnd && !(critical && source == Source::Local) {
            self.entries[i].popup = None;
            return;
        }
        // A popup on screen takes its new content without costing another; a new one, or one
        // whose popup had gone, must fit the source's rate.
        let st = self.sources.get_mut(&source).expect("state made above");
        if visible || st.bucket.take(now) {
            let until = self.until(&self.entries[i].n, now);
            self.entries[i].popup = Some(Popup { order: seq, until });
        } else {
            self.collapse(&source, now);
        }
        self.trim_popups();
    }

    fn collapse(&mut self, source: &Source, now: Instant) {
        let until = now + self.settings.popups.default_time();
        let order = self.next_seq();
        let st = self.sources.get_mut(source).expect("known source");
        match &mut st.collapsed {
            Some(c) => {
                c.count += 1;
                c.until = until;
            }
            None => {
                let l = &self.settings.limits;
                tracing::warn!(
                    source = %source,
                    "over its rate ({} at once, {} a minute): further notifications go to the centre, collapsed",
                    l.burst,
                    l.per_minute
                );
                st.collapsed = Some(Collapsed { count: 1, order, until });
            }
        }
    }

    fn until(&self, n: &Checked, now: Instant) -> Option<Instant> {
        let p = &self.settings.popups;
        if n.urgency == Urgency::Critical {
            return None;
        }
        match n.expire {
            Expire::Never => None,
            Expire::Default => Some(now + p.default_time()),
            Expire::Millis(ms) => {
                Some(now + Duration::from_millis(ms as u64).clamp(Duration::from_secs(1), p.max_time()))
            }
        }
    }

    /// Drops the source's oldest notification beyond `limits.keep` (one not on screen, if any).
    fn keep_within_limit(&mut self, source: &Source) {
        let keep = self.settings.limits.keep;
        let mine: Vec<usize> =
            self.entries.iter().enumerate().filter(|(_, e)| &e.key.source == source).map(|(i, _)| i).collect();
        if mine.len() <= keep {
            return;
        }
        let i = mine.iter().copied().find(|&i| self.entries[i].popup.is_none()).unwrap_or(mine[0]);
        let e = self.entries.remove(i);
        self.out.push(Out::Closed { key: e.key, conn: e.conn, reason: CloseReason::Undefined });
        if let Some(st) = self.sources.get_mut(source) {
            st.dropped += 1;
        }
    }

    /// At most `popups.per_vm` cards of one source and `popups.max` in all stay on screen, the
    /// newest; older ones leave the screen (they stay in the centre).
    fn trim_popups(&mut self) {
        let keep: Vec<(Source, u64)> = self.cards().iter().map(|c| self.card_id(c)).collect();
        for e in &mut self.entries {
            if let Some(p) = e.popup {
                if !keep.contains(&(e.key.source.clone(), p.order)) {
                    e.popup = None;
                }
            }
        }
        for (source, st) in &mut self.sources {
            if let Some(c) = st.collapsed {
                if !keep.contains(&(source.clone(), c.order)) {
                    st.collapsed = None;
                }
            }
        }
    }

    fn card_id(&self, c: &Card<'_>) -> (Source, u64) {
        match c {
            Card::Entry(e) => (e.key.source.clone(), e.popup.map_or(0, |p| p.order)),
            Card::Collapsed { source, .. } => {
                ((*source).clone(), self.sources.get(*source).and_then(|s| s.collapsed).map_or(0, |c| c.order))
            }
        }
    }

    /// The popups to draw, newest first, within the per-source and overall limits.
    pub fn cards(&self) -> Vec<Card<'_>> {
        let mut all: Vec<(u64, Card<'_>)> =
            self.entries.iter().filter_map(|e| e.popup.map(|p| (p.order, Card::Entry(e)))).collect();
        for (source, st) in &self.sources {
            if let Some(c) = st.collapsed {
                all.push((c.order, Card::Collapsed { source, count: c.count }));
            }
        }
        all.sort_by_key(|c| std::cmp::Reverse(c.0));
        let p = &self.settings.popups;
        let mut per: BTreeMap<&Source, usize> = BTreeMap::new();
        let mut out = Vec::new();
        for (_, card) in all {
            let source = match card {
                Card::Entry(e) => &e.key.source,
                Card::Collapsed { source, .. } => source,
            };
            let n = per.entry(source).or_default();
            if *n < p.per_vm && out.len() < p.max {
                *n += 1;
                out.push(card);
            }
        }
        out
    }

    /// When the next popup ends, if one will.
    pub fn next_deadline(&self) -> Option<Instant> {
        let popups = self.entries.iter().filter_map(|e| e.popup.and_then(|p| p.until));
        let collapsed = self.sources.values().filter_map(|s| s.collapsed.map(|c| c.until));
        popups.chain(collapsed).min()
    }

    /// Popups whose time is up leave the screen; transient notifications go with them.
    pub fn expire(&mut self, now: Instant) {
        let mut gone = Vec::new();
        for e in &mut self.entries {
            if e.popup.and_then(|p| p.until).is_some_and(|u| u <= now) {
                e.popup = None;
                if e.n.transient {
                    gone.push(e.key.clone());
                }
            }
        }
        for key in gone {
            self.remove(&key, CloseReason::Expired);
        }
        for (source, st) in &mut self.sources {
            if let Some(c) = st.collapsed.filter(|c| c.until <= now) {
                tracing::info!(source = %source, "{} notifications were collapsed into the centre", c.count);
                st.collapsed = None;
            }
        }
    }

    fn remove(&mut self, key: &Key, reason: CloseReason) -> Option<Entry> {
        let i = self.entries.iter().position(|e| &e.key == key)?;
        let e = self.entries.remove(i);
        self.out.push(Out::Closed { key: e.key.clone(), conn: e.conn, reason });
        Some(e)
    }

    /// The source itself closed one of its notifications (CloseNotification).
    pub fn close(&mut self, key: &Key) {
        self.remove(key, CloseReason::Closed);
    }

    /// The user dismissed a notification (its popup's close button, or in the centre).
    pub fn dismiss(&mut self, key: &Key) {
        self.remove(key, CloseReason::Dismissed);
    }

    /// The user chose an action: it goes back to the source (only over the connection the
    /// notification came on) and the notification closes. Unknown actions do nothing.
    pub fn invoke(&mut self, key: &Key, action: &str) {
        let Some(e) = self.get(key) else { return };
        let known = if action == "default" { e.n.default_action } else { e.n.actions.iter().any(|a| a.key == action) };
        if !known || !self.live(e) {
            return;
        }
        let conn = e.conn;
        self.out.push(Out::Action { key: key.clone(), conn, action: action.to_string() });
        self.remove(key, CloseReason::Dismissed);
    }

    /// A click on a popup: its default action if it has one, otherwise the popup goes (the
    /// notification stays in the centre, read).
    pub fn popup_clicked(&mut self, key: &Key) {
        let Some(e) = self.get(key) else { return };
        if e.n.default_action && self.live(e) {
            self.invoke(key, "default");
        } else if let Some(e) = self.entries.iter_mut().find(|e| &e.key == key) {
            e.popup = None;
            e.read = true;
        }
    }

    /// The user closed a source's "N more" popup.
    pub fn dismiss_collapsed(&mut self, source: &Source) {
        if let Some(st) = self.sources.get_mut(source) {
            st.collapsed = None;
        }
    }

    /// Clear the centre: every notification of `source`, or of all when None.
    pub fn clear(&mut self, source: Option<&Source>) {
        let keys: Vec<Key> =
            self.entries.iter().filter(|e| source.is_none_or(|s| &e.key.source == s)).map(|e| e.key.clone()).collect();
        for k in keys {
            self.remove(&k, CloseReason::Dismissed);
        }
        for (s, st) in &mut self.sources {
            if source.is_none_or(|x| x == s) {
                st.collapsed = None;
                st.dropped = 0;
                st.hidden = 0;
            }
        }
    }

    pub fn mark_read(&mut self) {
        for e in &mut self.entries {
            e.read = true;
        }
    }

    /// Do-not-disturb: popups go (but the GUI VM's own critical ones), and no new ones come.
    pub fn set_dnd(&mut self, on: bool) {
        self.dnd = on;
        if on {
            for e in &mut self.entries {
                if !(e.key.source == Source::Local && e.n.urgency == Urgency::Critical) {
                    e.popup = None;
                }
            }
            for st in self.sources.values_mut() {
                st.collapsed = None;
            }
        }
    }

    /// Mute or unmute a VM (the user's choice). Unmuting forgives its rule breaks.
    pub fn set_muted(&mut self, source: &Source, muted: bool, now: Instant) {
        let st = self.state(source, now);
        if muted {
            st.muted = Some(Mute::User);
            st.collapsed = None;
            for e in self.entries.iter_mut().filter(|e| &e.key.source == source) {
                e.popup = None;
            }
        } else {
            st.muted = None;
            st.hidden = 0;
            st.strikes.clear();
        }
    }

    /// `vm` broke a rule (the listener dropped what it sent, or closed its connection). Every
    /// break is logged, naming the VM; `limits.strikes` of them within `limits.strike_seconds`
    /// mute the VM.
    pub fn broke(&mut self, vm: &Arc<str>, rule: &str, now: Instant) {
        let source = Source::Vm(vm.clone());
        let limit = self.settings.limits.strikes;
        let st = self.state(&source, now);
        if st.muted.is_some() {
            tracing::debug!(vm = %vm, "muted VM broke a rule: {rule}");
            return;
        }
        tracing::warn!(vm = %vm, "notification refused: {rule}");
        let n = st.strikes.add(now);
        if n >= limit {
            let reason = format!("it broke the notification rules {n} times (last: {rule})");
            tracing::warn!(vm = %vm, "muting the VM: {reason}");
            st.muted = Some(Mute::Rules(rule.to_string()));
            st.collapsed = None;
            for e in self.entries.iter_mut().filter(|e| e.key.source == source) {
                e.popup = None;
            }
            self.out.push(Out::Muted { vm: vm.clone(), reason });
        }
    }
}

#[cfg(test)]
mod tests;
