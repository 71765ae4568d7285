//! wlr-output-management (`zwlr_output_manager_v1`, v4) for the GUI VM's own programs
//! (wlr-randr, kanshi, wdisplays): every output is a head with its modes and current state,
//! sent again with a new serial whenever outputs change. A configuration (enable/disable,
//! mode, position, fractional scale, transform) is checked whole before anything changes, then
//! applied through the code runtime outputs use (`wm::outputs`), so windows and panels follow.
//! One that cannot be applied answers `failed` and changes nothing; a stale one is `cancelled`.
//! VMs never see the global: a VM must not rearrange the trusted display.

use std::sync::{Arc, Mutex};

use smithay::output::{Mode, Output, Scale};
use smithay::reexports::wayland_protocols_wlr::output_management::v1::server::{
    zwlr_output_configuration_head_v1::{self, ZwlrOutputConfigurationHeadV1},
    zwlr_output_configuration_v1::{self, ZwlrOutputConfigurationV1},
    zwlr_output_head_v1::{self, ZwlrOutputHeadV1},
    zwlr_output_manager_v1::{self, ZwlrOutputManagerV1},
    zwlr_output_mode_v1::{self, ZwlrOutputModeV1},
};
use smithay::reexports::wayland_server::backend::GlobalId;
use smithay::reexports::wayland_server::{
    Client, DataInit, Dispatch, DisplayHandle, GlobalDispatch, New, Resource, WEnum,
};
use smithay::utils::Transform;

use crate::client::may_see_global;
use crate::state::{Canopy, State};
use crate::wm::outputs::offered_modes;

const VERSION: u32 = 4;
/// Scales outside this range make outputs unusable (or absurdly large).
const SCALES: std::ops::RangeInclusive<f64> = 0.25..=8.0;
/// Positions beyond this are a mistake, not a layout.
const MAX_POSITION: i32 = 1 << 15;

/// The global, its current serial, every client's manager with the heads it was sent, and the
/// outputs turned off through it (kept so they can be turned on again).
pub struct OutputManagement {
    _global: GlobalId,
    serial: u32,
    watchers: Vec<Watcher>,
    pub disabled: Vec<Output>,
}

struct Watcher {
    manager: ZwlrOutputManagerV1,
    heads: Vec<(ZwlrOutputHeadV1, Vec<ZwlrOutputModeV1>)>,
}

/// What a configuration asks of one enabled head (unset: as it is).
#[derive(Debug, Default, Clone)]
struct HeadSettings {
    mode: Option<Mode>,
    /// A mode object of another head, or one that is gone.
    bad_mode: bool,
    position: Option<(i32, i32)>,
    transform: Option<Transform>,
    scale: Option<f64>,
    adaptive_sync: bool,
}

/// A configuration being built: the serial it was made for, and each head enabled (with its
/// settings) or disabled.
#[derive(Debug)]
pub struct Pending {
    serial: u32,
    used: bool,
    heads: Vec<(Output, Option<Arc<Mutex<HeadSettings>>>)>,
}

impl OutputManagement {
    pub fn new(dh: &DisplayHandle) -> Self {
        OutputManagement {
            _global: dh.create_global::<State, ZwlrOutputManagerV1, _>(VERSION, ()),
            serial: 1,
            watchers: Vec::new(),
            disabled: Vec::new(),
        }
    }
}

/// Every output canopy knows, enabled first.
fn all_outputs(canopy: &Canopy) -> Vec<(Output, bool)> {
    let on = canopy.outputs.iter().map(|o| (o.clone(), true));
    let off = canopy.output_management.disabled.iter().map(|o| (o.clone(), false));
    on.chain(off).collect()
}

/// Outputs changed: every manager hears the new state of every head, under a new serial.
pub fn announce(canopy: &mut Canopy) {
    canopy.output_management.serial = canopy.output_management.serial.wrapping_add(1);
    let outputs = all_outputs(canopy);
    let mut watchers = std::mem::take(&mut canopy.output_management.watchers);
    watchers.retain(|w| w.manager.is_alive());
    for w in &mut watchers {
        send_state(canopy, w, &outputs);
    }
    canopy.output_management.watchers = watchers;
}

/// An output turned off here went away for good (unplugged): it is no longer listed.
pub fn forget(canopy: &mut Canopy, output: &Output) {
    let disabled = &mut canopy.output_management.disabled;
    if let Some(at) = disabled.iter().position(|o| o == output) {
        disabled.remove(at);
        announce(canopy);
    }
}

