//! The launcher's view rendered offscreen and compared with reviewed golden PNGs
//! (`CANOPY_BLESS=1 cargo test -p canopy-launcher` rewrites them).

use std::path::PathBuf;

use canopy_launcher::config::{AppEntry, LauncherConfig};
use canopy_launcher::model::{LauncherModel, Status};
use canopy_launcher::view::{view, LauncherAction};
use canopy_protocols::lifecycle::State;
use canopy_shell::draw::offscreen::Offscreen;

fn model() -> LauncherModel {
    let app = |name: &str, display: &str, icon: &str, vm: &str, trust: &str| AppEntry {
        name: name.into(),
        display_name: display.into(),
        icon: Some(icon.into()),
        vm: vm.into(),
        trust: trust.into(),
    };
    let mut m = LauncherModel::new();
    m.set_from_config(
        LauncherConfig {
            app: vec![
                app("browser", "Web browser", "browser", "chromium-vm", "untrusted"),
                app("pdf", "PDF viewer", "pdf", "zathura-vm", "work"),
                app("gala", "Cloud Android", "android", "gala-vm", "personal"),
                app("windows", "Windows", "windows", "windows-vm", "untrusted"),
                app("terminal", "Terminal", "terminal", "gui-vm", "local"),
            ],
        },
        "Host daemon unreachable: apps from /etc/canopy/launcher.toml".into(),
    );
    m.set_vm_state("chromium-vm", &State::Running);
    m.set_vm_state("zathura-vm", &State::Starting);
    m.set_vm_state("gala-vm", &State::Stopped);
    m.set_vm_state("windows-vm", &State::Failed("no disk image".into()));
    m
}

struct Fixture(Offscreen);

