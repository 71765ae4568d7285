//! The lifecycle across VMs: canopy-hostd on the host, whose command backend
//! (tests/vm/vmctl.sh) boots the app VM's QEMU guest on demand and powers it off. In the GUI
//! VM the launcher and the panel reach hostd over AF_VSOCK; a click of the tablet on the
//! launcher's tile → hostd boots the app VM → its canopy-agent (started at boot with the guest
//! proxy) answers over AF_VSOCK and starts the app → the window appears framed in the VM's
//! colour with the keyboard. Stop in the panel's VM menu → the VM's power button → the guest
//! powers off, QEMU exits, the window goes. Each screen equals the headless golden of the same
//! clicks (hostd with the process-session "VMs" of tests/simvm.sh there).

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use canopy_tests::fixture::{geometry, rgb};
use canopy_tests::image::assert_golden;
use canopy_tests::{bin_path, simhost, Compositor};
use canopy_themes::Theme;
use serde_json::Value;

use super::vm::qemu::{sh_quote, Vm, VmSpec};
use super::vm::Lab;
use super::{pointer_to, settled, wait_for_screen, wait_for_windows, HEAD1, HEIGHT, PANEL_TIME, PARK, WIDTH};

const HOSTD_PORT: u32 = 7100;
const AGENT_PORT: u32 = 7101;
const VM: &str = "app-vm";
/// The compositor's config: the app VM's trust level (the scene's keyboard settings).
const CONFIG: &str = super::CONFIG;
/// Where the user clicks, the same on the headless backend and in the VM: the launcher's
/// tile of the app, the VM's chip in the panel, Stop… in its menu, Stop in the question.
const TILE: (u32, u32) = (512, 220);
const CHIP: (u32, u32) = (779, 16);
const MENU_STOP: (u32, u32) = (688, 124);
const CONFIRM_STOP: (u32, u32) = (842, 151);

/// hostd's app, and the agent's command for it (as simhost's `hello`).
fn hostd_vms(agent: &str, backend: &str) -> String {
    format!(
        r#"
[vms.{VM}]
trust = "untrusted"
agent = "{agent}"
agent_ready_secs = 240
{backend}
[apps.hello]
display_name = "Hello"
icon = "browser"
vm = "{VM}"
"#
    )
}

/// The screens of the scene on the headless backend, step by step as in the VMs.
#[test]
fn headless_reference_of_the_lifecycle_scene() {
    let mut c = Compositor::start_with(CONFIG, &[&format!("{HEAD1}:{WIDTH}x{HEIGHT}")]);
    let dir = tempfile::Builder::new().prefix("canopy-vm-lifecycle-").tempdir().unwrap();
    let d = dir.path();
    simhost::prepare(d, &[VM]);
    simhost::spawn_gui_proxy(&mut c, d, VM);
    simhost::write_hello_agent(d, VM);
    let agent = format!("unix:{}/vms/{VM}/agent.sock", d.display());
    let config = simhost::hostd_config_head(d) + &hostd_vms(&agent, "");
    std::fs::write(d.join("hostd.toml"), config).unwrap();
    // Ended with the compositor, also when the test fails; and the "VM" with the test.
    c.adopt(simhost::spawn_hostd(d));
    struct StopVm<'a>(&'a std::path::Path);
    impl Drop for StopVm<'_> {
        fn drop(&mut self) {
            simhost::stop_vm(self.0, VM);
        }
    }
    let _stop_vm = StopVm(d);
    let hostd_addr = format!("unix:{}/hostd.sock", d.display());
    let no_battery = d.join("no-power-supply");
    std::fs::create_dir_all(&no_battery).unwrap();
    let panel_args = ["--time", PANEL_TIME, "--hostd", &hostd_addr, "--power-supply", no_battery.to_str().unwrap()];
    let _panel = c.spawn("canopy-panel", &panel_args);
    c.msg(&["pointer-move", &PARK.0.to_string(), &PARK.1.to_string()]);
    let background = rgb(Theme::default().desktop.background);
    c.wait_until("the panel", || c.screenshot().pixel(100, 16) != background);
    assert_golden("vm-life-desktop", &settled(&c, HEAD1), 0, 0);

    let _launcher = c.spawn("canopy-launcher", &["--hostd", &hostd_addr]);
    c.wait_until("the launcher", || c.screenshot().pixel(WIDTH / 2, HEIGHT / 2) != background);
    assert_golden("vm-life-launcher", &settled(&c, HEAD1), 0, 0);
    click(&c, TILE);
    c.wait_until("the app's window", || c.windows().len() == 1);
    c.msg(&["pointer-move", &PARK.0.to_string(), &PARK.1.to_string()]);
    assert_golden("vm-life-window", &settled(&c, HEAD1), 0, 0);

    click(&c, CHIP);
    assert_golden("vm-life-menu", &settled(&c, HEAD1), 0, 0);
    click(&c, MENU_STOP);
    assert_golden("vm-life-confirm", &settled(&c, HEAD1), 0, 0);
    click(&c, CONFIRM_STOP);
    c.wait_until("the window gone", || c.windows().is_empty());
    c.msg(&["pointer-move", &PARK.0.to_string(), &PARK.1.to_string()]);
    assert_golden("vm-life-desktop", &settled(&c, HEAD1), 0, 0);
}

