//! Length-prefixed JSON frames: a 4-byte big-endian payload length, then the payload. Each
//! protocol has its own largest payload (`max`); the lifecycle and notification modules wrap
//! these with theirs.

use std::io::{self, Read, Write};

use serde::de::DeserializeOwned;
use serde::Serialize;

const HEADER_LEN: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The peer closed the connection between frames.
    #[error("connection closed")]
    Closed,
    /// The header announced more than the protocol's largest frame; the body is not read, so the
    /// stream cannot be resynchronised and the connection must end.
    #[error("frame of {len} bytes is over the limit of {max} bytes")]
    TooLong { len: usize, max: usize },
    /// The frame was cut cleanly but its JSON is not a valid message; the stream is still usable.
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl FrameError {
    /// Whether the connection can go on after this error.
    pub fn stream_intact(&self) -> bool {
        matches!(self, FrameError::Malformed(_))
    }

    /// Whether this is a read or write timeout set on the socket.
    pub fn is_timeout(&self) -> bool {
        matches!(self, FrameError::Io(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut))
    }
}

/// One message as a complete frame (header and payload).
pub fn encode<T: Serialize>(msg: &T, max: usize) -> Result<Vec<u8>, FrameError> {
    let mut buf = vec![0; HEADER_LEN];
    serde_json::to_writer(&mut buf, msg).map_err(|e| FrameError::Malformed(e.to_string()))?;
    let len = buf.len() - HEADER_LEN;
    if len > max {
        return Err(FrameError::TooLong { len, max });
    }
    buf[..HEADER_LEN].copy_from_slice(&(len as u32).to_be_bytes());
    Ok(buf)
}

/// Parse one frame's payload.
pub fn decode<T: DeserializeOwned>(payload: &[u8]) -> Result<T, FrameError> {
    serde_json::from_slice(payload).map_err(|e| FrameError::Malformed(e.to_string()))
}

/// Write one message as one frame (a single `write_all`, so frames of one writer never interleave).
pub fn write_frame<W: Write + ?Sized, T: Serialize>(w: &mut W, msg: &T, max: usize) -> Result<(), FrameError> {
    w.write_all(&encode(msg, max)?)?;
    Ok(())
}

/// Read one frame's payload. [`FrameError::Closed`] when the peer closed between frames.
pub fn read_frame_bytes<R: Read + ?Sized>(r: &mut R, max: usize) -> Result<Vec<u8>, FrameError> {
    let mut header = [0u8; HEADER_LEN];
    let mut got = 0;
    while got < HEADER_LEN {
        match r.read(&mut header[got..]) {
            Ok(0) if got == 0 => return Err(FrameError::Closed),
            Ok(0) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let len = u32::from_be_bytes(header) as usize;
    if len > max {
        return Err(FrameError::TooLong { len, max });
    }
    let mut payload = vec![0; len];
    r.read_exact(&mut payload)?;
    Ok(payload)
}

/// Read and parse one frame.
pub fn read_frame<R: Read + ?Sized, T: DeserializeOwned>(r: &mut R, max: usize) -> Result<T, FrameError> {
    decode(&read_frame_bytes(r, max)?)
}

/// Cuts frames out of bytes that arrive in pieces, for readers on non-blocking sockets
/// (an event loop that polls the fd).
#[derive(Debug)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    max: usize,
}

impl FrameDecoder {
    pub fn new(max: usize) -> Self {
        Self { buf: Vec::new(), max }
    }

    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The next complete frame's payload, if one has fully arrived.
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        if self.buf.len() < HEADER_LEN {
            return Ok(None);
        }
        let len = u32::from_be_bytes(self.buf[..HEADER_LEN].try_into().expect("4 bytes")) as usize;
        if len > self.max {
            return Err(FrameError::TooLong { len, max: self.max });
        }
        if self.buf.len() < HEADER_LEN + len {
            return Ok(None);
        }
        let payload = self.buf[HEADER_LEN..HEADER_LEN + len].to_vec();
        self.buf.drain(..HEADER_LEN + len);
        Ok(Some(payload))
    }

    /// Bytes received that do not yet form a whole frame.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}
