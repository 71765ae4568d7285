//! Real clients behind the real proxy pair (`canopy-proxy guest` → `canopy-proxy gui`, over a
//! Unix socket) into the real headless compositor: windows appear in their VM's colour with the
//! `[vm]` prefix, our deterministic client is pixel-identical to a direct connection, typing
//! reaches foot, the clipboard works within a VM, and a dying guest proxy takes its windows along.

mod proxy_support;

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use canopy_ipc::Window;
use canopy_tests::fixture::{geometry, rgb};
use canopy_tests::Compositor;
use canopy_themes::Theme;
use proxy_support::{animate, kill_compositor, open_test_client, wait_window, windows_of, Vm, VmOptions};

const CONFIG: &str = "[vms.work-vm]\ntrust = \"work\"\n\n[vms.web-vm]\ntrust = \"untrusted\"\n";

fn left_border(img: &canopy_tests::Image, w: &Window) -> [u8; 3] {
    let (x, y, _, h) = geometry(w);
    img.pixel((x - 2) as u32, (y + h / 2) as u32)
}

fn content(c: &Compositor, w: &Window) -> canopy_tests::Image {
    let (x, y, width, height) = geometry(w);
    c.screenshot().crop(x as u32, y as u32, width as u32, height as u32)
}

#[test]
fn test_client_is_pixel_identical_to_a_direct_connection() {
    let mut c = Compositor::start(CONFIG);
    let args = ["--title", "pattern", "--size", "300x200", "--color", "d04a2f"];
    let (_direct, dw) = c.open(Some("work-vm"), &args);
    let direct_pixels = content(&c, &dw);
    c.msg(&["close", &dw.id.to_string()]);
    c.wait_until("the direct window to close", || c.windows().is_empty());

    let vm = Vm::start(&c, "work-vm");
    let (_proxied, pw) = open_test_client(&c, &vm, &args);
    assert_eq!(pw.title, "[work-vm] pattern");
    assert_eq!(pw.vm.as_deref(), Some("work-vm"));
    assert_eq!(geometry(&pw).2, 300);
    let proxied_pixels = content(&c, &pw);
    assert_eq!(proxied_pixels.diff_count(&direct_pixels, 0), 0, "proxied content differs from direct");
    assert_eq!(left_border(&c.screenshot(), &pw), rgb(Theme::default().colours("work").focused));
}

#[test]
fn shared_memory_region_is_pixel_identical_too() {
    let c = Compositor::start(CONFIG);
    let region = c.runtime_dir().join("region");
    std::fs::File::create(&region).unwrap().set_len(32 << 20).unwrap();
    let r = region.to_str().unwrap();
    let args = ["--title", "pattern", "--size", "300x200", "--color", "2fa04a"];
    let vm = Vm::start_with(
        &c,
        "work-vm",
        VmOptions { gui_args: &["--shm-region", r], guest_args: &["--shm-region", r], ..Default::default() },
    );
    let (mut proxied, pw) = open_test_client(&c, &vm, &args);
    let via_region = content(&c, &pw);
    proxied.kill();
    c.wait_until("the proxied window to close", || c.windows().is_empty());
    let mut c = c;
    let (_direct, dw) = c.open(Some("work-vm"), &args);
    assert_eq!(content(&c, &dw).diff_count(&via_region, 0), 0, "region content differs from direct");
}

#[test]
fn lz4_stream_is_pixel_identical_too() {
    let mut c = Compositor::start(CONFIG);
    let args = ["--title", "pattern", "--size", "260x180", "--color", "8040c0"];
    let vm = Vm::start_with(&c, "work-vm", VmOptions { guest_args: &["--compress", "lz4"], ..Default::default() });
    let (mut proxied, pw) = open_test_client(&c, &vm, &args);
    let via_lz4 = content(&c, &pw);
    proxied.kill();
    c.wait_until("the proxied window to close", || c.windows().is_empty());
    let (_direct, dw) = c.open(Some("work-vm"), &args);
    assert_eq!(content(&c, &dw).diff_count(&via_lz4, 0), 0);
}

