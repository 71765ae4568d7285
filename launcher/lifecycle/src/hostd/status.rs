//! What hostd knows about VMs and app instances now, and the watchers who hear of every change.
//! Changes and their events happen under one lock, so a watcher's snapshot plus its events
//! never miss or repeat a change.

use std::collections::BTreeMap;

use canopy_protocols::lifecycle::{AppStatus, Event, ExitStatus, State, VmStatus};

use crate::server::Subscribers;

/// Exits of agent instances that hostd has not bound yet (the exit overtook the start reply).
const MAX_EARLY_EXITS: usize = 1024;

#[derive(Debug, Clone)]
pub struct Instance {
    pub app: String,
    /// The VM the user sees the app in.
    pub vm: String,
    /// The VM whose agent runs the process (differs for a VM display client).
    pub agent_vm: String,
    /// The agent's id, once the agent has answered.
    pub agent_instance: Option<u64>,
    pub state: State,
}

#[derive(Debug, Default)]
pub struct Status {
    vms: BTreeMap<String, State>,
    apps: BTreeMap<u64, Instance>,
    early_exits: BTreeMap<(String, u64), ExitStatus>,
    watchers: Subscribers<Event>,
}

fn terminal(s: &State) -> bool {
    matches!(s, State::Stopped | State::Failed(_))
}

/// The state an app is in after it exited.
pub fn exit_state(status: ExitStatus, requested: bool) -> State {
    if requested || status.success() {
        State::Stopped
    } else {
        State::Failed(status.to_string())
    }
}

impl Status {
    pub fn new<'a>(vms: impl Iterator<Item = &'a String>) -> Self {
        Self { vms: vms.map(|v| (v.clone(), State::Stopped)).collect(), ..Default::default() }
    }

    pub fn vm(&self, vm: &str) -> State {
        self.vms.get(vm).cloned().unwrap_or(State::Stopped)
    }

    pub fn set_vm(&mut self, vm: &str, state: State) {
        if self.vms.get(vm) == Some(&state) {
            return;
        }
        tracing::info!("VM {vm}: {state}");
        self.vms.insert(vm.to_string(), state.clone());
        self.watchers.publish(&Event::Vm(VmStatus { vm: vm.to_string(), state }));
    }

    pub fn progress(&mut self, vm: &str, message: String) {
        tracing::debug!("VM {vm}: {message}");
        self.watchers.publish(&Event::Progress { vm: vm.to_string(), message });
    }

    pub fn add_app(&mut self, id: u64, inst: Instance) {
        self.watchers.publish(&app_event(id, &inst));
        self.apps.insert(id, inst);
    }

    /// Change an instance's state; a finished instance is forgotten once its watchers know.
    pub fn set_app(&mut self, id: u64, state: State) {
        let Some(inst) = self.apps.get_mut(&id) else { return };
        if inst.state == state {
            return;
        }
        tracing::info!("app {} #{id} in {}: {state}", inst.app, inst.vm);
        inst.state = state;
        let ev = app_event(id, inst);
        if terminal(&inst.state) {
            self.apps.remove(&id);
        }
        self.watchers.publish(&ev);
    }

    /// Record the agent's id of an instance; returns an exit that already arrived for it.
    pub fn bind(&mut self, id: u64, agent_instance: u64) -> Option<ExitStatus> {
        let inst = self.apps.get_mut(&id)?;
        inst.agent_instance = Some(agent_instance);
        self.early_exits.remove(&(inst.agent_vm.clone(), agent_instance))
    }

    /// An agent reported an exit.
    pub fn agent_exit(&mut self, agent_vm: &str, agent_instance: u64, status: ExitStatus, requested: bool) {
        let found = self
            .apps
            .iter()
            .find(|(_, i)| i.agent_vm == agent_vm && i.agent_instance == Some(agent_instance))
            .map(|(id, _)| *id);
        match found {
            Some(id) => self.set_app(id, exit_state(status, requested)),
            // Only a start still waiting for its reply can be the owner of an unknown instance;
            // anything else is an instance hostd has already finished with.
            None if requested || !self.apps.values().any(|i| i.agent_vm == agent_vm && i.agent_instance.is_none()) => {}
            None => {
                if self.early_exits.len() >= MAX_EARLY_EXITS {
                    self.early_exits.pop_first();
                }
                self.early_exits.insert((agent_vm.to_string(), agent_instance), status);
            }
        }
    }

    /// Instances matching `pred`, with their ids.
    pub fn apps_where(&self, pred: impl Fn(&Instance) -> bool) -> Vec<(u64, Instance)> {
        self.apps.iter().filter(|(_, i)| pred(i)).map(|(id, i)| (*id, i.clone())).collect()
    }

    /// Whether the agent of `agent_vm` has an instance with this id bound.
    pub fn is_bound(&self, agent_vm: &str, agent_instance: u64) -> bool {
        self.apps.values().any(|i| i.agent_vm == agent_vm && i.agent_instance == Some(agent_instance))
    }

    /// Everything that ran in (or displayed) `vm` has stopped with it (said before the VM itself
    /// is reported stopped).
    pub fn vm_stopped(&mut self, vm: &str) {
        for (id, _) in self.apps_where(|i| i.vm == vm || i.agent_vm == vm) {
            self.set_app(id, State::Stopped);
        }
        self.early_exits.retain(|(v, _), _| v != vm);
    }

    pub fn subscribe(&mut self) -> (Vec<VmStatus>, Vec<AppStatus>, std::sync::mpsc::Receiver<Event>) {
        let vms = self.vms.iter().map(|(vm, state)| VmStatus { vm: vm.clone(), state: state.clone() }).collect();
        let apps = self
            .apps
            .iter()
            .map(|(id, i)| AppStatus { instance: *id, app: i.app.clone(), vm: i.vm.clone(), state: i.state.clone() })
            .collect();
        (vms, apps, self.watchers.subscribe())
    }
}

fn app_event(id: u64, i: &Instance) -> Event {
    Event::App(AppStatus { instance: id, app: i.app.clone(), vm: i.vm.clone(), state: i.state.clone() })
}
