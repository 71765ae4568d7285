//! The level keys' worker thread: it holds the connection to `canopy-audiod` (made again when it
//! breaks) and opens the backlight, turns each key into one typed request or one write, and
//! sends back what the OSD shows. Presses that queue up while a request is under way are merged
//! into one request (ten repeats become one step of ten), so a held key or a flood of presses
//! never piles up requests to the audio VM.

use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Instant;

use canopy_levels::audio::AudioClient;
use canopy_levels::backlight::Backlight;
use canopy_levels::config::LevelsConfig;
use canopy_lifecycle::client::ClientError;
use canopy_protocols::audio::{Level, Mute, Target, MAX_STEPS};
use canopy_protocols::lifecycle::Error;
use smithay::reexports::calloop::channel::Sender;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Volume(i32),
    Mute,
    MicMute,
    Brightness(i32),
}

pub enum Job {
    /// A key, and when it was pressed (for the timing log line).
    Key(Key, Instant),
    Config(LevelsConfig),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Volume,
    Microphone,
    Brightness,
}

/// What the OSD shows after a key.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub kind: Kind,
    /// The level in percent of the largest, when there is one to show.
    pub percent: Option<u32>,
    pub muted: bool,
    /// Why there is no level (the audio VM is unreachable, there is no backlight).
    pub problem: Option<String>,
    pub pressed: Instant,
}

pub fn spawn(config: LevelsConfig, to_loop: Sender<Shown>) -> std::sync::mpsc::Sender<Job> {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new().name("levels".into()).spawn(move || {
        Worker { config, audio: None, largest: 1.0 }.run(rx, to_loop);
    });
    if let Err(e) = spawned {
        tracing::warn!("levels: cannot start the worker: {e}");
    }
    tx
}

struct Worker {
    config: LevelsConfig,
    audio: Option<AudioClient>,
    /// The daemon's largest volume, for the OSD's percent.
    largest: f32,
}

impl Worker {
    fn run(mut self, rx: Receiver<Job>, to_loop: Sender<Shown>) {
        let mut next = None;
        loop {
            let job = match next.take() {
                Some(j) => j,
                None => match rx.recv() {
                    Ok(j) => j,
                    Err(_) => return,
                },
            };
            let (mut key, pressed) = match job {
                Job::Config(c) => {
                    self.config = c;
                    self.audio = None;
                    continue;
                }
                Job::Key(k, t) => (k, t),
            };
            // Merge the steps of the same kind that are already waiting.
            loop {
                match rx.try_recv() {
                    Ok(Job::Key(k, _)) if merge(&mut key, k) => {}
                    Ok(other) => {
                        next = Some(other);
                        break;
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return,
                }
            }
            let shown = self.act(key, pressed);
            tracing::info!(
                "levels: {key:?}: {} {} applied {} ms after the press",
                shown.percent.map_or("-".to_string(), |p| format!("{p} %")),
                if shown.muted { "muted" } else { "" },
                pressed.elapsed().as_millis()
            );
            if to_loop.send(shown).is_err() {
                return;
            }
        }
    }

    fn act(&mut self, key: Key, pressed: Instant) -> Shown {
        let shown = |kind, percent, muted, problem| Shown { kind, percent, muted, problem, pressed };
        match key {
            Key::Brightness(steps) => match Backlight::open(&self.config.backlight).and_then(|b| b.step(steps)) {
                Ok(p) => shown(Kind::Brightness, Some(p), false, None),
                Err(e) => {
                    tracing::warn!("levels: brightness: {e}");
                    shown(Kind::Brightness, None, false, Some("Brightness cannot be changed".into()))
                }
            },
            Key::Volume(_) | Key::Mute | Key::MicMute => {
                let kind = if key == Key::MicMute { Kind::Microphone } else { Kind::Volume };
                match self.audio(key) {
                    Ok(level) => {
                        let percent = (level.volume / self.largest * 100.0).round().clamp(0.0, 100.0) as u32;
                        shown(kind, Some(percent), level.muted, None)
                    }
                    Err(why) => {
                        tracing::warn!("levels: audio: {why}");
                        shown(kind, None, false, Some("Audio control is unavailable".into()))
                    }
                }
            }
        }
    }

    /// One request to the audio daemon, on a new connection when the last one broke.
    fn audio(&mut self, key: Key) -> Result<Level, String> {
        for attempt in 0..2 {
            if self.audio.is_none() {
                let addr = self.config.audio.as_ref().ok_or("no audio control is configured ([levels] audio)")?;
                let mut c = AudioClient::connect(addr, "canopy").map_err(|e| e.to_string())?;
                self.largest = c.state().map_err(|e| e.to_string())?.max_volume;
                self.audio = Some(c);
            }
            let c = self.audio.as_mut().expect("connected above");
            let result = match key {
                // Presses that cancelled out: show the level as it is.
                Key::Volume(0) => c.state().and_then(|s| {
                    s.level(Target::Output).ok_or_else(|| ClientError::Refused(Error::bad_request("no output device")))
                }),
                Key::Volume(steps) => c.step_volume(Target::Output, steps),
                Key::Mute => c.set_mute(Target::Output, Mute::Toggle),
                Key::MicMute => c.set_mute(Target::Input, Mute::Toggle),
                Key::Brightness(_) => unreachable!("not audio"),
            };
            match result {
                Ok(level) => return Ok(level),
                // The daemon answered: the connection is fine, the request was not.
                Err(e) if e.lifecycle_error().is_some() => return Err(e.to_string()),
                Err(e) if attempt == 0 => {
                    tracing::info!("levels: {e}; connecting again");
                    self.audio = None;
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        unreachable!("the second attempt returns")
    }
}

/// Fold `next` into `key` when both are steps of the same kind (within the protocol's limit).
fn merge(key: &mut Key, next: Key) -> bool {
    match (key, next) {
        (Key::Volume(a), Key::Volume(b)) if (*a + b).abs() <= MAX_STEPS => *a += b,
        (Key::Brightness(a), Key::Brightness(b)) if (*a + b).abs() <= MAX_STEPS => *a += b,
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_steps_merge_within_the_limit() {
        let mut k = Key::Volume(1);
        assert!(merge(&mut k, Key::Volume(1)));
        assert_eq!(k, Key::Volume(2));
        assert!(!merge(&mut k, Key::Brightness(1)));
        assert!(!merge(&mut k, Key::Mute));
        let mut big = Key::Volume(MAX_STEPS);
        assert!(!merge(&mut big, Key::Volume(1)));
        let mut b = Key::Brightness(-1);
        assert!(merge(&mut b, Key::Brightness(1)));
        assert_eq!(b, Key::Brightness(0));
    }
}
