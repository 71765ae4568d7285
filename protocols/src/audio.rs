//! The audio control protocol: the GUI VM (the compositor for the volume keys, the panel for its
//! popover) asks `canopy-audiod` in the VM that owns audio to change output and input levels,
//! the default devices and the volume of each playing stream, and watches what they are.
//!
//! It has the lifecycle protocol's shape and frames ([`crate::lifecycle`]: a hello naming
//! [`PROTOCOL`], requests each answered once with a [`Response`](crate::lifecycle::Response),
//! errors of [`crate::lifecycle::Error`], and a watch that turns the connection into events).
//! Every request is typed and allow-listed: levels are numbers in a range, devices and streams
//! are ids the daemon itself reported, and nothing names a command, a D-Bus call or a property.
//!
//! The daemon's answers come from another VM: the GUI side checks each against the limits here
//! and refuses the whole message when it has too much in it ([`Bounded`]: a thousand devices,
//! a name of a megabyte), and brings numbers a slider cannot show into range with a log line
//! ([`Clamp`]: a volume of 7.3 is shown full, never drawn past the bar's end). Names are checked for length here and sanitised
//! (`crate::text`) before they are drawn.

use serde::{Deserialize, Serialize};

use crate::lifecycle::{Bounded, Protocol};

/// Name sent in the handshake.
pub const PROTOCOL: &str = "canopy-audio";
/// The protocol version this build speaks.
pub const VERSION: u32 = 1;
/// The largest volume on the wire (150 %): 1.0 is the device's full volume without boost.
pub const MAX_VOLUME: f32 = 1.5;
/// Most output devices, and most input devices, in one state.
pub const MAX_DEVICES: usize = 32;
/// Most streams in one state.
pub const MAX_STREAMS: usize = 64;
/// Longest device, app or VM name, in bytes.
pub const MAX_NAME: usize = 128;
/// Most steps one [`Request::StepVolume`] may move.
pub const MAX_STEPS: i32 = 10;

/// A request to `canopy-audiod`, such as `{"type": "step_volume", "target": "output", "steps": 1}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// What the levels are now ([`Reply::State`]).
    State,
    /// Turns the connection into a stream of [`Event`]s after a [`Reply::Watching`].
    Watch,
    /// Set a volume, 0 to the daemon's largest ([`AudioState::max_volume`]).
    SetVolume { target: Target, volume: f32 },
    /// Move a volume by whole steps of [`AudioState::step`] (the keys), at most [`MAX_STEPS`]
    /// either way; raising the output's volume unmutes it. Answered with the new [`Level`].
    StepVolume { target: Target, steps: i32 },
    /// Answered with the new [`Level`].
    SetMute { target: Target, mute: Mute },
    /// Make a device the default output or input (by its kind).
    SetDefault { device: u32 },
}

impl Request {
    /// A short name for logs, such as `set_volume`.
    pub fn name(&self) -> &'static str {
        match self {
            Request::State => "state",
            Request::Watch => "watch",
            Request::SetVolume { .. } => "set_volume",
            Request::StepVolume { .. } => "step_volume",
            Request::SetMute { .. } => "set_mute",
            Request::SetDefault { .. } => "set_default",
        }
    }
}

impl Protocol for Request {
    const NAME: &'static str = PROTOCOL;
    const VERSION: u32 = VERSION;
}

