//! Outputs added and removed at runtime: windows on a removed output move to one that stays,
//! and a new output is usable at once.

use canopy_tests::fixture::geometry;
use canopy_tests::Compositor;

const CONFIG: &str = "[vms.work-vm]\ntrust = \"work\"\n";

fn output_names(c: &Compositor) -> Vec<String> {
    c.msg(&["outputs"]).as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap().to_string()).collect()
}

#[test]
fn removing_an_output_rehomes_its_windows() {
    let mut c = Compositor::start_with(CONFIG, &["LEFT:1280x800", "RIGHT:1024x768"]);
    assert_eq!(output_names(&c), vec!["LEFT", "RIGHT"]);
    // New windows open on the output under the pointer.
    c.msg(&["pointer-move", "1500", "300"]);
    let (mut client, w) = c.open(Some("work-vm"), &[]);
    assert_eq!(w["output"], "RIGHT");
    let (x, _, _, _) = geometry(&w);
    assert!(x >= 1280, "opened on the right output: {w}");

    c.msg(&["output-remove", "RIGHT"]);
    assert_eq!(output_names(&c), vec!["LEFT"]);
    let w = c.window(w["id"].as_u64().unwrap());
    let (x, y, width, height) = geometry(&w);
    assert_eq!(w["output"], "LEFT");
    assert!(x >= 4 && y >= 30 && x + width + 4 <= 1280 && y + height + 4 <= 800, "fully on the left output: {w}");
    // It is still drawn and still works: a click reaches it.
    c.wait_until("drawn on the left output", || {
        c.screenshot().pixel((x + 5) as u32, (y + 5) as u32) == [0x3c, 0x78, 0xd8]
    });
    c.msg(&["pointer-move", &(x + 5).to_string(), &(y + 5).to_string()]);
    c.msg(&["click"]);
    client.wait_event("button", |e| e["pressed"] == true);
}

#[test]
fn a_maximised_window_is_maximised_again_on_the_output_it_moves_to() {
    let mut c = Compositor::start_with(CONFIG, &["LEFT:1280x800", "RIGHT:1024x768"]);
    c.msg(&["pointer-move", "1500", "300"]);
    let (mut client, _) = c.open(Some("work-vm"), &["--maximize"]);
    client.wait_event("configure", |e| e["maximized"] == true && e["width"] == 1016);
    c.msg(&["output-remove", "RIGHT"]);
    client.wait_event("configure", |e| e["maximized"] == true && e["width"] == 1272 && e["height"] == 766);
}

#[test]
fn an_added_output_is_usable() {
    let mut c = Compositor::start(CONFIG);
    let outputs = c.msg(&["output-add", "EXTRA", "800x600@2"]);
    let extra = outputs.as_array().unwrap().iter().find(|o| o["name"] == "EXTRA").expect("EXTRA listed").clone();
    assert_eq!(extra["scale"], 2.0);
    assert_eq!(extra["logical"], serde_json::json!({"x": 1280, "y": 0, "width": 400, "height": 300}));
    c.msg(&["pointer-move", "1400", "100"]);
    let (mut client, w) = c.open(Some("work-vm"), &["--size", "200x100"]);
    assert_eq!(w["output"], "EXTRA");
    client.wait_event("scale", |e| e["factor"] == 2);
    let img = c.screenshot_of(Some("EXTRA"));
    assert_eq!((img.width, img.height), (800, 600), "screenshots are in output pixels");
    let (x, y, _, _) = geometry(&w);
    let (px, py) = (((x - 1280) * 2 + 10) as u32, ((y * 2) + 10) as u32);
    c.wait_until("the window on the new output", || c.screenshot_of(Some("EXTRA")).pixel(px, py) == [0x3c, 0x78, 0xd8]);
    assert!(c.try_msg(&["output-add", "EXTRA", "800x600"]).unwrap_err().contains("exists already"));
}

#[test]
fn the_last_output_cannot_be_removed() {
    let c = Compositor::start(CONFIG);
    let e = c.try_msg(&["output-remove", "HEADLESS-1"]).unwrap_err();
    assert!(e.contains("last output"), "{e}");
    let e = c.try_msg(&["output-remove", "NOPE"]).unwrap_err();
    assert!(e.contains("no output named NOPE"), "{e}");
}
