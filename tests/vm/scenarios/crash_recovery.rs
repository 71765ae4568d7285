//! Scenario `crash-recovery`: canopy in the GUI VM is killed (SIGKILL) and started again by a
//! supervisor loop, as its systemd unit does; the app in the app VM lives on (the same process),
//! `canopy-proxy gui` restores its window, which is back on the real screen framed in its
//! colour (= headless golden), the panel with it (canopy's autostart), and keys reach it again.

use super::*;

pub fn crash_recovery(lab: &mut Lab) -> Result<()> {
    let long = Duration::from_secs(180);
    // The panel comes from canopy's autostart here, so that the new canopy starts it again.
    std::fs::create_dir_all(lab.run_file("no-power-supply"))?;
    let panel = lab.bin.join("canopy-panel");
    let panel = [panel.to_str().context("the binaries' path")?, "--time", PANEL_TIME, "--hostd"];
    let panel = panel.iter().chain(&["unix:/run/no-hostd.sock", "--power-supply", "/run/vm/no-power-supply"]);
    let panel: Vec<String> = panel.map(|a| format!("{a:?}")).collect();
    std::fs::write(lab.run_file("canopy.toml"), format!("autostart = [[{}]]\n{CONFIG}", panel.join(", ")))?;
    lab.start_relay()?;
    let (mut gui, mut app) = lab.boot_both(&VmSpec::gui(WIDTH, HEIGHT, "none".into()), &VmSpec::app())?;

    gui.guest("udev", &[], long)?;
    gui.guest("compositor-supervised", &[], long)?;
    gui.guest("proxy-gui", &[], long)?;
    app.guest("proxy-guest", &[], long)?;
    pointer_to(&mut gui, PARK.0, PARK.1)?;
    lab.step("GUI VM: udevd, supervised canopy with its panel, proxy; app VM: guest proxy");

    app.guest("client", CLIENT, long)?;
    let w = wait_for_windows(&mut gui, 1, long)?.remove(0);
    gui.msg(&["focus", &w.id.to_string()])?; // as the user's click would (see two_vms)
    wait_for_screen(lab, &mut gui, 0, "vm-app-window", long).context("the window on the screen")?;
    let client = first_line(&mut app, "cat /run/client.pid")?;
    let before = geometry(&windows(&mut gui)?[0]);
    let entered = |lab: &Lab| client_events(lab).iter().filter(|e| e["event"] == "keyboard-enter").count();
    wait_for_event(lab, "keyboard focus", |e| e["event"] == "keyboard-enter")?;
    let entered_before = entered(lab);
    lab.step("app VM's window on the screen (= headless golden)");

    let killed = first_line(&mut gui, "cat /run/canopy.pid")?;
    let (rc, out) = gui.run(&format!("grep -q canopy /proc/{killed}/cmdline && kill -KILL {killed}"), long)?;
    ensure!(rc == 0, "/run/canopy.pid ({killed}) is not canopy, or it could not be killed: {out:?}");
    let start = Instant::now();
    let w = loop {
        // The killed canopy gone, and the supervisor's next one answering with the restored window.
        let now = first_line(&mut gui, "cat /run/canopy.pid")?;
        let (gone, _) = gui.run(&format!("test ! -e /proc/{killed}"), long)?;
        if now != killed && gone == 0 {
            if let Ok(mut w) = windows(&mut gui) {
                if w.len() == 1 && w[0].geometry.is_some() {
                    break w.remove(0);
                }
            }
        }
        ensure!(start.elapsed() < long, "no restored window {long:?} after killing canopy (pid {killed})");
        std::thread::sleep(Duration::from_millis(250));
    };
    check_eq!(w.title, "[app-vm] report.pdf", "the restored window's title");
    check_eq!((w.vm.as_deref(), Some(w.trust.as_str())), (Some("app-vm"), Some("untrusted")), "VM and trust");
    lab.step("canopy killed: restarted, the window restored");

    let (rc, out) = app.run(&format!("tr '\\0' ' ' < /proc/{client}/cmdline && echo"), long)?;
    ensure!(rc == 0 && out.join(" ").contains("canopy-test-client"), "the app (pid {client}) is gone: {out:?}");
    check_eq!(first_line(&mut app, "cat /run/client.pid")?, client, "the app's pid");
    let (x, y, width, height) = geometry(&w);
    check_eq!((width, height), (before.2, before.3), "the restored window's size");
    // A restored window is placed anew, as a new one is: centred in the usable area. Under TCG
    // it is usually back before the new panel claims its strip, so it lands centred on the
    // whole output, half the panel higher than before; the user would drag it back.
    if (x, y) != (before.0, before.1) {
        let centred_on_output = (before.0, before.1 - PANEL_HEIGHT as i32 / 2);
        check_eq!((x, y), centred_on_output, "the restored window's place (not where it was, nor centred)");
        gui.screendump(&lab.shot_path("restored-where-placed"), 0)?;
        gui.msg(&["move", &w.id.to_string(), &before.0.to_string(), &before.1.to_string()])?;
    }
    gui.msg(&["focus", &w.id.to_string()])?;
    // The new canopy has its pointer at (0, 0); the kernel drops a tablet position equal to the
    // last one, so it moves away and back.
    pointer_to(&mut gui, PARK.0 - 10, PARK.1)?;
    pointer_to(&mut gui, PARK.0, PARK.1)?;
    wait_for_screen(lab, &mut gui, 0, "vm-app-window", long).context("the restored window on the screen")?;
    lab.step("the same app process; its window back on the screen (= headless golden)");

    let start = Instant::now();
    while entered(lab) <= entered_before {
        ensure!(start.elapsed() < long, "the app got no keyboard focus from the new canopy");
        std::thread::sleep(Duration::from_millis(200));
    }
    gui.keys(&["r"])?;
    wait_for_event(lab, "the key r after the restart", |e| e["event"] == "key" && e["utf8"] == "r")?;
    lab.step("a QMP key reaches the app through the new canopy");
    Ok(())
}

/// The first line a shell command in the VM prints (it must succeed).
fn first_line(vm: &mut Vm, command: &str) -> Result<String> {
    let (rc, out) = vm.run(command, Duration::from_secs(60))?;
    ensure!(rc == 0, "{}: {command} failed ({rc}): {out:?}", vm.name);
    out.into_iter().next().with_context(|| format!("{}: {command} printed nothing", vm.name))
}
