//! hostd's connections: the handshake with the peer check, each request with its audit line,
//! and what each request does.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use canopy_protocols::lifecycle::{
    activation_token_ok, AgentReply, AgentRequest, AppArg, AppInfo, AppKind, Error, HostResponse, Reply, Request,
    State, VmInfo, MAX_ACTIVATION_TOKEN,
};
use serde_json::json;

use super::status::{exit_state, Instance};
use super::vms::not_managed;
use super::{lock, untrusted, Daemon};
use crate::client::ClientError;
use crate::command::run_ok;
use crate::server::{forward_events, reply, serve, Fault};
use canopy_common::transport::{Peer, Stream};

impl Daemon {
    pub(super) fn serve(self: &Arc<Self>, stream: Stream, peer: Peer) {
        let refused = |reason: &str| {
            self.audit.record(&peer, json!("connect"), Err(format!("not allowed: {reason}")));
        };
        let fault = |fault| match fault {
            Fault::Closed(reason) => self.audit.record(&peer, json!("frame"), Err(reason)),
            Fault::Malformed(reason) => {
                self.audit.record(&peer, json!("malformed"), Err(format!("bad request: {reason}")))
            }
        };
        let allowed = self.peer_allowed(&peer);
        serve::<Request, Reply>(&stream, &peer, "canopy-hostd", allowed, refused, fault, |req| match req {
            Request::Watch => {
                let (snapshot, rest, rx) = self.status().subscribe();
                self.audit.record(&peer, json!({"type": "watch"}), Ok("watching".into()));
                if reply(&stream, &HostResponse::Ok(snapshot)) && rest.iter().all(|ev| reply(&stream, ev)) {
                    forward_events(&stream, rx);
                } else {
                    tracing::warn!("{peer}: the watch could not be served (see above); closing it");
                }
                false
            }
            Request::Send { to, name, size } => self.gui_send(&stream, &peer, to.as_deref(), &name, size),
            req => {
                let what = serde_json::to_value(&req).unwrap_or_default();
                let result = match req {
                    Request::HostSuspend => self.host_suspend(&peer),
                    _ => self.handle(&req),
                };
                let summary = match &result {
                    Ok(Reply::AppStarted { instance, vm, .. }) => Ok(format!("instance {instance} in {vm}")),
                    Ok(_) => Ok("done".into()),
                    Err(e) => Err(format!("{}: {e}", e.kind())),
                };
                self.audit.record(&peer, what, summary);
                reply(&stream, &HostResponse::from(result))
            }
        });
    }

    fn handle(self: &Arc<Self>, req: &Request) -> Result<Reply, Error> {
        match req {
            Request::ListVms => Ok(Reply::Vms { vms: self.vm_infos() }),
            Request::ListApps => Ok(Reply::Apps { apps: self.app_infos() }),
            Request::Watch => Err(Error::bad_request("watch is handled by the connection")),
            Request::StartVm { vm } => {
                let mut rt = self.lock_vm(vm)?;
                self.ensure_running(vm, &mut rt)?;
                Ok(Reply::Done)
            }
            Request::StopVm { vm } => {
                self.managed(vm)?;
                let (_stopping, mut rt) = self.lock_vm_to_stop(vm)?;
                self.stop_locked(vm, &mut rt)?;
                Ok(Reply::Done)
            }
            Request::RestartVm { vm } => {
                self.managed(vm)?;
                let (stopping, mut rt) = self.lock_vm_to_stop(vm)?;
                self.stop_locked(vm, &mut rt)?;
                drop(stopping);
                self.ensure_running(vm, &mut rt)?;
                Ok(Reply::Done)
            }
            Request::StartApp { app, vm, args, activation_token } => {
                self.start_app(app, vm.as_deref(), args, activation_token.as_deref())
            }
            Request::StopApp { app, instance } => self.stop_app(app, *instance),
            Request::PowerOff => self.power("poweroff", &self.config.power.poweroff),
            Request::Reboot => self.power("reboot", &self.config.power.reboot),
            Request::Suspend => self.suspend(),
            Request::HostSuspend => Err(Error::bad_request("host_suspend is handled by the connection")),
            Request::Locked { id } => self.sleep.confirm(*id).map(|()| Reply::Done),
            Request::SetDiskImage { vm, path } => self.set_disk_image(vm, path),
            Request::Choose { id, vm } => self.asks.choices.answer(*id, vm.clone()).map(|()| Reply::Done),
            Request::Send { .. } => Err(Error::bad_request("send is handled by the connection")),
        }
    }

    fn managed(&self, vm: &str) -> Result<(), Error> {
        match self.config.vms.get(vm) {
            None => Err(Error::UnknownVm { vm: vm.into() }),
            Some(v) if !v.managed => Err(not_managed(vm)),
            Some(_) => Ok(()),
        }
    }

