//! Real PipeWire with WirePlumber for the audio tests, without hardware: a private runtime dir
//! and D-Bus session (WirePlumber needs one), `sound/pipewire.conf` with two null sinks and two
//! test-tone microphones (the first is the default), and `canopy-audiod` serving the audio control protocol on a Unix socket
//! there. Everything is killed when the value is dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Instant;

use crate::bin_path;
use crate::fixture::TIMEOUT;

const PIPEWIRE_CONF: &str = include_str!("sound/pipewire.conf");

pub struct Sound {
    dir: tempfile::TempDir,
    dbus: Option<Child>,
    pipewire: Option<Child>,
    wireplumber: Option<Child>,
    audiod: Option<Child>,
    players: Vec<Child>,
}

impl Sound {
    /// Start D-Bus, PipeWire and WirePlumber, and wait until WirePlumber has chosen the default
    /// devices. `audiod_extra` is appended to canopy-audiod's config (`[[stream_vms]]` and so on).
    pub fn start(audiod_extra: &str) -> Sound {
        let dir = tempfile::Builder::new().prefix("canopy-sound-").tempdir().expect("tempdir");
        let d = dir.path();
        for sub in ["run", "state"] {
            std::fs::create_dir(d.join(sub)).unwrap();
        }
        std::fs::write(d.join("pipewire.conf"), PIPEWIRE_CONF).unwrap();
        let mut s = Sound { dir, dbus: None, pipewire: None, wireplumber: None, audiod: None, players: Vec::new() };
        let bus = s.run_dir().join("bus");
        s.dbus = Some(
            s.spawn(
                "dbus",
                Command::new("dbus-daemon")
                    .args(["--session", "--nofork", "--nopidfile"])
                    .arg(format!("--address=unix:path={}", bus.display())),
            ),
        );
        s.wait_until("the D-Bus socket", || bus.exists());
        s.start_pipewire();
        let addr = format!("unix:{}", s.audiod_socket().display());
        let uid = rustix::process::getuid().as_raw();
        std::fs::write(
            s.dir.path().join("audiod.toml"),
            format!("listen = [\"{addr}\"]\n[allow]\nuids = [{uid}]\n{audiod_extra}"),
        )
        .unwrap();
        s.start_audiod();
        s
    }

    /// Start PipeWire and WirePlumber (again, after [`Sound::stop_pipewire`]).
    pub fn start_pipewire(&mut self) {
        let conf = self.dir.path().join("pipewire.conf");
        self.pipewire = Some(self.spawn("pipewire", Command::new("pipewire").arg("-c").arg(conf)));
        let socket = self.run_dir().join("pipewire-0");
        self.wait_until("PipeWire's socket", || socket.exists());
        self.wireplumber = Some(self.spawn("wireplumber", &mut Command::new("wireplumber")));
        self.wait_until("WirePlumber's default speakers and microphone", || {
            let status = self.wpctl(&["status"]);
            status.lines().any(|l| l.contains("*") && l.contains("Test speakers"))
                && status.lines().any(|l| l.contains("*") && l.contains("Test microphone"))
        });
    }

    /// Kill WirePlumber and PipeWire, as a crash of the sound server would.
    pub fn stop_pipewire(&mut self) {
        for c in [self.wireplumber.take(), self.pipewire.take()].into_iter().flatten() {
            kill(c);
        }
        let _ = std::fs::remove_file(self.run_dir().join("pipewire-0"));
        let _ = std::fs::remove_file(self.run_dir().join("pipewire-0.lock"));
    }

    fn start_audiod(&mut self) {
        let config = self.dir.path().join("audiod.toml");
        let mut cmd = Command::new(bin_path("canopy-audiod"));
        cmd.arg("--config").arg(config).env("RUST_LOG", "debug");
        self.audiod = Some(self.spawn("audiod", &mut cmd));
        let socket = self.audiod_socket();
        self.wait_until("canopy-audiod's socket", || socket.exists());
    }

    /// Play a long stretch of silence with `pw-play` (a real PipeWire stream) until dropped.
    pub fn play(&mut self) {
        let wav = self.dir.path().join("silence.wav");
        if !wav.exists() {
            std::fs::write(&wav, silence_wav(60)).unwrap();
        }
        let child = self.spawn("pw-play", Command::new("pw-play").arg(wav));
        self.players.push(child);
    }

    pub fn stop_players(&mut self) {
        for c in self.players.drain(..) {
            kill(c);
        }
    }

