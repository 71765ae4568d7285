//! `canopy-power-menu`: Lock, Suspend, Log out, Reboot and Power off, over the output whose
//! panel button opened it. Reboot and Power off ask first.

mod view;

pub use view::view;

use smithay_client_toolkit::reexports::calloop::channel::{self, Channel};
use smithay_client_toolkit::seat::keyboard::{KeyEvent, Keysym, Modifiers};

use crate::host::{describe, Host, PowerAction};
use crate::spawn::spawn;
use crate::wl::{App, Core, Placement, View, ViewCx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    Lock,
    Suspend,
    Logout,
    Reboot,
    PowerOff,
}

impl Item {
    pub const ALL: [Item; 5] = [Item::Lock, Item::Suspend, Item::Logout, Item::Reboot, Item::PowerOff];

    pub fn label(self) -> &'static str {
        match self {
            Item::Lock => "Lock",
            Item::Suspend => "Suspend",
            Item::Logout => "Log out",
            Item::Reboot => "Reboot",
            Item::PowerOff => "Power off",
        }
    }

    pub fn icon(self) -> &'static str {
        match self {
            Item::Lock => "lock",
            Item::Suspend => "suspend",
            Item::Logout => "logout",
            Item::Reboot => "reboot",
            Item::PowerOff => "power",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    Choose,
    /// Reboot or Power off, waiting for the user to confirm.
    Confirm(Item),
    /// The request is with the host.
    Working(Item),
    /// A request failed: what (`Power off failed`) and why.
    Failed {
        what: String,
        why: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum MenuAction {
    Item(Item),
    Confirm,
    Cancel,
    /// A click beside the menu.
    Outside,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuModel {
    pub stage: Stage,
    /// Keyboard selection: an index into [`Item::ALL`], or 0 = Cancel / 1 = confirm.
    pub focus: usize,
}

pub struct MenuOptions {
    pub output: Option<String>,
    pub host: Host,
    /// How to lock.
    pub lock: Vec<String>,
    /// How to suspend: the compositor locks every output first, then asks hostd.
    pub suspend: Vec<String>,
    /// How to end the session.
    pub logout: Vec<String>,
}

pub struct PowerMenu {
    pub model: MenuModel,
    opts: MenuOptions,
    tx: Option<channel::Sender<Result<(), String>>>,
}

impl PowerMenu {
    pub fn new(opts: MenuOptions) -> Self {
        PowerMenu { model: MenuModel { stage: Stage::Choose, focus: 0 }, opts, tx: None }
    }

    fn run(&mut self, core: &mut Core<Self>, item: Item, argv: Vec<String>) {
        match spawn(&argv, &[("CANOPY_HOSTD", self.opts.host.address().to_string())]) {
            Ok(_) => core.exit(0),
            Err(e) => self.fail_with(&format!("{} failed", item.label()), e.to_string()),
        }
    }

    fn fail_with(&mut self, what: &str, why: String) {
        tracing::error!("{what}: {why}");
        self.model.stage = Stage::Failed { what: what.to_string(), why };
    }

    fn act(&mut self, core: &mut Core<Self>, action: MenuAction) {
        match (&self.model.stage, action) {
            (Stage::Working(_), _) => {}
            (_, MenuAction::Outside) => core.exit(0),
            (Stage::Choose, MenuAction::Item(item)) => match item {
                Item::Lock => self.run(core, item, self.opts.lock.clone()),
                Item::Suspend => self.run(core, item, self.opts.suspend.clone()),
                Item::Logout => self.run(core, item, self.opts.logout.clone()),
                Item::Reboot | Item::PowerOff => {
                    self.model.stage = Stage::Confirm(item);
                    self.model.focus = 0;
                }
            },
            (Stage::Confirm(item), MenuAction::Confirm) => {
                let item = *item;
                self.model.stage = Stage::Working(item);
                let action = if item == Item::Reboot { PowerAction::Reboot } else { PowerAction::PowerOff };
                let host = self.opts.host.clone();
                let tx = self.tx.clone();
                std::thread::spawn(move || {
                    let r = host.power(action).map_err(|e| describe(&e));
                    if let Some(tx) = tx {
                        let _ = tx.send(r);
                    }
                });
            }
            (Stage::Confirm(item), MenuAction::Cancel) => {
                self.model.focus = Item::ALL.iter().position(|i| i == item).unwrap_or(0);
                self.model.stage = Stage::Choose;
            }
            (Stage::Failed { .. }, MenuAction::Cancel) => core.exit(0),
            _ => {}
        }
    }

    /// The action the keyboard selection stands for.
    fn focused_action(&self) -> Option<MenuAction> {
        match self.model.stage {
            Stage::Choose => Item::ALL.get(self.model.focus).map(|i| MenuAction::Item(*i)),
            Stage::Confirm(_) => Some(if self.model.focus == 1 { MenuAction::Confirm } else { MenuAction::Cancel }),
            Stage::Failed { .. } => Some(MenuAction::Cancel),
            Stage::Working(_) => None,
        }
    }
}

impl App for PowerMenu {
    type Action = MenuAction;

    fn namespace(&self) -> &'static str {
        "canopy-power-menu"
    }

    fn placement(&self) -> Placement {
        Placement::Overlay { output: self.opts.output.clone() }
    }

    fn init(&mut self, core: &mut Core<Self>) {
        let (tx, rx): (_, Channel<Result<(), String>>) = channel::channel();
        self.tx = Some(tx);
        let inserted = core.handle.insert_source(rx, |event, _, shell| {
            if let channel::Event::Msg(result) = event {
                match result {
                    Ok(()) => shell.core.exit(0),
                    Err(e) => {
                        let what = match &shell.app.model.stage {
                            Stage::Working(item) => format!("{} failed", item.label()),
                            _ => "Failed".to_string(),
                        };
                        shell.app.fail_with(&what, e);
                        shell.core.redraw();
                    }
                }
            }
        });
        if let Err(e) = inserted {
            tracing::error!("cannot listen for host replies: {e}");
            core.exit(1);
        }
    }

    fn view(&self, cx: &ViewCx<'_, MenuAction>) -> View<MenuAction> {
        view(&self.model, cx)
    }

    fn click(&mut self, core: &mut Core<Self>, action: MenuAction, _button: u32) {
        self.act(core, action);
    }

    fn hover(&mut self, core: &mut Core<Self>, action: Option<&MenuAction>) {
        let index = match (&self.model.stage, action) {
            (Stage::Choose, Some(MenuAction::Item(item))) => Item::ALL.iter().position(|i| i == item),
            (Stage::Confirm(_), Some(MenuAction::Cancel)) => Some(0),
            (Stage::Confirm(_), Some(MenuAction::Confirm)) => Some(1),
            _ => None,
        };
        if let Some(i) = index.filter(|i| *i != self.model.focus) {
            self.model.focus = i;
            core.redraw();
        }
    }

    fn key(&mut self, core: &mut Core<Self>, key: &KeyEvent, mods: &Modifiers) {
        let count = match self.model.stage {
            Stage::Choose => Item::ALL.len(),
            Stage::Confirm(_) => 2,
            _ => 1,
        };
        match key.keysym {
            Keysym::Escape => match self.model.stage {
                Stage::Confirm(_) => self.act(core, MenuAction::Cancel),
                Stage::Working(_) => {}
                _ => core.exit(0),
            },
            Keysym::Right | Keysym::Down => self.model.focus = (self.model.focus + 1) % count,
            Keysym::Left | Keysym::Up => self.model.focus = (self.model.focus + count - 1) % count,
            Keysym::Tab | Keysym::ISO_Left_Tab => {
                let back = mods.shift || key.keysym == Keysym::ISO_Left_Tab;
                self.model.focus =
                    if back { (self.model.focus + count - 1) % count } else { (self.model.focus + 1) % count };
            }
            Keysym::Return | Keysym::KP_Enter | Keysym::space => {
                if let Some(a) = self.focused_action() {
                    self.act(core, a);
                }
            }
            _ => {}
        }
    }
}
