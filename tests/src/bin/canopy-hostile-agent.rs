//! A compromised `canopy-agent`, for tests: it speaks the lifecycle protocol to `canopy-hostd`
//! correctly as far as framing goes, and attacks it the ways issue 13 found: it dribbles its hello
//! or its replies one byte at a time (each byte well inside any per-read timeout), lies about how
//! many app instances run, and answers every start with an error whose text is formatted to
//! read as something else on screen.
//!
//! `canopy-hostile-agent --config FILE`, the file TOML:
//!
//! ```toml
//! listen = "/run/vm/agent.sock"   # a Unix socket path
//! dribble_hello_ms = 700          # one byte of the welcome every 700 ms (0: at once)
//! dribble_start_ms = 700          # one byte of each reply to `start` every 700 ms
//! instances = 1500                # app instances it claims run, in its watch and list replies
//! app = "hello"                   # the app name in those claims
//! error = "Session expired…"      # every start is answered with this app_failed reason
//!
//! # Requests to open or send, made on the watch connection once hostd watches (issue 20):
//! [[ask]]
//! url = "https://…"               # a link to open, or:
//! name = "../../.bashrc"          # a file, its name as this agent claims it…
//! size = 1048576                  # …and size; its bytes are i % 251 for byte i
//! intent = "send"                 # or "open" (the default)
//! send = 524288                   # bytes it really sends when fetched, then it hangs up (default: size)
//! repeat = 1000                   # how many times (default 1)…
//! per_second = 1000               # …at this pace (0: all at once)
//! ```
//!
//! It writes what it does to stderr, one line per step, so a test can wait for the fact that
//! it has begun to dribble.

use std::io::Write;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use canopy_protocols::lifecycle::open::{FileMeta, Intent, Subject};
use canopy_protocols::lifecycle::{
    encode, read_frame, AgentApp, AgentEvent, AgentReply, AgentRequest, AgentResponse, Error, HandshakeResponse, Hello,
    Welcome,
};
use clap::Parser;
use serde::Deserialize;

#[derive(Parser)]
#[command(about = "A canopy-agent that attacks canopy-hostd (for tests)")]
struct Args {
    #[arg(long)]
    config: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Behaviour {
    listen: PathBuf,
    #[serde(default)]
    dribble_hello_ms: u64,
    #[serde(default)]
    dribble_start_ms: u64,
    #[serde(default)]
    instances: u64,
    #[serde(default = "default_app")]
    app: String,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    ask: Vec<Ask>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Ask {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    intent: Option<Intent>,
    #[serde(default)]
    send: Option<u64>,
    #[serde(default = "one")]
    repeat: u64,
    #[serde(default)]
    per_second: u64,
}

fn one() -> u64 {
    1
}

impl Ask {
    fn subject(&self) -> Subject {
        match (&self.url, &self.name) {
            (Some(url), _) => Subject::Url(url.clone()),
            (None, name) => Subject::Files(vec![FileMeta { name: name.clone().unwrap_or_default(), size: self.size }]),
        }
    }
}

fn default_app() -> String {
    "hello".into()
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let b: Behaviour = toml::from_str(&std::fs::read_to_string(&args.config)?)?;
    let _ = std::fs::remove_file(&b.listen);
    let listener = UnixListener::bind(&b.listen)?;
    eprintln!("listening on {}", b.listen.display());
    let b = Arc::new(b);
    for conn in listener.incoming() {
        let conn = conn?;
        let b = b.clone();
        std::thread::spawn(move || serve(conn, &b));
    }
    Ok(())
}

/// Write `bytes` one at a time, `pace` apart (all at once when zero).
fn send(s: &mut UnixStream, bytes: &[u8], pace: u64, what: &str) -> std::io::Result<()> {
    if pace == 0 {
        return s.write_all(bytes);
    }
    eprintln!("dribbling {what}: {} bytes, one every {pace} ms", bytes.len());
    for b in bytes {
        s.write_all(std::slice::from_ref(b))?;
        std::thread::sleep(Duration::from_millis(pace));
    }
    Ok(())
}

fn serve(mut s: UnixStream, b: &Behaviour) {
    let Ok(_hello) = read_frame::<_, Hello>(&mut s) else { return };
    let welcome = encode(&HandshakeResponse::Ok(Welcome::new("canopy-agent"))).unwrap();
    if send(&mut s, &welcome, b.dribble_hello_ms, "the hello").is_err() {
        eprintln!("hostd closed the connection during the hello");
        return;
    }
    let claimed = || (0..b.instances).map(|i| AgentApp { instance: i + 1, app: b.app.clone(), pid: 1 }).collect();
    loop {
        let Ok(req) = read_frame::<_, AgentRequest>(&mut s) else { return };
        eprintln!("request: {req:?}");
        let (reply, pace) = match &req {
            AgentRequest::Watch => (AgentResponse::Ok(AgentReply::Watching { apps: claimed() }), 0),
            AgentRequest::List => (AgentResponse::Ok(AgentReply::Running { apps: claimed() }), 0),
            AgentRequest::Ping => (AgentResponse::Ok(AgentReply::Pong { apps: vec![b.app.clone()] }), 0),
            AgentRequest::Stop { .. } => (AgentResponse::Ok(AgentReply::Done), 0),
            AgentRequest::Answer { ask, outcome } => {
                eprintln!("answer {ask}: {}", serde_json::to_string(outcome).unwrap_or_default());
                (AgentResponse::Ok(AgentReply::Done), 0)
            }
            AgentRequest::Fetch { ask, .. } => {
                fetch(&mut s, b, *ask);
                return;
            }
            AgentRequest::Receive { .. } => (AgentResponse::Error(Error::bad_request("no")), 0),
            AgentRequest::Start { app, .. } => {
                let reply = match &b.error {
                    Some(reason) => AgentResponse::Error(Error::AppFailed {
                        app: app.clone(),
                        reason: reason.clone(),
                        status: None,
                    }),
                    None => AgentResponse::Ok(AgentReply::Started { instance: 1, pid: 1, exited: None }),
                };
                (reply, b.dribble_start_ms)
            }
        };
        let frame = match encode(&reply) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("cannot encode the reply: {e}");
                return;
            }
        };
        if send(&mut s, &frame, pace, "the reply").is_err() {
            eprintln!("hostd closed the connection during the reply");
            return;
        }
        if matches!(req, AgentRequest::Watch) {
            // A watch connection stays open, with the requests to open or send as its events.
            ask(&mut s, b);
            let _ = read_frame::<_, AgentRequest>(&mut s);
            return;
        }
    }
}

