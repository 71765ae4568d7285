//! Tests' name for `canopy context`: run a Wayland client as a VM's client through a security
//! context (see `canopy::context`).

use clap::Parser;

#[derive(Debug, Parser)]
#[command(about = "Run a Wayland client as a sandboxed client of a VM, through a security context")]
struct Args {
    #[command(flatten)]
    context: canopy::context::ContextArgs,
}

fn main() -> anyhow::Result<()> {
    canopy::context::run(Args::parse().context)
}
