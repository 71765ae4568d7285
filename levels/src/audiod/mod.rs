//! `canopy-audiod`: the audio control daemon in the VM that owns audio. It serves the GUI VM
//! only (the peer check of the lifecycle daemons: the GUI VM's CID on vsock, allowed uids on
//! Unix sockets), answers each typed request of [`canopy_protocols::audio`] by changing
//! PipeWire through [`pipewire`], and streams the state to watchers.
//!
//! Each request is checked before anything runs: a volume within the configured largest, steps
//! within the protocol's limit, and a device or stream id that the graph holds now, of the kind
//! the request needs. Changes run one at a time, and a change is answered once the graph shows
//! it, with the level it shows. Each connection may make `limits.requests_per_second` requests
//! a second after a burst of `limits.burst`; more are answered `busy` and change nothing.

pub mod config;
pub mod graph;
pub mod pipewire;
pub mod rate;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use canopy_common::transport::{Peer, Stream};
use canopy_lifecycle::server::{forward_events, listen, reply, serve};
use canopy_protocols::audio::{AudioState, Level, Mute, Reply, Request, Target, MAX_STEPS};
use canopy_protocols::lifecycle::{Error, Response};

use config::Config;
use pipewire::Sound;
use rate::Bucket;

/// Most connections served at once.
const MAX_CONNECTIONS: usize = 64;
/// How long a change may take to show in the graph before it is answered anyway.
const SHOW_TIME: Duration = Duration::from_secs(1);

pub struct Daemon {
    config: Config,
    sound: Arc<Sound>,
    /// Held across each change, so that steps from the keys and the panel apply one after the
    /// other, each to the level the one before left.
    changes: Mutex<()>,
}

type AudioResponse = Response<Reply>;

impl Daemon {
    pub fn new(config: Config) -> Result<Arc<Daemon>, String> {
        let sound = Sound::start(config.clone())?;
        Ok(Arc::new(Daemon { config, sound, changes: Mutex::new(()) }))
    }

    /// Listen on every configured address and serve until the process ends.
    pub fn run(self: &Arc<Self>) -> Result<(), String> {
        let mut acceptors = Vec::new();
        for addr in &self.config.listen {
            let (me, check) = (self.clone(), self.clone());
            let allowed = move |peer: &Peer| check.peer_allowed(peer).is_ok();
            let (t, _) = listen(addr, "", MAX_CONNECTIONS, allowed, move |stream, peer| me.serve(stream, peer))?;
            acceptors.push(t);
        }
        for t in acceptors {
            let _ = t.join();
        }
        Ok(())
    }

    fn peer_allowed(&self, peer: &Peer) -> Result<(), String> {
        self.config.allow.check(peer)
    }

    fn serve(&self, stream: Stream, peer: Peer) {
        let limits = &self.config.limits;
        let mut bucket = Bucket::new(limits.requests_per_second, limits.burst);
        let mut refused_since_ok = 0u64;
        let allowed = self.peer_allowed(&peer);
        serve::<Request, Reply>(
            &stream,
            &peer,
            "canopy-audiod",
            allowed,
            |_| {},
            |_| {},
            |req| match req {
                Request::Watch => {
                    let (state, rx) = self.sound.subscribe();
                    let first = AudioResponse::from(state.map(|state| Reply::Watching { state }).map_err(unavailable));
                    if reply(&stream, &first) && matches!(first, Response::Ok(_)) {
                        forward_events(&stream, rx);
                    }
                    false
                }
                req => {
                    let result = if bucket.take() {
                        if refused_since_ok > 0 {
                            tracing::warn!("{peer}: {refused_since_ok} requests over the rate were refused");
                            refused_since_ok = 0;
                        }
                        self.handle(&req)
                    } else {
                        refused_since_ok += 1;
                        Err(Error::Busy {
                            reason: format!(
                                "more than {} requests a second (after a burst of {})",
                                limits.requests_per_second, limits.burst
                            ),
                        })
                    };
                    match &result {
                        Ok(_) => tracing::debug!("{peer}: {}: done", req.name()),
                        Err(Error::Busy { .. }) => {}
                        Err(e) => tracing::info!("{peer}: {}: {e}", req.name()),
                    }
                    reply(&stream, &AudioResponse::from(result))
                }
            },
        );
    }