/// What a level request acts on: the default output (`"output"`), the default input, the
/// microphone (`"input"`), a device (`{"device": 42}`) or a stream (`{"stream": 57}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Output,
    Input,
    Device(u32),
    Stream(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mute {
    On,
    Off,
    Toggle,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Reply {
    State {
        state: AudioState,
    },
    /// The state when the watch began; [`Event`]s follow.
    Watching {
        state: AudioState,
    },
    /// The level of a request's target once the sound server reports it changed.
    Level {
        level: Level,
    },
    Done,
}

/// A change seen on a watch connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// The whole state, after anything in it changed.
    State { state: AudioState },
    /// The sound server went away; a `state` follows when it is back.
    Unavailable { reason: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub volume: f32,
    pub muted: bool,
}

/// The levels of the VM that owns audio.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudioState {
    /// Sinks: speakers, headphones.
    pub outputs: Vec<Device>,
    /// Sources: microphones.
    pub inputs: Vec<Device>,
    /// Ids of the default output and input (the microphone), when there are any.
    pub default_output: Option<u32>,
    pub default_input: Option<u32>,
    /// Playing and recording streams.
    pub streams: Vec<Stream>,
    /// The largest volume the daemon sets.
    pub max_volume: f32,
    /// One step of [`Request::StepVolume`].
    pub step: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub id: u32,
    /// What the device calls itself, for people ("Built-in speakers").
    pub name: String,
    pub volume: f32,
    pub muted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stream {
    pub id: u32,
    /// The program, as it names itself (inside its VM: any name at all).
    pub app: String,
    /// The VM the stream comes from, where the audio VM can tell from how it arrived (never
    /// from anything the program says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm: Option<String>,
    pub direction: Direction,
    pub volume: f32,
    pub muted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Sound the stream plays.
    Playback,
    /// Sound the stream records.
    Capture,
}

impl AudioState {
    pub fn output(&self) -> Option<&Device> {
        self.outputs.iter().find(|d| Some(d.id) == self.default_output)
    }

    pub fn input(&self) -> Option<&Device> {
        self.inputs.iter().find(|d| Some(d.id) == self.default_input)
    }

    /// The level a target has now, when it exists.
    pub fn level(&self, target: Target) -> Option<Level> {
        let of = |d: &Device| Level { volume: d.volume, muted: d.muted };
        match target {
            Target::Output => self.output().map(of),
            Target::Input => self.input().map(of),
            Target::Device(id) => self.outputs.iter().chain(&self.inputs).find(|d| d.id == id).map(of),
            Target::Stream(id) => {
                self.streams.iter().find(|s| s.id == id).map(|s| Level { volume: s.volume, muted: s.muted })
            }
        }
    }
}

/// A volume that may go on the wire: a number from 0 to [`MAX_VOLUME`].
pub fn volume_ok(v: f32) -> bool {
    v.is_finite() && (0.0..=MAX_VOLUME).contains(&v)
}

fn name_excess(what: &str, name: &str) -> Option<String> {
    (name.len() > MAX_NAME).then(|| format!("a {what} name of {} bytes (at most {MAX_NAME})", name.len()))
}

/// `v` brought into `0..=max` (a non-number to 0); `Some(what)` when it had to move.
fn clamp_volume(what: &str, v: &mut f32, max: f32) -> Option<String> {
    let c = if v.is_nan() { 0.0 } else { v.clamp(0.0, max) };
    if c == *v {
        return None;
    }
    let note = format!("a {what} volume of {v} shown as {c} (0 to {max})");
    *v = c;
    Some(note)
}

/// Numbers from the audio VM that a slider could not show (a volume of 7.3 or -1, a largest
/// volume of 40, a step of 0): brought into range instead of refusing the whole message, so
/// one odd value does not blank the indicator. Each returns what it changed, for a log line.
pub trait Clamp {
    fn clamp_levels(&mut self) -> Vec<String>;
}

impl Clamp for Level {
    fn clamp_levels(&mut self) -> Vec<String> {
        clamp_volume("target's", &mut self.volume, MAX_VOLUME).into_iter().collect()
    }
}

impl Clamp for AudioState {
    fn clamp_levels(&mut self) -> Vec<String> {
        let mut notes = Vec::new();
        let (max, step) = (self.max_volume, self.step);
        self.max_volume = if max.is_nan() { 1.0 } else { max.clamp(0.1, MAX_VOLUME) };
        self.step = if step.is_nan() { 0.05 } else { step.clamp(0.01, 0.25) };
        if self.max_volume != max {
            notes.push(format!("a largest volume of {max} shown as {} (0.1 to {MAX_VOLUME})", self.max_volume));
        }
        if self.step != step {
            notes.push(format!("a volume step of {step} taken as {} (0.01 to 0.25)", self.step));
        }
        let max = self.max_volume;
        for d in self.outputs.iter_mut().chain(self.inputs.iter_mut()) {
            notes.extend(clamp_volume("device", &mut d.volume, max));
        }
        for s in &mut self.streams {
            notes.extend(clamp_volume("stream", &mut s.volume, max));
        }
        notes
    }
}

impl Clamp for Reply {
    fn clamp_levels(&mut self) -> Vec<String> {
        match self {
            Reply::State { state } | Reply::Watching { state } => state.clamp_levels(),
            Reply::Level { level } => level.clamp_levels(),
            Reply::Done => Vec::new(),
        }
    }
}

impl Clamp for Event {
    fn clamp_levels(&mut self) -> Vec<String> {
        match self {
            Event::State { state } => state.clamp_levels(),
            Event::Unavailable { .. } => Vec::new(),
        }
    }
}

impl Bounded for Level {
    fn excess(&self) -> Option<String> {
        None
    }
}

/// What cannot be brought into range: too many things, names too long. Numbers are
/// [`Clamp`]ed instead.
impl Bounded for AudioState {
    fn excess(&self) -> Option<String> {
        for (what, list) in [("output", &self.outputs), ("input", &self.inputs)] {
            if list.len() > MAX_DEVICES {
                return Some(format!("{} {what} devices (at most {MAX_DEVICES})", list.len()));
            }
            if let Some(e) = list.iter().find_map(|d| name_excess("device", &d.name)) {
                return Some(e);
            }
        }
        if self.streams.len() > MAX_STREAMS {
            return Some(format!("{} streams (at most {MAX_STREAMS})", self.streams.len()));
        }
        self.streams.iter().find_map(|s| {
            name_excess("program", &s.app).or_else(|| s.vm.as_deref().and_then(|vm| name_excess("VM", vm)))
        })
    }
}

impl Bounded for Reply {
    fn excess(&self) -> Option<String> {
        match self {
            Reply::State { state } | Reply::Watching { state } => state.excess(),
            Reply::Level { level } => level.excess(),
            Reply::Done => None,
        }
    }
}

impl Bounded for Event {
    fn excess(&self) -> Option<String> {
        match self {
            Event::State { state } => state.excess(),
            Event::Unavailable { reason } => {
                (reason.len() > 4 * MAX_NAME).then(|| format!("a reason of {} bytes", reason.len()))
            }
        }
    }
}

#[cfg(test)]
mod tests;
