//! What the panel passes on from hostd as the trusted system's notifications (through
//! canopy-notifyd): a VM starting, running, stopping, stopped or failed (one notification per VM
//! that each step replaces), and how a VM's request to open or send ended. Without the daemon a
//! request's notice is shown by the chooser as before (the VM's state is in the panel's chips
//! either way), with a log line.

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
    }
}
