//! Links and files across VMs in hostd (the flow is described in
//! `canopy_protocols::lifecycle::open`): an agent's ask is admitted under per-VM limits, checked,
//! decided by the policy or by the user, carried out through the start path and the file relay,
//! and answered; each request gets one audit line, and failures and sent files a notice on
//! screen.

mod choices;
mod relay;
mod send;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use canopy_protocols::lifecycle::open::Choice;
use canopy_protocols::lifecycle::open::{
    parse_url, safe_file_name, ChoiceTarget, Delivered, FileMeta, Intent, Notice, OpenError, Outcome, Shown, ShownFile,
    Subject, MAX_FILES,
};
use canopy_protocols::lifecycle::{AgentRequest, AppArg, Error, Event};
use canopy_protocols::text::{self, Limit};
use serde_json::{json, Value};

use super::policy::{type_of, Decision, Looks, Target, What};
use super::{lock, untrusted, Daemon};
use crate::rate::{Limiter, Rate};
pub use choices::Choices;

/// What one VM's agent may ask: looser than the agent's own limit (`agent::opener::RATE`), so a
/// well-behaved agent never meets it; asks beyond it are dropped with a log line (an agent that
/// sends them is not well-behaved, and answering each would cost a connection).
const RATE: Rate = Rate { burst: 16, per_sec: 2.0, in_flight: 8 };
/// URLs and names in audit lines and notices: sanitised, and long enough to hold a whole URL.
const AUDIT_TEXT: Limit = Limit { chars: 4096, bytes: 16 * 1024 };
/// How often a VM whose asks are dropped is logged.
const DROP_LOG_EVERY: Duration = Duration::from_secs(5);

/// hostd's part of open and send: per-VM limits and the choices waiting for the user.
#[derive(Default)]
pub struct Asks {
    limits: Mutex<BTreeMap<String, Limiter>>,
    dropped: Mutex<BTreeMap<String, (Instant, u64)>>,
    pub choices: Choices,
}

impl Asks {
    fn limits(&self) -> MutexGuard<'_, BTreeMap<String, Limiter>> {
        lock(&self.limits)
    }

    fn admit(&self, vm: &str) -> Result<(), String> {
        self.limits().entry(vm.to_string()).or_insert_with(|| Limiter::new(RATE)).admit()
    }

    fn done(&self, vm: &str) {
        if let Some(l) = self.limits().get_mut(vm) {
            l.done();
        }
    }

    /// An ask over the limit: dropped, logged now and then with how many.
    fn dropped(&self, vm: &str, why: &str) {
        let mut d = lock(&self.dropped);
        let (last, n) = d.entry(vm.to_string()).or_insert((Instant::now() - DROP_LOG_EVERY, 0));
        *n += 1;
        if last.elapsed() >= DROP_LOG_EVERY {
            tracing::warn!(target: "audit", "VM {vm}: dropped {n} request(s) to open or send: {why}");
            *last = Instant::now();
            *n = 0;
        }
    }
}

/// What a request did, for its audit line.
#[derive(Default)]
struct Report {
    to: Option<String>,
    bytes: u64,
}

impl Daemon {
    /// An ask came in on VM `vm`'s watch connection. hostd dialled that VM's configured address,
    /// so the ask is that VM's, whatever it says.
    pub(in crate::hostd) fn ask_arrived(self: &Arc<Self>, vm: &str, id: u64, intent: Intent, subject: Subject) {
        if let Err(why) = self.asks.admit(vm) {
            self.asks.dropped(vm, &why);
            return;
        }
        let me = self.clone();
        let name = vm.to_string();
        let spawned = std::thread::Builder::new().name(format!("ask {vm} {id}")).spawn(move || {
            let vm = name;
            let mut report = Report::default();
            let result = me.serve_ask(&vm, id, intent, &subject, &mut report);
            me.asks.done(&vm);
            me.audit_ask(&vm, intent, &subject, &report, &result);
            if let Some(notice) = me.notice(&vm, intent, &subject, &result) {
                me.status().publish(&Event::Notice(notice));
            }
            if let Err(e) = me.agent_request(&vm, &AgentRequest::Answer { ask: id, outcome: Outcome::from(result) }) {
                tracing::warn!("VM {vm}: cannot answer its request {id}: {}", untrusted(e));
            }
        });
        if let Err(e) = spawned {
            tracing::warn!("VM {vm}: no thread for a request: {e}");
        }
    }

