use clap::Parser;

use canopy::cli::{Cli, Command};

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Msg { socket, request }) => canopy::ipc::client::run(socket.as_deref(), request),
        Some(Command::Context(args)) => canopy::context::run(args),
        None => canopy::run::run(cli.run),
    };
    if let Err(e) = result {
        eprintln!("canopy: {e:#}");
        std::process::exit(1);
    }
}