/// Every kind of frame the guest streams arrives whole: frames changing every pixel (which the
/// guest, once two compares found everything changed, sends without comparing), the compare
/// that catches the buffer up afterwards, a frame back to the first picture, and small squares
/// that each reused buffer must catch up on.
#[test]
fn an_animation_through_the_stream_matches_a_direct_connection() {
    let c = Compositor::start(CONFIG);
    let (width, height, full, small) = (800, 400, 54, 8);
    let direct = animate::play(&c.runtime_dir().join(c.wayland_display()), width, height, full, small);
    let dw = wait_window(&c, |w| w.title == animate::TITLE);
    let want = content(&c, &dw);
    drop(direct);
    c.wait_until("the direct window to close", || c.windows().is_empty());

    let env = [("RUST_LOG", "info,canopy_proxy::shm::send=debug")];
    let vm = Vm::start_with(&c, "work-vm", VmOptions { guest_env: &env, ..Default::default() });
    let proxied = animate::play(&c.runtime_dir().join(&vm.display), width, height, full, small);
    let pw = wait_window(&c, |w| w.title == format!("[work-vm] {}", animate::TITLE));
    assert_eq!(content(&c, &pw).diff_count(&want, 0), 0, "the animation's last picture differs from direct");
    assert!(vm.guest_log().contains("without compare"), "no frames went without compare:\n{}", vm.logs());
    drop(proxied);
}