/// The `[[ask]]` requests, as events on the watch connection; ids count from 1 in order.
fn ask(s: &mut UnixStream, b: &Behaviour) {
    let mut id = 0;
    for a in &b.ask {
        let intent = a.intent.unwrap_or(Intent::Open);
        let t0 = std::time::Instant::now();
        for i in 0..a.repeat {
            id += 1;
            if a.per_second > 0 {
                let due = t0 + Duration::from_secs_f64(i as f64 / a.per_second as f64);
                std::thread::sleep(due.saturating_duration_since(std::time::Instant::now()));
            }
            let ev = AgentEvent::Ask { id, intent, subject: a.subject() };
            let Ok(frame) = encode(&ev) else {
                eprintln!("cannot encode ask {id}");
                continue;
            };
            if s.write_all(&frame).is_err() {
                eprintln!("hostd closed the watch connection at ask {id}");
                return;
            }
        }
        eprintln!("asked {} time(s) in {:.3} s", a.repeat, t0.elapsed().as_secs_f64());
    }
}

/// The bytes of file `ask` (the ask with that id): `send` of them, then hang up.
fn fetch(s: &mut UnixStream, b: &Behaviour, ask: u64) {
    let mut first = 1;
    let Some(a) = b.ask.iter().find(|a| {
        let found = (first..first + a.repeat).contains(&ask);
        first += a.repeat;
        found
    }) else {
        let _ = s.write_all(&encode(&AgentResponse::Error(Error::bad_request("no such ask"))).unwrap());
        return;
    };
    let _ = s.write_all(&encode(&AgentResponse::Ok(AgentReply::Sending { size: a.size })).unwrap());
    let send = a.send.unwrap_or(a.size).min(a.size);
    let mut sent = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    while sent < send {
        let n = (send - sent).min(buf.len() as u64) as usize;
        for (i, byte) in buf[..n].iter_mut().enumerate() {
            *byte = ((sent + i as u64) % 251) as u8;
        }
        if s.write_all(&buf[..n]).is_err() {
            eprintln!("fetch {ask}: hostd stopped reading after {sent} bytes");
            return;
        }
        sent += n as u64;
    }
    eprintln!("fetch {ask}: sent {sent} of {} bytes, hanging up", a.size);
}