/// Tell one manager about `outputs`: heads of outputs gone are finished, new ones are made,
/// and every head's current state is sent, then `done`.
fn send_state(canopy: &Canopy, w: &mut Watcher, outputs: &[(Output, bool)]) {
    let known = |h: &ZwlrOutputHeadV1| h.data::<Output>().is_some_and(|o| outputs.iter().any(|(x, _)| x == o));
    w.heads.retain(|(head, modes)| {
        let keep = known(head);
        if !keep {
            for m in modes {
                m.finished();
            }
            head.finished();
        }
        keep
    });
    for (output, enabled) in outputs {
        let at = match w.heads.iter().position(|(h, _)| h.data::<Output>() == Some(output)) {
            Some(at) => at,
            None => match new_head(canopy, &w.manager, output) {
                Some(head) => {
                    w.heads.push(head);
                    w.heads.len() - 1
                }
                None => continue,
            },
        };
        let (head, modes) = &w.heads[at];
        head.enabled(*enabled as i32);
        if *enabled {
            let current = output.current_mode();
            if let Some(m) = modes.iter().find(|m| m.data::<Mode>().copied() == current) {
                head.current_mode(m);
            }
            let loc = canopy.space.output_geometry(output).map(|g| g.loc).unwrap_or_default();
            head.position(loc.x, loc.y);
            head.transform(output.current_transform().into());
            head.scale(output.current_scale().fractional_scale());
        }
    }
    w.manager.done(canopy.output_management.serial);
}

/// A head for `output` on `manager`'s client, with its description and modes.
fn new_head(
    canopy: &Canopy,
    manager: &ZwlrOutputManagerV1,
    output: &Output,
) -> Option<(ZwlrOutputHeadV1, Vec<ZwlrOutputModeV1>)> {
    let client = manager.client()?;
    let dh = &canopy.display_handle;
    let head = client.create_resource::<ZwlrOutputHeadV1, Output, State>(dh, manager.version(), output.clone()).ok()?;
    manager.head(&head);
    let props = output.physical_properties();
    head.name(output.name());
    head.description(format!("{} {} ({})", props.make, props.model, output.name()));
    if props.size.w > 0 && props.size.h > 0 {
        head.physical_size(props.size.w, props.size.h);
    }
    let preferred = output.preferred_mode();
    let mut modes = Vec::new();
    for mode in offered_modes(output) {
        let Ok(m) = client.create_resource::<ZwlrOutputModeV1, Mode, State>(dh, head.version(), mode) else { continue };
        head.mode(&m);
        m.size(mode.size.w, mode.size.h);
        if mode.refresh > 0 {
            m.refresh(mode.refresh);
        }
        if Some(mode) == preferred {
            m.preferred();
        }
        modes.push(m);
    }
    if head.version() >= 2 {
        head.make(props.make.clone());
        head.model(props.model.clone());
    }
    Some((head, modes))
}

impl GlobalDispatch<ZwlrOutputManagerV1, ()> for State {
    fn bind(
        state: &mut State,
        _: &DisplayHandle,
        _: &Client,
        resource: New<ZwlrOutputManagerV1>,
        _: &(),
        data_init: &mut DataInit<'_, State>,
    ) {
        let manager = data_init.init(resource, ());
        let mut w = Watcher { manager, heads: Vec::new() };
        let outputs = all_outputs(&state.canopy);
        send_state(&state.canopy, &mut w, &outputs);
        state.canopy.output_management.watchers.push(w);
    }

    fn can_view(client: Client, _: &()) -> bool {
        may_see_global(&client, "zwlr_output_manager_v1")
    }
}

impl Dispatch<ZwlrOutputManagerV1, ()> for State {
    fn request(
        state: &mut State,
        _: &Client,
        manager: &ZwlrOutputManagerV1,
        request: zwlr_output_manager_v1::Request,
        _: &(),
        _: &DisplayHandle,
        data_init: &mut DataInit<'_, State>,
    ) {
        match request {
            zwlr_output_manager_v1::Request::CreateConfiguration { id, serial } => {
                data_init.init(id, Mutex::new(Pending { serial, used: false, heads: Vec::new() }));
            }
            zwlr_output_manager_v1::Request::Stop => {
                state.canopy.output_management.watchers.retain(|w| &w.manager != manager);
                manager.finished();
            }
            _ => {}
        }
    }
}