/// Starts a Debian client behind the proxy and checks its framed window.
fn debian_client_shows_framed(program: &str, args: &[&str], title_part: &str, golden: Option<&str>) {
    let theme = Theme::default();
    let c = Compositor::start(CONFIG);
    let vm = Vm::start(&c, "work-vm");
    let mut cmd = vm.command(program);
    cmd.args(args).stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = cmd.spawn().expect(program);
    let w = {
        let mut found = None;
        c.wait_until(&format!("a window of {program}"), || {
            found = c.windows().into_iter().next().filter(|w| w.geometry.is_some() && w.title.contains(title_part));
            found.is_some()
        });
        found.expect("found")
    };
    assert_eq!(w.vm.as_deref(), Some("work-vm"), "{w}");
    assert!(w.title.as_str().starts_with("[work-vm] "), "{w}");
    let (x, y, width, height) = geometry(&w);
    assert!(width > 50 && height > 50, "{w}");
    let id = w.id;
    let colours = theme.colours("work");
    let bg = [0x20, 0x25, 0x2c];
    // What the screen shows of it: the top strip above the title bar (GTK's client-side shadow
    // darkens the side borders) against the frame colour, and how much of it is still background.
    let look = || {
        let img = c.screenshot();
        let w = c.window(id);
        let frame = if w.focused { colours.focused } else { colours.unfocused };
        let inside = img.crop(x as u32, y as u32, width as u32, height as u32);
        let background = inside.count_colour(0, 0, width as u32, height as u32, bg);
        (img.pixel((x + width / 2) as u32, (y - 28) as u32), rgb(frame), background)
    };
    // The client draws when it likes: wait until it has, then look.
    let drawn = |(top, frame, background): (_, _, usize)| top == frame && background < (width * height / 2) as usize;
    let deadline = Instant::now() + canopy_tests::fixture::TIMEOUT;
    while !drawn(look()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let (top, frame, background) = look();
    assert_eq!(top, frame, "frame of {program}");
    assert!(background < (width * height / 2) as usize, "{program} drew nothing visible through the proxy");
    if let Some(golden) = golden {
        // One title bar, canopy's: GTK was told server-side (org_kde_kwin_server_decoration)
        // and left its own out. The frame's top and the client's first 80 rows.
        let (gx, gy, gw) = ((x - 4) as u32, (y - 30) as u32, width as u32 + 8);
        canopy_tests::image::wait_for_golden(golden, 8, 400, || c.screenshot().crop(gx, gy, gw, 30 + 80));
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn weston_simple_shm_through_the_proxy() {
    debian_client_shows_framed("weston-simple-shm", &[], "simple-shm", None);
}

#[test]
fn gtk4_demo_through_the_proxy() {
    // gtk4-demo sets its own header bar, so GTK 4 asks for client-side decorations and keeps
    // it (with its close button) under canopy's title bar.
    debian_client_shows_framed("gtk4-demo", &[], "GTK Demo", None);
}

#[test]
fn gtk4_print_editor_shows_one_title_bar_through_the_proxy() {
    debian_client_shows_framed("gtk4-print-editor", &[], "Print Editor", Some("ssd-gtk4-print-editor"));
}

/// A one-page PDF with a filled rectangle, written by hand (offsets computed here).
fn rect_pdf() -> Vec<u8> {
    let content = "0.2 0.4 0.8 rg 50 500 400 200 re f\n";
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        writeln!(pdf, "{} 0 obj\n{o}\nendobj", i + 1).unwrap();
    }
    let xref = pdf.len();
    write!(pdf, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).unwrap();
    for off in offsets {
        writeln!(pdf, "{off:010} 00000 n ").unwrap();
    }
    write!(pdf, "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).unwrap();
    pdf
}

#[test]
fn zathura_shows_a_pdf_through_the_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let args = canopy_tests::pdf::zathura_args(dir.path(), "report.pdf", &rect_pdf());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    debian_client_shows_framed("zathura", &args, "report.pdf", Some("ssd-zathura"));
}

/// foot in `vm` titled `title`, writing what it reads to `out` (`cat`), focused by the user.
fn focused_foot(c: &Compositor, vm: &Vm, title: &str, out: &std::path::Path) -> (std::process::Child, Window) {
    focused_foot_running(c, vm, title, &format!("cat > {}", out.display()))
}

/// foot behind `vm` running `script` in `sh`, focused as by the user's click.
fn focused_foot_running(c: &Compositor, vm: &Vm, title: &str, script: &str) -> (std::process::Child, Window) {
    let mut cmd = vm.command("foot");
    cmd.args(["--title", title, "sh", "-c", script]).stdout(Stdio::null()).stderr(Stdio::null());
    let foot = cmd.spawn().unwrap();
    let w = wait_window(c, |w| w.raw_title == title);
    // The user clicks it (the compositor's `focus` stands for the click): a VM's window does
    // not take the keyboard by mapping.
    c.msg(&["focus", &w.id.to_string()]);
    c.wait_until("foot to have focus", || c.window(w.id).focused);
    (foot, w)
}

#[test]
fn typing_reaches_foot_behind_the_proxy() {
    let c = Compositor::start(CONFIG);
    let vm = Vm::start(&c, "work-vm");
    let out = c.runtime_dir().join("typed.txt");
    let (mut foot, w) = focused_foot(&c, &vm, "typing", &out);
    assert_eq!(w.title, "[work-vm] typing");
    // The keymap crossed the proxy: text typed on the GUI side comes out of foot's pty.
    c.msg(&["type", "through the proxy 42"]);
    c.msg(&["key", "Return"]);
    c.wait_until("the typed line in foot", || {
        std::fs::read_to_string(&out).is_ok_and(|s| s == "through the proxy 42\n")
    });
    let _ = foot.kill();
    let _ = foot.wait();
}

/// Cross-VM paste into a terminal whose own paste key is canopy's: one Ctrl+Shift+V offers
/// web-vm's copy to work-vm and reaches foot, whose paste then reads it.
#[test]
fn one_ctrl_shift_v_pastes_another_vms_copy_into_foot() {
    let c = Compositor::start(CONFIG);
    let work = Vm::start(&c, "work-vm");
    let web = Vm::start(&c, "web-vm");
    // web-vm copies (F6 in our client) and the user takes it into the global clipboard.
    let (mut source, sw) = open_test_client(&c, &web, &["--title", "source", "--copy", "from the web vm\n"]);
    c.msg(&["focus", &sw.id.to_string()]);
    let mark = source.mark();
    c.msg(&["key", "F6"]);
    source.wait_event_since(mark, "copied");
    // The compositor has the selection once it offers the client its own copy back.
    let mut from = mark;
    while !source.wait_event_since(from, "selection")["mime_types"].is_array() {
        from = source.mark();
    }
    c.msg(&["key", "ctrl+shift+c"]);
    c.wait_until("the global copy", || c.log().contains("from [web-vm] to the global clipboard"));

    let out = c.runtime_dir().join("pasted.txt");
    let (mut foot, _) = focused_foot(&c, &work, "pasting", &out);
    c.msg(&["key", "ctrl+shift+v"]);
    // foot pastes the line (its newline ends cat's line) with that one press.
    c.wait_until("the pasted line in foot", || std::fs::read_to_string(&out).is_ok_and(|s| s == "from the web vm\n"));
    let _ = foot.kill();
    let _ = foot.wait();
}

/// The other clipboard key in foot: Ctrl+Shift+C reaches foot too, and the global clipboard
/// takes the selection foot puts on its VM's clipboard in answer (not what the VM held before);
/// with the global clipboard empty, Ctrl+Shift+V still reaches foot, which pastes its own VM's
/// clipboard.
#[test]
fn foot_copies_its_selection_and_pastes_its_own_clipboard_with_the_global_keys() {
    let c = Compositor::start(CONFIG);
    let work = Vm::start(&c, "work-vm");
    let dir = c.runtime_dir();
    let (own, ready) = (dir.join("own.txt"), dir.join("ready"));
    let script = format!("echo selectme; touch {}; cat > {}", ready.display(), own.display());
    let (mut foot, w) = focused_foot_running(&c, &work, "terminal", &script);
    // work-vm's clipboard holds something else: a paste with the global clipboard empty gets it.
    let _ = wl_copy(&work, b"work's own text\n").wait();
    c.wait_until("the work VM to own the clipboard", || wl_paste(&work).1 == b"work's own text\n");
    c.msg(&["key", "ctrl+shift+v"]);
    c.wait_until("foot to paste its own VM's clipboard", || {
        std::fs::read_to_string(&own).is_ok_and(|s| s == "work's own text\n")
    });
    assert!(c.log().contains("The global clipboard is empty"), "the notice still says so");

    // The user selects the first line's word (a double click), then presses Ctrl+Shift+C.
    c.wait_until("foot's first line", || ready.exists());
    let (x, y, _, _) = geometry(&w);
    c.wait_until("the line drawn", || {
        let img = c.screenshot();
        (x..x + 60).any(|px| img.pixel(px as u32, (y + 6) as u32) != img.pixel((x + 200) as u32, (y + 6) as u32))
    });
    c.msg(&["pointer-move", &(x + 10).to_string(), &(y + 6).to_string()]);
    c.msg(&["click"]);
    c.msg(&["click"]);
    c.msg(&["key", "ctrl+shift+c"]);
    c.wait_until("the global copy", || c.log().contains("Copied 8 bytes from [work-vm] to the global clipboard"));

    // And it pastes into another VM's foot with one press.
    let web = Vm::start(&c, "web-vm");
    let pasted = dir.join("pasted.txt");
    let (mut other, _) = focused_foot(&c, &web, "pasting", &pasted);
    c.msg(&["key", "ctrl+shift+v", "Return"]);
    c.wait_until("the pasted line", || std::fs::read_to_string(&pasted).is_ok_and(|s| s == "selectme\n"));
    for f in [&mut foot, &mut other] {
        let _ = f.kill();
        let _ = f.wait();
    }
}

fn wl_copy(vm: &Vm, data: &[u8]) -> std::process::Child {
    let mut cmd = vm.command("wl-copy");
    cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(data).unwrap();
    child
}

fn wl_paste(vm: &Vm) -> (bool, Vec<u8>) {
    let out = vm.command("wl-paste").arg("--no-newline").stderr(Stdio::null()).output().unwrap();
    (out.status.success(), out.stdout)
}

/// Runs `wl-paste` and returns whether it succeeded and what it printed; fails the test when it
/// is still waiting after the fixture's timeout (a focused client that never gets a selection
/// event waits forever).
fn paste_answers(mut cmd: std::process::Command) -> (bool, Vec<u8>) {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + canopy_tests::fixture::TIMEOUT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} got no selection event and still waits");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (out.status.success(), out.stdout)
}

#[test]
fn wl_paste_answers_where_nothing_is_offered() {
    let mut c = Compositor::start(CONFIG);
    let work = Vm::start(&c, "work-vm");
    let (_wc, ww) = open_test_client(&c, &work, &["--title", "work"]);
    // A fresh desktop with nothing copied: wl-paste says so and ends, for both selections.
    let nothing = (false, Vec::new());
    assert_eq!(paste_answers(work.command("wl-paste")), nothing);
    let mut primary = work.command("wl-paste");
    primary.arg("--primary");
    assert_eq!(paste_answers(primary), nothing);

    // Another VM owns the clipboard: the work VM's wl-paste ends with nothing, and so does a
    // local client's.
    let web = Vm::start(&c, "web-vm");
    let (_bc, _bw) = open_test_client(&c, &web, &["--title", "web"]);
    let _ = wl_copy(&web, b"the web VM's text").wait();
    c.msg(&["focus", &ww.id.to_string()]);
    assert_eq!(paste_answers(work.command("wl-paste")), nothing);
    let mut local = std::process::Command::new("wl-paste");
    c.client_env(&mut local);
    assert_eq!(paste_answers(local), nothing);
    let _ = &mut c;
}

#[test]
fn clipboard_within_a_vm_and_its_size_limit() {
    let mut c = Compositor::start(CONFIG);
    let vm =
        Vm::start_with(&c, "work-vm", VmOptions { gui_args: &["--max-clipboard", "1100000"], ..Default::default() });
    // A focused window of the VM, as when a user copies in an app.
    let (_client, _w) = open_test_client(&c, &vm, &["--title", "focus"]);

    let mut copy = wl_copy(&vm, b"copied in the work VM");
    let _ = copy.wait();
    let (ok, pasted) = wl_paste(&vm);
    assert!(ok);
    assert_eq!(pasted, b"copied in the work VM");

    let big: Vec<u8> = (0..1 << 20).map(|i: u32| b'a' + (i % 26) as u8).collect();
    let mut copy = wl_copy(&vm, &big);
    let _ = copy.wait();
    let (ok, pasted) = wl_paste(&vm);
    assert!(ok);
    assert!(pasted == big, "1 MiB paste came back with {} bytes", pasted.len());

    // Over the limit: nothing is pasted (no cut-off half), the log says why, and the VM's
    // clipboard keeps working for transfers within the limit.
    let huge: Vec<u8> = vec![b'x'; 2 << 20];
    let mut copy = wl_copy(&vm, &huge);
    let _ = copy.wait();
    let (_, pasted) = wl_paste(&vm);
    assert!(pasted.is_empty(), "an over-limit paste delivered {} bytes", pasted.len());
    assert!(vm.gui_log().contains("clipboard transfer over the size limit"), "{}", vm.gui_log());
    let mut copy = wl_copy(&vm, b"small again");
    let _ = copy.wait();
    assert_eq!(wl_paste(&vm).1, b"small again");
    assert_eq!(c.windows().len(), 1);
    c.msg(&["version"]);
    let _ = &mut c;
}

#[test]
fn two_vms_with_several_clients_each_in_their_own_colour() {
    let theme = Theme::default();
    let c = Compositor::start(CONFIG);
    let work = Vm::start(&c, "work-vm");
    let web = Vm::start(&c, "web-vm");
    let (_a, _) = open_test_client(&c, &work, &["--title", "work one", "--size", "200x150"]);
    let (_b, _) = open_test_client(&c, &work, &["--title", "work two", "--size", "200x150"]);
    let (_d, _) = open_test_client(&c, &web, &["--title", "web one", "--size", "200x150"]);
    let (_e, last) = open_test_client(&c, &web, &["--title", "web two", "--size", "200x150"]);
    let windows = c.windows();
    let mut titles: Vec<&str> = windows.iter().map(|w| w.title.as_str()).collect();
    titles.sort();
    assert_eq!(titles, ["[web-vm] web one", "[web-vm] web two", "[work-vm] work one", "[work-vm] work two"]);
    let img = c.screenshot();
    assert_eq!(left_border(&img, &last), rgb(theme.colours("untrusted").focused));
    for w in &windows {
        let vm = w.vm.as_deref().unwrap();
        let level = if vm == "work-vm" { "work" } else { "untrusted" };
        let colours = theme.colours(level);
        let want = if w.focused { colours.focused } else { colours.unfocused };
        assert_eq!(w.trust, level);
        // Windows may overlap; the focused one is on top, so check it, and the others' colour
        // through the window list.
        if w.focused {
            assert_eq!(left_border(&img, w), rgb(want));
        }
    }
}

#[test]
fn killing_the_guest_proxy_removes_its_windows_at_once() {
    let c = Compositor::start(CONFIG);
    let mut work = Vm::start(&c, "work-vm");
    let web = Vm::start(&c, "web-vm");
    let (_a, _) = open_test_client(&c, &work, &["--title", "work one"]);
    let (_b, _) = open_test_client(&c, &work, &["--title", "work two"]);
    let (_d, _) = open_test_client(&c, &web, &["--title", "web one"]);
    assert_eq!(windows_of(&c, "work-vm").len(), 2);
    let start = Instant::now();
    work.kill_guest();
    while !windows_of(&c, "work-vm").is_empty() {
        assert!(start.elapsed() < Duration::from_secs(5), "windows stayed");
        std::thread::sleep(Duration::from_millis(2));
    }
    let took = start.elapsed();
    assert!(took < Duration::from_millis(100), "windows of the dead VM took {took:?} to go");
    assert_eq!(windows_of(&c, "web-vm").len(), 1, "the other VM's window stays");
    // The GUI side keeps listening: a new guest proxy for the VM works again.
    drop(work);
    let work = Vm::start(&c, "work-vm");
    let (_f, w) = open_test_client(&c, &work, &["--title", "back"]);
    assert_eq!(w.title, "[work-vm] back");
}

/// A compositor that does not come back within `--restore-wait` ends the VM's clients
/// cleanly: the app sees its connection close and exits by itself, the GUI side says why and
/// keeps serving.
#[test]
fn a_compositor_that_does_not_come_back_ends_the_apps_cleanly() {
    let c = Compositor::start(CONFIG);
    let mut vm = Vm::start_with(&c, "work-vm", VmOptions { gui_args: &["--restore-wait", "1"], ..Default::default() });
    let mut cmd = vm.command("weston-simple-shm");
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let mut app = cmd.spawn().unwrap();
    wait_window(&c, |w| w.vm.as_deref() == Some("work-vm"));
    kill_compositor(&c);
    let start = Instant::now();
    loop {
        if app.try_wait().unwrap().is_some() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "the app was not ended after the bound");
        std::thread::sleep(Duration::from_millis(20));
    }
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(900), "the app ended after {waited:?}, before the bound of 1 s");
    let line = vm.wait_log("did not come back within 1 s");
    assert!(line.contains("work-vm"), "{line}");
    assert!(vm.gui.try_wait().unwrap().is_none(), "canopy-proxy gui exited with the compositor");
}
