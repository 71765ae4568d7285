//! Print the interface names of the globals a client sees, as a JSON array.

use wayland_client::globals::registry_queue_init;
use wayland_client::Connection;

struct State;

canopy_common::ignore_registry_events!(State);

fn main() -> anyhow::Result<()> {
    let conn = Connection::connect_to_env()?;
    let (globals, _queue) = registry_queue_init::<State>(&conn)?;
    let mut names: Vec<String> = globals.contents().clone_list().into_iter().map(|g| g.interface).collect();
    names.sort();
    names.dedup();
    println!("{}", serde_json::to_string(&names)?);
    Ok(())
}
