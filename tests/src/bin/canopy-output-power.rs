//! A small wlr-output-power-management-v1 client (wlopm is not in Debian bookworm):
//! `canopy-output-power NAME on|off` sets the output's power and prints the mode the compositor
//! then reports, `{"output": NAME, "mode": "off"}`, or `{"failed": ...}`.

use wayland_client::globals::registry_queue_init;
use wayland_client::protocol::wl_output;
use wayland_client::{Connection, Dispatch, QueueHandle, WEnum};
use wayland_protocols_wlr::output_power_management::v1::client::{
    zwlr_output_power_manager_v1::ZwlrOutputPowerManagerV1,
    zwlr_output_power_v1::{self, Mode, ZwlrOutputPowerV1},
};

#[derive(Default)]
struct State {
    /// Each wl_output and the name it announced.
    outputs: Vec<(wl_output::WlOutput, Option<String>)>,
    modes: Vec<Mode>,
    failed: bool,
}

canopy_common::ignore_registry_events!(State);

impl Dispatch<wl_output::WlOutput, ()> for State {
    fn event(
        s: &mut Self,
        o: &wl_output::WlOutput,
        e: wl_output::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_output::Event::Name { name } = e {
            if let Some(entry) = s.outputs.iter_mut().find(|(x, _)| x == o) {
                entry.1 = Some(name);
            }
        }
    }
}

wayland_client::delegate_noop!(State: ZwlrOutputPowerManagerV1);

impl Dispatch<ZwlrOutputPowerV1, ()> for State {
    fn event(
        s: &mut Self,
        _: &ZwlrOutputPowerV1,
        e: zwlr_output_power_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match e {
            zwlr_output_power_v1::Event::Mode { mode: WEnum::Value(m) } => s.modes.push(m),
            zwlr_output_power_v1::Event::Failed => s.failed = true,
            _ => {}
        }
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [name, mode] = args.as_slice() else { anyhow::bail!("usage: canopy-output-power NAME on|off") };
    let want = match mode.as_str() {
        "on" => Mode::On,
        "off" => Mode::Off,
        other => anyhow::bail!("`{other}` is not on or off"),
    };
    let conn = Connection::connect_to_env()?;
    let (globals, mut queue) = registry_queue_init::<State>(&conn)?;
    let qh = queue.handle();
    let mut state = State::default();
    let manager: ZwlrOutputPowerManagerV1 = globals.bind(&qh, 1..=1, ())?;
    for g in globals.contents().clone_list().into_iter().filter(|g| g.interface == "wl_output") {
        let o: wl_output::WlOutput = globals.registry().bind(g.name, g.version.min(4), &qh, ());
        state.outputs.push((o, None));
    }
    queue.roundtrip(&mut state)?;
    let Some((output, _)) = state.outputs.iter().find(|(_, n)| n.as_deref() == Some(name.as_str())) else {
        anyhow::bail!("no output {name}")
    };
    let power = manager.get_output_power(output, &qh, ());
    queue.roundtrip(&mut state)?;
    power.set_mode(want);
    while !state.failed && state.modes.last() != Some(&want) {
        queue.blocking_dispatch(&mut state)?;
    }
    if state.failed {
        println!("{}", serde_json::json!({ "failed": name }));
    } else {
        println!("{}", serde_json::json!({ "output": name, "mode": mode }));
    }
    Ok(())
}
