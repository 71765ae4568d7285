//! The idle chain: after the configured times without input, for the power source in force
//! ([`super::source`], `[power.ac]` / `[power.battery]`), dim every output, turn them off,
//! lock, suspend. The lock and the suspend are asked of the power machine like any other (so the
//! lock program is watched and the lock-out covers for it, and a suspend locks first). Any input
//! undims and wakes the screen and starts the chain again; so does a wake from sleep or the lid.
//! An honoured idle inhibitor ([`super::idle_inhibit`]) holds the chain as input would.
//!
//! Dimming is a translucent black the compositor draws over everything on every output, not the
//! backlight: it works on every backend (and so is tested headless), it leaves the user's
//! brightness alone (nothing to restore, nothing racing the level keys or logind), and input
//! takes it away in the next frame.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use smithay::backend::renderer::element::solid::{SolidColorBuffer, SolidColorRenderElement};
use smithay::backend::renderer::element::Kind;
use smithay::output::Output;
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::RegistrationToken;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::wayland::idle_inhibit::IdleInhibitManagerState;
use smithay::wayland::idle_notify::IdleNotifierState;

use super::idle_config::Steps;
use super::machine::{Event, Source};
use super::source::PowerSource;
use super::wall_clock;
use crate::handlers::output_power::OutputPowerManager;
use crate::state::State;

/// How dark the dim step is (the alpha of the black drawn over everything).
const DIM_ALPHA: f32 = 0.5;
/// The chain looks again at least this often: the power source may have changed.
const RECHECK: Duration = Duration::from_secs(30);
/// ext-idle-notify clients' timers are reset at most this often by a stream of input (a mouse
/// reports up to 1000 times a second); the first input after a quiet spell always resets them.
const NOTIFY_EVERY: Duration = Duration::from_millis(50);

/// The idle chain's state, the idle protocols' globals and the outputs clients turned off.
pub struct Idle {
    pub notifier: IdleNotifierState<State>,
    notified: Instant,
    pub inhibit_manager: IdleInhibitManagerState,
    pub output_power: OutputPowerManager,
    /// Surfaces with an idle inhibitor (honoured only as [`super::idle_inhibit`] decides).
    pub inhibitors: Vec<WlSurface>,
    /// `canopy msg power source`'s choice, over what sysfs says.
    pub source_override: Option<PowerSource>,
    source: PowerSource,
    source_from: &'static str,
    /// When sysfs was last read: at most once a second, whatever asks the chain to look.
    source_read: Option<Instant>,
    supply_error_logged: bool,
    /// The start of this idle period: the last input, or the last check an inhibitor held.
    since: Instant,
    since_wall: f64,
    pub dimmed: bool,
    pub screen_off: bool,
    /// Outputs a dim frame was drawn on since dimming.
    dim_drawn: BTreeSet<String>,
    dim_shown_at: Option<f64>,
    screen_off_at: Option<f64>,
    lock_asked_at: Option<f64>,
    suspend_asked_at: Option<f64>,
    /// Outputs a client turned off (wlr-output-power-management); input does not wake these.
    pub client_off: BTreeSet<String>,
    /// Outputs the backend was last told to turn off.
    powered_off: BTreeSet<String>,
    dim_buffer: SolidColorBuffer,
    timer: Option<RegistrationToken>,
    inhibited_by: Vec<String>,
    inhibitors_ignored: Vec<String>,
    wakes: u64,
}

impl Idle {
    pub fn new(
        notifier: IdleNotifierState<State>,
        inhibit_manager: IdleInhibitManagerState,
        output_power: OutputPowerManager,
    ) -> Self {
        Idle {
            notifier,
            notified: Instant::now(),
            inhibit_manager,
            output_power,
            inhibitors: Vec::new(),
            source_override: None,
            source: PowerSource::Ac,
            source_from: "default",
            source_read: None,
            supply_error_logged: false,
            since: Instant::now(),
            since_wall: wall_clock(),
            dimmed: false,
            screen_off: false,
            dim_drawn: BTreeSet::new(),
            dim_shown_at: None,
            screen_off_at: None,
            lock_asked_at: None,
            suspend_asked_at: None,
            client_off: BTreeSet::new(),
            powered_off: BTreeSet::new(),
            // Larger than any output; the renderer clips it to each.
            dim_buffer: SolidColorBuffer::new((1 << 15, 1 << 15), [0.0, 0.0, 0.0, 1.0]),
            timer: None,
            inhibited_by: Vec::new(),
            inhibitors_ignored: Vec::new(),
            wakes: 0,
        }
    }

    /// Whether `output` is off (the chain's screen-off, or a client's).
    pub fn is_off(&self, output: &Output) -> bool {
        self.screen_off || self.client_off.contains(&output.name())
    }