impl Dispatch<ZwlrOutputHeadV1, Output> for State {
    fn request(
        _: &mut State,
        _: &Client,
        _: &ZwlrOutputHeadV1,
        _: zwlr_output_head_v1::Request,
        _: &Output,
        _: &DisplayHandle,
        _: &mut DataInit<'_, State>,
    ) {
        // `release` only destroys the object.
    }
}

impl Dispatch<ZwlrOutputModeV1, Mode> for State {
    fn request(
        _: &mut State,
        _: &Client,
        _: &ZwlrOutputModeV1,
        _: zwlr_output_mode_v1::Request,
        _: &Mode,
        _: &DisplayHandle,
        _: &mut DataInit<'_, State>,
    ) {
    }
}

impl Dispatch<ZwlrOutputConfigurationV1, Mutex<Pending>> for State {
    fn request(
        state: &mut State,
        _: &Client,
        config: &ZwlrOutputConfigurationV1,
        request: zwlr_output_configuration_v1::Request,
        pending: &Mutex<Pending>,
        _: &DisplayHandle,
        data_init: &mut DataInit<'_, State>,
    ) {
        use zwlr_output_configuration_v1::{Error, Request};
        let mut p = pending.lock().expect("not poisoned");
        let head_output = |head: &ZwlrOutputHeadV1| head.data::<Output>().cloned();
        match request {
            Request::EnableHead { id, head } => {
                let settings = Arc::new(Mutex::new(HeadSettings::default()));
                data_init.init(id, settings.clone());
                let Some(output) = head_output(&head) else { return };
                if p.heads.iter().any(|(o, _)| *o == output) {
                    config.post_error(Error::AlreadyConfiguredHead, "the head is configured already");
                    return;
                }
                p.heads.push((output, Some(settings)));
            }
            Request::DisableHead { head } => {
                let Some(output) = head_output(&head) else { return };
                if p.heads.iter().any(|(o, _)| *o == output) {
                    config.post_error(Error::AlreadyConfiguredHead, "the head is configured already");
                    return;
                }
                p.heads.push((output, None));
            }
            Request::Apply | Request::Test => {
                if std::mem::replace(&mut p.used, true) {
                    config.post_error(Error::AlreadyUsed, "the configuration was applied or tested already");
                    return;
                }
                if p.serial != state.canopy.output_management.serial {
                    config.cancelled();
                    return;
                }
                let plan = match plan(&state.canopy, &p, state.backend.switches_modes()) {
                    Ok(plan) => plan,
                    Err(why) => {
                        tracing::info!("output configuration refused: {why}");
                        config.failed();
                        return;
                    }
                };
                if matches!(request, Request::Apply) {
                    state.apply_outputs(plan);
                }
                config.succeeded();
            }
            _ => {}
        }
    }
}

impl Dispatch<ZwlrOutputConfigurationHeadV1, Arc<Mutex<HeadSettings>>> for State {
    fn request(
        _: &mut State,
        _: &Client,
        resource: &ZwlrOutputConfigurationHeadV1,
        request: zwlr_output_configuration_head_v1::Request,
        settings: &Arc<Mutex<HeadSettings>>,
        _: &DisplayHandle,
        _: &mut DataInit<'_, State>,
    ) {
        use zwlr_output_configuration_head_v1::{Error, Request};
        let mut s = settings.lock().expect("not poisoned");
        let mode_set = s.mode.is_some() || s.bad_mode;
        // Which setting, if any, the request sets a second time (a protocol error).
        let twice = match request {
            Request::SetMode { .. } | Request::SetCustomMode { .. } if mode_set => Some("mode"),
            Request::SetMode { mode } => {
                match mode.data::<Mode>() {
                    Some(m) => s.mode = Some(*m),
                    None => s.bad_mode = true,
                }
                None
            }
            Request::SetCustomMode { width, height, refresh } => {
                s.mode = Some(Mode { size: (width, height).into(), refresh });
                None
            }
            Request::SetPosition { x, y } => s.position.replace((x, y)).map(|_| "position"),
            Request::SetTransform { transform: WEnum::Value(t) } => {
                s.transform.replace(Transform::from(t)).map(|_| "transform")
            }
            Request::SetTransform { .. } => {
                return resource.post_error(Error::InvalidTransform, "unknown transform");
            }
            Request::SetScale { scale } => s.scale.replace(scale).map(|_| "scale"),
            Request::SetAdaptiveSync { .. } => {
                s.adaptive_sync = true;
                None
            }
            _ => None,
        };
        if let Some(what) = twice {
            resource.post_error(Error::AlreadySet, format!("{what} set twice"));
        }
    }
}

