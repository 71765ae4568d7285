//! A link in the PDF VM, end to end on the real desktop (issue 20): `xdg-open https://…` in the
//! simulated `docs` VM (Debian's xdg-utils, finding canopy-open through the desktop entry and
//! mimeapps.list installed in the VM's own XDG folders) reaches its agent and hostd; hostd asks
//! the user through the panel, which starts the trusted chooser on the real compositor; a click
//! on the browser VM's tile (or the keyboard) sends the link to the app of that VM, starting
//! the VM first. A policy deny and Cancel come back to the VM as typed errors, a deny and an
//! unanswered question (which denies) with a notice on screen. A file sent from the PDF VM is
//! shown by name and size, and lands whole where the user sends it.

mod open_support;

use std::process::{Child, Command, Stdio};
use std::time::Instant;

use canopy_tests::fixture::rgb;
use canopy_tests::image::{wait_for_golden, Image};
use canopy_tests::{bin_path, Compositor};
use open_support::{text, OpenHost, Watch, RULES};

/// Before the shared rules: the PDF VM's sends are asked about, the browser VM offered first.
const SEND_ASKS: &str = r#"
[[open.rules]]
from = ["docs"]
intent = "send"
action = "ask"
to = ["web", "mail"]
"#;

/// The link the PDF VM opens.
const LINK: &str = "https://example.org/papers/compartments.html?from=docs#results";

/// The chooser's tiles for a one-line link and two targets, centred on the 1280×800 output:
/// where a person clicks (see tests/golden/open-chooser.png).
const WEB_TILE: (f64, f64) = (560.0, 452.0);

struct Desk {
    compositor: Compositor,
    host: OpenHost,
    panel: Child,
}

impl Desk {
    /// The desktop, with hostd's time for a choice and the chooser's delay before it takes input.
    fn start(choice_timeout_secs: f64, arm_delay_ms: u32) -> Desk {
        let compositor = Compositor::start("");
        let host = OpenHost::start(choice_timeout_secs, &format!("{SEND_ASKS}{RULES}"), "");
        host.start_vm("docs");
        host.install_opener("docs");
        let mut panel = Command::new(bin_path("canopy-panel"));
        panel
            .args(["--time", "2026-11-26 14:05", "--power-supply"])
            .arg(host.path("no-batteries"))
            // Notices stay until replaced, so the test sees that a new one replaces the last.
            .args(["--chooser", &format!("canopy-chooser --arm-delay-ms {arm_delay_ms} --notice-secs 600")])
            .env("CANOPY_HOSTD", host.hostd_address())
            .stdin(Stdio::null())
            .stderr(std::fs::File::create(host.path("panel.log")).unwrap());
        compositor.client_env(&mut panel);
        let panel = panel.spawn().unwrap();
        let desk = Desk { compositor, host, panel };
        let bg = rgb(canopy_themes::Theme::default().desktop.panel_background);
        desk.host.wait_until("the panel", || desk.compositor.screenshot().pixel(600, 2) == bg);
        desk
    }

    /// `xdg-open ARG` in the docs VM, running.
    fn xdg_open(&self, arg: &str) -> Child {
        self.host.in_vm("docs", "xdg-open").arg(arg).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
    }

    /// Whether the chooser's card is on screen (its frame, in the docs VM's colour, at the
    /// left edge of a centred 720-pixel card).
    fn chooser_shown(&self, img: &Image) -> bool {
        let work = rgb(canopy_themes::Theme::default().colours("work").focused);
        (100..700).any(|y| img.pixel(280, y) == work)
    }

    fn wait_chooser(&self, shown: bool) {
        self.host.wait_until(if shown { "the chooser" } else { "the chooser to go" }, || {
            self.chooser_shown(&self.compositor.screenshot()) == shown
        });
    }

    /// Whether the chooser takes input: the tile Enter picks is outlined.
    fn armed(&self, img: &Image) -> bool {
        let accent = rgb(canopy_themes::Theme::default().desktop.panel_accent);
        img.pixel(WEB_TILE.0 as u32 - 69, WEB_TILE.1 as u32) == accent
    }

    fn wait_armed(&self) {
        self.host.wait_until("the chooser to take input", || self.armed(&self.compositor.screenshot()));
    }

    fn logs(&self) -> String {
        format!(
            "{}--- panel\n{}\n--- compositor\n{}",
            self.host.logs(),
            self.host.read("panel.log"),
            self.compositor.log()
        )
    }

    /// The programs the panel started that still run (choosers and notices), by pid.
    fn choosers(&self) -> Vec<i32> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
            // "PID (COMM) STATE PPID …"; COMM may hold spaces, so split after its last ')'.
            let Some((head, rest)) = stat.rsplit_once(')') else { continue };
            let ppid = rest.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok());
            let state = rest.split_whitespace().next();
            if head.ends_with("(canopy-chooser") && ppid == Some(self.panel.id()) && state != Some("Z") {
                found.extend(head.split(" ").next().and_then(|p| p.parse::<i32>().ok()));
            }
        }
        found
    }
}

impl Drop for Desk {
    fn drop(&mut self) {
        for pid in self.choosers() {
            let _ = rustix::process::kill_process(
                rustix::process::Pid::from_raw(pid).unwrap(),
                rustix::process::Signal::TERM,
            );
        }
        let _ = self.panel.kill();
        let _ = self.panel.wait();
        if std::thread::panicking() {
            eprintln!("--- panel\n{}\n--- compositor\n{}", self.host.read("panel.log"), self.compositor.log());
        }
    }
}

