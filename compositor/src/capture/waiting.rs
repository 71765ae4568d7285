//! Captures that wait for the screen to change: a recorder's next frame (screencopy's
//! `copy_with_damage`, image-copy-capture's later frames) is answered only once its source looks
//! different from what that client last got, with the changed part as its damage. Each waiting
//! capture is tried again after every frame the compositor renders.

use std::sync::Mutex;

use smithay::output::Output;
use smithay::utils::{Physical, Rectangle};

use super::pixels::changed;
use crate::render::screenshot::RgbaImage;
use crate::render::CursorMode;
use crate::state::State;

/// A waiting capture: given the output just rendered, tries again; true when it is done (sent,
/// failed, or its client gone) and can be forgotten.
pub type Retry = Box<dyn FnMut(&mut State, &Output) -> bool>;

#[derive(Default)]
pub struct Waiting(Vec<Retry>);

impl std::fmt::Debug for Waiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} waiting captures", self.0.len())
    }
}

/// The image a client last got of one source, to tell what changed since.
pub type Seen = Mutex<Option<RgbaImage>>;

/// What to report for `image`: all of it the first time, then the part that changed since the
/// last image sent (none when nothing did: the capture waits).
pub fn news(seen: &Seen, image: &RgbaImage) -> Option<Rectangle<i32, Physical>> {
    match seen.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        None => Some(Rectangle::from_size((image.width as i32, image.height as i32).into())),
        Some(before) => changed(before, image),
    }
}

/// `image` was sent: later damage is counted from it.
pub fn sent(seen: &Seen, image: RgbaImage) {
    *seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(image);
}

impl State {
    /// `output` as a frame drawn now would show it (the render `canopy msg screenshot` uses),
    /// cut to `region` (physical, output-relative) when given.
    pub fn capture_image(
        &mut self,
        output: &Output,
        cursor: CursorMode,
        region: Option<Rectangle<i32, Physical>>,
    ) -> anyhow::Result<RgbaImage> {
        self.canopy.announce_round();
        let image = self.backend.screenshot(&self.canopy, output, cursor)?;
        match region {
            Some(r) if r != Rectangle::from_size((image.width as i32, image.height as i32).into()) => {
                super::pixels::crop(&image, r).ok_or_else(|| anyhow::anyhow!("the region is not on the output"))
            }
            _ => Ok(image),
        }
    }

    /// Try `retry` again after each rendered frame until it is done.
    pub fn wait_for_damage(&mut self, retry: Retry) {
        self.canopy.captures.waiting.0.push(retry);
    }

    /// `output` was just rendered: every waiting capture looks whether its source changed.
    pub fn retry_captures(&mut self, output: &Output) {
        if self.canopy.captures.waiting.0.is_empty() {
            return;
        }
        let mut kept = Vec::new();
        for mut retry in std::mem::take(&mut self.canopy.captures.waiting.0) {
            if !retry(self, output) {
                kept.push(retry);
            }
        }
        kept.append(&mut self.canopy.captures.waiting.0);
        self.canopy.captures.waiting.0 = kept;
    }
}
