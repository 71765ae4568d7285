//! The GUI VM's own files (`canopy-ctl send [--to VM] FILE`, the screenshot notice's button).
//! With a target, the user named it in the trusted VM, so that is the choice an `ask` rule
//! wants; a deny, or an `open` rule naming another VM, still refuses it. Without one, the policy
//! decides as for a VM's `canopy-send`: its target, or the user's pick in the trusted chooser.
//! The bytes come on the request's own connection.

use std::sync::Arc;
use std::time::{Duration, Instant};

use canopy_protocols::lifecycle::open::{safe_file_name, Intent, OpenError, Shown, ShownFile};
use canopy_protocols::lifecycle::{Error, HostResponse, Reply};
use serde_json::json;

use super::lifecycle_error;
use super::relay::{copy, CopyError};
use crate::hostd::policy::{type_of, Decision, Looks, What};
use crate::hostd::Daemon;
use crate::server::reply;
use canopy_common::transport::{Peer, Stream};

impl Daemon {
    /// The name files from the GUI VM land under (`~/Incoming/<it>/`): the VM of trust `local`.
    pub(in crate::hostd) fn gui_vm_name(&self) -> String {
        self.config.vms.iter().find(|(_, v)| v.trust == "local").map_or_else(|| "gui".into(), |(n, _)| n.clone())
    }

    /// Serve a `send` on `stream`: `ready`, the bytes, the final reply (written here).
    pub(in crate::hostd) fn gui_send(
        self: &Arc<Self>,
        stream: &Stream,
        peer: &Peer,
        to: Option<&str>,
        name: &str,
        size: u64,
    ) -> bool {
        let from = self.gui_vm_name();
        // Without a target, where it went is the policy's or the user's word, not the request's.
        let asked = to.is_none();
        let result = self.gui_send_inner(stream, &from, to, name, size);
        let to = match (&result, to) {
            (Ok(Reply::Sent { vm, .. }), _) => Some(vm.as_str()),
            (_, to) => to,
        };
        let summary = match &result {
            Ok(Reply::Sent { vm, name }) => Ok(format!("kept in {vm} as {name}")),
            Ok(_) => Ok("done".into()),
            Err(e) => Err(format!("{}: {e}", e.kind())),
        };
        let what =
            json!({"type": "send", "to": to, "asked": asked, "files": [{"name": safe_file_name(name), "size": size}]});
        self.audit.record(peer, what, summary);
        reply(stream, &HostResponse::from(result))
    }

    fn gui_send_inner(
        self: &Arc<Self>,
        stream: &Stream,
        from: &str,
        to: Option<&str>,
        name: &str,
        size: u64,
    ) -> Result<Reply, Error> {
        let limit = self.config.open.max_file_bytes;
        if size > limit {
            return Err(lifecycle_error(OpenError::TooLarge { size, limit }));
        }
        let name = safe_file_name(name);
        let types = [type_of(&name)];
        let what = What { from, intent: Intent::Send, looks: Looks::Files { types: &types } };
        let to = match to {
            Some(to) => {
                let allowed = match self.config.open.decide(&self.config, &what).map_err(lifecycle_error)? {
                    Decision::Deny(reason) => return Err(Error::NotAllowed { reason }),
                    Decision::Go(t) => vec![t],
                    Decision::Ask(targets) => targets,
                };
                if !allowed.iter().any(|t| t.vm == to) {
                    let names: Vec<&str> = allowed.iter().map(|t| t.vm.as_str()).collect();
                    return Err(Error::not_allowed(format!("files from {from} may go to {} only", names.join(", "))));
                }
                to.to_string()
            }
            None => {
                let shown = || Shown::Files(vec![ShownFile { name: name.clone(), size, mime: types[0].clone() }]);
                self.decide(&what, shown).map_err(lifecycle_error)?.vm
            }
        };
        let to = to.as_str();
        {
            let mut rt = self.lock_vm(to)?;
            self.ensure_running(to, &mut rt)?;
        }
        let deadline = Instant::now() + Duration::from_secs_f64(self.config.open.transfer_timeout_secs);
        let (target, _held) = self.receiving(to, from, &name, size, deadline).map_err(lifecycle_error)?;
        if !reply(stream, &HostResponse::Ok(Reply::Ready)) {
            target.shutdown();
            return Err(Error::bad_request("the sender went away"));
        }
        match copy(stream, &target, size, deadline) {
            Ok(()) => {}
            Err(CopyError::Source(why)) => {
                target.shutdown();
                return Err(lifecycle_error(OpenError::TransferFailed { reason: why }));
            }
            Err(CopyError::Target(why)) => {
                let e = self.received(to, &target, deadline).err();
                return Err(lifecycle_error(e.unwrap_or(OpenError::TargetFailed { vm: to.into(), reason: why })));
            }
        }
        let (kept, _) = self.received(to, &target, deadline).map_err(lifecycle_error)?;
        Ok(Reply::Sent { vm: to.into(), name: kept })
    }
}
