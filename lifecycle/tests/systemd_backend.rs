//! The systemd backend: hostd drives VM units through `systemctl`. No systemd runs on the test
//! machine, so a stand-in `systemctl` first in hostd's PATH records each call and does what the
//! unit would (runs the test VM script, reading the unit's EnvironmentFile).

mod support;

use support::Lab;

const SYSTEMCTL: &str = r#"#!/bin/sh
# Stand-in for systemctl: log the call, then act like a unit that runs vm.sh.
dir=$(dirname "$(dirname "$0")")
echo "$*" >> "$dir/systemctl.log"
case "$1" in
  is-active) [ "$2" = --quiet ] || exit 2; unit=$3 ;;
  start|stop) unit=$2 ;;
  *) exit 2 ;;
esac
vm=${unit#canopy-vm@}
vm=${vm%.service}
# What `EnvironmentFile=-/var/lib/canopy-hostd/%i.env` does in the unit.
if [ -f "$dir/state/$vm.env" ]; then set -a; . "$dir/state/$vm.env"; set +a; fi
case "$1" in
  start) exec /bin/sh "$dir/vm.sh" start "$vm" ;;
  stop) exec /bin/sh "$dir/vm.sh" stop "$vm" ;;
  is-active) exec /bin/sh "$dir/vm.sh" status "$vm" ;;
esac
"#;

#[test]
fn vms_are_driven_through_their_units() {
    let mut lab = Lab::start_with(|dir, config| {
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        let systemctl = dir.join("bin/systemctl");
        std::fs::write(&systemctl, SYSTEMCTL).unwrap();
        std::fs::set_permissions(&systemctl, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        // Replace the command backend by the systemd one.
        let start = config.find("[default_backend]").unwrap();
        let end = config.find("[power]").unwrap();
        format!(
            "{}[default_backend]\nkind = \"systemd\"\nunit = \"canopy-vm@{{vm}}.service\"\n{}",
            &config[..start],
            &config[end..]
        )
    });

    let out = lab.ctl(&["start", "app", "browser"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", String::from_utf8_lossy(&out.stderr), lab.logs());
    lab.marker_lines("vms/web/browser.log", 1);
    let out = lab.ctl(&["stop", "vm", "web"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let calls = lab.read("systemctl.log");
    let mut web: Vec<&str> = calls.lines().filter(|l| l.contains("canopy-vm@web.service")).collect();
    // hostd's start-up probe asks too, unless the start request got there first.
    web.dedup();
    assert_eq!(
        web,
        ["is-active --quiet canopy-vm@web.service", "start canopy-vm@web.service", "stop canopy-vm@web.service"],
        "{calls}"
    );

    // A VM with a disk image: hostd writes the unit's environment file before starting it.
    let image = lab.path("win.qcow2");
    std::fs::write(&image, b"x").unwrap();
    assert_eq!(lab.ctl(&["set-disk-image", "win", image.to_str().unwrap()]).status.code(), Some(0));
    lab.start_hostd();
    let out = lab.ctl(&["start", "app", "windows"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", String::from_utf8_lossy(&out.stderr), lab.logs());
    assert_eq!(lab.read("state/win.env"), format!("CANOPY_DISK_IMAGE={}\n", image.display()));
    assert_eq!(lab.read("vms/win/starts.log"), format!("start {}\n", image.display()));
    assert!(lab.read("systemctl.log").contains("start canopy-vm@win.service"));
}
