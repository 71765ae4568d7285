//! `canopy msg`: send one request, print the reply.

use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, bail};

use super::Request;

/// Run `canopy msg`: relative paths are made absolute, since the compositor has another cwd.
pub fn run(socket: Option<&Path>, mut request: Request) -> anyhow::Result<()> {
    if let Request::Screenshot { file, .. } = &mut request {
        if file.is_relative() {
            *file = std::env::current_dir()?.join(&*file);
        }
    }
    let socket = canopy_ipc::socket::find_socket(socket).map_err(|e| anyhow!(e))?;
    match canopy_ipc::socket::send(&socket, &request, Duration::from_secs(60))? {
        Ok(response) => {
            println!("{}", serde_json::to_string_pretty(&response)?);
            Ok(())
        }
        Err(e) => bail!("{e}"),
    }
}
