//! The canopy-proxy wire format: the frames that travel on one stream between `canopy-proxy guest`
//! (in an app VM) and `canopy-proxy gui` (in the GUI VM). One stream carries one Wayland client.
//!
//! Every frame is an 8-byte header — payload length (u32, little-endian), kind (u8), three zero
//! bytes — followed by the payload. Wayland
//! messages travel unchanged inside [`Frame::Wayland`]; file descriptors cannot cross a VM
//! boundary, so each fd argument of a message is announced by one fd frame just before it, in
//! argument order, and what the fd carries travels in frames of its own.
//!
//! The decoder here only cuts frames and checks their own layout; the receiver still checks every
//! value against its state (pool sizes, pipe ids, limits). It never panics on any input.

use thiserror::Error;

/// Version sent in [`Frame::Hello`]; a peer speaking another version is refused.
pub const VERSION: u16 = 1;
/// Size of a frame header.
pub const HEADER_LEN: usize = 8;

/// Frame kinds as they appear on the wire.
mod kind {
    pub const HELLO: u8 = 1;
    pub const WAYLAND: u8 = 2;
    pub const FD_SHM_POOL: u8 = 3;
    pub const FD_SHM_REGION: u8 = 4;
    pub const FD_PIPE_WRITE: u8 = 5;
    pub const FD_KEYMAP: u8 = 6;
    pub const POOL_DATA: u8 = 7;
    pub const PIPE_DATA: u8 = 8;
    pub const PIPE_CLOSE: u8 = 9;
}

/// How the payload of a [`PoolData`] frame is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The span bytes, concatenated.
    Raw,
    /// The concatenated span bytes as one LZ4 block.
    Lz4,
}