    fn vm_infos(&self) -> Vec<VmInfo> {
        let st = self.status();
        self.config
            .vms
            .iter()
            .map(|(name, vm)| VmInfo {
                name: name.clone(),
                trust: vm.trust.clone(),
                state: st.vm(name),
                managed: vm.managed,
                needs_disk_image: vm.needs_disk_image,
                disk_image: vm
                    .needs_disk_image
                    .then(|| self.disk_image(name).ok().flatten())
                    .flatten()
                    .map(|p| p.display().to_string()),
            })
            .collect()
    }

    fn app_infos(&self) -> Vec<AppInfo> {
        self.config
            .apps
            .iter()
            .map(|(name, app)| AppInfo {
                name: name.clone(),
                display_name: app.display_name.clone(),
                icon: app.icon.clone(),
                kind: app.kind,
                vm: app.vm.clone(),
                other_vms: app.other_vms.clone(),
                args: app.args.clone(),
            })
            .collect()
    }

    /// Starts app `name` in `vm` (or its default VM); `activation_token`, checked here, is
    /// handed to the app by the agent.
    pub(super) fn start_app(
        self: &Arc<Self>,
        name: &str,
        vm: Option<&str>,
        args: &[AppArg],
        activation_token: Option<&str>,
    ) -> Result<Reply, Error> {
        if activation_token.is_some_and(|t| !activation_token_ok(t)) {
            return Err(Error::bad_request(format!(
                "an activation token must be 1 to {MAX_ACTIVATION_TOKEN} printable ASCII characters"
            )));
        }
        let app = self.config.apps.get(name).ok_or_else(|| Error::UnknownApp { app: name.into() })?;
        let vm = vm.unwrap_or(&app.vm);
        if !self.config.vms.contains_key(vm) {
            return Err(Error::UnknownVm { vm: vm.into() });
        }
        if !app.offered_in(vm) {
            return Err(Error::not_allowed(format!("app {name:?} is not offered in VM {vm:?}")));
        }
        app.args.check(args).map_err(Error::bad_request)?;

        // Bring up what the app needs, one VM at a time and each under its own lock.
        let (agent_vm, agent_app) = match app.kind {
            AppKind::App => (vm, app.agent_app(name)),
            AppKind::VmDisplay => {
                let mut rt = self.lock_vm(vm)?;
                self.ensure_running(vm, &mut rt)?;
                let display_vm = app.display_vm.as_deref().expect("checked by config");
                (display_vm, app.display_app.as_deref().expect("checked by config"))
            }
        };
        {
            let mut rt = self.lock_vm(agent_vm)?;
            self.ensure_running(agent_vm, &mut rt)?;
        }
        let _running = self.share_vm(agent_vm)?;

        let id = self.next_instance.fetch_add(1, Ordering::SeqCst);
        let inst = Instance {
            app: name.into(),
            vm: vm.into(),
            agent_vm: agent_vm.into(),
            agent_instance: None,
            state: State::Starting,
        };
        self.status().add_app(id, inst).map_err(|reason| Error::Busy { reason })?;
        let req = AgentRequest::Start {
            app: agent_app.into(),
            args: args.to_vec(),
            activation_token: activation_token.map(Into::into),
        };
        match self.agent_request(agent_vm, &req) {
            Ok(AgentReply::Started { instance, exited, .. }) => {
                // Bind and settle under one lock, so an exit event from the agent's watch
                // connection lands either before (kept for the bind) or after (a later exit).
                let mut st = self.status();
                let exit = st.bind(id, instance).or(exited);
                let started = Ok(Reply::AppStarted { instance: id, app: name.into(), vm: vm.into() });
                match exit {
                    None => {
                        st.set_app(id, State::Running);
                        started
                    }
                    Some(status) if status.success() => {
                        // Handed over to an instance that already ran, or simply done.
                        st.set_app(id, exit_state(status, false));
                        started
                    }
                    Some(status) => {
                        let reason = format!("{status} right after it started");
                        st.set_app(id, State::Failed(reason.clone()));
                        Err(Error::AppFailed { app: name.into(), reason, status: Some(status) })
                    }
                }
            }
            Ok(other) => {
                let reason = untrusted(format!("unexpected reply from the agent: {other:?}"));
                st_fail(self, id, reason.clone());
                Err(Error::AgentUnreachable { vm: agent_vm.into(), reason })
            }
            Err(ClientError::Refused(e)) => {
                let err = match e {
                    Error::AppFailed { reason, status, .. } => {
                        Error::AppFailed { app: name.into(), reason: untrusted(reason), status }
                    }
                    Error::UnknownApp { app } => Error::AppFailed {
                        app: name.into(),
                        reason: format!("the agent of VM {agent_vm:?} has no app {:?}", untrusted(app)),
                        status: None,
                    },
                    other => Error::AppFailed { app: name.into(), reason: untrusted(other), status: None },
                };
                let reason = match &err {
                    Error::AppFailed { reason, .. } => reason.clone(),
                    other => other.to_string(),
                };
                st_fail(self, id, reason);
                Err(err)
            }
            Err(_) if self.stopping(agent_vm) => {
                self.status().set_app(id, State::Stopped);
                let reason = format!("VM {agent_vm:?} was stopped while the app was starting");
                Err(Error::AppFailed { app: name.into(), reason, status: None })
            }
            Err(e) => {
                let reason = untrusted(e);
                st_fail(self, id, reason.clone());
                Err(Error::AgentUnreachable { vm: agent_vm.into(), reason })
            }
        }
    }