/// A checked configuration: each output to turn on or keep on with its new state, and those
/// to turn off.
pub struct Plan {
    on: Vec<(Output, HeadSettings)>,
    off: Vec<Output>,
}

/// Check a configuration whole against what canopy can do; nothing changes here.
fn plan(canopy: &Canopy, p: &Pending, switches_modes: bool) -> Result<Plan, String> {
    let mut on = Vec::new();
    let mut off = Vec::new();
    let known = all_outputs(canopy);
    for (output, settings) in &p.heads {
        if !known.iter().any(|(o, _)| o == output) {
            return Err(format!("{} is gone", output.name()));
        }
        let Some(settings) = settings else {
            off.push(output.clone());
            continue;
        };
        let s = settings.lock().expect("not poisoned").clone();
        let name = output.name();
        if s.bad_mode {
            return Err(format!("{name}: the mode is not one of its modes"));
        }
        if let Some(mode) = s.mode {
            let listed = offered_modes(output)
                .into_iter()
                .any(|m| m.size == mode.size && (mode.refresh == 0 || m.refresh == mode.refresh));
            if !listed {
                return Err(format!("{name}: no mode {}x{}@{}", mode.size.w, mode.size.h, mode.refresh));
            }
            if !switches_modes && output.current_mode().is_some_and(|c| c.size != mode.size) {
                return Err(format!("{name}: switching modes is not supported on this backend"));
            }
        }
        if let Some(scale) = s.scale {
            if !scale.is_finite() || !SCALES.contains(&scale) {
                return Err(format!("{name}: scale {scale} is outside {SCALES:?}"));
            }
        }
        if s.position.is_some_and(|(x, y)| x.abs() > MAX_POSITION || y.abs() > MAX_POSITION) {
            return Err(format!("{name}: position out of range"));
        }
        if s.adaptive_sync {
            return Err(format!("{name}: adaptive sync is not supported"));
        }
        on.push((output.clone(), s));
    }
    // Outputs the configuration does not name stay as they are.
    let stays_on = known.iter().any(|(o, enabled)| *enabled && !p.heads.iter().any(|(x, _)| x == o));
    if on.is_empty() && !stays_on {
        return Err("every output would be off".into());
    }
    Ok(Plan { on, off })
}

impl State {
    /// Apply a checked configuration: outputs turned on first and off last, so there is
    /// always one; then the layout is worked out once and everyone hears of it.
    fn apply_outputs(&mut self, plan: Plan) {
        let (canopy, backend) = (&mut self.canopy, &mut self.backend);
        for (output, s) in &plan.on {
            // The mode is one of the output's own (checked in `plan`), at the advertised refresh.
            let mode = s.mode.and_then(|m| offered_modes(output).into_iter().find(|o| o.size == m.size));
            if let Some(mode) = mode.filter(|m| output.current_mode() != Some(*m)) {
                if let Err(e) = backend.set_mode(output, mode) {
                    tracing::warn!(output = output.name(), "mode switch failed: {e:#}");
                }
            }
            if s.transform.is_some() || s.scale.is_some() {
                output.change_current_state(None, s.transform, s.scale.map(Scale::Fractional), None);
            }
            if let Some((x, y)) = s.position {
                canopy.set_output_position(&output.name(), [x, y]);
            }
        }
        for (output, _) in &plan.on {
            if let Some(at) = canopy.output_management.disabled.iter().position(|o| o == output) {
                canopy.output_management.disabled.remove(at);
                backend.set_output_power(output, true);
                canopy.add_output(output.clone());
            }
        }
        for output in plan.off {
            if canopy.outputs.contains(&output) && canopy.outputs.len() > 1 {
                // Listed as off before it goes, so its heads stay (disabled) rather than end.
                canopy.output_management.disabled.push(output.clone());
                canopy.remove_output(&output);
                // A display turned off shows nothing (DPMS off where there is one).
                backend.set_output_power(&output, false);
            }
        }
        canopy.rearrange_outputs();
        canopy.queue_redraw_all();
    }
}