/// One frame, borrowing its payload from the receive buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame<'a> {
    /// First frame of the guest on a new stream.
    Hello {
        version: u16,
        /// The guest places pixels in the shared-memory region (`--shm-region`).
        region: bool,
    },
    /// One or more complete Wayland messages, as on a Wayland socket (host byte order).
    Wayland(&'a [u8]),
    /// The next fd argument is a wl_shm pool of `size` bytes, which the sender fills with
    /// [`Frame::PoolData`] frames naming `mem`.
    FdShmPool { mem: u32, size: u32 },
    /// The next fd argument is a wl_shm pool over the whole shared-memory region; buffer offsets
    /// in that pool are offsets in the region.
    FdShmRegion,
    /// The next fd argument is the write end of a pipe: whatever the receiver's side writes into
    /// it comes back to the sender as [`Frame::PipeData`] frames naming `pipe`.
    FdPipeWrite { pipe: u32 },
    /// The next fd argument is a read-only file with these contents (a keymap).
    FdKeymap(&'a [u8]),
    /// Bytes for pool memory `mem`: `spans` say where, `data` holds them (see [`Encoding`]).
    PoolData(PoolData<'a>),
    /// Bytes written into the pipe the receiver announced with [`Frame::FdPipeWrite`]. Each side
    /// numbers the pipes it announces on its own, so `pipe` always names one of the receiver's.
    PipeData { pipe: u32, data: &'a [u8] },
    /// The writer closed the receiver's pipe `pipe` (sent by either side; the receiver closes
    /// its end).
    PipeClose { pipe: u32 },
}

/// Payload of [`Frame::PoolData`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolData<'a> {
    pub mem: u32,
    pub encoding: Encoding,
    /// Total length of all spans: the decoded size of `data`.
    pub raw_len: u32,
    /// (offset, length) pairs, 8 bytes each, little-endian; see [`PoolData::spans`].
    spans: &'a [u8],
    pub data: &'a [u8],
}

impl<'a> PoolData<'a> {
    /// The (offset, length) spans, in order.
    pub fn spans(&self) -> impl Iterator<Item = (u32, u32)> + 'a {
        self.spans.chunks_exact(8).map(|c| (u32_at(c, 0), u32_at(c, 4)))
    }

    pub fn span_count(&self) -> usize {
        self.spans.len() / 8
    }
}

/// Why a byte stream is not a valid frame sequence.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum WireError {
    #[error("frame of {len} bytes exceeds the limit of {max}")]
    TooLarge { len: usize, max: usize },
    #[error("unknown frame kind {0}")]
    UnknownKind(u8),
    #[error("reserved header bytes are not zero")]
    Reserved,
    #[error("{kind} frame has a malformed payload of {len} bytes")]
    Malformed { kind: &'static str, len: usize },
    #[error("unknown pool data encoding {0}")]
    UnknownEncoding(u8),
    #[error("pool data spans add up to {sum} bytes but the frame says {raw_len}")]
    SpanSum { sum: u64, raw_len: u32 },
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

/// Reads the header at the start of `buf`: `Ok(None)` until `buf` holds the whole frame, else the
/// frame and the number of bytes it takes. `max_len` bounds the payload length.
pub fn decode(buf: &[u8], max_len: usize) -> Result<Option<(Frame<'_>, usize)>, WireError> {
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    let len = u32_at(buf, 0) as usize;
    if len > max_len {
        return Err(WireError::TooLarge { len, max: max_len });
    }
    if buf[5] != 0 || buf[6] != 0 || buf[7] != 0 {
        return Err(WireError::Reserved);
    }
    let Some(payload) = buf.get(HEADER_LEN..HEADER_LEN + len) else {
        return Ok(None);
    };
    let frame = parse_payload(buf[4], payload)?;
    Ok(Some((frame, HEADER_LEN + len)))
}

/// How many bytes the frame starting at `buf` needs in all, once its header is there.
pub fn frame_len(buf: &[u8]) -> Option<usize> {
    (buf.len() >= HEADER_LEN).then(|| HEADER_LEN + u32_at(buf, 0) as usize)
}

/// For a pool-data frame starting at `buf` (once its header is there): how many bytes come
/// before its data — header, prefix and span table — so that a reader can take those alone and
/// read the data straight into place. At least the fixed part while the span count is not
/// there yet; `None` for other frames.
pub fn pool_data_prefix_len(buf: &[u8]) -> Option<usize> {
    if buf.len() < HEADER_LEN || buf[4] != kind::POOL_DATA {
        return None;
    }
    if buf.len() < HEADER_LEN + 8 {
        return Some(HEADER_LEN + 16);
    }
    Some((u32_at(buf, HEADER_LEN + 4) as usize).saturating_mul(8).saturating_add(HEADER_LEN + 16))
}

fn parse_payload(kind: u8, p: &[u8]) -> Result<Frame<'_>, WireError> {
    let malformed = |name| WireError::Malformed { kind: name, len: p.len() };
    Ok(match kind {
        kind::HELLO => {
            if p.len() != 4 {
                return Err(malformed("hello"));
            }
            let flags = u16_at(p, 2);
            if flags & !1 != 0 {
                return Err(malformed("hello"));
            }
            Frame::Hello { version: u16_at(p, 0), region: flags & 1 != 0 }
        }
        kind::WAYLAND => Frame::Wayland(p),
        kind::FD_SHM_POOL => {
            if p.len() != 8 {
                return Err(malformed("fd-shm-pool"));
            }
            Frame::FdShmPool { mem: u32_at(p, 0), size: u32_at(p, 4) }
        }
        kind::FD_SHM_REGION => {
            if !p.is_empty() {
                return Err(malformed("fd-shm-region"));
            }
            Frame::FdShmRegion
        }
        kind::FD_PIPE_WRITE => {
            if p.len() != 4 {
                return Err(malformed("fd-pipe-write"));
            }
            Frame::FdPipeWrite { pipe: u32_at(p, 0) }
        }
        kind::FD_KEYMAP => Frame::FdKeymap(p),
        kind::POOL_DATA => {
            // mem u32, span count u32, encoding u8, 3 zero bytes, raw_len u32, spans, data
            if p.len() < 16 {
                return Err(malformed("pool-data"));
            }
            let mem = u32_at(p, 0);
            let count = u32_at(p, 4) as usize;
            let encoding = match p[8] {
                0 => Encoding::Raw,
                1 => Encoding::Lz4,
                e => return Err(WireError::UnknownEncoding(e)),
            };
            if p[9..12] != [0, 0, 0] {
                return Err(malformed("pool-data"));
            }
            let raw_len = u32_at(p, 12);
            let spans_end = count
                .checked_mul(8)
                .and_then(|n| n.checked_add(16))
                .filter(|&end| end <= p.len())
                .ok_or_else(|| malformed("pool-data"))?;
            let spans = &p[16..spans_end];
            let data = &p[spans_end..];
            let sum: u64 = spans.chunks_exact(8).map(|c| u64::from(u32_at(c, 4))).sum();
            if sum != u64::from(raw_len) {
                return Err(WireError::SpanSum { sum, raw_len });
            }
            if encoding == Encoding::Raw && data.len() != raw_len as usize {
                return Err(malformed("pool-data"));
            }
            Frame::PoolData(PoolData { mem, encoding, raw_len, spans, data })
        }
        kind::PIPE_DATA => {
            if p.len() < 4 {
                return Err(malformed("pipe-data"));
            }
            Frame::PipeData { pipe: u32_at(p, 0), data: &p[4..] }
        }
        kind::PIPE_CLOSE => {
            if p.len() != 4 {
                return Err(malformed("pipe-close"));
            }
            Frame::PipeClose { pipe: u32_at(p, 0) }
        }
        k => return Err(WireError::UnknownKind(k)),
    })
}

/// The start of a pool-data frame whose data has not all arrived yet: enough to read the rest
/// of its data straight into place (see `canopy-proxy`'s event loop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolDataHead {
    pub mem: u32,
    pub encoding: Encoding,
    pub spans: Vec<(u32, u32)>,
    /// Offset of the data bytes from the start of the frame header.
    pub data_at: usize,
    /// Length of the whole frame, header included.
    pub frame_len: usize,
}

