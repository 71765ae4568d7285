//! Sending a screenshot to a VM (issue 22), end to end: Print saves a PNG and the compositor's
//! notice offers "Send to a VM…" (drawn by the compositor, golden); a press on the button before
//! it counts does nothing, and no press on it ever reaches the VM window under the notice; a
//! press once it counts asks the real `canopy-hostd`, whose policy asks the user: the panel
//! starts the trusted chooser, the user picks VM `web` (`canopy-ctl choose`, the chooser's own
//! request), and the PNG lands whole in web's `~/Incoming/gui/`. A cancelled choice sends
//! nothing; hostd's audit line says where each went and that it was asked.

mod open_support;

use std::process::{Child, Command, Stdio};

use canopy_tests::fixture::{geometry, rgb};
use canopy_tests::image::wait_for_golden;
use canopy_tests::{bin_path, Compositor, Image};
use open_support::{OpenHost, Watch, RULES};

/// How long the button shows before a press counts (`notice_button_delay_ms`): long enough
/// that the test's first click surely comes before it.
const ARM_MS: u64 = 2500;

struct Desk {
    compositor: Compositor,
    host: OpenHost,
    panel: Child,
    pictures: tempfile::TempDir,
}

impl Desk {
    fn start() -> Desk {
        let host = OpenHost::start(30.0, RULES, "");
        let pictures = tempfile::tempdir().unwrap();
        let config = format!(
            "notice_button_delay_ms = {ARM_MS}\n[vms.web]\ntrust = \"untrusted\"\n[power]\nhostd = \"{}\"\n",
            host.hostd_address()
        );
        let env = [("XDG_PICTURES_DIR", pictures.path().to_str().unwrap())];
        let compositor = Compositor::start_with_env(&config, &[], &env);
        let mut panel = Command::new(bin_path("canopy-panel"));
        panel
            .args(["--time", "2026-11-26 14:05", "--power-supply"])
            .arg(host.path("no-batteries"))
            .env("CANOPY_HOSTD", host.hostd_address())
            .stdin(Stdio::null())
            .stderr(std::fs::File::create(host.path("panel.log")).unwrap());
        compositor.client_env(&mut panel);
        let panel = panel.spawn().unwrap();
        let desk = Desk { compositor, host, panel, pictures };
        let bg = rgb(canopy_themes::Theme::default().desktop.panel_background);
        desk.host.wait_until("the panel", || desk.compositor.screenshot().pixel(600, 2) == bg);
        // The button is offered only while the compositor hears hostd.
        desk.host.wait_until("the compositor to watch hostd", || {
            desk.compositor.log().lines().any(|l| l.contains("hostd watch up"))
        });
        desk
    }

    fn shots(&self) -> Vec<std::path::PathBuf> {
        let dir = self.pictures.path().join("Screenshots");
        let mut found: Vec<_> = std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "png")).collect())
            .unwrap_or_default();
        found.sort();
        found
    }

    /// Print, and the new PNG once its notice is up.
    fn print(&self) -> std::path::PathBuf {
        let before = self.shots().len();
        self.compositor.msg(&["key", "Print"]);
        self.host.wait_until("the screenshot's notice", || {
            self.shots().len() == before + 1 && self.compositor.log().matches("Send to a VM").count() > before
        });
        self.shots().pop().unwrap()
    }

    /// The button's rectangle as drawn (its face is the theme's `button_hover`), found on the
    /// notice's row as a person finds it by looking; with whether it shows that it counts (its
    /// border in the notice's text colour rather than faint).
    fn button(&self, img: &Image) -> Option<((u32, u32, u32, u32), bool)> {
        let theme = canopy_themes::Theme::default();
        let face = rgb(theme.desktop.button_hover);
        let usable = self.compositor.outputs()[0].usable.y as u32;
        let mid = usable + 16 + 18;
        let xs: Vec<u32> = (0..img.width).filter(|&x| img.pixel(x, mid) == face).collect();
        let (x0, x1) = (*xs.first()?, *xs.last()?);
        let ys: Vec<u32> = (usable..usable + 80).filter(|&y| img.pixel((x0 + x1) / 2, y) == face).collect();
        let (y0, y1) = (*ys.first()?, *ys.last()?);
        let armed = img.pixel(x0 - 1, mid) == rgb(theme.desktop.notice_text);
        Some(((x0, y0, x1 - x0 + 1, y1 - y0 + 1), armed))
    }

    fn click(&self, x: u32, y: u32) {
        self.compositor.msg(&["pointer-move", &x.to_string(), &y.to_string()]);
        self.compositor.msg(&["click"]);
    }

    /// The next `choose` line of `canopy-ctl watch`: the question's id.
    fn question(&self, watch: &Watch, n: usize) -> String {
        let line = watch.nth_choose(n);
        assert!(line.contains(" gui send "), "{line}");
        line.split_whitespace().nth(1).unwrap().to_string()
    }
}

