//! Cutting and reading Wayland wire messages against the interface tables.
//!
//! A message is `object id: u32`, `size << 16 | opcode: u32`, then its arguments, all in host byte
//! order and padded to 4 bytes. Reading checks everything the bytes alone can tell: sizes,
//! string termination, nulls where the protocol forbids them, array and string lengths against
//! the message, and that the arguments fill the message exactly.

use smallvec::SmallVec;
use thiserror::Error;
use wayland_client::backend::protocol::{AllowNull, ArgumentType, MessageDesc};

pub const HEADER_LEN: usize = 8;

/// First object id that the compositor allocates (ids below it belong to the client).
pub const SERVER_ID_BASE: u32 = 0xff00_0000;

/// Why a message, or a sequence of them, is refused. Each variant names the rule broken.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    #[error("truncated message header ({0} bytes left)")]
    TruncatedHeader(usize),
    #[error("message size {size} is smaller than its header or not a multiple of 4")]
    BadSize { size: usize },
    #[error("message size {size} exceeds the limit of {max}")]
    TooLarge { size: usize, max: usize },
    #[error("message of {size} bytes runs past the end of its frame")]
    Truncated { size: usize },
    #[error("unknown object id {0}")]
    UnknownObject(u32),
    #[error("object {0} was already destroyed")]
    DeadObject(u32),
    #[error("opcode {opcode} out of range for {interface}")]
    BadOpcode { interface: &'static str, opcode: u16 },
    #[error("{interface}.{message} needs version {since}, object {id} has version {version}")]
    BadVersion { interface: &'static str, message: &'static str, id: u32, since: u32, version: u32 },
    #[error("{interface}.{message}: arguments do not fit the message")]
    BadArguments { interface: &'static str, message: &'static str },
    #[error("{interface}.{message}: string not NUL-terminated")]
    BadString { interface: &'static str, message: &'static str },
    #[error("{interface}.{message}: null where the protocol forbids it")]
    UnexpectedNull { interface: &'static str, message: &'static str },
    #[error("{interface}.{message}: object {id} is a {actual}, not a {expected}")]
    WrongInterface {
        interface: &'static str,
        message: &'static str,
        id: u32,
        actual: &'static str,
        expected: &'static str,
    },
    #[error("new object id {id} is invalid or already in use")]
    BadNewId { id: u32 },
    #[error("unknown interface {0:?} in bind")]
    UnknownInterface(String),
    #[error("bind to global {name} that was never advertised")]
    UnadvertisedGlobal { name: u32 },
    #[error("bind of {interface} version {version} to global {name} advertised as {advertised} version {max}")]
    BadBind { name: u32, interface: String, version: u32, advertised: &'static str, max: u32 },
    #[error("{0} objects exceed the limit")]
    TooManyObjects(usize),
    #[error("message needs {needed} fds, {available} announced")]
    MissingFd { needed: usize, available: usize },
    #[error("{0} announced fds were never used by a message")]
    UnusedFds(usize),
    #[error("{interface}.{message} carries an fd the proxy cannot forward")]
    UnsupportedFd { interface: &'static str, message: &'static str },
    #[error("{0}")]
    Rule(String),
}

/// One argument as read from the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg<'a> {
    Int(i32),
    Uint(u32),
    Fixed(i32),
    /// The bytes without the terminating NUL; `None` for a null string.
    Str(Option<&'a [u8]>),
    /// 0 for a null object.
    Object(u32),
    NewId(u32),
    Array(&'a [u8]),
    Fd,
}

impl Arg<'_> {
    pub fn int(&self) -> i32 {
        match *self {
            Arg::Int(v) | Arg::Fixed(v) => v,
            Arg::Uint(v) | Arg::Object(v) | Arg::NewId(v) => v as i32,
            _ => 0,
        }
    }

    pub fn uint(&self) -> u32 {
        self.int() as u32
    }
}

/// A message split into header and arguments. `args[i]` starts at byte `offsets[i]` of `bytes`.
#[derive(Debug)]
pub struct Message<'a> {
    pub object: u32,
    pub opcode: u16,
    pub bytes: &'a [u8],
    pub args: SmallVec<[Arg<'a>; 8]>,
    pub offsets: SmallVec<[usize; 8]>,
}

impl Message<'_> {
    pub fn fd_count(&self) -> usize {
        self.args.iter().filter(|a| matches!(a, Arg::Fd)).count()
    }
}