impl Fixture {
    fn new() -> Self {
        Fixture(Offscreen::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")))
    }

    fn render(&self, m: &LauncherModel, scale: f32, hovered: Option<&LauncherAction>, name: &str) {
        let v = view(m, &self.0.cx(1024.0, 640.0, scale, hovered));
        self.0.check(&v.scene, scale, name);
    }
}

#[test]
fn grid_at_scale_1_and_2() {
    let f = Fixture::new();
    let mut m = model();
    m.selected = 1;
    for scale in [1.0, 2.0] {
        f.render(&m, scale, Some(&LauncherAction::Tile(3)), &format!("launcher@{scale}.png"));
    }
}

#[test]
fn filtered_starting_and_failed() {
    let f = Fixture::new();
    let mut m = model();
    m.type_text("vm");
    m.status = Status::Starting("chromium-vm".into());
    f.render(&m, 1.0, None, "launcher-starting@1.png");
    let mut m = model();
    m.type_text("nothing like this");
    f.render(&m, 1.0, None, "launcher-empty@1.png");
    let mut m = model();
    m.status = Status::Failed(
        "Cannot start Windows in windows-vm: the VM needs a disk image; set it with canopy-ctl set-disk-image".into(),
    );
    f.render(&m, 1.0, None, "launcher-failed@1.png");
    // A long failure keeps its reason (hostd's message quoting the agent's), not just its start.
    m.status = Status::Failed(
        "Cannot start PDF viewer in zathura-vm: the VM was started, but its agent at vsock:6:7101 did not answer \
         within 60 s (the last attempt: connecting: Connection refused (os error 111)); see the VM's journal \
         for why canopy-agent.service did not start: reason at the end"
            .into(),
    );
    f.render(&m, 1.0, None, "launcher-failed-long@1.png");
}

#[test]
fn tiles_are_where_the_pointer_finds_them() {
    let f = Fixture::new();
    let m = model();
    let v = view(&m, &f.0.cx(1024.0, 640.0, 1.0, None));
    let tiles: Vec<_> = v.hits.iter().filter(|(_, a)| matches!(a, LauncherAction::Tile(_))).collect();
    assert_eq!(tiles.len(), 5);
    for (r, a) in tiles {
        assert_eq!(v.action_at((r.x + r.w / 2.0) as f64, (r.y + r.h / 2.0) as f64), Some(a));
    }
    assert_eq!(v.action_at(2.0, 630.0), Some(&LauncherAction::Outside));
    assert_eq!(m.columns.get(), 6);
}

/// App names in every script (a launcher.toml of any language): shaped, in their reading order,
/// from the fonts that have them, centred in their tiles and cut at their logical end; then a
/// right-to-left filter with the caret inside it, where the next letter typed would go.
#[test]
fn names_in_every_script_and_a_right_to_left_filter() {
    use canopy_text::samples::{long_rtl, SCRIPTS};
    let f = Fixture::new();
    let trust = ["untrusted", "work", "personal", "trusted"];
    let long = long_rtl();
    let apps = SCRIPTS
        .iter()
        .map(|(name, text)| (*name, *text))
        .chain([("long-rtl", long.as_str())])
        .enumerate()
        .map(|(i, (name, text))| AppEntry {
            name: name.into(),
            display_name: text.into(),
            icon: Some(["browser", "pdf", "terminal"][i % 3].into()),
            vm: "work-vm".into(),
            trust: trust[i % trust.len()].into(),
        })
        .collect();
    let mut m = LauncherModel::new();
    m.set_from_config(LauncherConfig { app: apps }, String::new());
    f.render(&m, 1.0, None, "launcher-scripts@1.png");
    m.type_text("تقرير 2024");
    m.edit_filter(|f| {
        f.home();
        f.step_logical(true);
        f.step_logical(true);
    });
    f.render(&m, 1.0, None, "launcher-rtl-filter@1.png");
}

/// The question asked when hostd needs the Windows VM's disk image: empty, then refused with a
/// path too long for the field (its end shows).
#[test]
fn disk_image_question() {
    use canopy_launcher::disk_prompt::DiskPrompt;
    let f = Fixture::new();
    let mut m = model();
    let tile = m.tiles.iter().find(|t| t.app == "windows").unwrap().clone();
    m.prompt = Some(DiskPrompt::new(tile, "windows-vm".into(), "no disk image is set".into()));
    for scale in [1.0, 2.0] {
        f.render(&m, scale, Some(&LauncherAction::PromptSubmit), &format!("launcher-disk-image@{scale}.png"));
    }
    let p = m.prompt.as_mut().unwrap();
    p.type_text("/srv/vm-images/windows/windows-11-enterprise-evaluation-24h2-x64-en-us.qcow2");
    p.submit().unwrap();
    p.refused("/srv/vm-images/windows/windows-11-enterprise-…qcow2: No such file or directory (os error 2)".into());
    f.render(&m, 1.0, None, "launcher-disk-image-refused@1.png");

    // Only the buttons react: a click beside them must not lose the typed path.
    let v = view(&m, &f.0.cx(1024.0, 640.0, 1.0, None));
    let actions: Vec<_> = v.hits.iter().map(|(_, a)| a.clone()).collect();
    assert_eq!(actions[1..], [LauncherAction::PromptCancel, LauncherAction::PromptSubmit]);
    assert!(!actions.iter().any(|a| matches!(a, LauncherAction::Tile(_))));
}

/// More apps than fit: the grid shows two of its four rows, scrolled to the selection, with a
/// scroll bar beside it.
#[test]
fn a_long_list_scrolls() {
    let f = Fixture::new();
    let trust = ["untrusted", "work", "personal", "trusted"];
    let icons = ["browser", "pdf", "android", "terminal"];
    let app = |i: usize| AppEntry {
        name: format!("app{i}"),
        display_name: format!("App {i}"),
        icon: Some(icons[i / 6].into()),
        vm: format!("vm-{}", i / 6),
        trust: trust[i / 6].into(),
    };
    let mut m = LauncherModel::new();
    m.set_from_config(LauncherConfig { app: (0..23).map(app).collect() }, "Apps from a long list".into());
    // Lay out once (6 columns, 2 rows at this size), then move down three rows.
    f.render(&m, 1.0, None, "launcher-long@1.png");
    for _ in 0..3 {
        m.move_selection(0, 1);
    }
    assert_eq!((m.selected, m.first_row()), (18, 2));
    f.render(&m, 1.0, None, "launcher-scrolled@1.png");
}
