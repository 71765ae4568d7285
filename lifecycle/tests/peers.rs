//! Peers hostd must refuse cannot crowd out the peer it serves.

use std::process::Command;
use std::time::Duration;

use canopy_lifecycle::backoff::retry;
use canopy_lifecycle::{Address, Stream};

const HOSTD: &str = env!("CARGO_BIN_EXE_canopy-hostd");
const CTL: &str = env!("CARGO_BIN_EXE_canopy-ctl");

#[test]
fn refused_peers_cannot_take_the_places_of_the_allowed_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let sock = d.join("hostd.sock");
    // Only `nobody` may talk to this hostd; this test process (another uid) is the intruder.
    std::fs::write(
        d.join("hostd.toml"),
        format!(
            "listen = [\"unix:{}\"]\nstate_dir = \"{}/state\"\n[allow]\nuids = [65534]\n\
             [vms.gui]\ntrust = \"local\"\nmanaged = false\nagent = \"unix:{}/none.sock\"\n",
            sock.display(),
            d.display(),
            d.display()
        ),
    )
    .unwrap();
    assert_ne!(rustix::process::getuid().as_raw(), 65534);
    let _hostd = KillOnDrop(
        Command::new(HOSTD)
            .arg("--config")
            .arg(d.join("hostd.toml"))
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(d.join("hostd.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    let addr = Address::Unix(sock.clone());
    let first = retry(Duration::from_millis(5), Duration::from_millis(200), Duration::from_secs(20), |_| {
        Stream::connect(&addr)
    })
    .unwrap_or_else(|(e, _)| panic!("hostd does not listen: {e}"));
    std::fs::set_permissions(&sock, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();

    // More connections than hostd serves at once (512), none of which ever says hello.
    let mut held = vec![first];
    for _ in 0..600 {
        held.push(Stream::connect(&addr).unwrap());
    }
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", CTL, "--timeout", "10", "list", "vms"])
        .env("CANOPY_HOSTD", addr.to_string())
        .output()
        .unwrap();
    let log = std::fs::read_to_string(d.join("hostd.log")).unwrap_or_default();
    assert!(out.status.success(), "{}\n{log}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("gui"));
    assert!(log.contains("closed at once, already 16 such connections"), "{log}");
    drop(held);
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
