//! Output management for the GUI VM's own programs: Debian's wlr-randr, a local client, lists
//! the outputs of a headless canopy with two outputs and rearranges them through
//! wlr-output-management (position, fractional scale, transform, off and on); `canopy msg
//! outputs` and the windows follow, and a configuration canopy cannot apply fails and changes
//! nothing; our small client checks test-only and stale configurations; Debian's kanshi applies a
//! profile that matches both outputs. (That VMs cannot bind it is checked in compositor_trust.)

use canopy_ipc::{Output, Rect};
use canopy_tests::fixture::geometry;
use canopy_tests::Compositor;

/// Run wlr-randr with `args` as a local client of `c`: its stdout, or its stderr as the error.
fn wlr_randr(c: &Compositor, args: &[&str]) -> Result<String, String> {
    let mut cmd = std::process::Command::new("wlr-randr");
    cmd.args(args);
    c.client_env(&mut cmd);
    let out = cmd.output().expect("wlr-randr runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    if out.status.success() {
        Ok(text(&out.stdout))
    } else {
        Err(text(&out.stderr))
    }
}

/// Our small client (`canopy-output-config`): one configuration's answer.
fn output_config(c: &Compositor, args: &[&str]) -> String {
    let mut cmd = std::process::Command::new(canopy_tests::fixture::bin_path("canopy-output-config"));
    cmd.args(args);
    c.client_env(&mut cmd);
    let out = cmd.output().expect("canopy-output-config runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["result"].as_str().expect("a result").to_string()
}

/// wlr-randr's listing of one output: its lines up to the next output's name.
fn listing(all: &str, name: &str) -> String {
    let start = all.find(&format!("{name} \"")).unwrap_or_else(|| panic!("{name} not listed:\n{all}"));
    let rest = &all[start..];
    let end = rest[1..].find("\nHEADLESS-").map(|e| e + 1).unwrap_or(rest.len());
    rest[..end].to_string()
}

/// What a user sees of an output: its name, where it is, its scale and mode.
type Seen = (String, Rect, f64, Option<(i32, i32)>);

/// The outputs in use.
fn layout(c: &Compositor) -> Vec<Seen> {
    c.outputs()
        .into_iter()
        .filter(|o| o.enabled)
        .map(|o: Output| (o.name.to_string(), o.logical, o.scale, o.mode.map(|m| (m.width, m.height))))
        .collect()
}

fn output<'a>(outputs: &'a [Seen], name: &str) -> &'a Seen {
    outputs.iter().find(|o| o.0 == name).unwrap_or_else(|| panic!("no {name} in {outputs:?}"))
}