fn finish(child: Child) -> (Option<i32>, String, String) {
    let out = child.wait_with_output().unwrap();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn a_link_in_the_pdf_vm_opens_in_the_vm_the_user_picks() {
    let d = Desk::start(30.0, 600);
    let watch = Watch::open(&d.host);
    let t0 = Instant::now();
    let opener = d.xdg_open(LINK);
    d.wait_chooser(true);
    eprintln!("xdg-open to the chooser on screen: {:.0} ms", t0.elapsed().as_secs_f64() * 1000.0);
    wait_for_golden("open-chooser", 2, 0, || d.compositor.screenshot());

    // A click on the browser VM's tile: the VM starts, its browser gets the link.
    d.compositor.msg(&["pointer-move", &WEB_TILE.0.to_string(), &WEB_TILE.1.to_string()]);
    d.compositor.msg(&["click"]);
    let (code, out, err) = finish(opener);
    assert_eq!(code, Some(0), "{err}\n{}", d.logs());
    assert_eq!(out, "opened in web\n");
    assert_eq!(d.host.recorded("web", "browser", 1), [LINK]);
    d.wait_chooser(false);
    let lines = watch.lines_until("vm web running");
    assert!(lines.iter().any(|l| l == "vm web starting"), "{lines:#?}");
    let audit = d.host.audit_of("docs", 1);
    assert_eq!(audit[0]["to"], "web");
    assert_eq!(audit[0]["request"]["url"], LINK);

    // The keyboard: Right moves to the other VM the browser is offered in, Enter picks it.
    let opener = d.xdg_open(LINK);
    d.wait_chooser(true);
    d.wait_armed();
    d.compositor.msg(&["key", "Right"]);
    d.compositor.msg(&["key", "Return"]);
    let (code, out, err) = finish(opener);
    assert_eq!((code, out.as_str()), (Some(0), "opened in mail\n"), "{err}");
    assert_eq!(d.host.recorded("mail", "browser", 1), [LINK]);

    // Escape cancels: the VM hears so, nothing opens, no notice.
    let opener = d.xdg_open(LINK);
    d.wait_chooser(true);
    d.wait_armed();
    d.compositor.msg(&["key", "Escape"]);
    let (code, _, err) = finish(opener);
    assert_eq!(code, Some(4), "xdg-open fails: {err}");
    assert!(err.contains("canopy-open: cancelled by the user"), "{err}");
    d.wait_chooser(false);

    // The policy denies mail links from this VM at once, and the screen says so.
    let (code, _, err) = finish(d.xdg_open("mailto:boss@example.org"));
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("canopy-open: denied: mail links stay in their VM"), "{err}");
    wait_for_golden("open-notice-denied", 2, 0, || {
        let img = d.compositor.screenshot();
        img.crop(img.width - 420, 0, 420, 140)
    });
    assert_eq!(d.host.recorded("web", "browser", 1).len(), 1, "nothing more was opened");

    // A file sent from the PDF VM: the chooser names it and its size, Enter sends it to the
    // first VM offered, where it lands whole.
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    std::fs::write(d.host.home("docs").join("report.pdf"), &data).unwrap();
    let mut send = d.host.in_vm("docs", &bin_path("canopy-send").display().to_string());
    // The pointer off the card, so that no tile shows hovered in the picture.
    d.compositor.msg(&["pointer-move", "100", "700"]);
    let sender = send.arg("report.pdf").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    d.wait_chooser(true);
    // The card only: the deny's notice may still be fading in the corner.
    wait_for_golden("open-chooser-file", 2, 0, || d.compositor.screenshot().crop(260, 180, 760, 440));
    d.compositor.msg(&["key", "Return"]);
    let (code, out, err) = finish(sender);
    assert_eq!((code, out.as_str()), (Some(0), "sent to web: report.pdf\n"), "{err}");
    assert!(std::fs::read(d.host.home("web").join("Incoming/docs/report.pdf")).unwrap() == data);
    // Its notice ("Sent to web"), the panel's sixth chooser program after three choices, the
    // deny's notice and this send's choice, replaced the deny's: one notice, nothing piled up.
    let started = || -> Vec<i32> {
        let log = d.host.read("panel.log");
        log.lines()
            .filter(|l| l.contains("started canopy-chooser"))
            .filter_map(|l| l.rsplit_once("(pid ")?.1.trim_end_matches(')').parse().ok())
            .collect()
    };
    d.host.wait_until("the send's notice", || started().len() == 6);
    let sent_notice = started()[5];
    d.host.wait_until("the send's notice alone", || d.choosers() == [sent_notice]);
}

#[test]
fn an_unanswered_question_is_denied_when_its_time_is_up() {
    let d = Desk::start(2.0, 1500);
    let t0 = Instant::now();
    let opener = d.xdg_open(LINK);
    d.wait_chooser(true);
    // A click and Enter that come before the chooser takes input (they were meant for what was
    // under the pointer a moment ago) answer nothing: the question still times out.
    d.compositor.msg(&["pointer-move", &WEB_TILE.0.to_string(), &WEB_TILE.1.to_string()]);
    d.compositor.msg(&["click"]);
    d.compositor.msg(&["key", "Return"]);
    assert!(!d.armed(&d.compositor.screenshot()), "the click came before the chooser took input");
    let (code, _, err) = finish(opener);
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("denied: no choice was made within 2 s"), "{err}");
    assert!(t0.elapsed().as_secs_f64() >= 2.0);
    // The question goes away by itself, and a notice says what happened.
    d.wait_chooser(false);
    let red = rgb(canopy_themes::Theme::default().desktop.danger);
    d.host.wait_until("the notice", || {
        let img = d.compositor.screenshot();
        img.count_colour(img.width - 410, 40, 400, 96, red) > 50
    });
    assert!(!d.host.read("vms/web/browser.log").contains("example.org"));
}
