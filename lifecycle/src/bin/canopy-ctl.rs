//! canopy-ctl: the command line of the lifecycle daemon.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use canopy_lifecycle::ctl::{app_table, event_line, exit, exit_code, vm_table, EXIT_CODES_HELP};
use canopy_lifecycle::{Address, ClientError, HostClient};
use canopy_protocols::lifecycle::{AppArg, ArgKind, Error, Event, Request};
use clap::{Parser, Subcommand};

/// Start apps and VMs, stop them, power off: asks canopy-hostd.
#[derive(Parser)]
#[command(version, after_help = EXIT_CODES_HELP)]
struct Args {
    /// hostd's address: unix:PATH, vsock:CID:PORT or vsock-mux:PATH:PORT.
    #[arg(long, env = "CANOPY_HOSTD", default_value = "unix:/run/canopy/hostd.sock")]
    connect: Address,
    /// Print replies and events as JSON, one per line.
    #[arg(long)]
    json: bool,
    /// Give up on a request after this many seconds (a VM start waits for the VM to boot).
    #[arg(long, default_value_t = 300.0)]
    timeout: f64,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// List VMs and apps (or only one of them).
    List {
        #[arg(value_enum)]
        what: Option<What>,
    },
    /// Print the current state, then every change, one line each, until interrupted.
    Watch,
    /// Start an app or a VM.
    #[command(subcommand)]
    Start(Target),
    /// Stop an app or a VM.
    #[command(subcommand)]
    Stop(StopTarget),
    /// Restart a VM.
    Restart {
        #[arg(value_name = "VM")]
        vm: String,
    },
    /// Power the laptop off.
    Poweroff,
    /// Reboot the laptop.
    Reboot,
    /// Suspend the laptop.
    Suspend,
    /// The host's own suspend: hostd tells the GUI VM first and waits, bounded, for its lock.
    HostSuspend,
    /// Set the disk image a VM boots from (remembered by hostd).
    SetDiskImage {
        vm: String,
        /// Absolute path on the host.
        path: String,
    },
    /// Copy files of this (the GUI) VM to a VM: they land in ~/Incoming/<GUI VM>/ there. hostd's
    /// policy still applies.
    Send {
        /// The VM to send them to; without it, the policy's VM or the one the user picks in the
        /// chooser (once: the other files follow the first).
        #[arg(long, value_name = "VM")]
        to: Option<String>,
        #[arg(value_name = "FILE", required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Answer a request waiting for the user's choice (`choose ID …` lines of `watch`).
    Choose {
        id: u64,
        /// Where it goes.
        #[arg(required_unless_present = "cancel")]
        vm: Option<String>,
        /// Refuse it instead.
        #[arg(long, conflicts_with = "vm")]
        cancel: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum What {
    Vms,
    Apps,
}

#[derive(Subcommand)]
enum Target {
    /// Start an app, starting its VM first when it is down. ARG is a URL or a file path, as the
    /// app takes (see `canopy-ctl list apps`).
    App {
        /// The app's name, as `canopy-ctl list apps` shows it.
        name: String,
        /// Start it in this VM instead of the app's default.
        #[arg(long)]
        vm: Option<String>,
        /// A URL or an absolute file path, as the app takes.
        #[arg(value_name = "ARG")]
        args: Vec<String>,
    },
    /// Start a VM and wait until its agent answers.
    Vm { vm: String },
}

#[derive(Subcommand)]
enum StopTarget {
    /// Stop an app: every instance, or one.
    App {
        name: String,
        /// Only this instance (the number `start app` printed).
        #[arg(long)]
        instance: Option<u64>,
    },
    /// Stop a VM, and with it every app in it.
    Vm { vm: String },
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("canopy-ctl: {e}");
            if let Some(Error::DiskImageMissing { vm, .. }) = e.lifecycle_error() {
                eprintln!("canopy-ctl: set it with: canopy-ctl set-disk-image {vm} PATH");
            }
            ExitCode::from(exit_code(&e))
        }
    }
}

fn run(args: &Args) -> Result<(), ClientError> {
    let timeout = Duration::from_secs_f64(args.timeout.max(0.001));
    let mut c = HostClient::connect(&args.connect, "canopy-ctl", Some(timeout))?;
    let out = &mut std::io::stdout().lock();
    let json = |out: &mut dyn Write, v: &dyn erased::Json| {
        let _ = writeln!(out, "{}", v.to_json());
    };
    match &args.command {
        Cmd::List { what } => {
            if !matches!(what, Some(What::Apps)) {
                let vms = c.list_vms()?;
                if args.json {
                    json(out, &vms);
                } else {
                    let _ = write!(out, "{}", vm_table(&vms));
                }
            }
            if what.is_none() && !args.json {
                let _ = writeln!(out);
            }
            if !matches!(what, Some(What::Vms)) {
                let apps = c.list_apps()?;
                if args.json {
                    json(out, &apps);
                } else {
                    let _ = write!(out, "{}", app_table(&apps));
                }
            }
        }
        Cmd::Watch => {
            let (snapshot, mut watcher) = c.watch()?;
            let initial = snapshot.vms.into_iter().map(Event::Vm).chain(snapshot.apps.into_iter().map(Event::App));
            for ev in initial {
                print_event(out, &ev, args.json);
            }
            loop {
                let ev = watcher.next_event()?;
                print_event(out, &ev, args.json);
            }
        }
        Cmd::Start(Target::App { name, vm, args: values }) => {
            let args_typed = type_args(&mut c, name, values)?;
            let instance = c.start_app(name, vm.as_deref(), args_typed)?;
            if args.json {
                json(out, &serde_json::json!({"instance": instance}));
            } else {
                let _ = writeln!(out, "started {name}: instance {instance}");
            }
        }
        Cmd::Start(Target::Vm { vm }) => done(out, c.action(&Request::StartVm { vm: vm.clone() })?),
        Cmd::Stop(StopTarget::Vm { vm }) => done(out, c.action(&Request::StopVm { vm: vm.clone() })?),
        Cmd::Stop(StopTarget::App { name, instance }) => {
            done(out, c.action(&Request::StopApp { app: name.clone(), instance: *instance })?)
        }
        Cmd::Restart { vm } => done(out, c.action(&Request::RestartVm { vm: vm.clone() })?),
        Cmd::Poweroff => done(out, c.action(&Request::PowerOff)?),
        Cmd::Reboot => done(out, c.action(&Request::Reboot)?),
        Cmd::Suspend => done(out, c.action(&Request::Suspend)?),
        Cmd::HostSuspend => done(out, c.action(&Request::HostSuspend)?),
        Cmd::SetDiskImage { vm, path } => {
            done(out, c.action(&Request::SetDiskImage { vm: vm.clone(), path: path.clone() })?)
        }
        Cmd::Send { to, files } => {
            let mut to = to.clone();
            for path in files {
                let (vm, kept) = c.send_path(to.as_deref(), path)?;
                let to = to.insert(vm);
                if args.json {
                    json(out, &serde_json::json!({"file": path, "vm": to, "name": kept}));
                } else {
                    let _ = writeln!(out, "sent {} to {to} as {kept}", path.display());
                }
            }
        }
        Cmd::Choose { id, vm, cancel } => {
            let vm = if *cancel { None } else { vm.clone() };
            done(out, c.action(&Request::Choose { id: *id, vm })?)
        }
    }
    Ok(())
}

fn done(_out: &mut dyn Write, (): ()) {}

fn print_event(out: &mut dyn Write, ev: &Event, json: bool) {
    let line = if json { serde_json::to_string(ev).unwrap_or_default() } else { event_line(ev) };
    // A closed stdout (`| head`) ends the watch.
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        std::process::exit(exit::OK.into());
    }
}

/// Arguments typed by the app's config: a URL or a file. hostd checks them again.
fn type_args(c: &mut HostClient, app: &str, values: &[String]) -> Result<Vec<AppArg>, ClientError> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let apps = c.list_apps()?;
    let info = apps.iter().find(|a| a.name == app).ok_or_else(|| Error::UnknownApp { app: app.into() })?;
    let make = match info.args.kind {
        ArgKind::Url => AppArg::Url,
        ArgKind::File => AppArg::File,
        ArgKind::None => return Err(Error::bad_request(format!("app {app:?} takes no arguments")).into()),
    };
    Ok(values.iter().cloned().map(make).collect())
}

/// Anything printable as one JSON line.
mod erased {
    pub trait Json {
        fn to_json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> String {
            serde_json::to_string(self).unwrap_or_default()
        }
    }
}