    /// `wpctl` with these arguments, its standard output.
    pub fn wpctl(&self, args: &[&str]) -> String {
        let out = self.env(Command::new("wpctl").args(args)).output().expect("wpctl");
        text(out)
    }

    /// The line of `wpctl status` that names `what` (a device or a program), trimmed.
    pub fn status_line(&self, what: &str) -> Option<String> {
        self.wpctl(&["status"]).lines().find(|l| l.contains(what)).map(|l| l.trim_matches(['│', ' ']).to_string())
    }

    /// The volume and mute WirePlumber reports for an object (`wpctl get-volume`).
    pub fn volume_of(&self, id: u32) -> (f32, bool) {
        let out = self.wpctl(&["get-volume", &id.to_string()]);
        // "Volume: 0.45 [MUTED]"
        let v = out.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(f32::NAN);
        (v, out.contains("MUTED"))
    }

    /// The node id of the playing stream of `program` (its `application.name`), from `pw-dump`.
    pub fn stream_node(&self, program: &str) -> Option<u32> {
        let out = self.env(&mut Command::new("pw-dump")).output().expect("pw-dump");
        let objects: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        objects.as_array()?.iter().find_map(|o| {
            let props = &o["info"]["props"];
            let stream = props["media.class"].as_str().is_some_and(|c| c.starts_with("Stream/"));
            (stream && props["application.name"] == program).then(|| o["id"].as_u64()).flatten().map(|id| id as u32)
        })
    }

    /// Whether `wpctl status` marks the device named `name` as the default (`*`).
    pub fn is_default(&self, name: &str) -> bool {
        self.status_line(name).is_some_and(|l| l.starts_with('*'))
    }

    /// Whether WirePlumber has saved `node` (a node.name) as the configured default `kind`
    /// (`audio.sink`, `audio.source`) in its state, which it writes about a second after a
    /// change and reads when it starts again.
    pub fn remembered_default(&self, kind: &str, node: &str) -> bool {
        let state =
            std::fs::read_to_string(self.dir.path().join("state/wireplumber/default-nodes")).unwrap_or_default();
        state.lines().any(|l| l == format!("default.configured.{kind}={node}"))
    }

    pub fn audiod_socket(&self) -> PathBuf {
        self.run_dir().join("audiod.sock")
    }

    pub fn audiod_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("audiod.log")).unwrap_or_default()
    }

    fn run_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    pub fn wait_until(&self, what: &str, mut cond: impl FnMut() -> bool) {
        let start = Instant::now();
        while !cond() {
            assert!(start.elapsed() < TIMEOUT, "timed out waiting for {what}; audiod log:\n{}", self.audiod_log());
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    fn env<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        let d = self.dir.path();
        cmd.env("XDG_RUNTIME_DIR", self.run_dir())
            .env("PIPEWIRE_RUNTIME_DIR", self.run_dir())
            .env("XDG_STATE_HOME", d.join("state"))
            .env("XDG_CONFIG_HOME", d.join("state"))
            .env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", self.run_dir().join("bus").display()))
            .env_remove("PIPEWIRE_REMOTE")
            .stdin(Stdio::null())
    }

    fn spawn(&self, name: &str, cmd: &mut Command) -> Child {
        let log = std::fs::File::create(self.dir.path().join(format!("{name}.log"))).unwrap();
        self.env(cmd).stdout(log.try_clone().unwrap()).stderr(log).spawn().unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Sound {
    fn drop(&mut self) {
        self.stop_players();
        for c in
            [self.audiod.take(), self.wireplumber.take(), self.pipewire.take(), self.dbus.take()].into_iter().flatten()
        {
            kill(c);
        }
    }
}

fn kill(mut c: Child) {
    let _ = c.kill();
    let _ = c.wait();
}

fn text(out: Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A WAV file of `seconds` of 48 kHz stereo silence.
fn silence_wav(seconds: u32) -> Vec<u8> {
    let data = 48_000 * 4 * seconds;
    let mut w = Vec::with_capacity(44 + data as usize);
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + data).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    for (v, n) in [(16u32, 4), (1, 2), (2, 2), (48_000, 4), (48_000 * 4, 4), (4, 2), (16, 2)] {
        w.extend_from_slice(&v.to_le_bytes()[..n]);
    }
    w.extend_from_slice(b"data");
    w.extend_from_slice(&data.to_le_bytes());
    w.resize(44 + data as usize, 0);
    w
}