/// If `buf` starts with a pool-data frame whose header and span table are there, reads them
/// with the same checks as [`decode`]. `Ok(None)` for any other frame or a shorter buffer.
pub fn peek_pool_data(buf: &[u8], max_len: usize) -> Result<Option<PoolDataHead>, WireError> {
    if buf.len() < HEADER_LEN + 16 || buf[4] != kind::POOL_DATA {
        return Ok(None);
    }
    let len = u32_at(buf, 0) as usize;
    if len > max_len {
        return Err(WireError::TooLarge { len, max: max_len });
    }
    if buf[5] != 0 || buf[6] != 0 || buf[7] != 0 {
        return Err(WireError::Reserved);
    }
    let p = &buf[HEADER_LEN..];
    let count = u32_at(p, 4) as usize;
    let spans_end = count.checked_mul(8).and_then(|n| n.checked_add(16));
    let Some(spans_end) = spans_end.filter(|&e| e <= len) else {
        return Err(WireError::Malformed { kind: "pool-data", len });
    };
    if p.len() < spans_end {
        return Ok(None);
    }
    // The full checks, on the part that is here (data excepted).
    let encoding = match p[8] {
        0 => Encoding::Raw,
        1 => Encoding::Lz4,
        e => return Err(WireError::UnknownEncoding(e)),
    };
    if p[9..12] != [0, 0, 0] {
        return Err(WireError::Malformed { kind: "pool-data", len });
    }
    let raw_len = u32_at(p, 12);
    let spans: Vec<(u32, u32)> = p[16..spans_end].chunks_exact(8).map(|c| (u32_at(c, 0), u32_at(c, 4))).collect();
    let sum: u64 = spans.iter().map(|s| u64::from(s.1)).sum();
    if sum != u64::from(raw_len) {
        return Err(WireError::SpanSum { sum, raw_len });
    }
    if encoding == Encoding::Raw && len - spans_end != raw_len as usize {
        return Err(WireError::Malformed { kind: "pool-data", len });
    }
    Ok(Some(PoolDataHead {
        mem: u32_at(p, 0),
        encoding,
        spans,
        data_at: HEADER_LEN + spans_end,
        frame_len: HEADER_LEN + len,
    }))
}

/// Appends frames to a byte buffer.
pub mod encode {
    use super::{kind, Encoding, HEADER_LEN};

