//! canopy-text: the one text stack of canopy's trusted UI (the compositor's title bars and
//! notices, the panel, launcher, power menu and lock).
//!
//! Text is shaped with HarfBuzz's rules (harfrust), ordered by the Unicode bidirectional
//! algorithm, broken into lines and ellipsised by cosmic-text, and drawn from swash's glyph
//! images, colour emoji included. Fonts come from the system: the theme names a preferred
//! family, families per script and a fallback order ([`chain`]); a character no font has is
//! drawn as a box, never as nothing and never as a crash. Window titles keep the `[vm]`
//! prefix where the user looks for it whatever the title holds ([`title`]), and text fields
//! edit by grapheme cluster with a caret that follows the screen ([`edit`]).

mod cache;
pub mod chain;
pub mod edit;
mod fonts;
pub mod line;
mod raster;
pub mod samples;
pub mod title;

pub use cosmic_text::fontdb::Database as FontDatabase;
pub use edit::TextField;
pub use fonts::{Fonts, MAX_TEXT};
pub use line::Line;
pub use raster::Clip;
pub use title::TitleLine;

/// The two weights trusted text uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Weight {
    Regular,
    Bold,
}
