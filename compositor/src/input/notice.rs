//! Presses on a notice with a button (the screenshot's "Send to a VM…"): the compositor's alone,
//! never a client's, and the button counts only once it has been shown for
//! `notice_button_delay_ms`, so a click meant for the window under a new notice cannot press it.

use crate::render::notice::NoticeAction;
use crate::state::State;

impl State {
    /// Whether the press or release of `button` was on a notice with a button (and so taken).
    pub(super) fn notice_button(&mut self, button: u32, pressed: bool) -> bool {
        if !pressed {
            // The release of a press the notice took; any other goes on as usual.
            return self.canopy.notice_press.take_if(|b| *b == button).is_some();
        }
        let pointer = self.canopy.seat.get_pointer();
        if self.canopy.lock.is_locked() || pointer.is_none_or(|p| p.is_grabbed()) {
            return false;
        }
        let Some((index, on_button)) = self.canopy.notice_at(self.canopy.pointer_location()) else { return false };
        self.canopy.notice_press = Some(button);
        let notice = &self.canopy.notices[index];
        if !on_button || button != super::pointer::BTN_LEFT {
            return true;
        }
        if !self.canopy.notice_armed(notice) {
            tracing::info!(notice = %notice.text, "a press on the notice's button came before it counts: ignored");
            return true;
        }
        let notice = self.canopy.notices.remove(index);
        self.canopy.queue_redraw_all();
        match notice.action {
            Some(NoticeAction::SendToVm(file)) => self.send_to_a_vm(file),
            None => {}
        }
        true
    }
}
