//! The panel's levels: what the audio VM and the backlight report, kept up to date by two
//! threads (a watch on `canopy-audiod`, reconnecting while the audio VM is away, and a worker
//! that makes the changes the popover asks for, one request per slider and round trip however
//! fast the pointer moves).

use std::sync::mpsc;
use std::time::Duration;

use canopy_common::transport::Address;
use canopy_levels::audio::AudioClient;
use canopy_levels::backlight::Backlight;
use canopy_levels::config::BacklightConfig;
use canopy_protocols::audio::{AudioState, Event, Mute, Target};
use canopy_protocols::text;

/// The audio VM as the panel sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum AudioStatus {
    /// No audio control is configured: no indicator.
    Off,
    Connecting,
    /// canopy-audiod cannot be reached, or its sound server is gone: why.
    Unreachable(String),
    Ready(AudioState),
}

/// The backlight as the panel sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum LightStatus {
    /// No backlight here and none was configured: no indicator.
    Off,
    /// The configured backlight is not there, or cannot be read: why.
    Missing(String),
    /// Perceived percent; whether it can be changed.
    Level { percent: u32, writable: bool },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Levels {
    pub audio: AudioStatus,
    pub light: LightStatus,
    /// The last change that failed, shown in the popover until the next one succeeds.
    pub error: Option<String>,
}

/// A change the popover asks for. Each is a "set", so a later one of the same kind and target
/// replaces an earlier one still waiting (see [`coalesce`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Change {
    Volume(Target, f32),
    Mute(Target, bool),
    Default(u32),
    Brightness(u32),
}

impl Change {
    fn same_kind(&self, other: &Change) -> bool {
        match (self, other) {
            (Change::Volume(a, _), Change::Volume(b, _)) | (Change::Mute(a, _), Change::Mute(b, _)) => a == b,
            (Change::Default(_), Change::Default(_)) | (Change::Brightness(_), Change::Brightness(_)) => true,
            _ => false,
        }
    }
}

/// What the threads tell the panel.
#[derive(Debug, Clone, PartialEq)]
pub enum LevelsUpdate {
    Audio(AudioStatus),
    Light(LightStatus),
    /// A change was made (None) or failed (why).
    Done(Option<String>),
}

/// The changes waiting, each kind and target once with its latest value, in the order they were
/// first asked for: a slider dragged across its track while a request is under way becomes one
/// request for where it stopped.
pub fn coalesce(changes: Vec<Change>) -> Vec<Change> {
    let mut out: Vec<Change> = Vec::new();
    for c in changes {
        match out.iter_mut().find(|o| o.same_kind(&c)) {
            Some(o) => *o = c,
            None => out.push(c),
        }
    }
    out
}

impl Levels {
    pub fn new(audio: bool, light: LightStatus) -> Self {
        let audio = if audio { AudioStatus::Connecting } else { AudioStatus::Off };
        Levels { audio, light, error: None }
    }

    /// Shows a change at once, before the audio VM confirms it (a slider follows the pointer);
    /// the next state from the watch shows what really happened.
    pub fn preview(&mut self, change: Change) {
        match (change, &mut self.audio, &mut self.light) {
            (Change::Brightness(p), _, LightStatus::Level { percent, .. }) => *percent = p,
            (Change::Volume(t, v), AudioStatus::Ready(s), _) => {
                if let Some((volume, _)) = level_mut(s, t) {
                    *volume = v;
                }
            }
            (Change::Mute(t, m), AudioStatus::Ready(s), _) => {
                if let Some((_, muted)) = level_mut(s, t) {
                    *muted = m;
                }
            }
            (Change::Default(id), AudioStatus::Ready(s), _) => {
                if s.outputs.iter().any(|d| d.id == id) {
                    s.default_output = Some(id);
                } else if s.inputs.iter().any(|d| d.id == id) {
                    s.default_input = Some(id);
                }
            }
            _ => {}
        }
    }
}

/// The volume and mute of a target in a state.
fn level_mut(s: &mut AudioState, t: Target) -> Option<(&mut f32, &mut bool)> {
    let (out, inp) = (s.default_output, s.default_input);
    let id = match t {
        Target::Output => out?,
        Target::Input => inp?,
        Target::Device(id) => id,
        Target::Stream(id) => {
            let st = s.streams.iter_mut().find(|st| st.id == id)?;
            return Some((&mut st.volume, &mut st.muted));
        }
    };
    let d = s.outputs.iter_mut().chain(s.inputs.iter_mut()).find(|d| d.id == id)?;
    Some((&mut d.volume, &mut d.muted))
}

/// The backlight now, as the indicator shows it. `explicit`: it was configured, so its absence
/// is shown rather than the indicator left out.
pub fn read_light(config: &BacklightConfig, explicit: bool) -> LightStatus {
    match Backlight::open(config).and_then(|b| Ok((b.percent()?, b.writable()))) {
        Ok((percent, writable)) => LightStatus::Level { percent, writable },
        Err(_) if !explicit => LightStatus::Off,
        Err(e) => LightStatus::Missing(e.to_string()),
    }
}