    fn serve_ask(
        self: &Arc<Self>,
        from: &str,
        id: u64,
        intent: Intent,
        subject: &Subject,
        report: &mut Report,
    ) -> Result<Delivered, OpenError> {
        match subject {
            Subject::Url(url) => {
                if intent == Intent::Send {
                    return Err(OpenError::bad_request("links are opened, not sent"));
                }
                let parts = parse_url(url).map_err(|e| OpenError::bad_request(untrusted(e)))?;
                if parts.scheme == "file" {
                    return Err(OpenError::bad_request("a file: URL names a file of the asking VM"));
                }
                let looks = Looks::Url { scheme: &parts.scheme };
                let what = What { from, intent, looks };
                let target = self.decide(&what, || Shown::Url { url: url.clone(), parts: parts.clone() })?;
                report.to = Some(target.vm.clone());
                let app = target.app.as_deref().expect("an open has an app");
                self.start_app(app, Some(&target.vm), &[AppArg::Url(url.clone())], None)
                    .map_err(|e| target_failed(&target.vm, e))?;
                Ok(Delivered { vm: target.vm, opened: true, files: Vec::new() })
            }
            Subject::Files(files) => {
                if files.is_empty() || files.len() > MAX_FILES {
                    return Err(OpenError::bad_request(format!("1 to {MAX_FILES} files at a time")));
                }
                if intent == Intent::Open && files.len() != 1 {
                    return Err(OpenError::bad_request("open one file at a time"));
                }
                let limit = self.config.open.max_file_bytes;
                if let Some(f) = files.iter().find(|f| f.size > limit) {
                    return Err(OpenError::TooLarge { size: f.size, limit });
                }
                let names: Vec<String> = files.iter().map(|f| safe_file_name(&f.name)).collect();
                let types: Vec<String> = names.iter().map(|n| type_of(n)).collect();
                let what = What { from, intent, looks: Looks::Files { types: &types } };
                let shown = || {
                    Shown::Files(
                        files
                            .iter()
                            .zip(&names)
                            .zip(&types)
                            .map(|((f, n), t)| ShownFile { name: n.clone(), size: f.size, mime: t.clone() })
                            .collect(),
                    )
                };
                let target = self.decide(&what, shown)?;
                report.to = Some(target.vm.clone());
                // A stopped target starts as for any app: its state and progress go to the panel.
                {
                    let mut rt = self.lock_vm(&target.vm).map_err(|e| target_failed(&target.vm, e))?;
                    self.ensure_running(&target.vm, &mut rt).map_err(|e| target_failed(&target.vm, e))?;
                }
                let mut landed = Vec::new();
                let mut path = String::new();
                for (i, (f, name)) in files.iter().zip(&names).enumerate() {
                    let (kept, p) = self.carry(from, id, i as u32, name, f.size, &target.vm)?;
                    report.bytes += f.size;
                    landed.push(kept);
                    path = p;
                }
                if intent == Intent::Open {
                    let app = target.app.as_deref().expect("an open has an app");
                    self.start_app(app, Some(&target.vm), &[AppArg::File(path)], None)
                        .map_err(|e| target_failed(&target.vm, e))?;
                }
                Ok(Delivered { vm: target.vm, opened: intent == Intent::Open, files: landed })
            }
        }
    }

    /// Where `what` goes: the policy's word, or the user's when the policy asks.
    fn decide(&self, what: &What, shown: impl FnOnce() -> Shown) -> Result<Target, OpenError> {
        let targets = match self.config.open.decide(&self.config, what)? {
            Decision::Deny(reason) => return Err(OpenError::Denied { reason }),
            Decision::Go(t) => return Ok(t),
            Decision::Ask(targets) => targets,
        };
        let choice = Choice {
            id: 0,
            from: what.from.into(),
            from_trust: self.config.vms[what.from].trust.clone(),
            intent: what.intent,
            what: shown(),
            targets: targets.iter().map(|t| self.choice_target(t)).collect(),
            timeout_ms: (self.config.open.choice_timeout_secs * 1000.0) as u64,
        };
        let timeout = Duration::from_secs_f64(self.config.open.choice_timeout_secs);
        let vm = self.asks.choices.ask(choice, timeout, |c| self.status().publish(&Event::Choose(c.clone())))?;
        targets.into_iter().find(|t| t.vm == vm).ok_or_else(|| OpenError::NoSuchTarget { reason: format!("{vm:?}") })
    }

    fn choice_target(&self, t: &Target) -> ChoiceTarget {
        let app = t.app.as_ref().map(|a| &self.config.apps[a]);
        ChoiceTarget {
            vm: t.vm.clone(),
            trust: self.config.vms[&t.vm].trust.clone(),
            state: self.status().vm(&t.vm),
            app: app.map(|a| a.display_name.clone()),
            icon: app.and_then(|a| a.icon.clone()),
        }
    }

