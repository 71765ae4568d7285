//! Debian's own Wayland clients, connected as VM clients through a security context: each
//! shows a window that `windows` lists with its VM, framed in the VM's colour on screen.

use canopy_tests::fixture::{geometry, rgb};
use canopy_tests::Compositor;
use canopy_themes::Theme;

const CONFIG: &str = "[vms.apps-vm]\ntrust = \"personal\"\n";

fn shows_a_framed_window(program: &str, args: &[&str], title_part: &str) {
    let theme = Theme::default();
    let mut c = Compositor::start(CONFIG);
    let mut cmd_args = vec!["--vm", "apps-vm", "--", program];
    cmd_args.extend_from_slice(args);
    let mut cmd = std::process::Command::new(canopy_tests::bin_path("canopy-sandbox"));
    cmd.args(&cmd_args).env("GSK_RENDERER", "cairo").env("GDK_BACKEND", "wayland").env("NO_AT_BRIDGE", "1");
    c.client_env(&mut cmd);
    let child = cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().expect(program);
    c.adopt(child);
    let mut found = None;
    c.wait_until(&format!("a window of {program}"), || {
        found = c.windows().into_iter().next().filter(|w| w.geometry.is_some() && w.title.contains(title_part));
        found.is_some()
    });
    let window = found.expect("found");
    assert_eq!(window.vm.as_deref(), Some("apps-vm"));
    assert!(window.title.as_str().starts_with("[apps-vm] "), "{window}");
    assert!(window.decorated);
    let (x, y, w, h) = geometry(&window);
    assert!(w > 50 && h > 50, "{window}");
    let img = c.screenshot();
    // A VM's window opens without the keyboard (it never takes it by mapping): the frame shows
    // the VM's unfocused shade.
    assert!(!window.focused, "{window}");
    let frame = rgb(theme.colours("personal").unfocused);
    assert_eq!(img.pixel((x - 2) as u32, (y + h / 2) as u32), frame, "left border of {program}");
    assert_eq!(img.pixel((x + w / 2) as u32, (y + h + 1) as u32), frame, "bottom border of {program}");
    // The client drew something inside its frame: not just the desktop background.
    let inside = img.crop(x as u32, y as u32, w as u32, h as u32);
    let bg = [0x20, 0x25, 0x2c];
    let background_pixels = inside.count_colour(0, 0, w as u32, h as u32, bg);
    assert!(background_pixels < (w * h / 2) as usize, "{program} drew nothing visible");
}

#[test]
fn weston_simple_shm() {
    shows_a_framed_window("weston-simple-shm", &[], "simple-shm");
}

#[test]
fn foot_terminal() {
    shows_a_framed_window("foot", &["--title", "foot in a VM", "sh", "-c", "sleep 60"], "foot in a VM");
}

#[test]
fn gtk4_demo() {
    shows_a_framed_window("gtk4-demo", &[], "GTK Demo");
}