fn word(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The (object, opcode, size) of the message at the start of `buf`, with its size checked.
/// `Ok(None)` when `buf` does not yet hold the whole message (a stream being read).
pub fn peek(buf: &[u8], max_size: usize) -> Result<Option<(u32, u16, usize)>, ProtocolError> {
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    let object = word(buf, 0);
    let second = word(buf, 4);
    let size = (second >> 16) as usize;
    let opcode = (second & 0xffff) as u16;
    if size < HEADER_LEN || !size.is_multiple_of(4) {
        return Err(ProtocolError::BadSize { size });
    }
    if size > max_size {
        return Err(ProtocolError::TooLarge { size, max: max_size });
    }
    if buf.len() < size {
        return Ok(None);
    }
    Ok(Some((object, opcode, size)))
}

/// Reads the arguments of `bytes` (one whole message) by the signature of `desc`.
pub fn parse<'a>(
    interface: &'static str,
    desc: &MessageDesc,
    object: u32,
    opcode: u16,
    bytes: &'a [u8],
) -> Result<Message<'a>, ProtocolError> {
    let bad = || ProtocolError::BadArguments { interface, message: desc.name };
    let mut args = SmallVec::new();
    let mut offsets = SmallVec::new();
    let mut at = HEADER_LEN;
    let take_word = |at: &mut usize| -> Result<u32, ProtocolError> {
        let w = bytes.get(*at..*at + 4).ok_or_else(bad)?;
        *at += 4;
        Ok(u32::from_ne_bytes([w[0], w[1], w[2], w[3]]))
    };
    for ty in desc.signature {
        offsets.push(at);
        let arg = match *ty {
            ArgumentType::Int => Arg::Int(take_word(&mut at)? as i32),
            ArgumentType::Uint => Arg::Uint(take_word(&mut at)?),
            ArgumentType::Fixed => Arg::Fixed(take_word(&mut at)? as i32),
            ArgumentType::Str(null) => {
                let len = take_word(&mut at)? as usize;
                if len == 0 {
                    if null == AllowNull::No {
                        return Err(ProtocolError::UnexpectedNull { interface, message: desc.name });
                    }
                    Arg::Str(None)
                } else {
                    let padded = len.checked_add(3).ok_or_else(bad)? & !3;
                    let s = bytes.get(at..at.checked_add(padded).ok_or_else(bad)?).ok_or_else(bad)?;
                    if s[len - 1] != 0 {
                        return Err(ProtocolError::BadString { interface, message: desc.name });
                    }
                    at += padded;
                    Arg::Str(Some(&s[..len - 1]))
                }
            }
            ArgumentType::Object(null) => {
                let id = take_word(&mut at)?;
                if id == 0 && null == AllowNull::No {
                    return Err(ProtocolError::UnexpectedNull { interface, message: desc.name });
                }
                Arg::Object(id)
            }
            ArgumentType::NewId => {
                let id = take_word(&mut at)?;
                if id == 0 {
                    return Err(ProtocolError::UnexpectedNull { interface, message: desc.name });
                }
                Arg::NewId(id)
            }
            ArgumentType::Array => {
                let len = take_word(&mut at)? as usize;
                let padded = len.checked_add(3).ok_or_else(bad)? & !3;
                let a = bytes.get(at..at.checked_add(padded).ok_or_else(bad)?).ok_or_else(bad)?;
                at += padded;
                Arg::Array(&a[..len])
            }
            ArgumentType::Fd => Arg::Fd,
        };
        args.push(arg);
    }
    if at != bytes.len() {
        return Err(bad());
    }
    Ok(Message { object, opcode, bytes, args, offsets })
}

/// Appends a message built from plain words (ints, uints, object ids) and no strings or arrays.
pub fn write_simple(out: &mut Vec<u8>, object: u32, opcode: u16, words: &[u32]) {
    let size = (HEADER_LEN + 4 * words.len()) as u32;
    out.extend_from_slice(&object.to_ne_bytes());
    out.extend_from_slice(&((size << 16) | u32::from(opcode)).to_ne_bytes());
    for w in words {
        out.extend_from_slice(&w.to_ne_bytes());
    }
}