    fn audit_ask(
        &self,
        vm: &str,
        intent: Intent,
        subject: &Subject,
        report: &Report,
        result: &Result<Delivered, OpenError>,
    ) {
        let what = describe(intent, subject);
        let summary = match result {
            Ok(d) if d.files.is_empty() => Ok(format!("opened in {}", d.vm)),
            Ok(d) => Ok(format!("{} in {} as {}", if d.opened { "opened" } else { "kept" }, d.vm, d.files.join(", "))),
            Err(e) => Err(format!("{}: {e}", e.kind())),
        };
        self.audit.record_open(vm, what, report.to.as_deref(), summary, report.bytes);
    }

    /// What the screen says about a finished request: failures (not a Cancel, which the user
    /// did) and files sent; an app opening is news enough.
    fn notice(
        &self,
        vm: &str,
        intent: Intent,
        subject: &Subject,
        result: &Result<Delivered, OpenError>,
    ) -> Option<Notice> {
        let thing = match subject {
            Subject::Url(url) => format!("the link {}", text::sanitise(url, AUDIT_TEXT)),
            Subject::Files(f) if f.len() == 1 => format!("the file {}", safe_file_name(&f[0].name)),
            Subject::Files(f) => format!("{} files", f.len()),
        };
        let (ok, title, detail) = match (result, intent) {
            (Err(OpenError::Cancelled), _) => return None,
            (Ok(d), Intent::Send) => {
                (true, format!("Sent to {}", d.vm), format!("{} is in Incoming/{vm} there", d.files.join(", ")))
            }
            (Ok(_), Intent::Open) => return None,
            (Err(e), _) => {
                let verb = if intent == Intent::Send { "Not sent" } else { "Not opened" };
                (false, format!("{verb}: {}", headline(e)), format!("{thing}: {e}"))
            }
        };
        let trust = self.config.vms.get(vm).map_or_else(|| "unknown".into(), |v| v.trust.clone());
        let limit = text::MESSAGE;
        Some(Notice {
            from: vm.into(),
            from_trust: trust,
            ok,
            title: text::sanitise(&title, limit),
            detail: text::sanitise(&detail, limit),
        })
    }
}

/// A few words for a notice's title.
fn headline(e: &OpenError) -> &'static str {
    match e {
        OpenError::Denied { .. } => "denied",
        OpenError::Cancelled => "cancelled",
        OpenError::TooLarge { .. } => "too large",
        OpenError::NoSuchTarget { .. } => "nowhere to go",
        OpenError::TargetFailed { .. } => "the target VM failed",
        OpenError::TransferFailed { .. } => "the transfer broke off",
        OpenError::Busy { .. } => "too many requests",
        OpenError::BadRequest { .. } => "refused",
        OpenError::Unreachable { .. } => "unreachable",
    }
}

/// A lifecycle error on the way to a target, as the asking VM hears it.
fn target_failed(vm: &str, e: Error) -> OpenError {
    match e {
        Error::UnknownVm { vm } => OpenError::NoSuchTarget { reason: format!("no VM {vm:?}") },
        other => OpenError::TargetFailed { vm: vm.into(), reason: untrusted(other) },
    }
}

/// A request for the audit line, its text sanitised.
fn describe(intent: Intent, subject: &Subject) -> Value {
    let clean = |s: &str| text::sanitise(s, AUDIT_TEXT);
    match subject {
        Subject::Url(url) => json!({"type": "open_url", "url": clean(url)}),
        Subject::Files(files) => {
            let files: Vec<Value> =
                files.iter().map(|FileMeta { name, size }| json!({"name": clean(name), "size": size})).collect();
            json!({"type": if intent == Intent::Send { "send" } else { "open_file" }, "files": files})
        }
    }
}

/// An [`OpenError`] as a lifecycle error (for the GUI VM's own requests).
pub fn lifecycle_error(e: OpenError) -> Error {
    match e {
        OpenError::Denied { reason } => Error::NotAllowed { reason },
        OpenError::NoSuchTarget { reason } => Error::NotAllowed { reason },
        // The user said no in the chooser, as a policy's deny says no.
        e @ OpenError::Cancelled => Error::NotAllowed { reason: e.to_string() },
        OpenError::Busy { reason } => Error::Busy { reason },
        other @ (OpenError::TooLarge { .. } | OpenError::BadRequest { .. }) => Error::bad_request(other.to_string()),
        other => Error::ActionFailed { action: "sending the file".into(), reason: other.to_string() },
    }
}
