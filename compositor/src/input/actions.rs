//! What keybindings do.

use crate::clipboard::global::Paste;
use crate::config::Action;
use crate::screenshot_keys::{Shot, To};
use crate::state::State;

impl State {
    pub fn run_action(&mut self, action: Action) {
        let focused = self.canopy.focused_window();
        match action {
            Action::Close => {
                if let Some(w) = focused {
                    w.toplevel().send_close();
                }
            }
            Action::Maximize => {
                if let Some(w) = focused {
                    self.canopy.toggle_maximized(&w);
                }
            }
            Action::Minimize => {
                if let Some(w) = focused {
                    self.canopy.minimize(&w);
                }
            }
            Action::Fullscreen => {
                if let Some(w) = focused {
                    let full = w.data.state.borrow().mode.is_fullscreen();
                    self.canopy.set_fullscreen(&w, !full, None);
                }
            }
            Action::ClipboardCopy => self.canopy.global_clipboard_copy(),
            Action::ClipboardPaste => {
                self.paste_offered();
            }
            Action::FocusNext => self.switch_focus(1),
            Action::FocusPrev => self.switch_focus(-1),
            Action::SwitchLayout => {
                let next = (self.canopy.layout_index + 1) % self.canopy.config.keyboard.layouts.len() as u32;
                self.set_layout_index(next);
            }
            Action::Quit => {
                tracing::info!("quit requested");
                self.canopy.running = false;
                self.canopy.loop_signal.stop();
            }
            a @ (Action::VolumeUp
            | Action::VolumeDown
            | Action::VolumeMute
            | Action::MicMute
            | Action::BrightnessUp
            | Action::BrightnessDown) => self.canopy.level_action(&a),
            Action::PowerKey => self.power_key(),
            Action::Suspend => self.suspend_key(),
            Action::Screenshot => self.screenshot_of(Shot::Output, To::File),
            Action::ScreenshotWindow => self.screenshot_of(Shot::Window, To::File),
            Action::ScreenshotRegion => self.start_region_pick(To::File),
            Action::ScreenshotClipboard => self.screenshot_of(Shot::Output, To::Clipboard),
            Action::ScreenshotWindowClipboard => self.screenshot_of(Shot::Window, To::Clipboard),
            Action::ScreenshotRegionClipboard => self.start_region_pick(To::Clipboard),
            Action::Spawn(argv) => crate::spawn::spawn(&argv, &self.canopy),
            Action::None => {}
        }
        self.enforce_focus();
    }

    /// The paste key: a drop waiting for confirmation takes it first (its notice asked for
    /// it), else the global clipboard's paste.
    pub fn paste_offered(&mut self) -> Paste {
        if self.canopy.confirm_drop() {
            return Paste::Held;
        }
        self.canopy.global_clipboard_paste()
    }

    pub fn set_layout_index(&mut self, index: u32) {
        let count = self.canopy.config.keyboard.layouts.len() as u32;
        if index >= count {
            return;
        }
        if let Some(k) = self.canopy.seat.get_keyboard() {
            k.with_xkb_state(self, |mut ctx| ctx.set_layout(smithay::input::keyboard::Layout(index)));
        }
        self.canopy.layout_index = index;
        self.canopy.shell_keyboard_layout_changed();
    }
}