/// A message builder for tests and for the few messages the proxy writes itself.
#[derive(Default)]
pub struct Builder {
    buf: Vec<u8>,
}

impl Builder {
    pub fn new(object: u32, opcode: u16) -> Self {
        let mut buf = Vec::with_capacity(32);
        buf.extend_from_slice(&object.to_ne_bytes());
        buf.extend_from_slice(&u32::from(opcode).to_ne_bytes());
        Builder { buf }
    }

    pub fn uint(mut self, v: u32) -> Self {
        self.buf.extend_from_slice(&v.to_ne_bytes());
        self
    }

    pub fn int(self, v: i32) -> Self {
        self.uint(v as u32)
    }

    pub fn string(mut self, s: &str) -> Self {
        let len = s.len() + 1;
        self.buf.extend_from_slice(&(len as u32).to_ne_bytes());
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
        while !self.buf.len().is_multiple_of(4) {
            self.buf.push(0);
        }
        self
    }

    pub fn array(mut self, a: &[u8]) -> Self {
        self.buf.extend_from_slice(&(a.len() as u32).to_ne_bytes());
        self.buf.extend_from_slice(a);
        while !self.buf.len().is_multiple_of(4) {
            self.buf.push(0);
        }
        self
    }

    pub fn build(mut self) -> Vec<u8> {
        let size = self.buf.len() as u32;
        let op = word(&self.buf, 4) & 0xffff;
        self.buf[4..8].copy_from_slice(&((size << 16) | op).to_ne_bytes());
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wayland::tables;
    use wayland_client::protocol::wl_registry::WlRegistry;
    use wayland_client::Proxy;

    #[test]
    fn reads_a_bind() {
        let msg = Builder::new(2, 0).uint(5).string("wl_seat").uint(7).uint(9).build();
        let (obj, op, size) = peek(&msg, 4096).unwrap().unwrap();
        assert_eq!((obj, op, size), (2, 0, msg.len()));
        let desc = &WlRegistry::interface().requests[0];
        let m = parse("wl_registry", desc, obj, op, &msg).unwrap();
        assert_eq!(m.args.as_slice(), &[Arg::Uint(5), Arg::Str(Some(b"wl_seat")), Arg::Uint(7), Arg::NewId(9)]);
        assert_eq!(m.offsets.as_slice(), &[8, 12, 24, 28]);
    }

    #[test]
    fn refuses_bad_sizes_and_strings() {
        let mut msg = Builder::new(1, 1).uint(2).build();
        msg[6] = 4; // size 4: smaller than a header
        msg[7] = 0;
        assert_eq!(peek(&msg, 4096), Err(ProtocolError::BadSize { size: 4 }));
        let msg = Builder::new(1, 1).uint(2).build();
        assert_eq!(peek(&msg[..10], 4096), Ok(None));
        assert_eq!(peek(&msg, 8), Err(ProtocolError::TooLarge { size: 12, max: 8 }));

        let desc = &WlRegistry::interface().requests[0];
        let mut msg = Builder::new(2, 0).uint(5).string("wl_seat").uint(7).uint(9).build();
        msg[12] = 200; // string length past the end
        assert!(matches!(parse("r", desc, 2, 0, &msg), Err(ProtocolError::BadArguments { .. })));
        let mut msg = Builder::new(2, 0).uint(5).string("wl_sea").uint(7).uint(9).build();
        msg[22] = b'x'; // no NUL terminator
        assert!(matches!(parse("r", desc, 2, 0, &msg), Err(ProtocolError::BadString { .. })));
        let msg = Builder::new(2, 0).uint(5).string("x").uint(7).uint(9).uint(1).build();
        assert!(matches!(parse("r", desc, 2, 0, &msg), Err(ProtocolError::BadArguments { .. })));
        let msg = Builder::new(2, 0).uint(5).string("x").uint(7).uint(0).build();
        assert!(matches!(parse("r", desc, 2, 0, &msg), Err(ProtocolError::UnexpectedNull { .. })));
        let _ = tables::display();
    }
}
