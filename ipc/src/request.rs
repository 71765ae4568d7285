//! The requests: the same enum is `canopy msg`'s command line (feature `clap`) and the JSON on
//! the wire, `{"command": "move", "id": 3, "x": 10, "y": 20}`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::reply::Response;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Subcommand))]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum Request {
    /// List windows: id, title, vm, app_id, output, geometry (client area), focused, states.
    Windows,
    /// List outputs: name, mode, scale, position, usable area.
    Outputs,
    /// Write a PNG screenshot of an output (the first output by default).
    Screenshot {
        /// Output name, e.g. HEADLESS-1.
        #[cfg_attr(feature = "clap", arg(long))]
        output: Option<String>,
        /// Draw the pointer too, as it is on screen (whoever's cursor image it is).
        #[cfg_attr(feature = "clap", arg(long))]
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
    #[cfg_attr(feature = "clap", command(allow_negative_numbers = true))]
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
    #[cfg_attr(feature = "clap", command(allow_negative_numbers = true))]
    PointerMove { x: f64, y: f64 },
    /// Headless: press and release a button (left, right, middle or a code).
    Click { button: Option<String> },
    /// Headless: press a button and keep it down.
    ButtonDown { button: Option<String> },
    /// Headless: release a button.
    ButtonUp { button: Option<String> },
    /// Headless: scroll the wheel by STEPS notches (negative: up or left).
    #[cfg_attr(feature = "clap", command(allow_negative_numbers = true))]
    Scroll {
        steps: i32,
        #[cfg_attr(feature = "clap", arg(long))]
        #[serde(default)]
        horizontal: bool,
    },
    /// Headless: press and release key chords in order, e.g. `ctrl+shift+c Return`.
    Key {
        #[cfg_attr(feature = "clap", arg(required = true))]
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
    /// Sleep and wake: lid, suspend, resume, state (`canopy msg power --help`).
    Power {
        #[cfg_attr(feature = "clap", command(subcommand))]
        #[serde(flatten)]
        cmd: crate::power::PowerCommand,
    },
    /// End the session.
    Quit,
}

impl Request {
    /// Read the `ok` value of this request's reply as its type: the JSON alone cannot tell an
    /// empty window list from an empty output list, the request can.
    pub fn decode(&self, ok: serde_json::Value) -> Result<Response, serde_json::Error> {
        use serde_json::from_value;
        Ok(match self {
            Request::Windows => Response::Windows(from_value(ok)?),
            Request::Outputs | Request::OutputAdd { .. } | Request::OutputRemove { .. } => {
                Response::Outputs(from_value(ok)?)
            }
            Request::Cursor => Response::Cursor(from_value(ok)?),
            Request::Version => Response::Version(from_value(ok)?),
            Request::Screenshot { .. } => Response::Screenshot(from_value(ok)?),
            Request::Power { .. } => Response::Power(from_value(ok)?),
            // The acknowledgements each have keys of their own.
            _ => from_value(ok)?,
        })
    }
}
