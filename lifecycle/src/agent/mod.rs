//! `canopy-agent`: runs in each app VM, for hostd only. Starts the apps of its config by name
//! with `WAYLAND_DISPLAY` set to the guest proxy's socket, tracks and stops them, reports exits;
//! passes on what `canopy-open` and `canopy-send` ask, and keeps files from other VMs.

mod apps;
pub mod config;
mod incoming;
mod opener;

use std::path::PathBuf;
use std::sync::Arc;

use canopy_protocols::lifecycle::open::{OpenerRequest, Outcome};
use canopy_protocols::lifecycle::{AgentReply, AgentRequest, AgentResponse, Error, Response};

use crate::server::{forward_events, listen, reply, serve};
use apps::Apps;
use canopy_common::transport::{Peer, Stream};
use config::Config;
use opener::Opener;

const MAX_CONNECTIONS: usize = 512;

pub struct Agent {
    config: Config,
    apps: Arc<Apps>,
    opener: Opener,
}

impl Agent {
    pub fn new(config: Config) -> Arc<Agent> {
        Arc::new(Agent { config, apps: Apps::new(), opener: Opener::default() })
    }

    /// Listen and serve until SIGTERM or SIGINT, then stop every app and exit.
    pub fn run(self: &Arc<Self>) -> Result<(), String> {
        let mut signals =
            signal_hook::iterator::Signals::new([signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT])
                .map_err(|e| format!("cannot handle signals: {e}"))?;
        let mut sockets: Vec<PathBuf> = Vec::new();
        for addr in &self.config.listen {
            let (me, check) = (self.clone(), self.clone());
            let allowed = move |peer: &Peer| check.peer_allowed(peer).is_ok();
            let (_, socket) = listen(addr, "", MAX_CONNECTIONS, allowed, move |stream, peer| me.serve(stream, peer))?;
            sockets.extend(socket);
        }
        if let Some(root) = self.config.incoming() {
            incoming::remove_stale_partials(&root);
        }
        for addr in &self.config.opener.listen {
            let (me, check) = (self.clone(), self.clone());
            let allowed = move |peer: &Peer| check.opener_allowed(peer).is_ok();
            let serve = move |stream, peer| me.serve_opener(stream, peer);
            let (_, socket) = listen(addr, "for canopy-open ", MAX_CONNECTIONS, allowed, serve)?;
            sockets.extend(socket);
        }
        if let Some(sig) = signals.forever().next() {
            tracing::info!("signal {sig}: stopping all apps");
        }
        self.apps.stop_all(self.config.stop_timeout());
        for s in sockets {
            let _ = std::fs::remove_file(s);
        }
        Ok(())
    }

    fn peer_allowed(&self, peer: &Peer) -> Result<(), String> {
        let allow = &self.config.allow;
        canopy_common::transport::peer_allowed(peer, &allow.uids, allow.host_cid, "hostd's")
    }

    fn opener_allowed(&self, peer: &Peer) -> Result<(), String> {
        canopy_common::transport::peer_allowed(peer, &self.config.opener.uids, None, "")
    }

    /// A connection of `canopy-open` or `canopy-send`: each request waits for hostd's answer.
    fn serve_opener(self: &Arc<Self>, stream: Stream, peer: Peer) {
        let allowed = self.opener_allowed(&peer);
        serve::<OpenerRequest, Outcome>(
            &stream,
            &peer,
            "canopy-agent",
            allowed,
            |_| {},
            |_| {},
            |req| reply(&stream, &Response::Ok(self.opener.ask(&self.apps, &req))),
        );
    }

    fn serve(self: &Arc<Self>, stream: Stream, peer: Peer) {
        let allowed = self.peer_allowed(&peer);
        serve::<AgentRequest, AgentReply>(
            &stream,
            &peer,
            "canopy-agent",
            allowed,
            |_| {},
            |_| {},
            |req| match req {
                AgentRequest::Watch => {
                    let (apps, rx) = self.apps.subscribe();
                    if reply(&stream, &AgentResponse::Ok(AgentReply::Watching { apps })) {
                        forward_events(&stream, rx);
                    }
                    false
                }
                AgentRequest::Fetch { ask, file } => {
                    self.opener.fetch(&stream, ask, file);
                    false
                }
                AgentRequest::Receive { from, name, size } => {
                    incoming::receive(&stream, self.config.incoming().as_deref(), &from, &name, size);
                    false
                }
                req => {
                    let result = self.handle(&req);
                    match &result {
                        Ok(_) => tracing::debug!("{peer}: {req:?}: ok"),
                        Err(e) => tracing::info!("{peer}: {req:?}: {e}"),
                    }
                    reply(&stream, &AgentResponse::from(result))
                }
            },
        );
    }

    fn handle(self: &Arc<Self>, req: &AgentRequest) -> Result<AgentReply, Error> {
        match req {
            AgentRequest::Ping => Ok(AgentReply::Pong { apps: self.config.apps.keys().cloned().collect() }),
            AgentRequest::Start { app, args, activation_token } => {
                self.apps.start(&self.config, app, args, activation_token.as_deref())
            }
            AgentRequest::Stop { instance } => self.apps.stop(*instance, self.config.stop_timeout()),
            AgentRequest::List => Ok(AgentReply::Running { apps: self.apps.list() }),
            AgentRequest::Answer { ask, outcome } => self.opener.answer(*ask, outcome.clone()),
            AgentRequest::Watch | AgentRequest::Fetch { .. } | AgentRequest::Receive { .. } => {
                Err(Error::bad_request("this request is handled by the connection"))
            }
        }
    }
}