fn click(c: &Compositor, (x, y): (u32, u32)) {
    c.msg(&["pointer-move", &x.to_string(), &y.to_string()]);
    c.msg(&["click"]);
}

fn vm_click(gui: &mut Vm, (x, y): (u32, u32)) -> Result<()> {
    pointer_to(gui, x, y)?;
    gui.click()
}

/// hostd's audit lines, in order: (request type, ok, result, time).
fn audit(lab: &Lab) -> Vec<(String, bool, String, f64)> {
    std::fs::read_to_string(lab.run_file("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| {
            let kind = v["request"]["type"].as_str().unwrap_or_default().to_string();
            let time = v["time"].as_f64().unwrap_or_default();
            (kind, v["ok"] == true, v["result"].as_str().unwrap_or_default().to_string(), time)
        })
        .collect()
}

fn wait_for(what: &str, timeout: Duration, mut cond: impl FnMut() -> Result<bool>) -> Result<()> {
    let start = Instant::now();
    while !cond()? {
        if start.elapsed() > timeout {
            bail!("no {what} after {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

pub fn lifecycle(lab: &mut Lab) -> Result<()> {
    let long = Duration::from_secs(240);
    let run = lab.run.display().to_string();
    let bin = lab.bin.display().to_string();
    std::fs::write(lab.run_file("canopy.toml"), CONFIG)?;
    lab.start_relay()?;

    // The app VM, as hostd's backend boots it: QEMU's command line from the harness, and what
    // the VM starts at boot (its units on a laptop): the power button, the guest proxy, the agent.
    lab.write_boot_command(&VmSpec::app())?;
    let guest_sh = |part: &str| {
        format!(
            "BIN={} sh {} {part}\n",
            sh_quote(&bin),
            sh_quote(&lab.repo.join("tests/vm/guest.sh").display().to_string())
        )
    };
    // And, as an app VM may try: asking hostd itself (its port on the host is not the GUI
    // VM's, so nothing answers there).
    let ctl = format!(
        "{} --connect vsock:2:{HOSTD_PORT} list > /run/vm/app-ctl.log 2>&1; echo \"exit $?\" >> /run/vm/app-ctl.log\n",
        sh_quote(&bin_path("canopy-ctl").display().to_string())
    );
    let boot = guest_sh("power-button") + &guest_sh("proxy-guest") + &guest_sh("agent /run/vm/app-agent.toml") + &ctl;
    std::fs::write(lab.run_file("app-boot.sh"), boot)?;
    std::fs::write(
        lab.run_file("app-agent.toml"),
        format!(
            r#"listen = ["vsock:any:{AGENT_PORT}"]
wayland_display = "wayland-canopy"
[allow]
host_cid = 2
[apps.hello]
command = ["{client}", "--title", "hello from the {VM} VM", "--app-id", "org.example.hello", "--color", "2f6fd0", "--activate-from-env"]
startup_grace_ms = 200
"#,
            client = bin_path("canopy-test-client").display(),
        ),
    )?;
    let vmctl = |action: &str| {
        format!(
            r#""{action}" = ["/bin/sh", "{}", "{action}", "{run}", "app"]"#,
            lab.repo.join("tests/vm/vmctl.sh").display()
        )
    };
    let backend =
        format!("[vms.{VM}.backend]\nkind = \"command\"\n{}\n{}\n{}\n", vmctl("start"), vmctl("stop"), vmctl("status"));
    let uid = rustix::process::getuid().as_raw();
    let hostd = format!(
        r#"listen = ["vsock-mux:{run}/gui.vsock:{HOSTD_PORT}"]
state_dir = "{run}/hostd-state"
audit_log = "{run}/audit.jsonl"
[allow]
uids = [{uid}]
[timeouts]
command_secs = 180
"#
    ) + &hostd_vms(&format!("vsock-mux:{run}/app.vsock:{AGENT_PORT}"), &backend);
    lab.start_hostd(&hostd, &format!("gui.vsock_{HOSTD_PORT}"))?;
    let hostd_addr = format!("vsock:2:{HOSTD_PORT}");

    let mut gui = lab.boot(&VmSpec::gui(WIDTH, HEIGHT, "none".into()))?;
    lab.watch(&gui);
    gui.wait_line("VM-READY", long)?;
    lab.step("boot the GUI VM (hostd on the host; the app VM is down)");
    gui.guest("udev", &[], long)?;
    gui.guest("compositor", &[], long)?;
    gui.guest("proxy-gui", &[], long)?;
    gui.guest("panel", &[&hostd_addr], long)?;
    pointer_to(&mut gui, PARK.0, PARK.1)?;
    wait_for_screen(lab, &mut gui, 0, "vm-life-desktop", long).context("the panel with the VM's chip")?;
    lab.step("GUI VM: canopy, proxy, panel with hostd's VM chip over AF_VSOCK (= headless golden)");

    gui.guest("launcher", &[&hostd_addr], long)?;
    wait_for_screen(lab, &mut gui, 0, "vm-life-launcher", long).context("the launcher with hostd's app")?;
    let t0 = Instant::now();
    vm_click(&mut gui, TILE)?;
    let w = wait_for_windows(&mut gui, 1, long).context("the app's window")?.remove(0);
    let started = t0.elapsed();
    ensure!(w.vm.as_deref() == Some(VM) && w.trust == "untrusted", "the window's VM and trust: {w:?}");
    // The app activates its window with the launcher's token once it is mapped.
    wait_for("the window the user asked for to have the keyboard", long, || {
        Ok(wait_for_windows(&mut gui, 1, long)?.first().is_some_and(|w| w.focused))
    })?;
    pointer_to(&mut gui, PARK.0, PARK.1)?;
    let shot = wait_for_screen(lab, &mut gui, 0, "vm-life-window", long).context("the app's window")?;
    let (x, y, _, height) = geometry(&w);
    let untrusted = rgb(Theme::default().colours("untrusted").focused);
    ensure!(shot.pixel((x - 2) as u32, (y + height / 2) as u32) == untrusted, "the border in the VM's colour");
    lab.step(&format!(
        "launcher tile clicked: hostd booted the app VM, its agent started the app ({:.1} s to the window)",
        started.as_secs_f64()
    ));

    // The app VM's own try at hostd found nothing listening (canopy-ctl's "hostd unreachable").
    let ctl_log = lab.run_file("app-ctl.log");
    wait_for("the app VM's canopy-ctl to end", long, || {
        Ok(std::fs::read_to_string(&ctl_log).unwrap_or_default().contains("exit "))
    })?;
    let tried = std::fs::read_to_string(&ctl_log)?;
    ensure!(tried.ends_with("exit 3\n"), "the app VM reached hostd: {tried:?}");

    vm_click(&mut gui, CHIP)?;
    wait_for_screen(lab, &mut gui, 0, "vm-life-menu", long).context("the VM menu")?;
    vm_click(&mut gui, MENU_STOP)?;
    wait_for_screen(lab, &mut gui, 0, "vm-life-confirm", long).context("the question before stopping")?;
    let t0 = Instant::now();
    vm_click(&mut gui, CONFIRM_STOP)?;
    wait_for_windows(&mut gui, 0, long).context("the window of the stopped VM")?;
    let pid_file = lab.run_file("app.pid");
    wait_for("QEMU of the app VM to exit", long, || Ok(!pid_file.exists()))?;
    let stopped = t0.elapsed();
    let powered = std::fs::read_to_string(lab.run_file("app-power-button.log")).unwrap_or_default();
    ensure!(powered.contains("powering off"), "the app VM did not power itself off: {powered:?}");
    pointer_to(&mut gui, PARK.0, PARK.1)?;
    wait_for_screen(lab, &mut gui, 0, "vm-life-desktop", long).context("the desktop after the stop")?;
    lab.step(&format!(
        "Stop in the VM menu: the app VM powered off, QEMU exited, the window went ({:.1} s)",
        stopped.as_secs_f64()
    ));

    // hostd's audit (each line written when the request is done): the app started, which
    // booted its VM first; then the VM stopped, once it had powered off. One host clock.
    let asked: Vec<_> = audit(lab).into_iter().filter(|a| a.0 == "start_app" || a.0 == "stop_vm").collect();
    let kinds: Vec<(&str, bool)> = asked.iter().map(|a| (a.0.as_str(), a.1)).collect();
    ensure!(kinds == [("start_app", true), ("stop_vm", true)], "hostd's audit: {asked:?}");
    ensure!(asked[0].2 == format!("instance 1 in {VM}"), "the app started in {VM}: {asked:?}");
    let backend = std::fs::read_to_string(lab.run_file("app-backend.log"))?;
    let steps: Vec<(&str, f64)> = backend
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(step, t)| (step, t.trim().parse().unwrap_or_default())))
        .collect();
    let names: Vec<&str> = steps.iter().map(|s| s.0).collect();
    ensure!(names == ["start", "stop", "powered-off"], "the backend's steps: {backend:?}");
    let order = [steps[0].1, asked[0].3, steps[1].1, steps[2].1, asked[1].3];
    ensure!(
        order.windows(2).all(|w| w[0] <= w[1]),
        "not in the order boot, start_app, power button, powered off, stop_vm: {order:?}"
    );
    Ok(())
}
