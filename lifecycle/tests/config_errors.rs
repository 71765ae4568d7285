//! The daemons refuse a bad config with a message naming file, line and key.

use std::process::Command;

const HOSTD: &str = env!("CARGO_BIN_EXE_canopy-hostd");
const AGENT: &str = env!("CARGO_BIN_EXE_canopy-agent");

fn run(bin: &str, text: &str) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(bin).arg("--config").arg(&path).arg("--check").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).replace(&path.display().to_string(), "FILE");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).replace(&path.display().to_string(), "FILE"), err)
}

#[test]
fn hostd_names_file_line_and_key() {
    let good =
        "listen = [\"unix:/tmp/h.sock\"]\n[allow]\nuids = [0]\n[vms.web]\ntrust = \"work\"\nagent = \"vsock:5:7101\"\n";
    assert_eq!(run(HOSTD, good), (Some(0), "FILE: ok (1 VMs, 0 apps)\n".into(), String::new()));
    let (code, _, err) = run(HOSTD, &good.replace("trust = \"work\"", "trust = \"wrok\""));
    assert_eq!(code, Some(1));
    assert_eq!(
        err,
        "canopy-hostd: FILE:5: key `vms.web.trust`: unknown trust level \"wrok\" \
         (known: local, trusted, work, personal, untrusted)\n"
    );
    let (code, _, err) = run(HOSTD, &good.replace("vsock:5:7101", "vsock:five:7101"));
    assert_eq!(code, Some(1));
    assert!(err.starts_with("canopy-hostd: FILE:6: key `vms.web.agent`: bad address"), "{err}");
    let (code, _, err) = run(AGENT, "listen = []\n");
    assert_eq!(code, Some(1));
    assert!(err.starts_with("canopy-agent: FILE:1: missing field `allow`"), "{err}");
}