    fn header(out: &mut Vec<u8>, kind: u8, len: usize) {
        let len = u32::try_from(len).expect("frame payload fits in u32");
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&[kind, 0, 0, 0]);
    }

    pub fn hello(out: &mut Vec<u8>, version: u16, region: bool) {
        header(out, kind::HELLO, 4);
        out.extend_from_slice(&version.to_le_bytes());
        out.extend_from_slice(&u16::from(region).to_le_bytes());
    }

    /// Starts a Wayland frame; append whole messages, then call [`finish_wayland`].
    pub fn begin_wayland(out: &mut Vec<u8>) -> usize {
        let start = out.len();
        header(out, kind::WAYLAND, 0);
        start
    }

    /// Fixes the length of the Wayland frame begun at `start`.
    pub fn finish_wayland(out: &mut [u8], start: usize) {
        let len = u32::try_from(out.len() - start - HEADER_LEN).expect("frame fits in u32");
        out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    }

    pub fn wayland(out: &mut Vec<u8>, msgs: &[u8]) {
        header(out, kind::WAYLAND, msgs.len());
        out.extend_from_slice(msgs);
    }

    pub fn fd_shm_pool(out: &mut Vec<u8>, mem: u32, size: u32) {
        header(out, kind::FD_SHM_POOL, 8);
        out.extend_from_slice(&mem.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
    }

    pub fn fd_shm_region(out: &mut Vec<u8>) {
        header(out, kind::FD_SHM_REGION, 0);
    }

    pub fn fd_pipe_write(out: &mut Vec<u8>, pipe: u32) {
        header(out, kind::FD_PIPE_WRITE, 4);
        out.extend_from_slice(&pipe.to_le_bytes());
    }

    pub fn fd_keymap(out: &mut Vec<u8>, data: &[u8]) {
        header(out, kind::FD_KEYMAP, data.len());
        out.extend_from_slice(data);
    }

    /// Length of the pool-data payload before its data, for `span_count` spans.
    pub fn pool_data_prefix_len(span_count: usize) -> usize {
        16 + span_count * 8
    }

    /// A whole pool-data frame: `data` is already encoded as `encoding` says.
    pub fn pool_data(out: &mut Vec<u8>, mem: u32, encoding: Encoding, spans: &[(u32, u32)], data: &[u8]) {
        let raw_len: u32 = spans.iter().map(|s| s.1).sum();
        header(out, kind::POOL_DATA, pool_data_prefix_len(spans.len()) + data.len());
        pool_data_prefix(out, mem, encoding, raw_len, spans);
        out.extend_from_slice(data);
    }

    /// The header and the pool-data prefix of a frame whose `data_len` data bytes the caller
    /// appends itself (to encode straight into the output buffer).
    pub fn pool_data_head(out: &mut Vec<u8>, mem: u32, encoding: Encoding, spans: &[(u32, u32)], data_len: usize) {
        let raw_len: u32 = spans.iter().map(|s| s.1).sum();
        header(out, kind::POOL_DATA, pool_data_prefix_len(spans.len()) + data_len);
        pool_data_prefix(out, mem, encoding, raw_len, spans);
    }

    /// Fixes the length field of the frame starting at `start` after its payload was appended.
    pub fn fix_len(out: &mut [u8], start: usize) {
        let len = u32::try_from(out.len() - start - HEADER_LEN).expect("frame fits in u32");
        out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    }

    fn pool_data_prefix(out: &mut Vec<u8>, mem: u32, encoding: Encoding, raw_len: u32, spans: &[(u32, u32)]) {
        out.extend_from_slice(&mem.to_le_bytes());
        out.extend_from_slice(&(spans.len() as u32).to_le_bytes());
        let e = match encoding {
            Encoding::Raw => 0,
            Encoding::Lz4 => 1,
        };
        out.extend_from_slice(&[e, 0, 0, 0]);
        out.extend_from_slice(&raw_len.to_le_bytes());
        for (off, len) in spans {
            out.extend_from_slice(&off.to_le_bytes());
            out.extend_from_slice(&len.to_le_bytes());
        }
    }

    pub fn pipe_data(out: &mut Vec<u8>, pipe: u32, data: &[u8]) {
        header(out, kind::PIPE_DATA, 4 + data.len());
        out.extend_from_slice(&pipe.to_le_bytes());
        out.extend_from_slice(data);
    }

    pub fn pipe_close(out: &mut Vec<u8>, pipe: u32) {
        header(out, kind::PIPE_CLOSE, 4);
        out.extend_from_slice(&pipe.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(buf: &[u8]) -> Frame<'_> {
        let (f, n) = decode(buf, 1 << 20).unwrap().unwrap();
        assert_eq!(n, buf.len());
        f
    }

    #[test]
    fn every_frame_round_trips() {
        let mut b = Vec::new();
        encode::hello(&mut b, VERSION, true);
        assert_eq!(one(&b), Frame::Hello { version: VERSION, region: true });
        b.clear();
        encode::wayland(&mut b, &[1, 0, 0, 0, 0, 0, 8, 0]);
        assert_eq!(one(&b), Frame::Wayland(&[1, 0, 0, 0, 0, 0, 8, 0]));
        b.clear();
        let start = encode::begin_wayland(&mut b);
        b.extend_from_slice(&[9; 12]);
        encode::finish_wayland(&mut b, start);
        assert_eq!(one(&b), Frame::Wayland(&[9; 12]));
        b.clear();
        encode::fd_shm_pool(&mut b, 7, 4096);
        assert_eq!(one(&b), Frame::FdShmPool { mem: 7, size: 4096 });
        b.clear();
        encode::fd_shm_region(&mut b);
        assert_eq!(one(&b), Frame::FdShmRegion);
        b.clear();
        encode::fd_pipe_write(&mut b, 3);
        assert_eq!(one(&b), Frame::FdPipeWrite { pipe: 3 });
        b.clear();
        encode::fd_keymap(&mut b, b"xkb");
        assert_eq!(one(&b), Frame::FdKeymap(b"xkb"));
        b.clear();
        encode::pipe_data(&mut b, 2, b"hello");
        assert_eq!(one(&b), Frame::PipeData { pipe: 2, data: b"hello" });
        b.clear();
        encode::pipe_close(&mut b, 2);
        assert_eq!(one(&b), Frame::PipeClose { pipe: 2 });
        b.clear();
        encode::pool_data(&mut b, 5, Encoding::Raw, &[(0, 2), (100, 3)], b"abcde");
        let Frame::PoolData(pd) = one(&b) else { panic!("not pool data") };
        assert_eq!((pd.mem, pd.encoding, pd.raw_len, pd.data), (5, Encoding::Raw, 5, &b"abcde"[..]));
        assert_eq!(pd.spans().collect::<Vec<_>>(), vec![(0, 2), (100, 3)]);
    }

    #[test]
    fn pool_data_heads_are_read_before_their_data() {
        let mut b = Vec::new();
        encode::pool_data(&mut b, 3, Encoding::Raw, &[(0, 4), (10, 2)], b"abcdef");
        let head = peek_pool_data(&b[..HEADER_LEN + 32], 1 << 20).unwrap().unwrap();
        assert_eq!(head.mem, 3);
        assert_eq!(head.spans, vec![(0, 4), (10, 2)]);
        assert_eq!((head.data_at, head.frame_len), (HEADER_LEN + 32, b.len()));
        assert_eq!(peek_pool_data(&b[..HEADER_LEN + 20], 1 << 20), Ok(None));
        assert_eq!(pool_data_prefix_len(&b[..HEADER_LEN + 4]), Some(HEADER_LEN + 16));
        assert_eq!(pool_data_prefix_len(&b[..HEADER_LEN + 8]), Some(HEADER_LEN + 32));
        let mut other = Vec::new();
        encode::pipe_data(&mut other, 1, &[0; 40]);
        assert_eq!(peek_pool_data(&other, 1 << 20), Ok(None));
        assert_eq!(pool_data_prefix_len(&other), None);
        b[HEADER_LEN + 12] = 9;
        assert!(peek_pool_data(&b, 1 << 20).is_err());
    }

    #[test]
    fn partial_frames_wait_for_more_bytes() {
        let mut b = Vec::new();
        encode::pipe_data(&mut b, 1, b"abc");
        for cut in 0..b.len() {
            assert_eq!(decode(&b[..cut], 1 << 20), Ok(None), "cut at {cut}");
        }
        assert_eq!(frame_len(&b), Some(b.len()));
    }

    #[test]
    fn bad_frames_are_errors() {
        let mut b = Vec::new();
        encode::wayland(&mut b, &[0; 64]);
        assert_eq!(decode(&b, 32), Err(WireError::TooLarge { len: 64, max: 32 }));
        b[4] = 200;
        assert_eq!(decode(&b, 1 << 20), Err(WireError::UnknownKind(200)));
        b[4] = kind::WAYLAND;
        b[6] = 1;
        assert_eq!(decode(&b, 1 << 20), Err(WireError::Reserved));

        let mut b = Vec::new();
        encode::pool_data(&mut b, 1, Encoding::Raw, &[(0, 4)], b"abcd");
        b[HEADER_LEN + 12] = 5; // raw_len no longer matches the spans
        assert!(matches!(decode(&b, 1 << 20), Err(WireError::SpanSum { .. })));

        let mut b = Vec::new();
        encode::pool_data(&mut b, 1, Encoding::Raw, &[(0, 4)], b"abcd");
        b[HEADER_LEN + 4] = 0xff; // span count points past the payload
        assert!(matches!(decode(&b, 1 << 20), Err(WireError::Malformed { .. })));

        let mut b = Vec::new();
        encode::hello(&mut b, 1, false);
        b[HEADER_LEN + 2] = 4; // unknown flag
        assert!(matches!(decode(&b, 1 << 20), Err(WireError::Malformed { .. })));
    }

    #[test]
    fn no_input_panics() {
        // A cheap deterministic sweep over short inputs; the fuzz target covers the rest.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 40) as usize;
            let mut buf: Vec<u8> = (0..len).map(|i| (seed >> (i % 8 * 8)) as u8).collect();
            if len > 4 {
                buf[4] = (seed % 11) as u8;
                buf[5..8.min(len)].fill(0);
                buf[0] = (len.saturating_sub(8)) as u8;
                buf[1..4].fill(0);
            }
            let _ = decode(&buf, 1 << 16);
        }
    }
}
