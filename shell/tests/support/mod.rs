//! What the golden-image tests of the shell's programs share: the offscreen view of
//! `canopy_shell::draw::offscreen`, comparing with the reviewed PNGs in tests/golden.

#![allow(dead_code)]

use std::path::PathBuf;

use canopy_shell::draw::offscreen::Offscreen;

pub fn golden(name: &str) -> PathBuf {
    golden_dir().join(name)
}

pub fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

pub fn fixture() -> Offscreen {
    Offscreen::new(golden_dir())
}
