//! The level keys (volume, microphone, brightness): each press goes to a worker thread that
//! asks the audio VM's `canopy-audiod` or writes the backlight, so the compositor never waits
//! on another VM; the answer comes back to the event loop and shows as the on-screen display
//! ([`osd`]). A held key repeats at the keyboard's rate (clients repeat keys themselves; these
//! never reach a client). They act on the lock screen too: they change levels only.

pub mod osd;
mod worker;

use std::time::{Duration, Instant};

use smithay::reexports::calloop::channel::{channel, Event as ChannelEvent};
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::{LoopHandle, RegistrationToken};

use canopy_levels::config::LevelsConfig;

use crate::config::Action;
use crate::state::{Canopy, State};

pub use osd::Osd;
pub use worker::{Key, Shown};

pub struct Levels {
    worker: std::sync::mpsc::Sender<worker::Job>,
    /// The held level key's code and its repeat timer.
    repeat: Option<(u32, RegistrationToken)>,
    pub osd: Option<Osd>,
    /// How many OSDs were shown, so that a hide timer only hides its own.
    shown: u64,
}

/// How long the OSD stays after the last change.
const OSD_TIME: Duration = Duration::from_millis(1500);

impl Levels {
    pub fn new(handle: &LoopHandle<'static, State>, config: LevelsConfig) -> Levels {
        let (to_loop, from_worker) = channel::<Shown>();
        let inserted = handle.insert_source(from_worker, |ev, _, state: &mut State| {
            if let ChannelEvent::Msg(shown) = ev {
                state.canopy.show_osd(shown);
            }
        });
        if let Err(e) = inserted {
            tracing::warn!("levels: cannot listen to the worker: {e}");
        }
        Levels { worker: worker::spawn(config, to_loop), repeat: None, osd: None, shown: 0 }
    }

    /// New `[levels]` settings (a config reload).
    pub fn reconfigure(&self, config: LevelsConfig) {
        let _ = self.worker.send(worker::Job::Config(config));
    }

    fn send(&self, key: Key, pressed: Instant) {
        let _ = self.worker.send(worker::Job::Key(key, pressed));
    }
}

/// The worker's job for a level action.
fn key_of(action: &Action) -> Option<Key> {
    Some(match action {
        Action::VolumeUp => Key::Volume(1),
        Action::VolumeDown => Key::Volume(-1),
        Action::VolumeMute => Key::Mute,
        Action::MicMute => Key::MicMute,
        Action::BrightnessUp => Key::Brightness(1),
        Action::BrightnessDown => Key::Brightness(-1),
        _ => return None,
    })
}

impl Canopy {
    /// A level key went down (or a level action ran): ask the worker.
    pub fn level_action(&mut self, action: &Action) {
        if let Some(key) = key_of(action) {
            self.levels.send(key, Instant::now());
        }
    }

    /// A level key went up: it stops repeating.
    pub fn level_key_released(&mut self, code: u32) {
        if self.levels.repeat.as_ref().is_some_and(|(c, _)| *c == code) {
            if let Some((_, token)) = self.levels.repeat.take() {
                self.loop_handle.remove(token);
            }
        }
    }

    /// Redraw the output the OSD is on (called before it changes, and after).
    fn queue_redraw_osd(&self) {
        if let Some(o) = self.levels.osd.as_ref().and_then(|osd| osd.output()) {
            self.queue_redraw(o);
        }
    }

    fn show_osd(&mut self, shown: Shown) {
        self.levels.shown += 1;
        let id = self.levels.shown;
        let output = self.focused_window().and_then(|w| self.output_of_window(&w)).or_else(|| self.active_output());
        self.queue_redraw_osd();
        self.levels.osd = Some(Osd::new(shown, output));
        self.queue_redraw_osd();
        let _ = self.loop_handle.insert_source(Timer::from_duration(OSD_TIME), move |_, _, state| {
            if state.canopy.levels.shown == id {
                state.canopy.queue_redraw_osd();
                state.canopy.levels.osd = None;
            }
            TimeoutAction::Drop
        });
    }
}

impl State {
    /// A bound level key was pressed: act now, and again at the keyboard's repeat rate while
    /// it is held (mute keys do not repeat: a held mute would flicker).
    pub fn level_key_pressed(&mut self, action: Action, code: u32) {
        self.canopy.level_key_released(code);
        self.canopy.level_action(&action);
        if matches!(action, Action::VolumeMute | Action::MicMute) {
            return;
        }
        let k = &self.canopy.config.keyboard;
        let delay = Duration::from_millis(k.repeat_delay.max(0) as u64);
        let every = Duration::from_millis(1000 / k.repeat_rate.clamp(1, 1000) as u64);
        let timer = self.canopy.loop_handle.insert_source(Timer::from_duration(delay), move |_, _, state| {
            state.canopy.level_action(&action);
            TimeoutAction::ToDuration(every)
        });
        match timer {
            Ok(token) => self.canopy.levels.repeat = Some((code, token)),
            Err(e) => tracing::warn!("levels: cannot repeat the key: {e}"),
        }
    }
}
