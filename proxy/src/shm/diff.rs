//! Pool contents on the stream: the guest side diffs damaged bytes of a client's pool against a
//! mirror of what the GUI side holds and sends only what changed, optionally LZ4-compressed and
//! split over threads; the GUI side checks and applies those frames.

use canopy_protocols::wire::{self, Encoding, PoolData};

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
    /// Worker threads for large damage (1: never split).
    pub threads: usize,
    /// Raw bytes per frame at most.
    pub chunk: usize,
    /// Damage of at least this many bytes is split over the worker threads.
    pub parallel_from: usize,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder {
            compression: Compression::None,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
            chunk: 1 << 20,
            parallel_from: 1 << 20,
        }
    }
}

const BLOCK: usize = 64;

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

/// Byte segments `(offset, len)` of a pool: sorted, not overlapping, inside the pool.
pub type Segments = [(usize, usize)];

impl Encoder {
    /// Appends to `out` the pool-data frames that make the GUI's copy of `mem` equal to `src` in
    /// `segments`, and updates `mirror` (the guest's copy of what the GUI holds) likewise.
    /// Returns the number of changed bytes.
    pub fn encode(&self, mem: u32, src: &[u8], mirror: &mut [u8], segments: &Segments, out: &mut Vec<u8>) -> usize {
        debug_assert_eq!(src.len(), mirror.len());
        let total: usize = segments.iter().map(|s| s.1).sum();
        if self.threads <= 1 || total < self.parallel_from || segments.is_empty() {
            return self.encode_serial(mem, src, mirror, 0, segments, out);
        }
        // Split into groups of about equal bytes, each owning a disjoint stretch of the mirror.
        let per = total.div_ceil(self.threads);
        let mut groups: Vec<&Segments> = Vec::new();
        let (mut start, mut acc) = (0, 0);
        for (i, s) in segments.iter().enumerate() {
            acc += s.1;
            if acc >= per || i + 1 == segments.len() {
                groups.push(&segments[start..=i]);
                start = i + 1;
                acc = 0;
            }
        }
        let mut pieces = Vec::with_capacity(groups.len());
        let mut rest = mirror;
        let mut rest_base = 0;
        for (gi, g) in groups.iter().enumerate() {
            let end = if gi + 1 == groups.len() { rest_base + rest.len() } else { groups[gi + 1][0].0 };
            let (piece, tail) = std::mem::take(&mut rest).split_at_mut(end - rest_base);
            pieces.push((rest_base, piece, *g));
            rest = tail;
            rest_base = end;
        }
        let results: Vec<(Vec<u8>, usize)> = std::thread::scope(|scope| {
            let handles: Vec<_> = pieces
                .into_iter()
                .map(|(base, piece, g)| {
                    scope.spawn(move || {
                        let mut o = Vec::new();
                        let n = self.encode_serial(mem, src, piece, base, g, &mut o);
                        (o, n)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("encoder thread")).collect()
        });
        let mut changed = 0;
        for (o, n) in results {
            out.extend_from_slice(&o);
            changed += n;
        }
        changed
    }

    /// `mirror` covers pool bytes `base..base + mirror.len()`.
    fn encode_serial(
        &self,
        mem: u32,
        src: &[u8],
        mirror: &mut [u8],
        base: usize,
        segments: &Segments,
        out: &mut Vec<u8>,
    ) -> usize {
        let mut spans: Vec<(u32, u32)> = Vec::new();
        let mut pending = 0usize;
        let mut changed = 0;
        let mut scratch = Vec::new();
        for &(off, len) in segments {
            let mut i = off;
            let end = off + len;
            while i < end {
                // Skip equal blocks.
                let mut j = i;
                while j < end {
                    let n = BLOCK.min(end - j);
                    if !same(&src[j..j + n], &mirror[j - base..j - base + n]) {
                        break;
                    }
                    j += n;
                }
                if j >= end {
                    break;
                }
                // Take changed blocks.
                let mut k = j;
                while k < end {
                    let n = BLOCK.min(end - k);
                    if same(&src[k..k + n], &mirror[k - base..k - base + n]) {
                        break;
                    }
                    k += n;
                    if pending + (k - j) >= self.chunk {
                        break;
                    }
                }
                // The mirror now holds what the GUI side will hold; frames are cut from it.
                mirror[j - base..k - base].copy_from_slice(&src[j..k]);
                pending += k - j;
                changed += k - j;
                match spans.last_mut() {
                    Some(last) if (last.0 + last.1) as usize == j => last.1 += (k - j) as u32,
                    _ => spans.push((j as u32, (k - j) as u32)),
                }
                if pending >= self.chunk {
                    self.emit(mem, &spans, mirror, base, out, &mut scratch);
                    spans.clear();
                    pending = 0;
                }
                i = k;
            }
        }
        if !spans.is_empty() {
            self.emit(mem, &spans, mirror, base, out, &mut scratch);
        }
        changed
    }

    /// One frame for `spans`, whose bytes are read from `mirror`.
    fn emit(
        &self,
        mem: u32,
        spans: &[(u32, u32)],
        mirror: &[u8],
        base: usize,
        out: &mut Vec<u8>,
        scratch: &mut Vec<u8>,
    ) {
        let slice = |&(off, len): &(u32, u32)| &mirror[off as usize - base..off as usize - base + len as usize];
        let raw_len: usize = spans.iter().map(|s| s.1 as usize).sum();
        if self.compression == Compression::Lz4 {
            let input: &[u8] = if spans.len() == 1 {
                slice(&spans[0])
            } else {
                scratch.clear();
                for s in spans {
                    scratch.extend_from_slice(slice(s));
                }
                scratch
            };
            let start = out.len();
            wire::encode::pool_data_head(out, mem, Encoding::Lz4, spans, 0);
            let data_at = out.len();
            let max = lz4_flex::block::get_maximum_output_size(input.len());
            out.resize(data_at + max, 0);
            if let Ok(n) = lz4_flex::block::compress_into(input, &mut out[data_at..]) {
                if n < input.len() {
                    out.truncate(data_at + n);
                    wire::encode::fix_len(out, start);
                    return;
                }
            }
            out.truncate(start);
        }
        wire::encode::pool_data_head(out, mem, Encoding::Raw, spans, raw_len);
        out.reserve(raw_len);
        for s in spans {
            out.extend_from_slice(slice(s));
        }
    }
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

    fn apply_all(frames: &[u8], mem: &mut [u8]) -> usize {
        let mut at = 0;
        let mut n = 0;
        let mut scratch = Vec::new();
        while at < frames.len() {
            let (f, len) = wire::decode(&frames[at..], 64 << 20).unwrap().unwrap();
            let wire::Frame::PoolData(pd) = f else { panic!("not pool data") };
            apply(&pd, mem, &mut scratch, 64 << 20).unwrap();
            at += len;
            n += 1;
        }
        n
    }

    fn pattern(len: usize, seed: u32) -> Vec<u8> {
        let mut x = seed.wrapping_mul(2654435761) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    }

    fn round_trip(enc: Encoder) {
        let len = 3 << 20;
        let src = pattern(len, 1);
        let mut mirror = vec![0; len];
        let mut gui = vec![0; len];
        let mut out = Vec::new();
        let changed = enc.encode(9, &src, &mut mirror, &[(0, len)], &mut out);
        assert_eq!(changed, len);
        apply_all(&out, &mut gui);
        assert!(gui == src && mirror == src);

        // Change a few scattered bytes; only damaged segments are looked at.
        let mut src2 = src.clone();
        for i in (5000..len).step_by(100_003) {
            src2[i] ^= 0xff;
        }
        src2[10] ^= 1; // outside the damage below: must not be sent
        out.clear();
        let segs: Vec<(usize, usize)> = (0..len / 4096).map(|r| (r * 4096 + 1024, 2048)).collect();
        let changed = enc.encode(9, &src2, &mut mirror, &segs, &mut out);
        assert!(changed > 0 && changed < 64 * 40, "changed {changed}");
        apply_all(&out, &mut gui);
        assert_eq!(gui[10], src[10]);
        for &(o, l) in &segs {
            assert_eq!(gui[o..o + l], src2[o..o + l]);
        }
        assert!(gui == mirror);
        out.clear();
        assert_eq!(enc.encode(9, &src2, &mut mirror, &segs, &mut out), 0);
        assert!(out.is_empty());
    }

    #[test]
    fn raw_serial() {
        round_trip(Encoder { compression: Compression::None, threads: 1, ..Encoder::default() });
    }

    #[test]
    fn lz4_threaded() {
        round_trip(Encoder { compression: Compression::Lz4, threads: 3, parallel_from: 4096, chunk: 100_000 });
    }

    #[test]
    fn lz4_shrinks_flat_content() {
        let len = 1 << 20;
        let src = vec![0x55; len];
        let mut mirror = vec![0; len];
        let mut out = Vec::new();
        let enc = Encoder { compression: Compression::Lz4, threads: 1, ..Encoder::default() };
        enc.encode(1, &src, &mut mirror, &[(0, len)], &mut out);
        assert!(out.len() < len / 50, "{} bytes", out.len());
        let mut gui = vec![0; len];
        apply_all(&out, &mut gui);
        assert!(gui == src);
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