    fn stop_app(self: &Arc<Self>, name: &str, instance: Option<u64>) -> Result<Reply, Error> {
        if !self.config.apps.contains_key(name) {
            return Err(Error::UnknownApp { app: name.into() });
        }
        let targets = self.status().apps_where(|i| i.app == name);
        let targets: Vec<_> = targets.into_iter().filter(|(id, _)| instance.is_none_or(|i| i == *id)).collect();
        if targets.is_empty() {
            return Err(Error::bad_request(match instance {
                Some(i) => format!("app {name:?} has no running instance {i}"),
                None => format!("app {name:?} is not running"),
            }));
        }
        for (id, inst) in targets {
            self.stop_instance(&inst)?;
            self.status().set_app(id, State::Stopped);
        }
        Ok(Reply::Done)
    }

    /// Ask an instance's agent to stop it (and wait until it has).
    pub(super) fn stop_instance(&self, inst: &Instance) -> Result<(), Error> {
        let Some(agent_instance) = inst.agent_instance else {
            return Err(Error::Busy { reason: format!("app {:?} is still starting", inst.app) });
        };
        match self.agent_request(&inst.agent_vm, &AgentRequest::Stop { instance: agent_instance }) {
            Ok(_) => Ok(()),
            Err(ClientError::Refused(e)) => {
                Err(Error::ActionFailed { action: format!("stopping {}", inst.app), reason: untrusted(e) })
            }
            Err(e) => Err(Error::AgentUnreachable { vm: inst.agent_vm.clone(), reason: untrusted(e) }),
        }
    }

    /// One request on a fresh connection to a VM's agent, all of it (connecting, hello,
    /// request, reply) within the configured time; a stop of the VM cuts it short.
    pub(super) fn agent_request(&self, vm: &str, req: &AgentRequest) -> Result<AgentReply, ClientError> {
        let addr = self.config.vms[vm].agent.as_ref().expect("apps only run in VMs with an agent");
        let deadline = Instant::now() + self.config.timeouts.agent_request();
        let (mut c, _held) = self.open_agent(vm, addr, deadline)?;
        c.request(req)
    }

    fn power(&self, action: &str, command: &Option<Vec<String>>) -> Result<Reply, Error> {
        let argv = command.as_ref().ok_or_else(|| Error::not_allowed(format!("{action} is not configured")))?;
        self.run_power(action, argv)
    }

    pub(super) fn run_power(&self, action: &str, argv: &[String]) -> Result<Reply, Error> {
        run_ok(argv, &[], self.config.timeouts.command())
            .map_err(|reason| Error::ActionFailed { action: action.into(), reason })?;
        Ok(Reply::Done)
    }

    fn set_disk_image(&self, vm: &str, path: &str) -> Result<Reply, Error> {
        let cfg = self.config.vms.get(vm).ok_or_else(|| Error::UnknownVm { vm: vm.into() })?;
        if !cfg.needs_disk_image {
            return Err(Error::bad_request(format!("VM {vm:?} does not use a disk image")));
        }
        let p = Path::new(path);
        if !p.is_absolute() || path.contains('\0') {
            return Err(Error::bad_request(format!("{path:?} is not an absolute path")));
        }
        match std::fs::metadata(p) {
            Ok(m) if m.is_file() => {}
            Ok(_) => return Err(Error::bad_request(format!("{path} is not a file"))),
            Err(e) => return Err(Error::bad_request(format!("{path}: {e}"))),
        }
        lock(&self.state)
            .set_disk_image(vm, p)
            .map_err(|reason| Error::ActionFailed { action: "remembering the disk image".into(), reason })?;
        tracing::info!("VM {vm}: disk image is now {path}");
        Ok(Reply::Done)
    }
}

fn st_fail(d: &Daemon, id: u64, reason: String) {
    d.status().set_app(id, State::Failed(reason));
}
