//! What the panel passes on from hostd as the trusted system's notifications (through
//! canopy-notifyd): a VM starting, running, stopping, stopped or failed, and hostd's progress on
//! the way (one notification per VM that each step replaces), how a VM's request to open or send ended, and a VM menu action
//! hostd did not carry out. Without the daemon a request's notice and a failed action are shown
//! by the chooser's corner notice (the VM's state is in the panel's chips either way), with a
//! log line.

use canopy_notify::system::{Message, Worker};
use canopy_protocols::lifecycle::open::Notice;
use canopy_protocols::lifecycle::State;
use canopy_protocols::text;
use smithay_client_toolkit::reexports::calloop::channel::Sender;

/// What to do when the daemon is not there.
pub enum Otherwise {
    /// The chips show it already: a log line is enough.
    Log,
    /// The chooser's corner notice.
    Notice(Notice),
}

pub struct Tell(Worker<Otherwise>);

impl Tell {
    /// `notices` gets back the notices the daemon could not take, for the chooser to show.
    pub fn start(notices: Sender<Notice>) -> Tell {
        Tell(Worker::start("canopy-panel", move |otherwise, why| {
            tracing::info!("not shown as a notification: {why}");
            if let Otherwise::Notice(n) = otherwise {
                let _ = notices.send(n);
            }
        }))
    }

    /// `vm` went from `old` to `new`.
    pub fn vm_state(&self, vm: &str, old: Option<&State>, new: &State) {
        if let Some(m) = vm_message(vm, old, new) {
            self.0.send(m, Otherwise::Log);
        }
    }

    /// hostd's progress with `vm` (in `state`): the VM's notification says what it does now.
    pub fn progress(&self, vm: &str, state: &State, message: &str) {
        if let Some(m) = progress_message(vm, state, message) {
            self.0.send(m, Otherwise::Log);
        }
    }

    /// A VM menu action that failed (see [`action_failed`]); the notice is the fallback.
    pub fn action_failed(&self, m: Message, fallback: Notice) {
        self.0.send(m, Otherwise::Notice(fallback));
    }

    pub fn notice(&self, n: Notice) {
        let detail = text::sanitise(&n.detail, text::MESSAGE);
        let from = text::sanitise(&n.from, text::TITLE);
        let m = Message {
            summary: text::sanitise(&n.title, text::MESSAGE),
            body: if detail.is_empty() { format!("from {from}") } else { format!("from {from}\n{detail}") },
            critical: false,
            key: None,
        };
        self.0.send(m, Otherwise::Notice(n));
    }
}

/// The message for a VM's change of state, if it is one the user is told of.
pub fn vm_message(vm: &str, old: Option<&State>, new: &State) -> Option<Message> {
    let (summary, body, critical) = match (old, new) {
        (_, State::Starting) => (format!("Starting {vm}"), String::new(), false),
        (Some(State::Starting), State::Running) => (format!("{vm} is running"), String::new(), false),
        (_, State::Stopping) => (format!("Stopping {vm}"), String::new(), false),
        (Some(State::Stopping | State::Running), State::Stopped) => (format!("{vm} stopped"), String::new(), false),
        (_, State::Failed(why)) => (format!("{vm} failed"), why.clone(), true),
        _ => return None,
    };
    Some(Message { summary, body, critical, key: Some(format!("vm:{vm}")) })
}

/// The message for hostd's progress while `vm` starts or stops: it replaces the VM's state
/// message ("Starting web", then what it is waiting for), and the next state replaces it.
pub fn progress_message(vm: &str, state: &State, message: &str) -> Option<Message> {
    let summary = match state {
        State::Starting => format!("Starting {vm}"),
        State::Stopping => format!("Stopping {vm}"),
        _ => return None,
    };
    let body = text::sanitise(message, text::MESSAGE);
    Some(Message { summary, body, critical: false, key: Some(format!("vm:{vm}")) })
}

/// What the user is told when hostd refused a VM menu action or the VM did not do it (`what`:
/// "stop", …): a critical message of its own beside the VM's state message (which hostd's news
/// may replace at any moment; the failed request must stay seen), replacing only the VM's last
/// failed action; and the corner notice saying the same for when the daemon is not there (the
/// trusted system's colour, no "from": nobody asked but the user).
pub fn action_failed(vm: &str, what: &str, reason: &str) -> (Message, Notice) {
    let summary = format!("Could not {what} {vm}");
    let reason = text::sanitise(reason, text::MESSAGE);
    let notice = Notice {
        from: String::new(),
        from_trust: "local".into(),
        ok: false,
        title: summary.clone(),
        detail: reason.clone(),
    };
    (Message { summary, body: reason, critical: true, key: Some(format!("vm-action:{vm}")) }, notice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vm_s_steps() {
        let m = |old, new| vm_message("web", old, &new).map(|m| (m.summary, m.critical));
        assert_eq!(m(Some(&State::Stopped), State::Starting), Some(("Starting web".into(), false)));
        assert_eq!(m(Some(&State::Starting), State::Running), Some(("web is running".into(), false)));
        assert_eq!(m(Some(&State::Running), State::Stopped), Some(("web stopped".into(), false)));
        assert_eq!(m(Some(&State::Starting), State::Failed("no disk".into())), Some(("web failed".into(), true)));
        // The first news of a VM already running (the panel just started) is no event.
        assert_eq!(m(None, State::Running), None);
        assert_eq!(vm_message("web", None, &State::Starting).unwrap().key.as_deref(), Some("vm:web"));
        // Progress replaces the state message while the VM starts or stops, and only then.
        let p = progress_message("web", &State::Starting, "waiting for the agent (attempt 4)").unwrap();
        assert_eq!((p.summary.as_str(), p.key.as_deref()), ("Starting web", Some("vm:web")));
        assert_eq!(progress_message("web", &State::Stopping, "x").unwrap().summary, "Stopping web");
        assert_eq!(progress_message("web", &State::Running, "late news"), None);
        // A failed action is a message of its own (not replaced by the VM's next state), and
        // says why.
        let (m, n) = action_failed("web", "stop", "the VM did not stop\u{1b}[31m");
        assert_eq!(
            (m.summary.as_str(), m.critical, m.key.as_deref()),
            ("Could not stop web", true, Some("vm-action:web"))
        );
        assert_eq!((n.title, n.ok, n.from.as_str()), (m.summary, false, ""));
        assert!(!m.body.contains('\u{1b}'), "{:?}", m.body);
    }
}
