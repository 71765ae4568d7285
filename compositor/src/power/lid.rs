//! The lid switch from libinput (udev backend): closed is `SwitchState::On` on `Switch::Lid`.
//! Headless tests and scripts use `canopy msg power lid-close` / `lid-open` instead.

use smithay::backend::input::{InputBackend, Switch, SwitchState, SwitchToggleEvent};

use super::machine::Event;
use crate::state::State;

impl State {
    pub fn on_switch<B: InputBackend>(&mut self, event: B::SwitchToggleEvent) {
        if event.switch() != Some(Switch::Lid) {
            return;
        }
        self.lid(event.state() == SwitchState::On);
    }

    pub fn lid(&mut self, closed: bool) {
        tracing::info!(closed, "lid");
        if closed {
            self.canopy.power.lid_closed_at = Some(super::wall_clock());
            if !self.clamshell_close() {
                self.power_event(Event::LidClosed);
            }
        } else if !self.clamshell_open() {
            self.power_event(Event::LidOpened);
        }
    }
}
