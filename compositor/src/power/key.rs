//! The power key (XF86PowerOff by default, rebindable as `power-key` in `[keybindings]`): what
//! `[power] power_key` says. A suspend goes through the machine, so it locks first; on the lock
//! screen only a suspend acts (the menu would not show, and the session is locked already).
//! The suspend key (XF86Sleep, XF86Suspend; `suspend`) always suspends, locking first: canopy
//! takes both keys from logind while it runs.

use super::config::PowerKey;
use super::machine::{Event, Source};
use crate::state::State;

impl State {
    pub fn power_key(&mut self) {
        let choice = self.canopy.config.power.power_key;
        tracing::info!(?choice, "the power key");
        let locked = self.canopy.lock.is_locked();
        match choice {
            PowerKey::Suspend => self.power_event(Event::SuspendAsked(Source::PowerKey)),
            PowerKey::Lock if !locked => self.power_event(Event::LockAsked),
            PowerKey::Menu if !locked => {
                let argv = self.canopy.config.power.power_menu.clone();
                crate::spawn::spawn(&argv, &self.canopy);
            }
            PowerKey::Lock | PowerKey::Menu | PowerKey::Ignore => {}
        }
    }

    pub fn suspend_key(&mut self) {
        tracing::info!("the suspend key");
        self.power_event(Event::SuspendAsked(Source::SuspendKey));
    }
}
