//! canopy-qmp-screendump: writes a PNG of what a QEMU guest's display shows, through one of its
//! QMP sockets. In the real-VM test (tests/vm) hostd's suspend command runs it on the host, so
//! each suspend is checked against what the GUI VM's screen showed when the host got it.
//!
//!   canopy-qmp-screendump QMP-SOCKET FILE.png

#[allow(dead_code)]
#[path = "../../vm/qmp.rs"]
mod qmp;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::json;

fn main() -> Result<()> {
    let mut args = std::env::args_os().skip(1);
    let usage = "usage: canopy-qmp-screendump QMP-SOCKET FILE.png";
    let socket = PathBuf::from(args.next().context(usage)?);
    let file = PathBuf::from(args.next().context(usage)?);
    let mut qmp = qmp::Qmp::connect(&socket, Duration::from_secs(10))?;
    qmp.execute("screendump", json!({ "filename": file, "format": "png" }))?;
    Ok(())
}
