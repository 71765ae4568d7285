//! The control IPC: `canopy msg <command>` over a Unix socket in XDG_RUNTIME_DIR. One JSON
//! request per connection, one JSON reply: `{"ok": …}` or `{"error": "…"}`.

pub mod client;
mod commands;
pub mod server;

use std::path::PathBuf;

use clap::Subcommand;
use serde::{Deserialize, Serialize};

/// The commands; the same enum is the CLI of `canopy msg` and the request on the wire.
#[derive(Debug, Clone, PartialEq, Subcommand, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum Request {
    /// List windows: id, title, vm, app_id, output, geometry (client area), focused, states.
    Windows,
    /// List outputs: name, mode, scale, position, usable area.
    Outputs,
    /// Write a PNG screenshot of an output (the first output by default).
    Screenshot {
        /// Output name, e.g. HEADLESS-1.
        #[arg(long)]
        output: Option<String>,
        /// Draw the pointer too, as it is on screen (whoever's cursor image it is).
        #[arg(long)]
        #[serde(default)]
        pointer: bool,
        /// Where to write the PNG.
        file: PathBuf,
    },
    /// Focus and raise a window (restoring it if minimised).
    Focus { id: u64 },
    /// Ask a window to close.
    Close { id: u64 },
    /// Move a window so its client area's top-left corner is at global (X, Y).
    #[command(allow_negative_numbers = true)]
    Move { id: u64, x: i32, y: i32 },
    /// Ask a window to take this client-area size.
    Resize { id: u64, width: i32, height: i32 },
    /// Re-read the config file; a broken file keeps the old config and says why.
    ReloadConfig,
    /// The compositor's version and backend.
    Version,
    /// Where the pointer is and whose cursor image is shown.
    Cursor,
    /// Headless: move the pointer to global coordinates.
    #[command(allow_negative_numbers = true)]
    PointerMove { x: f64, y: f64 },
    /// Headless: press and release a button (left, right, middle or a code).
    Click { button: Option<String> },
    /// Headless: press a button and keep it down.
    ButtonDown { button: Option<String> },
    /// Headless: release a button.
    ButtonUp { button: Option<String> },
    /// Headless: scroll the wheel by STEPS notches (negative: up or left).
    #[command(allow_negative_numbers = true)]
    Scroll {
        steps: i32,
        #[arg(long)]
        #[serde(default)]
        horizontal: bool,
    },
    /// Headless: press and release key chords in order, e.g. `ctrl+shift+c Return`.
    Key {
        #[arg(required = true)]
        chords: Vec<String>,
    },
    /// Headless: press a key and keep it down (e.g. `alt`).
    KeyDown { key: String },
    /// Headless: release a key.
    KeyUp { key: String },
    /// Headless: type text with the active keyboard layout.
    Type { text: String },
    /// Headless: add a virtual output, mode WIDTHxHEIGHT[@SCALE].
    OutputAdd { name: String, mode: String },
    /// Headless: remove an output; its windows move to another.
    OutputRemove { name: String },
    /// End the session.
    Quit,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ok: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// `$XDG_RUNTIME_DIR/canopy-<wayland socket>.sock`.
pub fn socket_path(wayland_socket: &str) -> PathBuf {
    runtime_dir().join(format!("canopy-{wayland_socket}.sock"))
}

pub fn runtime_dir() -> PathBuf {
    std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from).unwrap_or_else(std::env::temp_dir)
}

/// `WIDTHxHEIGHT[@SCALE]` for headless outputs.
pub fn parse_output_mode(s: &str) -> Result<(i32, i32, f64), String> {
    let (size, scale) = match s.split_once('@') {
        Some((size, scale)) => (size, scale.parse::<f64>().map_err(|_| format!("`{scale}` is not a scale"))?),
        None => (s, 1.0),
    };
    let bad = || format!("`{s}` is not an output mode; write WIDTHxHEIGHT or WIDTHxHEIGHT@SCALE");
    let (w, h, _) = crate::config::parse_mode(size).map_err(|_| bad())?;
    if !(0.5..=4.0).contains(&scale) {
        return Err(format!("scale {scale} is not between 0.5 and 4"));
    }
    Ok((w, h, scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_mode_errors_name_the_scale() {
        assert_eq!(parse_output_mode("800x600@2").unwrap(), (800, 600, 2.0));
        let e = parse_output_mode("800xsix").unwrap_err();
        assert!(e.contains("WIDTHxHEIGHT@SCALE") && !e.contains("HZ"), "{e}");
    }

    #[test]
    fn wire_format() {
        let r = Request::Screenshot { output: Some("HEADLESS-1".into()), pointer: false, file: "/tmp/x.png".into() };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, r#"{"command":"screenshot","output":"HEADLESS-1","pointer":false,"file":"/tmp/x.png"}"#);
        let old: Request = serde_json::from_str(r#"{"command":"screenshot","file":"/tmp/x.png"}"#).unwrap();
        assert_eq!(old, Request::Screenshot { output: None, pointer: false, file: "/tmp/x.png".into() });
        assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), r);
        assert_eq!(serde_json::to_string(&Request::ReloadConfig).unwrap(), r#"{"command":"reload-config"}"#);
    }

    #[test]
    fn output_modes() {
        assert_eq!(parse_output_mode("1920x1080@2"), Ok((1920, 1080, 2.0)));
        assert_eq!(parse_output_mode("800x600"), Ok((800, 600, 1.0)));
        assert!(parse_output_mode("800x600@9").is_err());
        assert!(parse_output_mode("800").is_err());
    }
}