    /// The dim drawn over everything else on an output, while dimmed.
    pub fn dim_element(&self, scale: f64) -> Option<SolidColorRenderElement> {
        self.dimmed.then(|| {
            SolidColorRenderElement::from_buffer(&self.dim_buffer, (0, 0), scale, DIM_ALPHA, Kind::Unspecified)
        })
    }

    /// An output went away: if it comes back, it starts on.
    pub fn forget_output(&mut self, output: &Output) {
        self.powered_off.remove(&output.name());
    }

    fn steps_taken(&self) -> bool {
        self.dimmed || self.screen_off || self.lock_asked_at.is_some() || self.suspend_asked_at.is_some()
    }

    fn restart(&mut self, now: Instant) {
        self.since = now;
        self.since_wall = wall_clock();
        self.dimmed = false;
        self.screen_off = false;
        self.dim_drawn.clear();
        self.dim_shown_at = None;
        self.screen_off_at = None;
        self.lock_asked_at = None;
        self.suspend_asked_at = None;
    }

    pub fn state(&self, steps: Steps) -> canopy_ipc::IdleState {
        canopy_ipc::IdleState {
            source: self.source.name().into(),
            source_from: self.source_from.into(),
            dim_s: steps.dim,
            screen_off_s: steps.screen_off,
            lock_s: steps.lock,
            suspend_s: steps.suspend,
            idle_since: self.since_wall,
            dimmed: self.dimmed,
            screen_off: self.screen_off,
            dim_shown_at: self.dim_shown_at,
            screen_off_at: self.screen_off_at,
            lock_asked_at: self.lock_asked_at,
            suspend_asked_at: self.suspend_asked_at,
            inhibited_by: self.inhibited_by.clone(),
            inhibitors_ignored: self.inhibitors_ignored.clone(),
            wakes: self.wakes,
        }
    }
}

impl State {
    /// Input arrived (or the laptop woke, or the lid opened): the chain starts again, and a
    /// dimmed or dark screen comes back.
    pub fn input_activity(&mut self) {
        let now = Instant::now();
        self.canopy.last_input = now;
        let seat = self.canopy.seat.clone();
        let idle = &mut self.canopy.idle;
        if now.saturating_duration_since(idle.notified) >= NOTIFY_EVERY {
            idle.notified = now;
            idle.notifier.notify_activity(&seat);
        }
        idle.since = now;
        idle.since_wall = wall_clock();
        if !idle.steps_taken() {
            return;
        }
        let was_shown = idle.dimmed || idle.screen_off;
        idle.restart(now);
        if was_shown {
            idle.wakes += 1;
            tracing::info!("input: the screen wakes");
            self.set_outputs_power();
            self.canopy.queue_redraw_all();
        }
        self.idle_check();
    }

    /// The steps in force now.
    pub fn idle_steps(&self) -> Steps {
        self.canopy.config.power.idle_steps(self.canopy.idle.source, self.canopy.config.idle_lock_seconds)
    }

    /// Which power source's chain applies: the override, else sysfs (read again when `fresh`,
    /// else at most once a second), else AC (logged once).
    pub fn refresh_power_source(&mut self, fresh: bool) {
        let idle = &mut self.canopy.idle;
        let now = Instant::now();
        let recent = idle.source_read.is_some_and(|t| now.saturating_duration_since(t) < Duration::from_secs(1));
        if idle.source_override.is_none() && recent && !fresh {
            return;
        }
        idle.source_read = Some(now);
        let (source, from) = match idle.source_override {
            Some(s) => (s, "override"),
            None => match super::source::read(&self.canopy.config.power.power_supply) {
                Ok(s) => (s, "sysfs"),
                Err(e) => {
                    if !idle.supply_error_logged {
                        idle.supply_error_logged = true;
                        tracing::warn!("power source unknown ({e}): the idle chain uses AC's steps");
                    }
                    (PowerSource::Ac, "default")
                }
            },
        };
        if source != idle.source {
            tracing::info!(source = source.name(), from, "power source");
        }
        idle.source = source;
        idle.source_from = from;
    }

    /// `canopy msg power source ac|battery|auto`.
    pub fn set_power_source(&mut self, name: &str) -> Result<(), String> {
        self.canopy.idle.source_override = match name {
            "auto" => None,
            other => Some(PowerSource::parse(other).ok_or(format!("`{other}` is not one of ac, battery, auto"))?),
        };
        self.idle_check();
        Ok(())
    }

