//! The example configs in assets/examples, as a user copies them: each is checked by its own
//! program's real loader (`--check` / `--check-config`), every file there has a program that
//! checks it, a mistake in a copy is named with file, line and key (an icon that is not built
//! in, too), and the examples agree with each other on VMs, trust levels and apps.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use canopy_tests::fixture::bin_path;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/examples")
}

/// The command line that checks example `file` with its program's real loader.
fn checker(file: &str, path: &Path) -> Command {
    let (program, args): (&str, &[&str]) = match file {
        "canopy.toml" => ("canopy", &["--check-config", "--config"]),
        "hostd.toml" => ("canopy-hostd", &["--check", "--config"]),
        "agent.toml" | "gui-agent.toml" => ("canopy-agent", &["--check", "--config"]),
        "notifyd.toml" => ("canopy-notifyd", &["--check", "--config"]),
        "audiod.toml" => ("canopy-audiod", &["--check", "--config"]),
        "launcher.toml" => ("canopy-launcher", &["--check", "--apps"]),
        other => panic!("assets/examples/{other} has no program that checks it: add it to this test"),
    };
    let mut cmd = Command::new(bin_path(program));
    cmd.args(args).arg(path);
    cmd
}

fn check(file: &str, path: &Path) -> Result<String, String> {
    let out = checker(file, path).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}

fn read(file: &str) -> String {
    std::fs::read_to_string(examples().join(file)).unwrap()
}

#[test]
fn every_example_passes_its_programs_check() {
    let mut files: Vec<String> =
        std::fs::read_dir(examples()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    files.sort();
    assert!(files.len() >= 7, "{files:?}");
    for file in &files {
        let out = check(file, &examples().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        eprintln!("{file}: {}", out.trim());
    }
}

/// A copy with a mistake is refused by the same check, naming file, line and key; an icon that
/// is not one of the built-in ones is such a mistake (the hostd example once had `document`).
#[test]
fn a_mistake_in_a_copy_is_named_with_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("hostd.toml", "icon = \"pdf\"", "icon = \"document\"", "key `apps.pdf.icon`: no built-in icon `document`"),
        ("launcher.toml", "icon = \"pdf\"", "icon = \"document\"", "key `app.1.icon`: no built-in icon `document`"),
        ("canopy.toml", "idle_lock_seconds = 600", "idle_lock_second = 600", "unknown field `idle_lock_second`"),
        ("gui-agent.toml", "host_cid = 2", "host_cid = \"2\"", "key `allow.host_cid`"),
    ];
    for (file, from, to, message) in cases {
        let text = read(file);
        assert_eq!(text.matches(from).count(), 1, "{file}: {from}");
        let line = text.lines().position(|l| l.contains(from)).unwrap() + 1;
        let path = dir.path().join(file);
        std::fs::write(&path, text.replace(from, to)).unwrap();
        let e = check(file, &path).expect_err(file);
        let place = format!("{}:{line}:", path.display());
        assert!(e.contains(&place) && e.contains(message), "{file}: wanted {place} … {message}, got {e}");
    }
}

/// The trust level of each VM in a TOML table of `[vms.NAME] trust = …`.
fn trust_levels(text: &str) -> BTreeMap<String, String> {
    let v: toml::Table = text.parse().unwrap();
    v["vms"]
        .as_table()
        .unwrap()
        .iter()
        .map(|(name, vm)| (name.clone(), vm["trust"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn the_examples_agree_on_vms_trust_levels_and_apps() {
    let compositor = trust_levels(&read("canopy.toml"));
    let hostd_text = read("hostd.toml");
    let hostd = trust_levels(&hostd_text);
    for (vm, trust) in &hostd {
        if trust == "local" {
            continue; // the GUI VM's own windows are local, never a configured VM
        }
        assert_eq!(
            compositor.get(vm),
            Some(trust),
            "{vm}: hostd.toml says {trust}, canopy.toml {:?}",
            compositor.get(vm)
        );
    }
    let notifyd: toml::Table = read("notifyd.toml").parse().unwrap();
    for vm in notifyd["vms"].as_table().unwrap().keys() {
        assert!(hostd.contains_key(vm), "notifyd.toml's {vm} is not in hostd.toml");
    }

    // The launcher's fallback list is hostd's apps, with the compositor's trust levels.
    let hostd_apps: toml::Table = hostd_text.parse().unwrap();
    let hostd_apps = hostd_apps["apps"].as_table().unwrap();
    let launcher: toml::Table = read("launcher.toml").parse().unwrap();
    let launcher_apps = launcher["app"].as_array().unwrap();
    assert_eq!(launcher_apps.len(), hostd_apps.len());
    for app in launcher_apps {
        let name = app["name"].as_str().unwrap();
        let h = hostd_apps.get(name).unwrap_or_else(|| panic!("launcher.toml's {name} is not in hostd.toml"));
        for key in ["display_name", "icon", "vm"] {
            assert_eq!(app.get(key), h.get(key), "{name}.{key}");
        }
        let vm = app["vm"].as_str().unwrap();
        assert_eq!(app["trust"].as_str(), compositor.get(vm).map(String::as_str), "{name}.trust");
    }

    // The GUI VM's agent runs the display app hostd names, and the VM display runs as that VM.
    let gui_agent: toml::Table = read("gui-agent.toml").parse().unwrap();
    let windows = &hostd_apps["windows"];
    let display = &gui_agent["apps"][windows["display_app"].as_str().unwrap()];
    let command: Vec<&str> = display["command"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(command[..5], ["canopy", "context", "--vm", windows["vm"].as_str().unwrap(), "--"]);
}
