//! The compositor's messages for the notification centre (a config that did not reload): sent
//! to `canopy-notifyd`, which shows them as the trusted system's, from a worker thread so the
//! compositor never waits on the bus. When the daemon is not there they are shown as an
//! on-screen notice instead, with a log line.
//!
//! What a user must see at once, on the output they act on, whatever do-not-disturb says (the
//! clipboard's and drops' answers to a key press, "[vm] is fullscreen") stays a notice
//! ([`crate::render::notice`]): a notification can be held back by do-not-disturb, the rate limit or a
//! full stack, and goes to a corner.

use smithay::reexports::calloop::channel::{channel, Event as ChannelEvent};
use smithay::reexports::calloop::LoopHandle;

use canopy_notify::system::{Message, Worker};

use crate::state::{Canopy, State};

pub struct Tell(Worker<String>);

impl Tell {
    pub fn new(handle: &LoopHandle<'static, State>) -> Tell {
        let (to_loop, from_worker) = channel::<String>();
        let inserted = handle.insert_source(from_worker, |ev, _, state: &mut State| {
            if let ChannelEvent::Msg(text) = ev {
                state.canopy.show_notice(text, None);
            }
        });
        if let Err(e) = inserted {
            tracing::warn!("cannot listen to the notification worker: {e}");
        }
        Tell(Worker::start("canopy", move |text: String, why| {
            tracing::info!("shown as a notice, not a notification: {why}");
            let _ = to_loop.send(text);
        }))
    }
}

impl Canopy {
    /// `summary` and `body` as a notification of the trusted system; `notice` is the line shown
    /// on screen instead when canopy-notifyd is not there.
    pub fn tell(&self, summary: &str, body: &str, notice: String) {
        tracing::info!(summary, body, "telling the user");
        self.tell.0.send(Message::new(summary, body), notice);
    }
}