#[test]
fn wlr_randr_lists_and_rearranges_outputs() {
    let mut c = Compositor::start_with("", &["HEADLESS-1:1280x800", "HEADLESS-2:1024x768"]);
    // A window on HEADLESS-2 (new windows open under the pointer).
    c.msg(&["pointer-move", "1500", "300"]);
    let (mut client, w) = c.open(None, &["--title", "right", "--size", "300x200"]);
    assert_eq!(w.output.as_deref(), Some("HEADLESS-2"));

    let all = wlr_randr(&c, &[]).expect("wlr-randr lists the outputs");
    let one = listing(&all, "HEADLESS-1");
    assert!(one.contains("Enabled: yes"), "{one}");
    assert!(one.contains("1280x800 px, 60.000000 Hz (preferred, current)"), "{one}");
    assert!(one.contains("Position: 0,0"), "{one}");
    let two = listing(&all, "HEADLESS-2");
    assert!(two.contains("1024x768 px, 60.000000 Hz (preferred, current)"), "{two}");
    assert!(two.contains("Position: 1280,0") && two.contains("Scale: 1.000000"), "{two}");

    // Position and a fractional scale: canopy msg outputs and wlr-randr agree, the window follows.
    wlr_randr(&c, &["--output", "HEADLESS-2", "--pos", "2000,100", "--scale", "1.5"]).expect("applied");
    let now = layout(&c);
    let right = output(&now, "HEADLESS-2");
    assert_eq!((right.1.x, right.1.y, right.1.width, right.1.height, right.2), (2000, 100, 683, 512, 1.5));
    assert_eq!(output(&now, "HEADLESS-1").1, Rect { x: 0, y: 0, width: 1280, height: 800 });
    let two = listing(&wlr_randr(&c, &[]).expect("listed"), "HEADLESS-2");
    assert!(two.contains("Position: 2000,100") && two.contains("Scale: 1.500000"), "{two}");
    // The window's program is told to draw at the new scale (buffer scale 2 for 1.5).
    client.wait_event("scale", |e| e["factor"] == 2);
    let w = c.window(w.id);
    let (x, y, width, height) = geometry(&w);
    assert_eq!(w.output.as_deref(), Some("HEADLESS-2"));
    assert!(x >= 2000 && y >= 100 && x + width <= 2683 && y + height <= 612, "the window moved with its output: {w}");

    // A rotation swaps the logical size.
    wlr_randr(&c, &["--output", "HEADLESS-2", "--transform", "90"]).expect("applied");
    let right = output(&layout(&c), "HEADLESS-2").1;
    assert_eq!((right.width, right.height), (512, 683));
    assert!(listing(&wlr_randr(&c, &[]).expect("listed"), "HEADLESS-2").contains("Transform: 90"));

    // Configurations canopy cannot apply fail and change nothing.
    let before = (layout(&c), c.windows());
    for bad in [
        &["--output", "HEADLESS-2", "--scale", "100"][..],
        &["--output", "HEADLESS-2", "--custom-mode", "640x480"],
        &["--output", "HEADLESS-1", "--off", "--output", "HEADLESS-2", "--off"],
    ] {
        let err = wlr_randr(&c, bad).expect_err("refused");
        assert!(err.contains("failed to apply"), "{bad:?}: {err}");
        assert_eq!((layout(&c), c.windows()), before, "{bad:?} changed something");
    }
    assert!(c.log().contains("output configuration refused: every output would be off"));
    // A test-only configuration answers without changing anything; one made for an older
    // serial (the outputs changed since the client looked) is cancelled and changes nothing.
    assert_eq!(output_config(&c, &["--test", "HEADLESS-2", "2"]), "succeeded");
    assert_eq!(output_config(&c, &["--test", "HEADLESS-2", "0"]), "failed");
    assert_eq!(output_config(&c, &["--stale", "HEADLESS-2", "2"]), "cancelled");
    assert_eq!((layout(&c), c.windows()), before, "a test or a stale configuration changed something");
    assert_eq!(output_config(&c, &["HEADLESS-2", "1.25"]), "succeeded");
    assert_eq!(output(&layout(&c), "HEADLESS-2").2, 1.25);

    // Another of its modes (a headless output offers a few): the new size is used and drawn,
    // wlr-randr shows it current; then back to the preferred one.
    wlr_randr(&c, &["--output", "HEADLESS-1", "--mode", "1024x768"]).expect("applied");
    let left = output(&layout(&c), "HEADLESS-1").clone();
    assert_eq!((left.1, left.3), (Rect { x: 0, y: 0, width: 1024, height: 768 }, Some((1024, 768))));
    let one = listing(&wlr_randr(&c, &[]).expect("listed"), "HEADLESS-1");
    assert!(one.contains("1024x768 px, 60.000000 Hz (current)"), "{one}");
    assert_eq!(c.screenshot_of(Some("HEADLESS-1")).width, 1024, "drawn at the new size");
    wlr_randr(&c, &["--output", "HEADLESS-1", "--preferred"]).expect("applied");
    assert_eq!(output(&layout(&c), "HEADLESS-1").3, Some((1280, 800)));

    // Off: its windows move to the output that stays; wlr-randr still lists it, disabled.
    wlr_randr(&c, &["--output", "HEADLESS-2", "--off"]).expect("applied");
    let now = layout(&c);
    assert_eq!(now.len(), 1, "{now:?}");
    // `canopy msg outputs` lists it too, off, as wlr-randr does.
    let off = c.outputs().into_iter().find(|o| o.name == "HEADLESS-2").expect("still listed");
    assert!(!off.enabled && off.power == "off" && off.logical.width == 0, "{off:?}");
    assert!(c.outputs().iter().filter(|o| o.name != "HEADLESS-2").all(|o| o.enabled));
    let w = c.window(w.id);
    let (x, y, width, height) = geometry(&w);
    assert_eq!(w.output.as_deref(), Some("HEADLESS-1"));
    assert!(x >= 0 && y >= 0 && x + width <= 1280 && y + height <= 800, "on the output that stays: {w}");
    let two = listing(&wlr_randr(&c, &[]).expect("listed"), "HEADLESS-2");
    assert!(two.contains("Enabled: no"), "{two}");

    // And on again, where the user puts it.
    wlr_randr(&c, &["--output", "HEADLESS-2", "--on", "--pos", "1280,0", "--scale", "1", "--transform", "normal"])
        .expect("applied");
    let right = output(&layout(&c), "HEADLESS-2").1;
    assert_eq!(right, Rect { x: 1280, y: 0, width: 1024, height: 768 });
    assert!(c.screenshot_of(Some("HEADLESS-2")).width == 1024, "it is drawn again");
}

#[test]
fn kanshi_applies_a_profile_that_matches_both_outputs() {
    let c = Compositor::start_with("", &["HEADLESS-1:1280x800", "HEADLESS-2:1024x768"]);
    let config = c.runtime_dir().join("kanshi.conf");
    std::fs::write(
        &config,
        "profile docked {\n  output HEADLESS-1 position 0,0\n  output HEADLESS-2 position 1280,200 scale 2\n}\n",
    )
    .expect("writing kanshi's config");
    let mut cmd = std::process::Command::new("kanshi");
    cmd.arg("--config").arg(&config).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    c.client_env(&mut cmd);
    let mut kanshi = cmd.spawn().expect("kanshi runs");
    c.wait_until("kanshi's profile applied", || {
        let now = layout(&c);
        now.len() == 2 && output(&now, "HEADLESS-2").1 == Rect { x: 1280, y: 200, width: 512, height: 384 }
    });
    assert_eq!(output(&layout(&c), "HEADLESS-2").2, 2.0);
    let _ = kanshi.kill();
    let _ = kanshi.wait();
}
