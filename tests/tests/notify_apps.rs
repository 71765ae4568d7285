//! Notifications from real toolkits in simulated VMs, unchanged: a GLib application's
//! GNotification (GLib's freedesktop backend, as GTK apps use it), a Qt program calling
//! org.freedesktop.Notifications through QtDBus, and a web page's `new Notification()` in
//! Debian's Chromium. Each runs on its VM's own session bus, where the real canopy-notify-agent
//! serves the interface; the GUI VM's canopy-notifyd shows each as that VM's popup, framed in its
//! colour and titled `[vm]`. One desktop for the whole file.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use canopy_notify::centre::CentreState;
use canopy_tests::fixture::rgb;
use canopy_tests::image::wait_for_golden;
use canopy_tests::notify::NotifyDesktop;

const COMPOSITOR: &str = "[vms.web]\ntrust = \"untrusted\"\n[vms.mail]\ntrust = \"work\"\ncolour = \"#7b3fc4\"\n\
                          [vms.chat]\ntrust = \"personal\"\n";
/// Popups 360 wide, 8 from the output's top-right corner (there is no panel here).
const CARD_X: u32 = 1280 - 8 - 360;
const CARD_Y: u32 = 8;

fn app(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("apps").join(name)
}

fn has(c: &CentreState, vm: &str, summary: &str) -> bool {
    c.groups.iter().any(|g| g.vm.as_deref() == Some(vm) && g.items.iter().any(|i| i.summary == summary))
}

/// Kills a child on drop (the GLib app runs until killed; Chromium and its server too).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn glib_qt_and_chromium_notifications_arrive_as_their_vm_s() {
    let d = NotifyDesktop::start(COMPOSITOR, &["mail", "chat", "web"], &[], "");
    let theme = canopy_themes::Theme::default();
    let purple = [0x7b, 0x3f, 0xc4];

    // GLib: a Gio.Application's notification with a button bound to its "reply" action.
    let mut glib = Killed(
        d.in_vm(Some("mail"), "/usr/bin/python3")
            .arg(app("glib-notify.py"))
            .args(["New mail from Alice", "Lunch on Friday? <b>Reply</b> soon"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 with GLib (Debian packages python3-gi, gir1.2-glib-2.0)"),
    );
    let mut glib_out = BufReader::new(glib.0.stdout.take().unwrap()).lines();
    let c = d.wait_centre("GLib's notification", |c| has(c, "mail", "New mail from Alice"));
    let item = &c.groups.iter().find(|g| g.vm.as_deref() == Some("mail")).unwrap().items[0];
    assert_eq!(item.body.join(" "), "Lunch on Friday? <b>Reply</b> soon", "markup stays literal");
    d.wait_until("mail's popup", || d.corner(360, 30).count_colour(0, 0, 360, 30, purple) > 300);
    wait_for_golden("notify-apps-glib", 8, 300, || d.corner(380, 130));
    // Its button goes back to the app as ActionInvoked, and GLib activates the action. (The
    // card: 3 border, 26 title, 10 pad, one 17 line, 10 pad, 26 buttons; the 140-wide button
    // at the right.)
    let (x, y) = (CARD_X + 360 - 3 - 10 - 70, CARD_Y + 3 + 26 + 10 + 17 + 10 + 13);
    d.compositor.msg(&["pointer-move", &x.to_string(), &y.to_string()]);
    d.compositor.msg(&["click"]);
    assert_eq!(glib_out.next().unwrap().unwrap(), "sent");
    assert_eq!(glib_out.next().map(|l| l.unwrap()).as_deref(), Some("reply"), "GLib ran the button's action");

    // Qt: Notify through QtDBus, with an action and hints as Qt marshals them.
    let out = d
        .in_vm(Some("chat"), "/usr/bin/python3")
        .arg(app("qt-notify.py"))
        .args(["Bob", "Are you coming?"])
        .output()
        .expect("python3 with PyQt5 (Debian package python3-pyqt5)");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.starts_with("id "), "{said} {}", String::from_utf8_lossy(&out.stderr));
    d.wait_centre("Qt's notification", |c| has(c, "chat", "Bob"));

    // Chromium: a page's `new Notification()`, the permission granted in the test's profile.
    let profile = d.path("chromium");
    std::fs::create_dir_all(profile.join("Default")).unwrap();
    std::fs::write(
        profile.join("Default/Preferences"),
        r#"{"profile":{"default_content_setting_values":{"notifications":1}}}"#,
    )
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let _server = Killed(
        d.in_vm(Some("web"), "/usr/bin/python3")
            .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1", "--directory"])
            .arg(app(""))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let page = format!("http://127.0.0.1:{port}/chromium-notify.html");
    d.wait_until("the page served", || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    let _chromium = Killed(
        d.in_vm(Some("web"), "chromium")
            .args(["--headless=new", "--no-sandbox", "--no-first-run", "--disable-gpu"])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(&page)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.path("chromium.log")).unwrap())
            .spawn()
            .expect("chromium (Debian package chromium)"),
    );
    d.wait_centre("Chromium's notification", |c| has(c, "web", "Build finished"));

    // On screen: each in its VM's frame and titled with it, newest on top: web's title bar (its
    // body names the page's origin, whose port changes) and chat's card under it.
    let untrusted = rgb(theme.colours("untrusted").focused);
    d.wait_until("web's popup", || d.corner(360, 30).count_colour(0, 0, 360, 30, untrusted) > 300);
    wait_for_golden("notify-apps-chromium", 8, 100, || d.corner(380, 40));
    wait_for_golden("notify-apps-qt", 8, 300, || d.corner(380, 270).crop(0, 150, 380, 120));
}
