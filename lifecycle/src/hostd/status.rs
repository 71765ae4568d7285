//! What hostd knows about VMs and app instances now, and the watchers who hear of every change.
//! Changes and their events happen under one lock, so a watcher's snapshot plus its events
//! never miss or repeat a change.

use std::collections::BTreeMap;

use canopy_protocols::lifecycle::{AppStatus, Event, ExitStatus, Reply, State, VmStatus, MAX_FRAME, MAX_INSTANCES};

use crate::server::Subscribers;

/// Exits of one VM's agent instances that hostd has not bound yet (the exit overtook the start
/// reply); only a start still waiting for its reply can bind one.
const MAX_EARLY_EXITS: usize = 64;

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

    /// Send an event that is no change of state (a choice to make, a notice) to the watchers;
    /// returns how many got it.
    pub fn publish(&mut self, ev: &Event) -> usize {
        self.watchers.publish(ev)
    }

    pub fn progress(&mut self, vm: &str, message: String) {
        tracing::debug!("VM {vm}: {message}");
        self.watchers.publish(&Event::Progress { vm: vm.to_string(), message });
    }

    /// Add an instance, unless its agent's VM has [`MAX_INSTANCES`] already.
    pub fn add_app(&mut self, id: u64, inst: Instance) -> Result<(), String> {
        let n = self.apps.values().filter(|i| i.agent_vm == inst.agent_vm).count();
        if n >= MAX_INSTANCES {
            return Err(format!("VM {:?} already runs {n} app instances, the most hostd keeps", inst.agent_vm));
        }
        self.watchers.publish(&app_event(id, &inst));
        self.apps.insert(id, inst);
        Ok(())
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
                // Bounded per VM, so one VM's agent cannot push out another's.
                let mut mine = self.early_exits.keys().filter(|(v, _)| v == agent_vm);
                if mine.clone().count() >= MAX_EARLY_EXITS {
                    let oldest = mine.next().cloned().expect("counted");
                    self.early_exits.remove(&oldest);
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

    /// The snapshot for a new watcher (the reply, and the events that carry the rest of it when
    /// it does not fit one frame), and the receiver of every change after it.
    pub fn subscribe(&mut self) -> (Reply, Vec<Event>, std::sync::mpsc::Receiver<Event>) {
        let vms = self.vms.iter().map(|(vm, state)| VmStatus { vm: vm.clone(), state: state.clone() }).collect();
        let apps = self
            .apps
            .iter()
            .map(|(id, i)| AppStatus { instance: *id, app: i.app.clone(), vm: i.vm.clone(), state: i.state.clone() })
            .collect();
        let (reply, rest) = split_snapshot(vms, apps);
        (reply, rest, self.watchers.subscribe())
    }
}

/// Room kept in the reply frame for what is not a list entry.
const REPLY_OVERHEAD: usize = 256;

/// A watch snapshot as a reply that fits one frame, and the entries that did not fit as the
/// events that follow it (the reply's `more` counts them).
pub fn split_snapshot(vms: Vec<VmStatus>, apps: Vec<AppStatus>) -> (Reply, Vec<Event>) {
    let mut budget = MAX_FRAME - REPLY_OVERHEAD;
    let mut fits = |len: usize| {
        let ok = len <= budget;
        if ok {
            budget -= len;
        }
        ok
    };
    let (mut in_vms, mut in_apps, mut rest) = (Vec::new(), Vec::new(), Vec::new());
    for v in vms {
        if rest.is_empty() && fits(json_len(&v)) {
            in_vms.push(v);
        } else {
            rest.push(Event::Vm(v));
        }
    }
    for a in apps {
        if rest.is_empty() && fits(json_len(&a)) {
            in_apps.push(a);
        } else {
            rest.push(Event::App(a));
        }
    }
    let more = rest.len() as u32;
    (Reply::Watching { vms: in_vms, apps: in_apps, more }, rest)
}

/// Length of a value's JSON, with the comma after it.
fn json_len<T: serde::Serialize>(v: &T) -> usize {
    serde_json::to_vec(v).map_or(MAX_FRAME, |j| j.len() + 1)
}

fn app_event(id: u64, i: &Instance) -> Event {
    Event::App(AppStatus { instance: id, app: i.app.clone(), vm: i.vm.clone(), state: i.state.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_protocols::lifecycle::encode;
    use canopy_protocols::text;

    fn inst(vm: &str) -> Instance {
        Instance {
            app: "a".repeat(64),
            vm: vm.into(),
            agent_vm: vm.into(),
            agent_instance: None,
            state: State::Running,
        }
    }

    #[test]
    fn instances_are_bounded_per_vm() {
        let vms = ["one".to_string(), "two".to_string()];
        let mut st = Status::new(vms.iter());
        for id in 0..MAX_INSTANCES as u64 {
            st.add_app(id, inst("one")).unwrap();
        }
        let e = st.add_app(9999, inst("one")).unwrap_err();
        assert!(e.contains("already runs 256 app instances"), "{e}");
        // Another VM is not held back by the first one's count.
        st.add_app(10_000, inst("two")).unwrap();
    }

    #[test]
    fn a_snapshot_too_big_for_a_frame_is_split_and_nothing_is_lost() {
        let reason = text::sanitise(&"x".repeat(10_000), text::MESSAGE);
        let vms: Vec<VmStatus> =
            (0..50).map(|i| VmStatus { vm: format!("vm-{i:02}"), state: State::Failed(reason.clone()) }).collect();
        let apps: Vec<AppStatus> = (0..2000)
            .map(|i| AppStatus {
                instance: i,
                app: "a".repeat(64),
                vm: format!("vm-{:02}", i % 50),
                state: State::Failed(reason.clone()),
            })
            .collect();
        let (reply, rest) = split_snapshot(vms.clone(), apps.clone());
        let frame = encode(&canopy_protocols::lifecycle::HostResponse::Ok(reply.clone())).unwrap();
        assert!(frame.len() - 4 <= MAX_FRAME);
        assert!(frame.len() - 4 > MAX_FRAME - 2 * REPLY_OVERHEAD - 1000, "the reply is filled: {}", frame.len());
        let Reply::Watching { vms: mut got_vms, apps: mut got_apps, more } = reply else { panic!() };
        assert_eq!(more as usize, rest.len());
        for ev in rest {
            assert!(encode(&ev).is_ok());
            match ev {
                Event::Vm(v) => got_vms.push(v),
                Event::App(a) => got_apps.push(a),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!((got_vms, got_apps), (vms.clone(), apps));
        // A small one stays whole.
        let (reply, rest) = split_snapshot(vms[..2].to_vec(), vec![]);
        assert!(rest.is_empty());
        assert_eq!(reply, Reply::Watching { vms: vms[..2].to_vec(), apps: vec![], more: 0 });
    }
}
