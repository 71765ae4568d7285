//! The Windows VM: an app of kind `vm-display` starts a VM (booting from a disk image the user
//! gives once) and its display client in the GUI VM.

mod support;

use canopy_lifecycle::ctl::exit;
use support::{running, Lab};

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_vm_display_asks_for_its_disk_image_once_and_then_starts() {
    let mut lab = Lab::start();

    // No image yet: a typed error that tells the launcher to ask.
    let out = lab.ctl(&["start", "app", "windows"]);
    assert_eq!(out.status.code(), Some(exit::DISK_IMAGE_MISSING as i32), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "canopy-ctl: VM \"win\" needs a disk image: no disk image is set\n\
         canopy-ctl: set it with: canopy-ctl set-disk-image win PATH\n"
    );
    let mut c = lab.client();
    let e = c.start_app("windows", None, vec![]).unwrap_err();
    assert_eq!(e.lifecycle_error().map(|e| e.kind()), Some("disk_image_missing"));
    assert!(!lab.path("vms/win/starts.log").exists());

    // Wrong answers are refused and change nothing.
    let out = lab.ctl(&["set-disk-image", "win", "/nonexistent/win.qcow2"]);
    assert_eq!(out.status.code(), Some(exit::BAD_REQUEST as i32));
    assert!(stderr(&out).contains("/nonexistent/win.qcow2: No such file or directory"), "{}", stderr(&out));
    let out = lab.ctl(&["set-disk-image", "web", "/etc/hostname"]);
    assert_eq!(out.status.code(), Some(exit::BAD_REQUEST as i32));
    assert!(stderr(&out).contains("VM \"web\" does not use a disk image"), "{}", stderr(&out));

    // The right answer is remembered, across a restart of hostd.
    let image = lab.path("win.qcow2");
    std::fs::write(&image, b"QFI\xfb").unwrap();
    let out = lab.ctl(&["set-disk-image", "win", image.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    lab.start_hostd();
    let list = String::from_utf8_lossy(&lab.ctl(&["list", "vms"]).stdout).into_owned();
    assert!(list.contains(&format!("disk image {}", image.display())), "{list}");

    let watch = lab.watch();
    let out = lab.ctl(&["start", "app", "windows"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stderr(&out), lab.logs());
    // The VM booted from that image; the display client runs in the GUI VM, on its own socket.
    assert_eq!(lab.read("vms/win/starts.log"), format!("start {}\n", image.display()));
    let line = lab.marker_lines("vms/gui/display.log", 1).remove(0);
    let (pid, rest) = line.split_once('|').unwrap();
    assert_eq!(rest, "canopy-win.sock|");
    let pid: u32 = pid.parse().unwrap();
    assert!(running(pid));
    watch.wait_line("vm win running");
    watch.wait_line("app windows 1 win running");

    // Stopping the VM ends its display client too.
    let out = lab.ctl(&["stop", "vm", "win"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!running(pid), "the display client outlived its VM");
    let lines = watch.wait_lines("vm win stopped", 2); // the first one was before the start
    assert!(lines.contains(&"app windows 1 win stopped".to_string()), "{lines:#?}");
}

#[test]
fn a_vanished_disk_image_is_asked_for_again() {
    let image_dir = tempfile::tempdir().unwrap();
    let image = image_dir.path().join("win.qcow2");
    std::fs::write(&image, b"x").unwrap();
    let lab = Lab::start();
    assert_eq!(lab.ctl(&["set-disk-image", "win", image.to_str().unwrap()]).status.code(), Some(0));
    std::fs::remove_file(&image).unwrap();
    let out = lab.ctl(&["start", "app", "windows"]);
    assert_eq!(out.status.code(), Some(exit::DISK_IMAGE_MISSING as i32));
    assert!(stderr(&out).contains(&format!("{} does not exist or is not a file", image.display())), "{}", stderr(&out));
}
