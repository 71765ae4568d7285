//! A broken config names file, line and key; canopy refuses to start with it, and a reload
//! with it keeps the running config. `canopy msg` finds the running compositor among stale
//! sockets, and SIGTERM leaves none behind.

use std::process::Command;

use canopy_tests::fixture::{geometry, rgb};
use canopy_tests::{bin_path, Compositor};
use canopy_themes::Theme;

#[test]
fn broken_config_refuses_to_start_and_names_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("canopy.toml");
    std::fs::write(&path, "[vms.work-vm]\ntrust = \"work\"\n\n[vms.web]\ntrust = \"untrustd\"\n").unwrap();
    let out = Command::new(bin_path("canopy"))
        .args(["--backend", "headless", "--config"])
        .arg(&path)
        .env("XDG_RUNTIME_DIR", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let expected = format!("{}:5: key `vms.web.trust`: unknown trust level `untrustd`", path.display());
    assert!(err.contains(&expected), "stderr: {err}");
    assert!(!dir.path().join("canopy-wayland-0.sock").exists());
}

#[test]
fn check_config_flag() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, "[keybindings]\n\"Super+Retrun\" = \"close\"\n").unwrap();
    let out = Command::new(bin_path("canopy")).arg("--check-config").arg("--config").arg(&path).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(":2: key `keybindings.\"Super+Retrun\"`: `Retrun` is not a key name"), "{err}");
}

#[test]
fn check_config_names_an_unknown_keyboard_layout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    let text = "[keyboard]\nlayouts = [\n  { layout = \"us\" },\n  { layout = \"de\", variant = \"nosuch\" },\n]\n";
    for (config, expected) in [
        (
            "[keyboard]\nlayouts = [{ layout = \"xx\" }]\n",
            ":2: key `keyboard.layouts.0.layout`: xkb has no layout `xx`",
        ),
        (text, ":4: key `keyboard.layouts.1.variant`: xkb has no variant `nosuch` of `de`"),
    ] {
        std::fs::write(&path, config).unwrap();
        let out = Command::new(bin_path("canopy")).arg("--check-config").arg("--config").arg(&path).output().unwrap();
        assert!(!out.status.success(), "{config} passed the check");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("{}{expected}", path.display())), "{err}");
    }
}

#[test]
fn reload_with_a_broken_file_keeps_the_running_config() {
    let theme = Theme::default();
    let mut c = Compositor::start("[vms.work-vm]\ntrust = \"work\"\n");
    let (_client, w) = c.open(Some("work-vm"), &[]);
    let path = c.runtime_dir().join("canopy.toml");
    std::fs::write(&path, "[vms.work-vm]\ntrust = \"personal\"\ncolour = \"#12345\"\n").unwrap();
    let err = c.try_msg(&["reload-config"]).unwrap_err();
    assert!(err.contains(":3: key `vms.work-vm.colour`"), "{err}");
    let (x, y, _, h) = geometry(&w);
    let img = c.screenshot();
    assert_eq!(img.pixel((x - 2) as u32, (y + h / 2) as u32), rgb(theme.colours("work").focused), "old colours stay");

    // A good file applies at once.
    std::fs::write(&path, "[vms.work-vm]\ntrust = \"personal\"\n").unwrap();
    c.msg(&["reload-config"]);
    let img = c.screenshot();
    assert_eq!(img.pixel((x - 2) as u32, (y + h / 2) as u32), rgb(theme.colours("personal").focused));
    assert_eq!(c.window(w.id).trust, "personal");
}

#[test]
fn msg_cli_reports_errors_with_exit_status() {
    let c = Compositor::start("");
    let out = Command::new(bin_path("canopy"))
        .args(["msg", "--socket"])
        .arg(c.ipc_socket())
        .args(["focus", "999"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no window 999"));
    let out =
        Command::new(bin_path("canopy")).args(["msg", "--socket"]).arg(c.ipc_socket()).arg("version").output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["backend"], "headless");
}

/// `canopy msg version` in the compositor's runtime dir with only the given environment.
fn msg_version(c: &Compositor, args: &[&str], env: &[(&str, &str)]) -> Result<String, String> {
    let mut cmd = Command::new(bin_path("canopy"));
    cmd.arg("msg")
        .args(args)
        .arg("version")
        .env_clear()
        .env("XDG_RUNTIME_DIR", c.runtime_dir())
        .envs(env.iter().copied());
    let out = cmd.output().unwrap();
    match out.status.success() {
        true => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
    }
}

#[test]
fn msg_finds_the_running_compositor_and_sigterm_leaves_no_sockets() {
    let mut c = Compositor::start("");
    let dir = c.runtime_dir().to_path_buf();
    // A socket left by a compositor killed the hard way: nothing listens on it.
    drop(std::os::unix::net::UnixListener::bind(dir.join("canopy-wayland-9.sock")).unwrap());
    let found = msg_version(&c, &[], &[]);
    assert!(found.as_deref().is_ok_and(|v| v.contains("\"version\"")), "{found:?}");
    // A second running one: the name as `canopy --socket` takes it, or WAYLAND_DISPLAY, chooses.
    let _other = std::os::unix::net::UnixListener::bind(dir.join("canopy-wayland-8.sock")).unwrap();
    let several = msg_version(&c, &[], &[]);
    assert!(several.as_ref().is_err_and(|e| e.contains("--socket NAME")), "{several:?}");
    let named = msg_version(&c, &["--socket", c.wayland_display()], &[]);
    assert!(named.as_deref().is_ok_and(|v| v.contains("\"version\"")), "{named:?}");
    let followed = msg_version(&c, &[], &[("WAYLAND_DISPLAY", c.wayland_display())]);
    assert!(followed.as_deref().is_ok_and(|v| v.contains("\"version\"")), "{followed:?}");

    // SIGTERM, as systemd stops it: canopy ends and removes its Wayland socket, lock and
    // control socket.
    let killed = Command::new("kill").args(["-TERM", &c.pid().to_string()]).status().unwrap();
    assert!(killed.success());
    let deadline = std::time::Instant::now() + canopy_tests::fixture::TIMEOUT;
    while c.is_running() {
        assert!(std::time::Instant::now() < deadline, "canopy still runs after SIGTERM");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(c.log().contains("stopping on a signal"), "{}", c.log());
    for name in ["wayland-test", "wayland-test.lock", "canopy-wayland-test.sock"] {
        assert!(!dir.join(name).exists(), "{name} left behind after SIGTERM");
    }
}
