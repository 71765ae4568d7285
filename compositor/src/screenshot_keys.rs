//! The screenshot keys (Print: the output; Alt+Print: the focused window with its trust frame;
//! Shift+Print: a region, picked in `screenshot_region`):
//! the compositor renders the output afresh, as `canopy msg screenshot` does, and writes a PNG
//! under `$XDG_PICTURES_DIR/Screenshots` with a timestamped name, then a notice says where.
//! The file stays in the GUI VM: it goes to another VM only when the user presses the notice's
//! "Send to a VM…" button, through hostd, to the VM the user picks in the trusted chooser.

use std::path::{Path, PathBuf};

use smithay::output::Output;
use smithay::reexports::calloop::channel;
use smithay::utils::{Logical, Physical, Rectangle};

use crate::capture::pixels::crop;
use crate::decorations::layout::FrameLayout;
use crate::render::notice::NoticeAction;
use crate::render::screenshot::RgbaImage;
use crate::render::CursorMode;
use crate::state::State;
use crate::wm::window::WindowElement;

/// Where a screenshot goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum To {
    /// A PNG under `$XDG_PICTURES_DIR/Screenshots`.
    File,
    /// image/png on the GUI VM's own clipboard.
    Clipboard,
}

/// What a screenshot takes.
#[derive(Debug, Clone, PartialEq)]
pub enum Shot {
    Output,
    Window,
    /// A rectangle of an output, in global logical coordinates.
    Region(Output, Rectangle<i32, Logical>),
}

impl State {
    pub fn screenshot_of(&mut self, shot: Shot, to: To) {
        let window = self.canopy.focused_window();
        let output = match &shot {
            Shot::Output => self.canopy.active_output(),
            Shot::Window => window.as_ref().and_then(|w| self.canopy.output_of_window(w)),
            Shot::Region(output, _) => Some(output.clone()),
        };
        let Some(output) = output else {
            let why = if shot == Shot::Window { "no window has focus" } else { "there is no output" };
            self.canopy.show_notice(format!("No screenshot: {why}"), None);
            return;
        };
        // What a frame drawn now would show.
        self.canopy.announce_round();
        let image = match self.backend.screenshot(&self.canopy, &output, CursorMode::Hide) {
            Ok(image) => image,
            Err(e) => {
                tracing::warn!("screenshot: {e:#}");
                self.canopy.show_notice("No screenshot: the output could not be rendered", None);
                return;
            }
        };
        let Some(geo) = self.canopy.space.output_geometry(&output) else { return };
        let scale = output.current_scale().fractional_scale();
        let part = match (&shot, window) {
            (Shot::Window, Some(w)) => {
                let Some(rect) = self.canopy.window_on_output(&w, &output) else { return };
                Some(rect)
            }
            (Shot::Region(_, rect), _) => {
                Some(Rectangle::new(rect.loc - geo.loc, rect.size).to_f64().to_physical(scale).to_i32_round())
            }
            _ => None,
        };
        let image = match part.map(|r| crop(&image, r)) {
            None => image,
            Some(Some(image)) => image,
            Some(None) => {
                self.canopy.show_notice("No screenshot: nothing of it is on screen", None);
                return;
            }
        };
        match to {
            To::File => self.save_in_background(image, screenshots_dir().join(file_name(&local_now()))),
            To::Clipboard => self.in_background(
                move || image.png_bytes(),
                |state, png| match png {
                    Ok(png) => state.canopy.offer_screenshot(png),
                    Err(e) => state.canopy.show_notice(format!("Screenshot not copied: {e}"), None),
                },
            ),
        }
    }

    /// Encodes and writes the PNG on a thread (a large output takes a while), then tells the
    /// user where it went, or why it did not.
    fn save_in_background(&mut self, image: RgbaImage, file: PathBuf) {
        let work = move || {
            file.parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .map(|()| unused_name(file))
                .and_then(|file| {
                    // Written under another name first, so nobody reads half a file.
                    let part = file.with_extension("png.part");
                    image.save_png(&part)?;
                    std::fs::rename(&part, &file).map(|()| file)
                })
                .map_err(|e| e.to_string())
        };
        self.in_background(work, |state, result| match result {
            Ok(file) => {
                tracing::info!(file = %file.display(), "screenshot saved");
                let text = format!("Screenshot saved to {}", file.display());
                // Only with hostd to send it through (its watch connection is up).
                let send = state.canopy.power.host_watching.then_some(NoticeAction::SendToVm(file));
                let output = state.canopy.focused_window().and_then(|w| state.canopy.output_of_window(&w));
                state.canopy.show_notice_with(output, text, None, send);
            }
            Err(e) => state.canopy.show_notice(format!("Screenshot not saved: {e}"), None),
        });
    }

