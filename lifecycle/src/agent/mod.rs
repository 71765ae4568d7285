//! `canopy-agent`: runs in each app VM, for hostd only. Starts the apps of its config by name
//! with `WAYLAND_DISPLAY` set to the guest proxy's socket, tracks and stops them, reports exits.

mod apps;
pub mod config;

use std::path::PathBuf;
use std::sync::Arc;

use canopy_protocols::lifecycle::{AgentReply, AgentRequest, AgentResponse, Error};

use crate::server::{forward_events, handshake, next_request, reply, spawn_acceptor, Incoming};
use apps::Apps;
use canopy_common::transport::{Listener, Peer, Stream};
use config::Config;

const MAX_CONNECTIONS: usize = 512;

pub struct Agent {
    config: Config,
    apps: Arc<Apps>,
}

impl Agent {
    pub fn new(config: Config) -> Arc<Agent> {
        Arc::new(Agent { config, apps: Apps::new() })
    }

    /// Listen and serve until SIGTERM or SIGINT, then stop every app and exit.
    pub fn run(self: &Arc<Self>) -> Result<(), String> {
        let mut signals =
            signal_hook::iterator::Signals::new([signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT])
                .map_err(|e| format!("cannot handle signals: {e}"))?;
        let mut sockets: Vec<PathBuf> = Vec::new();
        for addr in &self.config.listen {
            let listener = Listener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
            sockets.extend(listener.unix_path().map(PathBuf::from));
            tracing::info!("listening on {addr}");
            let (me, check) = (self.clone(), self.clone());
            let allowed = move |peer: &Peer| check.peer_allowed(peer).is_ok();
            spawn_acceptor(listener, MAX_CONNECTIONS, allowed, move |stream, peer| me.serve(stream, peer))
                .map_err(|e| format!("cannot start a thread: {e}"))?;
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
        crate::server::peer_allowed(peer, &allow.uids, allow.host_cid, "hostd's")
    }

    fn serve(self: &Arc<Self>, stream: Stream, peer: Peer) {
        let refused = |reason: &str| tracing::warn!("{peer}: refused: {reason}");
        match handshake(&stream, "canopy-agent", self.peer_allowed(&peer), refused) {
            Ok(_) => {}
            Err(r) if r.not_allowed => return,
            Err(r) => {
                tracing::warn!("{peer}: {}", r.reason);
                return;
            }
        }
        loop {
            match next_request::<AgentRequest, AgentReply>(&stream) {
                Incoming::End(None) => return,
                Incoming::End(Some(reason)) => {
                    tracing::warn!("{peer}: connection closed: {reason}");
                    return;
                }
                Incoming::Malformed(reason) => tracing::warn!("{peer}: {reason}"),
                Incoming::Request(AgentRequest::Watch) => {
                    let (apps, rx) = self.apps.subscribe();
                    if reply(&stream, &AgentResponse::Ok(AgentReply::Watching { apps })) {
                        forward_events(&stream, rx);
                    }
                    return;
                }
                Incoming::Request(req) => {
                    let result = self.handle(&req);
                    match &result {
                        Ok(_) => tracing::debug!("{peer}: {req:?}: ok"),
                        Err(e) => tracing::info!("{peer}: {req:?}: {e}"),
                    }
                    if !reply(&stream, &AgentResponse::from(result)) {
                        return;
                    }
                }
            }
        }
    }

    fn handle(self: &Arc<Self>, req: &AgentRequest) -> Result<AgentReply, Error> {
        match req {
            AgentRequest::Ping => Ok(AgentReply::Pong { apps: self.config.apps.keys().cloned().collect() }),
            AgentRequest::Start { app, args } => self.apps.start(&self.config, app, args),
            AgentRequest::Stop { instance } => self.apps.stop(*instance, self.config.stop_timeout()),
            AgentRequest::List => Ok(AgentReply::Running { apps: self.apps.list() }),
            AgentRequest::Watch => Err(Error::bad_request("watch is handled by the connection")),
        }
    }
}