/// Sends the audio state to `send` for as long as it accepts it, reconnecting (0.5 s, doubling up
/// to 5 s) while canopy-audiod is away. Blocks: run it on a thread of its own.
pub fn watch_audio(addr: &Address, mut send: impl FnMut(LevelsUpdate) -> bool) {
    let mut delay = Duration::from_millis(500);
    loop {
        let why = match AudioClient::connect(addr, "canopy-panel").and_then(|c| c.watch()) {
            Ok((state, mut events)) => {
                delay = Duration::from_millis(500);
                if !send(LevelsUpdate::Audio(AudioStatus::Ready(shown(state)))) {
                    return;
                }
                loop {
                    let status = match events.next_event() {
                        Ok(Event::State { state }) => AudioStatus::Ready(shown(state)),
                        Ok(Event::Unavailable { reason }) => AudioStatus::Unreachable(plain(&reason)),
                        Err(e) => break e.to_string(),
                    };
                    if !send(LevelsUpdate::Audio(status)) {
                        return;
                    }
                }
            }
            Err(e) => e.to_string(),
        };
        tracing::info!("audio control: {why}");
        if !send(LevelsUpdate::Audio(AudioStatus::Unreachable(plain(&why)))) {
            return;
        }
        std::thread::sleep(delay);
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// Makes the changes that arrive on `changes`, merged while one is under way, until the sender
/// is gone; tells `send` how each went and what the backlight shows after a change to it.
pub fn apply_changes(
    addr: Option<Address>,
    light: BacklightConfig,
    changes: mpsc::Receiver<Change>,
    send: impl Fn(LevelsUpdate) -> bool,
) {
    let mut client: Option<AudioClient> = None;
    while let Ok(first) = changes.recv() {
        let mut batch = vec![first];
        batch.extend(changes.try_iter());
        let asked = batch.len();
        let batch = coalesce(batch);
        if batch.len() < asked {
            tracing::debug!("{asked} changes asked while busy, {} made", batch.len());
        }
        for change in batch {
            let result = match change {
                Change::Brightness(p) => {
                    let r =
                        Backlight::open(&light).and_then(|b| b.set_percent(p)).map(|_| ()).map_err(|e| e.to_string());
                    if !send(LevelsUpdate::Light(read_light(&light, true))) {
                        return;
                    }
                    r
                }
                audio => match &addr {
                    None => Err("no audio control is configured".into()),
                    Some(addr) => with_client(&mut client, addr, audio),
                },
            };
            if let Err(why) = &result {
                tracing::warn!("{change:?}: {why}");
            }
            let why = result.err().map(|w| plain(&w));
            if !send(LevelsUpdate::Done(why)) {
                return;
            }
        }
    }
}

/// Text from (or about) the audio VM as one plain line.
fn plain(s: &str) -> String {
    text::sanitise(s, text::MESSAGE)
}

/// The state with every name the audio VM gave made plain text for drawing.
fn shown(mut s: AudioState) -> AudioState {
    for d in s.outputs.iter_mut().chain(s.inputs.iter_mut()) {
        d.name = text::sanitise(&d.name, text::TITLE);
    }
    for st in &mut s.streams {
        st.app = text::sanitise(&st.app, text::TITLE);
        st.vm = st.vm.as_deref().map(|vm| text::sanitise(vm, text::TITLE));
    }
    s
}

/// One audio change on the worker's connection, connecting (once more after a broken one).
fn with_client(client: &mut Option<AudioClient>, addr: &Address, change: Change) -> Result<(), String> {
    let mut last = String::new();
    for _ in 0..2 {
        let c = match client {
            Some(c) => c,
            None => match AudioClient::connect(addr, "canopy-panel") {
                Ok(c) => client.insert(c),
                Err(e) => return Err(e.to_string()),
            },
        };
        let r = match change {
            Change::Volume(t, v) => c.set_volume(t, v).map(|_| ()),
            Change::Mute(t, m) => c.set_mute(t, if m { Mute::On } else { Mute::Off }).map(|_| ()),
            Change::Default(id) => c.set_default(id),
            Change::Brightness(_) => Ok(()),
        };
        match r {
            Ok(()) => return Ok(()),
            // A refusal is an answer: the connection is fine.
            Err(e) if e.lifecycle_error().is_some() => return Err(e.to_string()),
            Err(e) => {
                last = e.to_string();
                *client = None;
            }
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drag_becomes_one_request_per_slider() {
        let mut asked: Vec<Change> = (0..50).map(|i| Change::Volume(Target::Output, i as f32 / 100.0)).collect();
        asked.insert(10, Change::Mute(Target::Input, true));
        asked.extend((0..30).map(|i| Change::Brightness(40 + i)));
        asked.push(Change::Volume(Target::Stream(7), 0.3));
        asked.push(Change::Mute(Target::Input, false));
        assert_eq!(
            coalesce(asked),
            [
                Change::Volume(Target::Output, 0.49),
                Change::Mute(Target::Input, false),
                Change::Brightness(69),
                Change::Volume(Target::Stream(7), 0.3),
            ]
        );
    }

    #[test]
    fn a_preview_moves_the_slider_before_the_answer() {
        let mut l = Levels::new(true, LightStatus::Level { percent: 50, writable: true });
        let mut s = AudioState { max_volume: 1.0, step: 0.05, ..Default::default() };
        s.outputs.push(canopy_protocols::audio::Device { id: 3, name: "Speakers".into(), volume: 0.2, muted: false });
        s.default_output = Some(3);
        l.audio = AudioStatus::Ready(s);
        l.preview(Change::Volume(Target::Output, 0.7));
        l.preview(Change::Mute(Target::Device(3), true));
        l.preview(Change::Brightness(80));
        let AudioStatus::Ready(s) = &l.audio else { unreachable!() };
        assert_eq!((s.outputs[0].volume, s.outputs[0].muted), (0.7, true));
        assert_eq!(l.light, LightStatus::Level { percent: 80, writable: true });
    }
}
