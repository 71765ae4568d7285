//! The lifecycle protocol's frames: [`crate::framing`] with its limit, [`MAX_FRAME`].

use std::io::{Read, Write};

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use crate::framing::{decode, FrameDecoder, FrameError};

use super::MAX_FRAME;

/// One message as a complete frame (header and payload).
pub fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, FrameError> {
    crate::framing::encode(msg, MAX_FRAME)
}

/// Write one message as one frame.
pub fn write_frame<W: Write + ?Sized, T: Serialize>(w: &mut W, msg: &T) -> Result<(), FrameError> {
    crate::framing::write_frame(w, msg, MAX_FRAME)
}

/// Read one frame's payload. [`FrameError::Closed`] when the peer closed between frames.
pub fn read_frame_bytes<R: Read + ?Sized>(r: &mut R) -> Result<Vec<u8>, FrameError> {
    crate::framing::read_frame_bytes(r, MAX_FRAME)
}

/// Read and parse one frame.
pub fn read_frame<R: Read + ?Sized, T: DeserializeOwned>(r: &mut R) -> Result<T, FrameError> {
    crate::framing::read_frame(r, MAX_FRAME)
}
