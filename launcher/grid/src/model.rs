//! The launcher's state: the app tiles, the typed filter, the selection and what is going on.

use std::cell::Cell;

use canopy_protocols::lifecycle::{AppInfo, State, VmInfo};
use canopy_shell::draw::TextField;

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
    pub filter: TextField,
    /// Index into the filtered tiles.
    pub selected: usize,
    pub status: Status,
    /// Set when the apps come from the fallback file: why, and which file.
    pub notice: Option<String>,
    /// Columns of the grid as last laid out (arrow keys move by rows).
    pub columns: Cell<usize>,
    /// Rows of tiles that fit on the output, as last laid out.
    pub rows: Cell<usize>,
    /// The first row shown: the grid scrolls when the apps do not fit.
    pub top_row: usize,
    /// Asking for a VM's disk image; shown instead of the grid.
    pub prompt: Option<DiskPrompt>,
}

impl LauncherModel {
    pub fn new() -> Self {
        LauncherModel {
            tiles: Vec::new(),
            filter: TextField::new(),
            selected: 0,
            status: Status::Loading,
            notice: None,
            columns: Cell::new(1),
            rows: Cell::new(usize::MAX),
            top_row: 0,
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
        let f = self.filter.text().to_lowercase();
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
        self.edit_filter(|f| f.insert(text));
    }

    pub fn backspace(&mut self) {
        self.edit_filter(|f| {
            f.backspace();
        });
    }

    /// Applies `edit` to the filter; a changed filter starts the selection at the top.
    pub fn edit_filter(&mut self, edit: impl FnOnce(&mut TextField)) {
        let before = self.filter.text().to_string();
        edit(&mut self.filter);
        if self.filter.text() != before {
            self.selected = 0;
            self.after_edit();
        }
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
        self.top_row = 0;
        if matches!(self.status, Status::Failed(_)) {
            self.status = Status::Ready;
        }
    }

    /// Moves the selection by `dx` tiles and `dy` rows, staying inside the grid; the grid
    /// scrolls to show it.
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
        self.reveal_selection();
    }

    /// Page Up / Page Down: a screenful of rows, stopping at the first or last tile.
    pub fn page(&mut self, direction: i64) {
        let n = self.visible().len() as i64;
        if n == 0 {
            return;
        }
        let step = (self.rows_shown() * self.columns.get().max(1)) as i64;
        self.selected = (self.selected as i64 + direction * step).clamp(0, n - 1) as usize;
        self.reveal_selection();
    }

    /// Home / End.
    pub fn select_end(&mut self, last: bool) {
        self.selected = if last { self.visible().len().saturating_sub(1) } else { 0 };
        self.reveal_selection();
    }

    /// The wheel: scrolls by `rows` (down when positive). A selection scrolled out of sight
    /// moves along, in its column, so Enter never starts a tile that cannot be seen.
    pub fn scroll(&mut self, rows: i64) {
        let n = self.visible().len();
        if n == 0 {
            return;
        }
        self.top_row = (self.top_row as i64 + rows).clamp(0, self.max_top_row() as i64) as usize;
        let cols = self.columns.get().max(1);
        let (row, col) = (self.selected / cols, self.selected % cols);
        let last_shown = self.top_row + self.rows_shown() - 1;
        let row = row.clamp(self.top_row, last_shown);
        self.selected = (row * cols + col).min(n - 1);
    }

    /// The first row the grid shows now (the size may have changed since the last move).
    pub fn first_row(&self) -> usize {
        self.top_row.min(self.max_top_row())
    }

    fn rows_shown(&self) -> usize {
        self.rows.get().max(1)
    }

    fn max_top_row(&self) -> usize {
        let total = self.visible().len().div_ceil(self.columns.get().max(1));
        total.saturating_sub(self.rows_shown())
    }

    fn reveal_selection(&mut self) {
        let row = self.selected / self.columns.get().max(1);
        let rows = self.rows_shown();
        if row < self.top_row {
            self.top_row = row;
        } else if row >= self.top_row + rows {
            self.top_row = row + 1 - rows;
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
        assert_eq!(m.filter.text(), "w");
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

    /// 23 apps in 4 columns, 2 rows on screen: rows 0..=5, the last with 3 tiles.
    fn long_list() -> LauncherModel {
        let mut m = LauncherModel::new();
        let app = |i: usize| AppEntry {
            name: format!("app{i}"),
            display_name: format!("App {i}"),
            icon: None,
            vm: "vm".into(),
            trust: "work".into(),
        };
        m.set_from_config(LauncherConfig { app: (0..23).map(app).collect() }, "test".into());
        m.columns.set(4);
        m.rows.set(2);
        m
    }

    #[test]
    fn keys_scroll_the_grid_to_the_selection() {
        let mut m = long_list();
        m.move_selection(0, 1);
        assert_eq!((m.selected, m.first_row()), (4, 0));
        m.move_selection(0, 1);
        assert_eq!((m.selected, m.first_row()), (8, 1), "row 2 needs a scroll");
        m.page(1);
        assert_eq!((m.selected, m.first_row()), (16, 3));
        m.page(1);
        assert_eq!((m.selected, m.first_row()), (22, 4), "the last tile, the last rows");
        m.move_selection(0, -1);
        assert_eq!((m.selected, m.first_row()), (18, 4));
        m.select_end(false);
        assert_eq!((m.selected, m.first_row()), (0, 0));
        m.select_end(true);
        assert_eq!((m.selected, m.first_row()), (22, 4));
        m.type_text("1");
        assert_eq!((m.selected, m.first_row()), (0, 0), "a new filter starts at the top");
    }

    #[test]
    fn the_wheel_scrolls_and_takes_the_selection_along() {
        let mut m = long_list();
        m.move_selection(1, 0);
        m.scroll(1);
        assert_eq!((m.first_row(), m.selected), (1, 5), "row 0 left the screen: the selection follows");
        m.scroll(10);
        assert_eq!((m.first_row(), m.selected), (4, 17), "stops at the last rows");
        m.scroll(-1);
        assert_eq!((m.first_row(), m.selected), (3, 17), "still on screen: stays");
        m.scroll(-10);
        assert_eq!((m.first_row(), m.selected), (0, 5));
        m.move_selection(2, 0);
        m.scroll(10);
        assert_eq!((m.first_row(), m.selected), (4, 19));
        m.move_selection(0, 1);
        assert_eq!(m.selected, 19, "no tile below column 3");
        let mut few = model();
        few.columns.set(4);
        few.rows.set(2);
        few.scroll(3);
        assert_eq!(few.first_row(), 0, "everything fits: nothing to scroll");
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
