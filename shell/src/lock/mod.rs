//! `canopy-lock`: covers every output with ext-session-lock and unlocks after PAM accepts
//! the user's password.

pub mod pam;
mod view;

pub use view::view;

use smithay_client_toolkit::reexports::calloop::channel::{self, Channel};
use smithay_client_toolkit::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay_client_toolkit::seat::keyboard::{KeyEvent, Keysym, Modifiers};

use canopy_notify::centre::{self, CentreState};
use canopy_notify::system::{Message as Note, Sender};

use crate::clock::LocalTime;
use crate::wl::{App, Core, Placement, View, ViewCx};

/// The longest password the field takes (PAM modules have their own, smaller limits).
const MAX_PASSWORD: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Checking,
    Wrong(String),
    Error(String),
}

/// What the lock screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockModel {
    pub time: LocalTime,
    pub user: String,
    /// Number of characters (grapheme clusters) typed; the password itself never reaches the view.
    pub typed: usize,
    pub message: Option<Message>,
    /// How many notifications wait, when the daemon lets the lock screen say (never what they say).
    pub notifications: Option<usize>,
}

pub struct LockOptions {
    pub pam_service: String,
    pub user: String,
    pub fixed_time: Option<LocalTime>,
}

enum Worker {
    Checked(Result<(), pam::PamError>),
    /// The notification centre changed (or its daemon went away).
    Notifications(Option<CentreState>),
}

pub struct Lock {
    pub model: LockModel,
    password: String,
    opts: LockOptions,
    checking: bool,
    tx: Option<channel::Sender<Worker>>,
    /// Wrong passwords typed while locked, told to the user once unlocked.
    refused: u32,
}

impl Lock {
    pub fn new(opts: LockOptions) -> Self {
        let model = LockModel {
            time: opts.fixed_time.unwrap_or_else(LocalTime::now),
            user: opts.user.clone(),
            typed: 0,
            message: None,
            notifications: None,
        };
        Lock { model, password: String::new(), opts, checking: false, tx: None, refused: 0 }
    }

    fn clear_password(&mut self) {
        // Overwrite before freeing, so the password does not linger in freed memory.
        let mut bytes = std::mem::take(&mut self.password).into_bytes();
        bytes.iter_mut().for_each(|b| *b = 0);
        std::hint::black_box(&bytes);
        self.model.typed = 0;
    }

    fn submit(&mut self) {
        if self.checking || self.password.is_empty() {
            return;
        }
        let Some(tx) = self.tx.clone() else { return };
        self.checking = true;
        self.model.message = Some(Message::Checking);
        let (service, user) = (self.opts.pam_service.clone(), self.opts.user.clone());
        let password = std::mem::take(&mut self.password);
        self.model.typed = 0;
        std::thread::spawn(move || {
            let result = pam::authenticate(&service, &user, &password);
            let mut bytes = password.into_bytes();
            bytes.iter_mut().for_each(|b| *b = 0);
            std::hint::black_box(&bytes);
            let _ = tx.send(Worker::Checked(result));
        });
    }

    fn worker(&mut self, core: &mut Core<Self>, msg: Worker) {
        match msg {
            Worker::Checked(Ok(())) => {
                tracing::info!("password accepted; unlocking");
                core.unlock();
                self.tell_refused();
            }
            Worker::Checked(Err(pam::PamError::Refused(why))) => {
                tracing::info!("password refused: {why}");
                self.refused += 1;
                self.checking = false;
                self.model.message = Some(Message::Wrong("Wrong password".into()));
            }
            Worker::Checked(Err(e)) => {
                tracing::error!("{e}");
                self.checking = false;
                self.model.message = Some(Message::Error(e.to_string()));
            }
            Worker::Notifications(state) => {
                // Only the count crosses to the lock screen, and only where the config allows it.
                self.model.notifications = state.filter(|s| s.count_on_lock_screen).map(|s| s.unread);
            }
        }
    }
}

impl Lock {
    /// Wrong passwords typed while the screen was locked are the user's to know (someone may
    /// have tried): a notification of the trusted system once unlocked. What the lock says while
    /// locked (wrong password, a PAM error, a failed suspend) stays on the lock screen, where the
    /// user is looking and where no popup is shown.
    fn tell_refused(&mut self) {
        if self.refused == 0 {
            return;
        }
        let n = self.refused;
        let m = Note::new(
            if n == 1 {
                "1 wrong password while locked".to_string()
            } else {
                format!("{n} wrong passwords while locked")
            },
            "Someone typed a wrong password on the lock screen before it was unlocked.",
        );
        // The lock ends now, so this waits (at most the call's timeout) instead of a thread.
        match Sender::default().send("canopy-lock", &m) {
            Ok(_) => tracing::info!("told the user of {n} wrong passwords"),
            Err(why) => tracing::warn!("wrong passwords while locked: {n}; not shown as a notification: {why}"),
        }
    }
}

impl App for Lock {
    type Action = ();

    fn namespace(&self) -> &'static str {
        "canopy-lock"
    }

    fn placement(&self) -> Placement {
        Placement::Lock
    }

    fn init(&mut self, core: &mut Core<Self>) {
        let (tx, rx): (_, Channel<Worker>) = channel::channel();
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
            let t = tx.clone();
            std::thread::spawn(move || centre::watch_forever(move |s| t.send(Worker::Notifications(s)).is_ok()));
        }
        self.tx = Some(tx);
        let inserted = core.handle.insert_source(rx, |event, _, shell| {
            if let channel::Event::Msg(m) = event {
                shell.app.worker(&mut shell.core, m);
                shell.core.redraw();
            }
        });
        if let Err(e) = inserted {
            tracing::error!("cannot listen for password checks: {e}");
            core.exit(1);
        }
        if self.opts.fixed_time.is_none() {
            let timer = Timer::from_duration(self.model.time.until_next_minute());
            let _ = core.handle.insert_source(timer, |_, _, shell| {
                shell.app.model.time = LocalTime::now();
                shell.core.redraw();
                TimeoutAction::ToDuration(shell.app.model.time.until_next_minute())
            });
        }
    }

    fn view(&self, cx: &ViewCx<'_, ()>) -> View<()> {
        view(&self.model, cx)
    }

    fn key(&mut self, _core: &mut Core<Self>, key: &KeyEvent, mods: &Modifiers) {
        if self.checking {
            return;
        }
        match key.keysym {
            Keysym::Return | Keysym::KP_Enter => self.submit(),
            Keysym::BackSpace => {
                if mods.ctrl {
                    self.clear_password();
                } else {
                    // A whole cluster: an accented letter typed as letter and mark goes at once.
                    let start = canopy_text::edit::prev_boundary(&self.password, self.password.len()).unwrap_or(0);
                    self.password.truncate(start);
                    self.model.typed = canopy_text::edit::clusters(&self.password);
                }
            }
            Keysym::Escape => self.clear_password(),
            _ => {
                if let Some(text) = &key.utf8 {
                    if !text.chars().any(char::is_control) && self.password.len() + text.len() <= MAX_PASSWORD {
                        self.password.push_str(text);
                        self.model.typed = canopy_text::edit::clusters(&self.password);
                        if matches!(self.model.message, Some(Message::Wrong(_))) {
                            self.model.message = None;
                        }
                    }
                }
            }
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        self.clear_password();
    }
}
