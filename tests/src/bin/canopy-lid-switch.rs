//! canopy-lid-switch: a laptop lid made with uinput, for the real-VM test (tests/vm): one
//! switch device with `SW_LID`, which the kernel, udev and libinput see as a lid, worked by
//! commands read from a FIFO. Each command done is logged as a line with the wall-clock time.
//!
//!   canopy-lid-switch --control FIFO --log FILE
//!   echo close > FIFO        # SW_LID 1
//!   echo open > FIFO         # SW_LID 0
//!   echo "flap 100 50" > FIFO   # 100 times closed then open, 50 ms between each change

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use clap::Parser;
use evdev::uinput::VirtualDevice;
use evdev::{AttributeSet, EventType, InputEvent, SwitchCode};

#[derive(Parser)]
#[command(name = "canopy-lid-switch")]
struct Cli {
    /// The FIFO the commands come from (`mkfifo`).
    #[arg(long)]
    control: PathBuf,
    /// Where each command done is logged: `ready DEVNODE`, `close TIME`, `open TIME`,
    /// `flapped N TIME`.
    #[arg(long)]
    log: PathBuf,
}

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

fn set(lid: &mut VirtualDevice, closed: bool) -> Result<()> {
    lid.emit(&[InputEvent::new(EventType::SWITCH.0, SwitchCode::SW_LID.0, closed as i32)]).context("writing SW_LID")
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let mut log = OpenOptions::new().create(true).append(true).open(&cli.log).context("the log")?;
    let mut switches = AttributeSet::<SwitchCode>::new();
    switches.insert(SwitchCode::SW_LID);
    let mut lid = VirtualDevice::builder()
        .context("/dev/uinput (is the uinput module loaded?)")?
        .name("canopy test lid switch")
        .with_switches(&switches)?
        .build()
        .context("creating the uinput device")?;
    let node = lid.enumerate_dev_nodes_blocking()?.next().context("no device node")??;
    // Read and write: the FIFO then never reads as ended between two writers.
    let fifo = OpenOptions::new().read(true).write(true).open(&cli.control).context("the FIFO")?;
    writeln!(log, "ready {}", node.display())?;
    for line in BufReader::new(fifo).lines() {
        let line = line?;
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["close"] => set(&mut lid, true)?,
            ["open"] => set(&mut lid, false)?,
            ["flap", n, ms] => {
                let n: u32 = n.parse().context("flap N MS")?;
                let pause = Duration::from_millis(ms.parse().context("flap N MS")?);
                for _ in 0..n {
                    set(&mut lid, true)?;
                    std::thread::sleep(pause);
                    set(&mut lid, false)?;
                    std::thread::sleep(pause);
                }
            }
            [] => continue,
            _ => bail!("unknown command {line:?} (close, open, flap N MS)"),
        }
        writeln!(log, "{} {:.6}", words.join(" "), now())?;
    }
    Ok(())
}
