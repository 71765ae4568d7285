//! Who is capturing the screen: every copied frame (screencopy, image-copy-capture) is recorded under the program that made it
//! (named from its connection's credentials, never from what it says), so the desktop can show a
//! sign while anything captures, even a trusted local program. The protocols' shared parts live
//! here too: cutting and comparing images, copying into shm, waiting for damage.

pub mod pixels;
pub mod shm;
pub mod waiting;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use smithay::output::Output;
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::wayland_server::{Client, Resource};

use crate::state::Canopy;

/// How long after its last copy a program still counts as capturing (grim takes one frame; a
/// recorder copies many a second).
pub const LINGER: Duration = Duration::from_secs(3);

#[derive(Debug, Default)]
pub struct Captures {
    /// Program name → when it last copied a frame.
    last: BTreeMap<String, Instant>,
    /// What the panel was last told.
    told: Vec<String>,
    /// Whether a timer is set to notice captures ending.
    watching: bool,
    /// Captures waiting for their source to change.
    pub waiting: waiting::Waiting,
}

impl Captures {
    /// The programs that captured within [`LINGER`], by name.
    pub fn active(&self) -> Vec<String> {
        self.last.iter().filter(|(_, at)| at.elapsed() < LINGER).map(|(name, _)| name.clone()).collect()
    }
}

/// The program behind a connection: its executable's name from /proc, by the pid the kernel
/// gave the socket.
pub fn program_of(dh: &smithay::reexports::wayland_server::DisplayHandle, client: &Client) -> String {
    let Ok(creds) = client.get_credentials(dh) else { return "unknown program".into() };
    let exe = std::fs::read_link(format!("/proc/{}/exe", creds.pid)).ok();
    let name = exe.as_ref().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned());
    let name = name.or_else(|| std::fs::read_to_string(format!("/proc/{}/comm", creds.pid)).ok());
    let name: String = name.unwrap_or_default().trim().chars().filter(|c| !c.is_control()).take(32).collect();
    if name.is_empty() {
        format!("pid {}", creds.pid)
    } else {
        name
    }
}

impl Canopy {
    /// `client` copied a frame of `output` just now.
    pub fn capture_seen(&mut self, client: &Client, output: &Output) {
        let program = program_of(&self.display_handle, client);
        let was_active = self.captures.active().contains(&program);
        self.captures.last.insert(program.clone(), Instant::now());
        if !was_active {
            tracing::info!(program, output = output.name(), "screen capture started");
        }
        self.tell_captures();
        if !std::mem::replace(&mut self.captures.watching, true) {
            // Look again while anything captures, so the sign goes when the capture ends.
            let _ = self.loop_handle.insert_source(Timer::from_duration(LINGER / 4), |_, _, state| {
                let canopy = &mut state.canopy;
                canopy.captures.last.retain(|_, at| at.elapsed() < LINGER);
                canopy.tell_captures();
                if canopy.captures.last.is_empty() {
                    canopy.captures.watching = false;
                    TimeoutAction::Drop
                } else {
                    TimeoutAction::ToDuration(LINGER / 4)
                }
            });
        }
    }

    /// Tells the shell (the panel's indicator) which programs capture, when that changed.
    fn tell_captures(&mut self) {
        let active = self.captures.active();
        if active == self.captures.told {
            return;
        }
        if active.is_empty() {
            tracing::info!(programs = self.captures.told.join(", "), "screen capture ended");
        }
        for m in self.canopy_shell_state.managers.iter().filter(|m| m.version() >= 4) {
            m.capturing(active.join("\n"));
            m.done();
        }
        self.captures.told = active;
    }
}
