//! The replies: what `ok` holds for each request.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The `ok` value of a reply. On the wire it is the bare value (`[…]`, `{"focused": 3}`), so
/// which variant it is follows from the request: read it with [`crate::Request::decode`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Response {
    /// `windows`.
    Windows(Vec<Window>),
    /// `outputs`, `output-add` and `output-remove`: the outputs after the change.
    Outputs(Vec<Output>),
    Cursor(Cursor),
    Version(Version),
    Screenshot(Screenshot),
    Power(Box<crate::power::PowerState>),
    Focused {
        focused: u64,
    },
    Closing {
        closing: u64,
    },
    Moved {
        moved: u64,
    },
    Resizing {
        resizing: u64,
    },
    /// The config file that was read.
    Reloaded {
        reloaded: String,
    },
    Quitting {
        quitting: bool,
    },
    /// `pointer-move`: where the pointer is now (after clamping to the outputs).
    Pointer {
        x: f64,
        y: f64,
    },
    Clicked {
        clicked: u32,
    },
    Pressed {
        pressed: u32,
    },
    Released {
        released: u32,
    },
    Scrolled {
        scrolled: i32,
        horizontal: bool,
    },
    Keys {
        keys: Vec<String>,
    },
    Down {
        down: String,
    },
    Up {
        up: String,
    },
    /// How many characters were typed.
    Typed {
        typed: usize,
    },
}

/// A rectangle in global logical coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
}

/// One toplevel window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub id: u64,
    /// The title as the title bar shows it, with the VM's name before it.
    pub title: String,
    /// The client's own title, sanitised.
    pub raw_title: String,
    /// The VM it comes from; none for a local client.
    pub vm: Option<String>,
    /// The trust level its frame is drawn in.
    pub trust: String,
    pub app_id: String,
    /// The output that shows most of it.
    pub output: Option<String>,
    /// The client area (without the frame); none while it is not on screen.
    pub geometry: Option<Rect>,
    pub focused: bool,
    pub minimized: bool,
    pub maximized: bool,
    pub fullscreen: bool,
    /// Whether canopy draws a frame around it.
    pub decorated: bool,
}

/// One output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Output {
    pub name: String,
    pub make: String,
    pub model: String,
    pub mode: Option<Mode>,
    pub scale: f64,
    /// Where it is in the global space, in logical pixels.
    pub logical: Rect,
    /// What windows may cover: `logical` less the panels' exclusive zones.
    pub usable: Rect,
    /// How many frames it has drawn since it was added (each output redraws on its own).
    pub frames: u64,
    /// `on`, or `off` while the idle chain or a client (wlr-output-power-management) turned it
    /// off: DPMS off on DRM, no frames drawn on headless.
    #[serde(default = "on")]
    pub power: String,
    /// False for an output a client (wlr-randr, kanshi) turned off: it is still connected and
    /// listed, as wlr-randr lists it, but holds no place in the layout (`logical` is empty).
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn on() -> String {
    "on".into()
}

fn yes() -> bool {
    true
}

/// An output mode in physical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mode {
    pub width: i32,
    pub height: i32,
    pub refresh_mhz: i32,
}

/// Where the pointer is and whose image it shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    pub x: f64,
    pub y: f64,
    pub image: CursorImage,
    /// The domain (a VM, or `local`) whose surface is the image, when `image` is `client`.
    pub set_by: Option<String>,
    /// canopy's shape when `image` is `default`, by its cursor-shape name: `default`, a resize
    /// shape over a frame edge or corner or while resizing (`n-resize` … `se-resize`), `move`
    /// while moving a window.
    #[serde(default)]
    pub shape: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CursorImage {
    /// No pointer is drawn.
    Hidden,
    /// One of canopy's own shapes (see `shape`).
    Default,
    /// A client's cursor surface.
    Client,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub version: String,
    /// `headless`, `winit` or `udev`.
    pub backend: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Screenshot {
    pub file: PathBuf,
    pub output: String,
    pub width: u32,
    pub height: u32,
}

/// A window or output shows as its JSON, as `canopy msg` prints it (in one line).
macro_rules! display_as_json {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&serde_json::to_string(self).map_err(|_| std::fmt::Error)?)
            }
        }
    )*};
}
display_as_json!(Window, Output, Cursor);
