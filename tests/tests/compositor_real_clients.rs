//! Debian's own Wayland clients, connected as VM clients through a security context: each
//! shows a window that `windows` lists with its VM, framed in the VM's colour on screen. GTK 3
//! (zathura) and GTK 4 (gtk4-print-editor) are told server-side decorations
//! (org_kde_kwin_server_decoration) and show one title bar, canopy's, as a local client too.

use canopy_tests::fixture::{geometry, rgb};
use canopy_tests::Compositor;
use canopy_themes::Theme;

const CONFIG: &str = "[vms.apps-vm]\ntrust = \"personal\"\n";

/// The frame's top and the client's first 80 rows of `w`, as on screen: one title bar.
fn top_of(img: &canopy_tests::Image, w: &canopy_ipc::Window) -> canopy_tests::Image {
    let (x, y, width, _) = geometry(w);
    img.crop((x - 4) as u32, (y - 30) as u32, (width + 8) as u32, 30 + 80)
}

fn shows_a_framed_window(program: &str, args: &[&str], title_part: &str, golden: Option<&str>) {
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
    if let Some(golden) = golden {
        canopy_tests::image::wait_for_golden(golden, 8, 400, || top_of(&c.screenshot(), &window));
    }
}

#[test]
fn weston_simple_shm() {
    shows_a_framed_window("weston-simple-shm", &[], "simple-shm", None);
}

#[test]
fn foot_terminal() {
    shows_a_framed_window("foot", &["--title", "foot in a VM", "sh", "-c", "sleep 60"], "foot in a VM", None);
}

#[test]
fn gtk4_demo() {
    // gtk4-demo sets its own header bar: GTK 4 asks for client-side decorations and keeps it.
    shows_a_framed_window("gtk4-demo", &[], "GTK Demo", None);
}

#[test]
fn gtk4_print_editor_shows_one_title_bar() {
    shows_a_framed_window("gtk4-print-editor", &[], "Print Editor", Some("ssd-gtk4-print-editor-direct"));
}

#[test]
fn zathura_shows_one_title_bar() {
    let dir = tempfile::tempdir().unwrap();
    let args = canopy_tests::pdf::zathura_args(dir.path(), "blank.pdf", &canopy_tests::pdf::text_pdf(&[]));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    shows_a_framed_window("zathura", &args, "blank.pdf", Some("ssd-zathura-direct"));
}

/// A local GTK 3 client (no security context) may choose; told server-side by default, it
/// leaves its title bar out and canopy frames it.
#[test]
fn a_local_gtk_client_takes_server_side_decorations() {
    let dir = tempfile::tempdir().unwrap();
    let args = canopy_tests::pdf::zathura_args(dir.path(), "local.pdf", &canopy_tests::pdf::text_pdf(&[]));
    let mut c = Compositor::start(CONFIG);
    let mut cmd = std::process::Command::new("zathura");
    cmd.args(&args).env("GDK_BACKEND", "wayland").env("NO_AT_BRIDGE", "1");
    c.client_env(&mut cmd);
    let child = cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    c.adopt(child);
    let mut found = None;
    c.wait_until("zathura's window", || {
        found = c.windows().into_iter().find(|w| w.geometry.is_some() && w.title.contains("local.pdf"));
        found.is_some()
    });
    let window = found.expect("found");
    assert_eq!(window.vm, None);
    assert!(window.decorated, "{window}");
    canopy_tests::image::wait_for_golden("ssd-zathura-local", 8, 400, || top_of(&c.screenshot(), &window));
}