    /// Take the steps that are due and wake again when the next one is.
    pub fn idle_check(&mut self) {
        self.refresh_power_source(false);
        let now = Instant::now();
        if self.idle_inhibited() {
            let idle = &mut self.canopy.idle;
            if idle.steps_taken() {
                self.input_activity();
                return;
            }
            idle.since = now;
            idle.since_wall = wall_clock();
        }
        let steps = self.idle_steps();
        let idle_for = now.saturating_duration_since(self.canopy.idle.since).as_secs_f64();
        let due = |s: Option<f64>| s.is_some_and(|s| idle_for >= s);
        if due(steps.dim) && !self.canopy.idle.dimmed {
            tracing::info!(idle_s = idle_for, "idle: dimming");
            self.canopy.idle.dimmed = true;
            self.canopy.queue_redraw_all();
        }
        if due(steps.screen_off) && !self.canopy.idle.screen_off {
            tracing::info!(idle_s = idle_for, "idle: screen off");
            self.canopy.idle.screen_off = true;
            self.canopy.idle.screen_off_at = Some(wall_clock());
            self.set_outputs_power();
        }
        if due(steps.lock) && self.canopy.idle.lock_asked_at.is_none() {
            self.canopy.idle.lock_asked_at = Some(wall_clock());
            if !self.canopy.power.machine.locked {
                tracing::info!(idle_s = idle_for, "locking after idle time");
                self.power_event(Event::LockAsked);
            }
        }
        if due(steps.suspend) && self.canopy.idle.suspend_asked_at.is_none() {
            tracing::info!(idle_s = idle_for, "idle: suspending (locking first)");
            self.canopy.idle.suspend_asked_at = Some(wall_clock());
            self.power_event(Event::SuspendAsked(Source::Idle));
        }
        // Wake when the next step is due; sooner while an inhibitor may stop holding (its
        // window minimised or covered), so the chain resumes within half a step of that.
        let idle = &self.canopy.idle;
        let taken = [steps.dim.filter(|_| !idle.dimmed), steps.screen_off.filter(|_| !idle.screen_off)]
            .into_iter()
            .chain([steps.lock.filter(|_| idle.lock_asked_at.is_none())])
            .chain([steps.suspend.filter(|_| idle.suspend_asked_at.is_none())]);
        let mut next = taken.flatten().map(|s| (s - idle_for).max(0.02)).fold(RECHECK.as_secs_f64(), f64::min);
        if !idle.inhibitors.is_empty() {
            let shortest = [steps.dim, steps.screen_off, steps.lock, steps.suspend].into_iter().flatten();
            next = next.min(shortest.fold(5.0, f64::min) / 2.0).max(0.05);
        }
        self.arm_idle_timer(Duration::from_secs_f64(next));
    }

    fn arm_idle_timer(&mut self, after: Duration) {
        if let Some(t) = self.canopy.idle.timer.take() {
            self.canopy.loop_handle.remove(t);
        }
        let token = self.canopy.loop_handle.insert_source(Timer::from_duration(after), |_, _, state| {
            state.canopy.idle.timer = None;
            state.idle_check();
            TimeoutAction::Drop
        });
        self.canopy.idle.timer = token.ok();
    }

    /// Each output on or off as the chain and clients say (those that change). On DRM an output
    /// turned off is cleared (DPMS off) and its next frame turns it on again.
    pub fn set_outputs_power(&mut self) {
        for output in self.canopy.outputs.clone() {
            let off = self.canopy.idle.is_off(&output);
            let was_off = self.canopy.idle.powered_off.contains(&output.name());
            if off == was_off {
                continue;
            }
            if off {
                self.canopy.idle.powered_off.insert(output.name());
            } else {
                self.canopy.idle.powered_off.remove(&output.name());
            }
            self.backend.set_output_power(&output, !off);
            crate::handlers::output_power::announce(self, &output, !off);
            if !off {
                crate::state::output_redraw(&output).borrow_mut().queued = true;
            }
        }
    }

    /// A suspend that waits for the lock needs it drawn: a screen the chain turned off comes
    /// on for it (nothing sleeps on a frame that was never drawn).
    pub fn idle_wake_for_lock(&mut self) {
        if self.canopy.idle.screen_off && self.canopy.power.machine.locking() {
            tracing::info!("a suspend waits for the lock to be drawn: the screen comes on");
            self.canopy.idle.screen_off = false;
            self.set_outputs_power();
        }
    }

    /// A frame of `output` was drawn: the dim is shown once every output drew it.
    pub fn idle_frame_shown(&mut self, output: &Output) {
        let idle = &mut self.canopy.idle;
        if !idle.dimmed || idle.dim_shown_at.is_some() {
            return;
        }
        idle.dim_drawn.insert(output.name());
        if self.canopy.outputs.iter().all(|o| idle.dim_drawn.contains(&o.name())) {
            idle.dim_shown_at = Some(wall_clock());
        }
    }

    /// Whether an honoured inhibitor holds the chain; records who holds it and who is ignored.
    fn idle_inhibited(&mut self) -> bool {
        let (by, ignored) = self.inhibitor_verdicts();
        let held = !by.is_empty();
        let idle = &mut self.canopy.idle;
        if by != idle.inhibited_by || ignored != idle.inhibitors_ignored {
            tracing::info!(?by, ?ignored, "idle inhibitors");
        }
        idle.inhibited_by = by;
        idle.inhibitors_ignored = ignored;
        idle.notifier.set_is_inhibited(held);
        held
    }
}
