//! The command line: run the compositor, or talk to a running one with `canopy msg`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::ipc::Request;

#[derive(Debug, Parser)]
#[command(
    name = "canopy",
    version,
    about = "The canopy compositor: windows from application VMs, framed in each VM's trust colour"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send a command to a running canopy and print its JSON reply.
    Msg {
        /// The compositor's Wayland socket name (`wayland-1`) or its control socket's path
        /// (default: $CANOPY_SOCKET, then $WAYLAND_DISPLAY's, then the only running one).
        #[arg(long)]
        socket: Option<PathBuf>,
        #[command(subcommand)]
        request: Request,
    },
    /// Run a program as a client of a VM: its windows wear that VM's colour (for the Windows
    /// VM's display client, which runs here but shows that VM).
    Context(crate::context::ContextArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    /// Render into memory with pixman (tests, CI, screenshots).
    Headless,
    /// A window inside an existing Wayland or X11 session.
    Winit,
    /// DRM/KMS, libinput and a libseat session: the real machine.
    Udev,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Default: winit when WAYLAND_DISPLAY or DISPLAY is set, else udev.
    #[arg(long, value_enum)]
    pub backend: Option<BackendKind>,

    /// Config file (default: $XDG_CONFIG_HOME/canopy/canopy.toml when it exists).
    #[arg(long)]
    pub config: Option<PathBuf>,

    /// Wayland socket name in $XDG_RUNTIME_DIR (default: the first free wayland-N).
    #[arg(long)]
    pub socket: Option<String>,

    /// Headless outputs, NAME:WIDTHxHEIGHT[@SCALE] or WIDTHxHEIGHT[@SCALE]; repeatable.
    /// Default: HEADLESS-1:1280x800.
    #[arg(long = "output")]
    pub outputs: Vec<String>,

    /// Check the config file and exit.
    #[arg(long)]
    pub check_config: bool,
}

impl RunArgs {
    pub fn backend(&self) -> BackendKind {
        self.backend.unwrap_or_else(|| {
            if std::env::var_os("WAYLAND_DISPLAY").is_some() || std::env::var_os("DISPLAY").is_some() {
                BackendKind::Winit
            } else {
                BackendKind::Udev
            }
        })
    }

    /// Parsed `--output` values.
    pub fn headless_outputs(&self) -> Result<Vec<HeadlessOutputSpec>, String> {
        if self.outputs.is_empty() {
            return Ok(vec![HeadlessOutputSpec { name: "HEADLESS-1".into(), size: (1280, 800), scale: 1.0 }]);
        }
        self.outputs
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let (name, mode) = match spec.split_once(':') {
                    Some((n, m)) => (n.to_string(), m),
                    None => (format!("HEADLESS-{}", i + 1), spec.as_str()),
                };
                let (w, h, s) = crate::ipc::parse_output_mode(mode).map_err(|e| format!("--output {spec}: {e}"))?;
                Ok(HeadlessOutputSpec { name, size: (w, h), scale: s })
            })
            .collect()
    }
}

/// A virtual output of the headless backend.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadlessOutputSpec {
    pub name: String,
    pub size: (i32, i32),
    pub scale: f64,
}
