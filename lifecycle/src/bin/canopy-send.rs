//! canopy-send: copy files of this VM to another VM.

use std::process::ExitCode;

use canopy_lifecycle::opener::{absolute, ask, default_address, done_line, exit, exit_code, EXIT_CODES_HELP};
use canopy_lifecycle::Address;
use canopy_protocols::lifecycle::open::{OpenerRequest, MAX_FILES};
use clap::Parser;

/// Copy files of this VM to another VM, without opening them there. canopy-hostd's policy and,
/// when it asks, the user (in the trusted chooser) decide which VM; the files land in
/// ~/Incoming/<this VM>/ there, under safe names that never replace a file.
#[derive(Parser)]
#[command(version, after_help = EXIT_CODES_HELP)]
struct Args {
    /// The agent's socket (default: $CANOPY_OPENER, else unix:$XDG_RUNTIME_DIR/canopy-open.sock).
    #[arg(long)]
    agent: Option<Address>,
    /// Files to send (at most 16).
    #[arg(value_name = "FILE", required = true, num_args = 1..=MAX_FILES)]
    files: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let addr = match args.agent.map(Ok).unwrap_or_else(|| default_address().parse()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("canopy-send: bad agent address: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| "/".into());
    let paths = args.files.iter().map(|f| absolute(f, &cwd)).collect();
    match ask(&addr, "canopy-send", &OpenerRequest::Send { paths }) {
        Ok(d) => {
            println!("{}", done_line(&d));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("canopy-send: {e}");
            ExitCode::from(exit_code(&e))
        }
    }
}
