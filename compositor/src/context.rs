//! `canopy context --vm NAME [-- CMD…]`: run a program of the GUI VM as if it came from a VM.
//!
//! It creates a `wp_security_context_v1` listener whose app_id is the VM's name — what
//! `canopy-proxy gui` does for every connection of a VM — and starts the program on it, so its
//! windows wear that VM's colour. Used for the Windows VM's display client, which runs in the
//! GUI VM but shows the Windows VM's screen, and by tests.

use std::os::fd::AsFd;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context};
use canopy_common::security_context;
use wayland_client::Connection;

#[derive(Debug, clap::Args)]
pub struct ContextArgs {
    /// The VM name the compositor will show (the security context's app_id).
    #[arg(long)]
    pub vm: String,
    /// Socket name to create in $XDG_RUNTIME_DIR (default: canopy-context-VM-PID).
    #[arg(long)]
    pub socket: Option<String>,
    /// The program and its arguments. Without one, print the socket name and keep it open
    /// until killed.
    #[arg(trailing_var_arg = true)]
    pub command: Vec<String>,
}

pub fn run(args: ContextArgs) -> anyhow::Result<()> {
    let vm = crate::client::sanitise_vm_name(&args.vm);
    let runtime = PathBuf::from(std::env::var_os("XDG_RUNTIME_DIR").context("XDG_RUNTIME_DIR is not set")?);
    let name = args.socket.clone().unwrap_or_else(|| format!("canopy-context-{vm}-{}", std::process::id()));
    let path = runtime.join(&name);
    let _ = std::fs::remove_file(&path);

    let conn = Connection::connect_to_env().context("connecting to the compositor")?;
    let listener = UnixListener::bind(&path).with_context(|| format!("binding {}", path.display()))?;
    // The compositor stops listening when the write end of this pipe closes: when we exit.
    let (close_read, close_write) = rustix::pipe::pipe()?;
    let instance = format!("context-{}", std::process::id());
    security_context::register(&conn, listener.as_fd(), close_read.as_fd(), &vm, &instance)?;
    drop(close_read);
    drop(listener);
    remove_on_signals(path.clone())?;

    if args.command.is_empty() {
        println!("{name}");
        loop {
            std::thread::park();
        }
    }
    let status = Command::new(&args.command[0])
        .args(&args.command[1..])
        .env("WAYLAND_DISPLAY", &name)
        .env_remove("CANOPY_SOCKET")
        .status()
        .with_context(|| format!("starting {}", args.command[0]))?;
    drop(close_write);
    let _ = std::fs::remove_file(&path);
    if !status.success() {
        bail!("{} exited with {status}", args.command[0]);
    }
    Ok(())
}

/// Stopped by SIGTERM or SIGINT, remove the socket first: nothing listens on it any more.
fn remove_on_signals(path: PathBuf) -> anyhow::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT]).context("signal handlers")?;
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let _ = std::fs::remove_file(&path);
            std::process::exit(128 + signal);
        }
    });
    Ok(())
}
