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
//! ```
//!
//! It writes what it does to stderr, one line per step, so a test can wait for the fact that
//! it has begun to dribble.

use std::io::Write;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use canopy_protocols::lifecycle::{
    encode, read_frame, AgentApp, AgentReply, AgentRequest, AgentResponse, Error, HandshakeResponse, Hello, Welcome,
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
            // A watch connection stays open, with no events.
            let _ = read_frame::<_, AgentRequest>(&mut s);
            return;
        }
    }
}