    /// The notice's "Send to a VM…": hostd sends `file` to the VM its policy names, or asks the
    /// user in the chooser (no VM has a say); a notice tells how it went.
    pub fn send_to_a_vm(&mut self, file: PathBuf) {
        let Some(addr) = self.canopy.config.power.hostd_address() else { return };
        tracing::info!(file = %file.display(), "sending a screenshot: hostd asks where");
        let work = move || {
            let timeout = Some(std::time::Duration::from_secs(300));
            canopy_lifecycle::HostClient::connect(&addr, "canopy", timeout).and_then(|mut c| c.send_path(None, &file))
        };
        self.in_background(work, |state, sent| match sent {
            Ok((vm, name)) => {
                tracing::info!(%vm, %name, "screenshot sent");
                state.canopy.show_notice(format!("Screenshot sent to {vm} as {name}"), None);
            }
            Err(e) => {
                tracing::info!("screenshot not sent: {e}");
                state.canopy.show_notice(format!("Screenshot not sent: {e}"), None);
            }
        });
    }

    /// Runs `work` on a thread and hands its result to `done` on the event loop, so the
    /// compositor does not stall on it (encoding a large PNG).
    pub fn in_background<T: Send + 'static>(
        &mut self,
        work: impl FnOnce() -> T + Send + 'static,
        done: impl FnOnce(&mut State, T) + 'static,
    ) {
        let (tx, rx) = channel::channel::<T>();
        let token = std::rc::Rc::new(std::cell::Cell::new(None));
        let mine = token.clone();
        let mut done = Some(done);
        let inserted = self.canopy.loop_handle.insert_source(rx, move |event, _, state| match event {
            channel::Event::Msg(result) => {
                if let Some(done) = done.take() {
                    done(state, result);
                }
            }
            // The thread is done: its channel goes.
            channel::Event::Closed => {
                if let Some(t) = mine.take() {
                    state.canopy.loop_handle.insert_idle(move |state| state.canopy.loop_handle.remove(t));
                }
            }
        });
        let Ok(inserted) = inserted else { return };
        token.set(Some(inserted));
        std::thread::spawn(move || {
            let _ = tx.send(work());
        });
    }
}

impl crate::state::Canopy {
    /// Where `w` is drawn on `output` with its trust frame and title bar, in the output's
    /// buffer pixels (what Alt+Print and a toplevel capture take).
    pub fn window_on_output(&self, w: &WindowElement, output: &Output) -> Option<Rectangle<i32, Physical>> {
        let geo = self.space.output_geometry(output)?;
        let scale = output.current_scale().fractional_scale();
        let theme = &self.config.theme;
        let loc = self.location(w)?;
        Some(FrameLayout::new(w.layout(loc - geo.loc, theme).inner, &w.insets(theme), scale).outer)
    }
}

/// `$XDG_PICTURES_DIR/Screenshots`: from the environment, else from `user-dirs.dirs`, else
/// `~/Pictures`.
pub fn screenshots_dir() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/tmp"));
    let pictures = std::env::var_os("XDG_PICTURES_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            let config = std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from).unwrap_or_else(|| home.join(".config"));
            user_dirs_pictures(&home, &config)
        })
        .unwrap_or_else(|| home.join("Pictures"));
    pictures.join("Screenshots")
}

/// XDG_PICTURES_DIR as `xdg-user-dirs` writes it (`XDG_PICTURES_DIR="$HOME/Pictures"`).
fn user_dirs_pictures(home: &Path, config: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(config.join("user-dirs.dirs")).ok()?;
    let value = text.lines().find_map(|l| l.trim().strip_prefix("XDG_PICTURES_DIR="))?.trim().trim_matches('"');
    let path = match value.strip_prefix("$HOME") {
        Some(rest) => home.join(rest.trim_start_matches('/')),
        None => PathBuf::from(value),
    };
    path.is_absolute().then_some(path)
}

/// `file`, or `NAME (2).png`… when a shot of the same second is there already.
fn unused_name(file: PathBuf) -> PathBuf {
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    (2..100).map(|n| file.with_file_name(format!("{stem} ({n}).png"))).fold(file.clone(), |found, next| {
        if found.exists() {
            next
        } else {
            found
        }
    })
}

/// `Screenshot from 2026-12-07 22-15-11.png`
fn file_name(t: &[u32; 6]) -> String {
    format!("Screenshot from {:04}-{:02}-{:02} {:02}-{:02}-{:02}.png", t[0], t[1], t[2], t[3], t[4], t[5])
}

/// Year, month, day, hour, minute, second in the local time zone.
fn local_now() -> [u32; 6] {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let secs = secs as libc::time_t;
    // SAFETY: an all-zero tm is valid; both pointers are valid for the call (the thread-safe
    // variant of localtime).
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    if unsafe { libc::localtime_r(&secs, &mut tm) }.is_null() {
        return [1970, 1, 1, 0, 0, 0];
    }
    let n = |v: libc::c_int| v.max(0) as u32;
    [n(tm.tm_year + 1900), n(tm.tm_mon + 1), n(tm.tm_mday), n(tm.tm_hour), n(tm.tm_min), n(tm.tm_sec).min(59)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_places() {
        assert_eq!(file_name(&[2026, 12, 7, 9, 5, 3]), "Screenshot from 2026-12-07 09-05-03.png");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("user-dirs.dirs"), "# x\nXDG_PICTURES_DIR=\"$HOME/Bilder\"\n").unwrap();
        assert_eq!(user_dirs_pictures(Path::new("/home/u"), dir.path()), Some(PathBuf::from("/home/u/Bilder")));
        assert_eq!(user_dirs_pictures(Path::new("/home/u"), Path::new("/nonexistent")), None);
    }
}
