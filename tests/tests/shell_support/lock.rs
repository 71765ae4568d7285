//! The lock screen's test account and what a covered output looks like, shared by the lock
//! tests and the compositor-crash tests.

use std::process::Command;
use std::sync::Once;

use canopy_tests::fixture::rgb;
use canopy_tests::image::Image;

use super::theme;

pub const USER: &str = "canopy-lock-test";
pub const PASSWORD: &str = "correct horse 42";
pub const SERVICE: &str = "canopy-lock-test";

/// A user with a known password and a PAM service that checks it with pam_unix.
pub fn test_account() {
    static SETUP: Once = Once::new();
    SETUP.call_once(|| {
        assert!(
            rustix::process::geteuid().is_root(),
            "the lock tests create a user and a PAM service and must run as root (as CI does)"
        );
        let exists = Command::new("id").arg(USER).output().unwrap().status.success();
        if !exists {
            let st = Command::new("useradd").args(["--no-create-home", "--shell", "/usr/sbin/nologin", USER]).status();
            assert!(st.unwrap().success(), "useradd {USER}");
        }
        let mut chpasswd = Command::new("chpasswd").stdin(std::process::Stdio::piped()).spawn().unwrap();
        use std::io::Write;
        writeln!(chpasswd.stdin.take().unwrap(), "{USER}:{PASSWORD}").unwrap();
        assert!(chpasswd.wait().unwrap().success(), "chpasswd");
        std::fs::write(
            format!("/etc/pam.d/{SERVICE}"),
            "# canopy's lock screen tests\nauth required pam_unix.so\naccount required pam_unix.so\n",
        )
        .unwrap();
    });
}

pub fn lock_bg() -> [u8; 3] {
    rgb(theme().desktop.background.mix(canopy_themes::Rgba::rgb(0, 0, 0), 0.35))
}

pub fn covered(img: &Image) -> bool {
    let bg = lock_bg();
    [(5, 5), (img.width - 5, 5), (5, img.height - 5), (img.width - 5, img.height - 5)]
        .iter()
        .all(|&(x, y)| img.pixel(x, y) == bg)
}

/// Password dots on the lock screen of a 1280×800 output at scale 1 (they sit on row 458).
pub fn dots(img: &Image) -> usize {
    let dot = rgb(theme().desktop.notice_text);
    let mut n = 0;
    let mut inside = false;
    for x in 0..img.width {
        let on = img.pixel(x, 458) == dot;
        if on && !inside {
            n += 1;
        }
        inside = on;
    }
    n
}
