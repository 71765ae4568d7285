//! The launcher's state: the app tiles, the typed filter, the selection and what is going on.

use std::cell::Cell;

use canopy_protocols::lifecycle::{AppInfo, State, VmInfo};

use crate::config::LauncherConfig;
use crate::disk_prompt::DiskPrompt;

/// One app as a tile.
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    /// The app's name at hostd (what StartApp takes).
    pub app: String,
    pub display_name: String,
    pub icon: String,
    pub vm: String,
    pub trust: String,
    /// The VM's state, when the host reports it.
    pub state: Option<State>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Asking hostd for the apps.
    Loading,
    Ready,
    /// A start request is with hostd.
    Starting(String),
    /// Something failed; the text says what.
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct LauncherModel {
    pub tiles: Vec<Tile>,
    pub filter: String,
    /// Index into the filtered tiles.
    pub selected: usize,
    pub status: Status,
    /// Set when the apps come from the fallback file: why, and which file.
    pub notice: Option<String>,
    /// Columns of the grid as last laid out (arrow keys move by rows).
    pub columns: Cell<usize>,
    /// Asking for a VM's disk image; shown instead of the grid.
    pub prompt: Option<DiskPrompt>,
}

impl LauncherModel {
    pub fn new() -> Self {
        LauncherModel {
            tiles: Vec::new(),
            filter: String::new(),
            selected: 0,
            status: Status::Loading,
            notice: None,
            columns: Cell::new(1),
            prompt: None,
        }
    }

    /// Tiles from hostd's app and VM lists (VMs give trust and state).
    pub fn set_from_host(&mut self, apps: Vec<AppInfo>, vms: &[VmInfo]) {
        self.tiles = apps
            .into_iter()
            .map(|a| {
                let vm = vms.iter().find(|v| v.name == a.vm);
                Tile {
                    icon: a.icon.unwrap_or_else(|| "app".into()),
                    trust: vm.map_or_else(|| "unknown".into(), |v| v.trust.clone()),
                    state: vm.map(|v| v.state.clone()),
                    app: a.name,
                    display_name: a.display_name,
                    vm: a.vm,
                }
            })
            .collect();
        self.notice = None;
        self.status = Status::Ready;
        self.clamp();
    }

    /// Tiles from the fallback file, with a notice that says why.
    pub fn set_from_config(&mut self, config: LauncherConfig, why: String) {
        self.tiles = config
            .app
            .into_iter()
            .map(|a| Tile {
                app: a.name,
                display_name: a.display_name,
                icon: a.icon.unwrap_or_else(|| "app".into()),
                vm: a.vm,
                trust: a.trust,
                state: None,
            })
            .collect();
        self.notice = Some(why);
        self.status = Status::Ready;
        self.clamp();
    }

    pub fn set_vm_state(&mut self, vm: &str, state: &State) {
        for t in self.tiles.iter_mut().filter(|t| t.vm == vm) {
            t.state = Some(state.clone());
        }
    }

    /// The tiles that match the filter (name, app or VM, ignoring case), in order.
    pub fn visible(&self) -> Vec<&Tile> {
        let f = self.filter.to_lowercase();
        self.tiles
            .iter()
            .filter(|t| {
                f.is_empty()
                    || t.display_name.to_lowercase().contains(&f)
                    || t.app.to_lowercase().contains(&f)
                    || t.vm.to_lowercase().contains(&f)
            })
            .collect()
    }

    pub fn selected_tile(&self) -> Option<&Tile> {
        self.visible().get(self.selected).copied()
    }

    pub fn type_text(&mut self, text: &str) {
        self.filter.push_str(text);
        self.selected = 0;
        self.after_edit();
    }

    pub fn backspace(&mut self) {
        self.filter.pop();
        self.selected = 0;
        self.after_edit();
    }

    /// Escape: clears the filter; true when there was none (the launcher should close).
    pub fn escape(&mut self) -> bool {
        if self.filter.is_empty() {
            return true;
        }
        self.filter.clear();
        self.selected = 0;
        self.after_edit();
        false
    }

