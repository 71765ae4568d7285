//! canopy-open: the default opener of an app VM (`xdg-open` runs it through its desktop entry).

use std::process::ExitCode;

use canopy_lifecycle::opener::{ask, default_address, done_line, exit, exit_code, open_request, EXIT_CODES_HELP};
use canopy_lifecycle::Address;
use clap::Parser;

/// Open a link or a file of this VM in another VM. The VM's agent asks canopy-hostd, whose
/// policy decides where it may go; when it asks the user, the trusted chooser on screen shows
/// this VM's request and the VMs it may go to. Waits until it is opened, refused or cancelled.
#[derive(Parser)]
#[command(version, after_help = EXIT_CODES_HELP)]
struct Args {
    /// The agent's socket (default: $CANOPY_OPENER, else unix:$XDG_RUNTIME_DIR/canopy-open.sock).
    #[arg(long)]
    agent: Option<Address>,
    /// A URL (https://…, mailto:…), a file path, or a file:// URL.
    #[arg(value_name = "URL|FILE")]
    target: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let addr = match args.agent.map(Ok).unwrap_or_else(|| default_address().parse()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("canopy-open: bad agent address: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| "/".into());
    let req = match open_request(&args.target, &cwd) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("canopy-open: {e}");
            return ExitCode::from(exit::BAD_REQUEST);
        }
    };
    match ask(&addr, "canopy-open", &req) {
        Ok(d) => {
            println!("{}", done_line(&d));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("canopy-open: {e}");
            ExitCode::from(exit_code(&e))
        }
    }
}
