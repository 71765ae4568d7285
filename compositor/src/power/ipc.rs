//! `canopy msg power …`: the lid, a suspend (the power menu's Suspend runs
//! `canopy msg power suspend`), a resume, and the state, for the shell, tests and scripts.

use std::collections::BTreeMap;

use canopy_ipc::{PowerCommand, PowerState, PowerWaiting};
use serde::Serialize;

use super::machine::{Event, Source};
use crate::state::State;

/// The kebab-case name a state enum serialises to.
fn name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

impl State {
    pub fn power_ipc(&mut self, cmd: PowerCommand) -> Result<PowerState, String> {
        match cmd {
            PowerCommand::State => {}
            PowerCommand::LidClose | PowerCommand::LidOpen => {
                if !self.backend.is_headless() {
                    return Err("the lid is the real one on this backend".into());
                }
                self.lid(cmd == PowerCommand::LidClose);
            }
            PowerCommand::Suspend { from } => {
                let source = match from.as_str() {
                    "menu" => Source::Menu,
                    "idle" => Source::Idle,
                    "power-key" => Source::PowerKey,
                    other => return Err(format!("`{other}` is not one of menu, idle, power-key")),
                };
                self.power_event(Event::SuspendAsked(source));
            }
            PowerCommand::Resume => self.power_event(Event::Resumed),
            PowerCommand::Source { source } => self.set_power_source(&source)?,
        }
        // The state says the power source as it is now, not as at the chain's last look.
        self.refresh_power_source(true);
        Ok(self.power_state())
    }

    pub fn power_state(&self) -> PowerState {
        let p = &self.canopy.power;
        let m = &p.machine;
        PowerState {
            lid: if m.lid_closed || !p.clamshell.names().is_empty() { "closed" } else { "open" }.into(),
            locked: m.locked,
            locked_out: m.locked_out,
            lock_program: name(&m.program),
            outputs: m.shown.iter().map(|(o, shown)| (o.clone(), name(shown))).collect::<BTreeMap<_, _>>(),
            every_output_locked: m.every_output_locked(),
            waiting: PowerWaiting { local: m.pending.as_ref().map(name), host: m.host_pending.clone() },
            suspend_in_flight: m.in_flight,
            requests_sent: m.requests_sent,
            confirmations_sent: m.confirmations_sent,
            last_error: m.last_error.clone(),
            hostd_watching: p.host_watching,
            last_lock_ms: p.last_lock_ms,
            locked_everywhere_at: p.locked_everywhere_at,
            lid_closed_at: p.lid_closed_at,
            wakes: p.resumes,
            logind: p.logind.state.clone(),
            clamshell_off: p.clamshell.names(),
            idle: self.canopy.idle.state(self.idle_steps()),
        }
    }
}