    fn after_edit(&mut self) {
        if matches!(self.status, Status::Failed(_)) {
            self.status = Status::Ready;
        }
    }

    /// Moves the selection by `dx` tiles and `dy` rows, staying inside the grid.
    pub fn move_selection(&mut self, dx: i64, dy: i64) {
        let n = self.visible().len() as i64;
        if n == 0 {
            return;
        }
        let cols = self.columns.get().max(1) as i64;
        let next = self.selected as i64 + dx + dy * cols;
        if (0..n).contains(&next) {
            self.selected = next as usize;
        }
    }

    fn clamp(&mut self) {
        let n = self.visible().len();
        if self.selected >= n {
            self.selected = n.saturating_sub(1);
        }
    }
}

impl Default for LauncherModel {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AppEntry;

    fn model() -> LauncherModel {
        let mut m = LauncherModel::new();
        let app = |name: &str, display: &str, vm: &str| AppEntry {
            name: name.into(),
            display_name: display.into(),
            icon: None,
            vm: vm.into(),
            trust: "work".into(),
        };
        let config = LauncherConfig {
            app: vec![
                app("browser", "Web browser", "chromium-vm"),
                app("pdf", "PDF viewer", "zathura-vm"),
                app("gala", "Cloud Android", "gala-vm"),
                app("term", "Terminal", "gui-vm"),
                app("windows", "Windows", "windows-vm"),
            ],
        };
        m.set_from_config(config, "test".into());
        m
    }

    #[test]
    fn filter_matches_name_app_and_vm() {
        let mut m = model();
        m.type_text("PDF");
        assert_eq!(m.visible().iter().map(|t| t.app.as_str()).collect::<Vec<_>>(), ["pdf"]);
        m.escape();
        m.type_text("chromium");
        assert_eq!(m.selected_tile().unwrap().app, "browser");
        m.escape();
        m.type_text("w");
        let names: Vec<_> = m.visible().iter().map(|t| t.app.as_str()).collect();
        assert_eq!(names, ["browser", "pdf", "windows"]);
        m.type_text("zz");
        assert!(m.visible().is_empty() && m.selected_tile().is_none());
        m.backspace();
        m.backspace();
        assert_eq!(m.filter, "w");
    }

    #[test]
    fn escape_clears_then_closes() {
        let mut m = model();
        m.type_text("x");
        assert!(!m.escape());
        assert!(m.filter.is_empty());
        assert!(m.escape());
    }

    #[test]
    fn arrows_move_in_the_grid() {
        let mut m = model();
        m.columns.set(3);
        m.move_selection(1, 0);
        assert_eq!(m.selected, 1);
        m.move_selection(0, 1);
        assert_eq!(m.selected, 4);
        m.move_selection(0, 1); // no row below: stays
        assert_eq!(m.selected, 4);
        m.move_selection(1, 0); // past the last tile: stays
        assert_eq!(m.selected, 4);
        m.move_selection(0, -1);
        m.move_selection(-1, 0);
        assert_eq!(m.selected, 0);
        m.move_selection(-1, 0);
        assert_eq!(m.selected, 0);
    }

    #[test]
    fn host_lists_give_trust_and_state() {
        use canopy_protocols::lifecycle::{AppKind, ArgSpec};
        let mut m = LauncherModel::new();
        let vm = VmInfo {
            name: "chromium-vm".into(),
            trust: "untrusted".into(),
            state: State::Stopped,
            managed: true,
            needs_disk_image: false,
            disk_image: None,
        };
        let app = AppInfo {
            name: "browser".into(),
            display_name: "Web browser".into(),
            icon: Some("browser".into()),
            kind: AppKind::App,
            vm: "chromium-vm".into(),
            other_vms: vec![],
            args: ArgSpec::default(),
        };
        m.set_from_host(vec![app], &[vm]);
        assert_eq!(m.tiles[0].trust, "untrusted");
        assert_eq!(m.tiles[0].state, Some(State::Stopped));
        m.set_vm_state("chromium-vm", &State::Starting);
        assert_eq!(m.tiles[0].state, Some(State::Starting));
        assert_eq!(m.notice, None);
    }
}