impl Drop for Desk {
    fn drop(&mut self) {
        let _ = self.panel.kill();
        let _ = self.panel.wait();
        if std::thread::panicking() {
            eprintln!("--- panel\n{}\n--- compositor\n{}", self.host.read("panel.log"), self.compositor.log());
            eprintln!("{}", self.host.logs());
        }
    }
}

#[test]
fn the_screenshot_notice_sends_to_the_vm_the_user_picks() {
    let mut d = Desk::start();
    let watch = Watch::open(&d.host);
    // A VM window wide enough to lie under the notice.
    let (mut client, w) = d.compositor.open(Some("web"), &["--title", "under", "--size", "1100x500"]);
    let top = d.compositor.outputs()[0].usable.y + 30;
    d.compositor.msg(&["move", &w.id.to_string(), "90", &top.to_string()]);
    let (wx, wy, _, _) = geometry(&d.compositor.window(w.id));
    assert_eq!((wx, wy), (90, top));

    let file = d.print();
    let img = d.compositor.screenshot();
    let ((bx, by, bw, bh), armed) = d.button(&img).expect("the notice's button");
    assert!(!armed, "the button shows that it does not count yet");
    let (cx, cy) = (bx + bw / 2, by + bh / 2);
    assert!(cy as i32 > wy && (cx as i32) > wx, "the notice lies over the window");
    // Too early: nothing happens, and the window under it gets no press either.
    d.click(cx, cy);
    d.compositor.wait_until("the early press to be seen", || d.compositor.log().contains("came before it counts"));
    assert!(d.button(&d.compositor.screenshot()).is_some(), "the notice stays");
    // The window under the notice did not get that press: its first is the one on itself.
    d.click((wx + 20) as u32, (wy + 400) as u32);
    let press = client.wait_event("button", |e| e["pressed"] == true);
    assert_eq!((press["x"].as_f64(), press["y"].as_f64()), (Some(20.0), Some(400.0)), "{press}");

    d.host.wait_until("the button to count", || d.button(&d.compositor.screenshot()).is_some_and(|b| b.1));
    // The button and the notice's end (its text names a temporary folder and the time).
    wait_for_golden("screenshot-send-notice", 2, 0, || {
        let img = d.compositor.screenshot();
        img.crop(bx - 12, by - 14, bw + 12 + 22, bh + 28)
    });
    d.click(cx, cy);
    let id = d.question(&watch, 1);
    d.host.wait_until("the panel to show the chooser", || d.host.read("panel.log").contains("started canopy-chooser"));
    let out = d.host.ctl(&["choose", &id, "web"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let landed = d.host.home("web").join("Incoming/gui").join(file.file_name().unwrap());
    d.host.wait_until("the PNG in web", || landed.exists());
    assert!(std::fs::read(&landed).unwrap() == std::fs::read(&file).unwrap(), "it arrived changed");
    d.compositor.wait_until("the sent notice", || d.compositor.log().contains("Screenshot sent to web as"));

    // Cancel (the chooser's Escape sends the same answer): nothing is sent.
    let file = d.print();
    d.host.wait_until("the button to count", || d.button(&d.compositor.screenshot()).is_some_and(|b| b.1));
    d.click(cx, cy);
    let id = d.question(&watch, 2);
    let out = d.host.ctl(&["choose", &id, "--cancel"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = "Screenshot not sent: not allowed: cancelled by the user";
    d.compositor.wait_until("the cancelled notice", || d.compositor.log().contains(said));
    assert!(!d.host.home("web").join("Incoming/gui").join(file.file_name().unwrap()).exists());

    // hostd's audit: the GUI VM's two sends, asked, one kept in web.
    let audit: Vec<serde_json::Value> = d
        .host
        .read("audit.jsonl")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["request"]["type"] == "send")
        .collect();
    assert_eq!(audit.len(), 2, "{audit:#?}");
    assert_eq!((audit[0]["request"]["to"].as_str(), audit[0]["request"]["asked"].as_bool()), (Some("web"), Some(true)));
    assert!(audit[0]["result"].as_str().unwrap().starts_with("kept in web as Screenshot from "), "{audit:#?}");
    assert_eq!(audit[1]["ok"], false, "{audit:#?}");
}
