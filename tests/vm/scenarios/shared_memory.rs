//! Scenario `shared-memory`: both guests get the same `ivshmem-plain` device over one host file,
//! and the proxies pass the app's pixels through its BAR (`--shm-region`): the window on the
//! GUI VM's screen is the headless golden, and the stream through the host carries no pixels —
//! the bytes the relay forwards from the app VM for the window, against the same window over
//! the stream in the same run.

use super::*;

/// The region both guests map (ivshmem wants a power of two; the test client's pool is 256 KB).
const REGION_BYTES: u64 = 16 << 20;
/// The most the app VM may send over the stream for the test client's window when its pixels
/// cross in the region: protocol messages only (about 730 bytes), less than four rows of the
/// 320×200 window. Over the stream alone the same window needs at least its whole frame (256 000).
const MAX_STREAM_BYTES_WITH_REGION: u64 = 4 << 10;
const CLIENT_PIXEL: [u8; 3] = [0x2f, 0x6f, 0xd0];

pub fn shared_memory(lab: &mut Lab) -> Result<()> {
    let long = Duration::from_secs(180);
    std::fs::write(lab.run_file("canopy.toml"), CONFIG)?;
    let region = lab.run_file("ivshmem");
    std::fs::File::create(&region)?.set_len(REGION_BYTES)?;
    lab.start_relay()?;
    let gui = VmSpec::gui(WIDTH, HEIGHT, "none".into()).with_shared_memory(region.clone());
    let (mut gui, mut app) = lab.boot_both(&gui, &VmSpec::app().with_shared_memory(region.clone()))?;

    let gui_bar = ivshmem_bar(&mut gui)?;
    let app_bar = ivshmem_bar(&mut app)?;
    gui.guest("udev", &[], long)?;
    gui.guest("compositor", &[], long)?;
    gui.guest("proxy-gui", &["--shm-region", &gui_bar], long)?;
    gui.guest("panel", &[], long)?;
    pointer_to(&mut gui, PARK.0, PARK.1)?;
    lab.step("GUI VM: udevd, canopy, proxy with the region, panel");

    // The baseline: the same window with the guest proxy on the stream alone.
    app.guest("proxy-guest", &[], long)?;
    let plain = window_stream_bytes(lab, &mut gui, &mut app, 1)?;
    lab.step(&format!("window over the stream (= headless golden): {plain} bytes from the app VM"));
    ensure!(!region_holds(&region, CLIENT_PIXEL)?, "the client's pixels are in the region before it is used");

    app.run("kill $(cat /run/proxy-guest.pid)", long)?;
    app.guest("proxy-guest", &["--shm-region", &app_bar], long)?;
    let shm = window_stream_bytes(lab, &mut gui, &mut app, 2)?;
    lab.step(&format!("window through the region (= headless golden): {shm} bytes from the app VM"));

    ensure!(
        plain > MAX_STREAM_BYTES_WITH_REGION,
        "over the stream the window took only {plain} bytes: the bound of {MAX_STREAM_BYTES_WITH_REGION} proves nothing"
    );
    ensure!(
        shm <= MAX_STREAM_BYTES_WITH_REGION,
        "with the region the app VM still sent {shm} bytes over the stream (over the stream alone: {plain})"
    );
    ensure!(region_holds(&region, CLIENT_PIXEL)?, "the client's pixels never reached the shared region");
    Ok(())
}

/// `guest.sh ivshmem`: the BAR file of the VM's ivshmem device.
fn ivshmem_bar(vm: &mut Vm) -> Result<String> {
    let out = vm.guest("ivshmem", &[], Duration::from_secs(60))?;
    out.into_iter().find(|l| l.starts_with("/sys/")).with_context(|| format!("{}: no ivshmem BAR printed", vm.name))
}

/// Start the test client in the app VM; once its window is on the GUI VM's screen exactly as
/// the headless golden, end it, and return how many bytes the relay forwarded from the app VM
/// for it (its `n`th connection).
fn window_stream_bytes(lab: &mut Lab, gui: &mut Vm, app: &mut Vm, n: usize) -> Result<u64> {
    let long = Duration::from_secs(180);
    app.guest("client", CLIENT, long)?;
    let w = wait_for_windows(gui, 1, long)?.remove(0);
    check_eq!(w.title, "[app-vm] report.pdf", "the title");
    gui.msg(&["focus", &w.id.to_string()])?; // as the user's click would (see two_vms)
    wait_for_screen(lab, gui, 0, "vm-app-window", long).context("the window on the screen")?;
    app.run("kill $(cat /run/client.pid)", long)?;
    wait_for_windows(gui, 0, long).context("the window of the ended client")?;
    let start = Instant::now();
    loop {
        let log = std::fs::read_to_string(lab.run_file("relay.log"))?;
        let ended: Vec<&str> = log.lines().filter(|l| l.contains("relay: connection ended")).collect();
        if ended.len() >= n {
            let bytes = ended[n - 1].split_whitespace().find_map(|w| w.strip_prefix("forwarded="));
            return bytes.and_then(|b| b.parse().ok()).with_context(|| format!("no byte count in {:?}", ended[n - 1]));
        }
        ensure!(start.elapsed() < long, "the relay logged no end of connection {n}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Whether the region file (the host's side of the guests' BAR) holds a pixel of `rgb`
/// (XRGB8888, little-endian).
fn region_holds(region: &std::path::Path, [r, g, b]: [u8; 3]) -> Result<bool> {
    let bytes = std::fs::read(region)?;
    Ok(bytes.chunks_exact(4).any(|p| p[..3] == [b, g, r]))
}