    fn handle(&self, req: &Request) -> Result<Reply, Error> {
        match *req {
            Request::State => Ok(Reply::State { state: self.sound.state().map_err(unavailable)? }),
            Request::Watch => Err(Error::bad_request("watch is handled by the connection")),
            Request::SetVolume { target, volume } => {
                let max = self.config.volume.max;
                if !(volume.is_finite() && (0.0..=max).contains(&volume)) {
                    return Err(Error::bad_request(format!("a volume is 0 to {max}, not {volume}")));
                }
                let _one = self.changes.lock().unwrap_or_else(|e| e.into_inner());
                let (id, _) = self.resolve(target)?;
                self.set_volume(target, id, volume, None)
            }
            Request::StepVolume { target, steps } => {
                if steps == 0 || steps.abs() > MAX_STEPS {
                    return Err(Error::bad_request(format!("steps are 1 to {MAX_STEPS} either way, not {steps}")));
                }
                let _one = self.changes.lock().unwrap_or_else(|e| e.into_inner());
                let (id, now) = self.resolve(target)?;
                let (step, max) = (self.config.volume.step, self.config.volume.max);
                // On the grid of steps, so that a level set by a slider comes back to it.
                let volume = (((now.volume + step * steps as f32) / step).round() * step).clamp(0.0, max);
                let volume = (volume * 1000.0).round() / 1000.0;
                // Raising the output's volume unmutes it, as on any laptop.
                let unmute = steps > 0 && now.muted && matches!(target, Target::Output | Target::Device(_));
                if (volume - now.volume).abs() < 0.0005 && !unmute {
                    return Ok(Reply::Level { level: now });
                }
                self.set_volume(target, id, volume, unmute.then_some(false))
            }
            Request::SetMute { target, mute } => {
                let _one = self.changes.lock().unwrap_or_else(|e| e.into_inner());
                let (id, now) = self.resolve(target)?;
                let muted = match mute {
                    Mute::On => true,
                    Mute::Off => false,
                    Mute::Toggle => !now.muted,
                };
                self.sound.wpctl(&["set-mute".into(), id.to_string(), (muted as u8).to_string()]).map_err(failed)?;
                let state = self.sound.wait_for(SHOW_TIME, |s| s.level(target).is_some_and(|l| l.muted == muted));
                self.level_of(target, state)
            }
            Request::SetDefault { device } => {
                let _one = self.changes.lock().unwrap_or_else(|e| e.into_inner());
                let state = self.sound.state().map_err(unavailable)?;
                let output = state.outputs.iter().any(|d| d.id == device);
                if !output && !state.inputs.iter().any(|d| d.id == device) {
                    return Err(Error::bad_request(format!("no output or input device {device}")));
                }
                self.sound.wpctl(&["set-default".into(), device.to_string()]).map_err(failed)?;
                self.sound
                    .wait_for(SHOW_TIME, |s| {
                        if output {
                            s.default_output == Some(device)
                        } else {
                            s.default_input == Some(device)
                        }
                    })
                    .map_err(unavailable)?;
                Ok(Reply::Done)
            }
        }
    }

    /// The object id a target means now, and its level.
    fn resolve(&self, target: Target) -> Result<(u32, Level), Error> {
        let state = self.sound.state().map_err(unavailable)?;
        let id = match target {
            Target::Output => state.default_output.ok_or_else(|| Error::bad_request("there is no output device"))?,
            Target::Input => state.default_input.ok_or_else(|| Error::bad_request("there is no microphone"))?,
            Target::Device(id) | Target::Stream(id) => id,
        };
        let level = state.level(target).ok_or_else(|| {
            let what = if matches!(target, Target::Stream(_)) { "stream" } else { "device" };
            Error::bad_request(format!("no {what} {id}"))
        })?;
        Ok((id, level))
    }

    fn set_volume(&self, target: Target, id: u32, volume: f32, mute: Option<bool>) -> Result<Reply, Error> {
        // Four decimals: what wpctl takes, and the graph's thousandths compare against it.
        self.sound.wpctl(&["set-volume".into(), id.to_string(), format!("{volume:.4}")]).map_err(failed)?;
        if let Some(m) = mute {
            self.sound.wpctl(&["set-mute".into(), id.to_string(), (m as u8).to_string()]).map_err(failed)?;
        }
        let state = self.sound.wait_for(SHOW_TIME, |s| {
            s.level(target).is_some_and(|l| (l.volume - volume).abs() < 0.002 && mute.is_none_or(|m| l.muted == m))
        });
        self.level_of(target, state)
    }

    fn level_of(&self, target: Target, state: Result<AudioState, String>) -> Result<Reply, Error> {
        let state = state.map_err(unavailable)?;
        let level = state.level(target).ok_or_else(|| failed("the device or stream went away".into()))?;
        Ok(Reply::Level { level })
    }
}

fn unavailable(why: String) -> Error {
    Error::ActionFailed { action: "audio".into(), reason: why }
}

fn failed(why: String) -> Error {
    Error::ActionFailed { action: "wpctl".into(), reason: why }
}
