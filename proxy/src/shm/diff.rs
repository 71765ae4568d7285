//! Pool contents on the stream: what the guest side's encoding is made of (settings, the block
//! compare against the mirror) and, on the GUI side, checking and applying pool-data frames.
//! The guest's encoding itself is in [`super::send`].

use canopy_protocols::wire::{Encoding, PoolData};

/// `--compress` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Compression {
    None,
    Lz4,
}

/// How the guest side encodes pool contents.
#[derive(Debug, Clone, Copy)]
pub struct Encoder {
    pub compression: Compression,
    /// Threads compressing at once (1: only the connection's own thread).
    pub threads: usize,
    /// Data bytes per pool-data frame at most.
    pub chunk: usize,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder {
            compression: Compression::None,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
            // Measured on the 1920x1080 bench: 256 KiB to 512 KiB beat smaller and larger.
            chunk: 256 << 10,
        }
    }
}

/// Bytes compared at once: changes are found and sent at this granularity.
pub const BLOCK: usize = 64;

/// Whether two blocks are equal; whole blocks compare as eight words with no call to memcmp.
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    match (<&[u8; BLOCK]>::try_from(a), <&[u8; BLOCK]>::try_from(b)) {
        (Ok(a), Ok(b)) => {
            let mut acc = 0u64;
            for i in 0..BLOCK / 8 {
                let x = u64::from_ne_bytes(a[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
                let y = u64::from_ne_bytes(b[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
                acc |= x ^ y;
            }
            acc == 0
        }
        _ => a == b,
    }
}

/// How many leading bytes of `src` equal `mirror`, in whole blocks from the start (`src.len()`
/// when all are equal).
pub fn equal_prefix(src: &[u8], mirror: &[u8]) -> usize {
    debug_assert_eq!(src.len(), mirror.len());
    let mut i = 0;
    while i < src.len() {
        let n = BLOCK.min(src.len() - i);
        if !same(&src[i..i + n], &mirror[i..i + n]) {
            return i;
        }
        i += n;
    }
    src.len()
}

/// Copies the first block of `src` (which differs) into `mirror`, then every following block
/// until one is equal; returns how many bytes were copied. Compare and copy in one pass, while
/// the block is in the cache.
pub fn copy_changed(src: &[u8], mirror: &mut [u8]) -> usize {
    debug_assert_eq!(src.len(), mirror.len());
    let mut i = 0;
    while i < src.len() {
        let n = BLOCK.min(src.len() - i);
        if i > 0 && same(&src[i..i + n], &mirror[i..i + n]) {
            return i;
        }
        mirror[i..i + n].copy_from_slice(&src[i..i + n]);
        i += n;
    }
    src.len()
}

/// Writes a pool-data frame into `mem` after checking every span. `scratch` holds decoded bytes.
pub fn apply(pd: &PoolData<'_>, mem: &mut [u8], scratch: &mut Vec<u8>, max_raw: usize) -> Result<(), String> {
    let raw_len = pd.raw_len as usize;
    if raw_len > max_raw {
        return Err(format!("pool data of {raw_len} bytes exceeds the limit of {max_raw}"));
    }
    for (off, len) in pd.spans() {
        if u64::from(off) + u64::from(len) > mem.len() as u64 {
            return Err(format!("pool data span {off}+{len} beyond the pool of {} bytes", mem.len()));
        }
    }
    let bytes: &[u8] = match pd.encoding {
        Encoding::Raw => pd.data,
        Encoding::Lz4 => {
            if pd.span_count() == 1 {
                let (off, len) = pd.spans().next().expect("one span");
                let dst = &mut mem[off as usize..(off + len) as usize];
                return match lz4_flex::block::decompress_into(pd.data, dst) {
                    Ok(n) if n == dst.len() => Ok(()),
                    Ok(n) => Err(format!("lz4 pool data decodes to {n} bytes, not {len}")),
                    Err(e) => Err(format!("bad lz4 pool data: {e}")),
                };
            }
            scratch.clear();
            scratch.resize(raw_len, 0);
            match lz4_flex::block::decompress_into(pd.data, scratch) {
                Ok(n) if n == raw_len => {}
                Ok(n) => return Err(format!("lz4 pool data decodes to {n} bytes, not {raw_len}")),
                Err(e) => return Err(format!("bad lz4 pool data: {e}")),
            }
            scratch
        }
    };
    let mut at = 0;
    for (off, len) in pd.spans() {
        let (off, len) = (off as usize, len as usize);
        mem[off..off + len].copy_from_slice(&bytes[at..at + len]);
        at += len;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_protocols::wire;

    #[test]
    fn blocks_are_compared_and_copied_until_they_agree() {
        let src: Vec<u8> = (0..1000).map(|i| i as u8).collect();
        let mut mirror = src.clone();
        assert_eq!(equal_prefix(&src, &mirror), 1000);
        mirror[130] ^= 1; // in the third block
        mirror[200] ^= 1; // fourth
        mirror[990] ^= 1; // the short last block
        assert_eq!(equal_prefix(&src, &mirror), 128);
        assert_eq!(copy_changed(&src[128..], &mut mirror[128..]), 128);
        assert_eq!(src[..256], mirror[..256]);
        assert_eq!(equal_prefix(&src[256..], &mirror[256..]), 960 - 256);
        assert_eq!(copy_changed(&src[960..], &mut mirror[960..]), 40);
        assert_eq!(src, mirror);
    }

    #[test]
    fn apply_refuses_spans_outside_the_pool_and_bad_lz4() {
        let mut mem = vec![0; 100];
        let mut scratch = Vec::new();
        let mut f = Vec::new();
        wire::encode::pool_data(&mut f, 1, Encoding::Raw, &[(98, 4)], b"abcd");
        let (wire::Frame::PoolData(pd), _) = wire::decode(&f, 1 << 20).unwrap().unwrap() else { panic!() };
        assert!(apply(&pd, &mut mem, &mut scratch, 1 << 20).unwrap_err().contains("beyond the pool"));
        let mut f = Vec::new();
        wire::encode::pool_data(&mut f, 1, Encoding::Lz4, &[(0, 50), (60, 10)], b"\xff\xff\xff");
        let (wire::Frame::PoolData(pd), _) = wire::decode(&f, 1 << 20).unwrap().unwrap() else { panic!() };
        assert!(apply(&pd, &mut mem, &mut scratch, 1 << 20).unwrap_err().contains("lz4"));
        assert!(apply(&pd, &mut mem, &mut scratch, 10).unwrap_err().contains("limit"));
    }
}
