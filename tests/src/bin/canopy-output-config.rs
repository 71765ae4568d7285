//! A small wlr-output-management client for what wlr-randr cannot be made to do on demand:
//! `canopy-output-config [--test] [--stale] NAME SCALE` sends one configuration that keeps every
//! head as it is but gives NAME that scale, as a test-only configuration (`--test`) or applied,
//! made for the current serial or an older one (`--stale`), and prints the answer,
//! `{"result": "succeeded" | "failed" | "cancelled"}`.

use wayland_client::globals::registry_queue_init;
use wayland_client::{event_created_child, Connection, Dispatch, QueueHandle};
use wayland_protocols_wlr::output_management::v1::client::{
    zwlr_output_configuration_head_v1::ZwlrOutputConfigurationHeadV1,
    zwlr_output_configuration_v1::{self, ZwlrOutputConfigurationV1},
    zwlr_output_head_v1::{self, ZwlrOutputHeadV1},
    zwlr_output_manager_v1::{self, ZwlrOutputManagerV1},
    zwlr_output_mode_v1::ZwlrOutputModeV1,
};

#[derive(Default)]
struct State {
    /// Each head, its name and whether it is enabled.
    heads: Vec<(ZwlrOutputHeadV1, String, bool)>,
    serial: Option<u32>,
    result: Option<&'static str>,
}

canopy_common::ignore_registry_events!(State);

impl Dispatch<ZwlrOutputManagerV1, ()> for State {
    fn event(
        s: &mut Self,
        _: &ZwlrOutputManagerV1,
        e: zwlr_output_manager_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match e {
            zwlr_output_manager_v1::Event::Head { head } => s.heads.push((head, String::new(), false)),
            zwlr_output_manager_v1::Event::Done { serial } => s.serial = Some(serial),
            _ => {}
        }
    }

    event_created_child!(State, ZwlrOutputManagerV1, [
        zwlr_output_manager_v1::EVT_HEAD_OPCODE => (ZwlrOutputHeadV1, ()),
    ]);
}

impl Dispatch<ZwlrOutputHeadV1, ()> for State {
    fn event(
        s: &mut Self,
        head: &ZwlrOutputHeadV1,
        e: zwlr_output_head_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let Some(entry) = s.heads.iter_mut().find(|(h, _, _)| h == head) else { return };
        match e {
            zwlr_output_head_v1::Event::Name { name } => entry.1 = name,
            zwlr_output_head_v1::Event::Enabled { enabled } => entry.2 = enabled != 0,
            _ => {}
        }
    }

    event_created_child!(State, ZwlrOutputHeadV1, [
        zwlr_output_head_v1::EVT_MODE_OPCODE => (ZwlrOutputModeV1, ()),
    ]);
}

wayland_client::delegate_noop!(State: ignore ZwlrOutputModeV1);
wayland_client::delegate_noop!(State: ignore ZwlrOutputConfigurationHeadV1);

impl Dispatch<ZwlrOutputConfigurationV1, ()> for State {
    fn event(
        s: &mut Self,
        _: &ZwlrOutputConfigurationV1,
        e: zwlr_output_configuration_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        s.result = match e {
            zwlr_output_configuration_v1::Event::Succeeded => Some("succeeded"),
            zwlr_output_configuration_v1::Event::Failed => Some("failed"),
            zwlr_output_configuration_v1::Event::Cancelled => Some("cancelled"),
            _ => s.result,
        };
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let test = args.iter().any(|a| a == "--test");
    let stale = args.iter().any(|a| a == "--stale");
    let rest: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let [name, scale] = rest.as_slice() else {
        anyhow::bail!("usage: canopy-output-config [--test] [--stale] NAME SCALE")
    };
    let scale: f64 = scale.parse()?;
    let conn = Connection::connect_to_env()?;
    let (globals, mut queue) = registry_queue_init::<State>(&conn)?;
    let qh = queue.handle();
    let mut state = State::default();
    let manager: ZwlrOutputManagerV1 = globals.bind(&qh, 1..=4, ())?;
    while state.serial.is_none() {
        queue.blocking_dispatch(&mut state)?;
    }
    let serial = state.serial.expect("done") - u32::from(stale);
    let config = manager.create_configuration(serial, &qh, ());
    for (head, head_name, enabled) in &state.heads {
        if !enabled {
            config.disable_head(head);
            continue;
        }
        let settings = config.enable_head(head, &qh, ());
        if head_name == *name {
            settings.set_scale(scale);
        }
    }
    if test {
        config.test();
    } else {
        config.apply();
    }
    while state.result.is_none() {
        queue.blocking_dispatch(&mut state)?;
    }
    println!("{}", serde_json::json!({ "result": state.result }));
    Ok(())
}
