//! The guest side's pool contents on the stream. Each commit of a wl_shm buffer becomes a
//! [`PoolJob`] that the stream runs when it can take more: it compares the damaged bytes of the
//! client's pool with the mirror of what the GUI side holds, copies what changed into the mirror
//! and sends it from there with `writev`, one chunk at a time, so each chunk is still in the
//! cache when the kernel copies it and goes out while the next one is compared.
//!
//! A buffer whose content changes almost everywhere on every frame (video, scrolling) gains
//! nothing from the compare: after two compares in a row find nearly every byte changed, the
//! next frames of that buffer go straight from the client's memory to the stream, leaving the
//! mirror stale there ([`PoolMem::stale`]); after 15 such frames one is compared again to find
//! out whether it still pays, and while it does not, the runs without compare double (up to
//! 60 frames: a second at 60 Hz). Stale bytes always count as changed.

use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;

use canopy_protocols::wire::{self, Encoding};

use super::diff::{self, Compression, Encoder};
use super::map::Mapping;
use super::ranges::Ranges;
use super::sigbus;
use crate::sockio::{Borrowed, Chunk, Chunker};

/// A stream pool as the guest side holds it.
pub struct PoolMem {
    /// The client's pool, read-only.
    pub map: Mapping,
    /// The GUI side's name for the pool's memory.
    pub id: u32,
    /// What the GUI side holds, except in `stale`.
    pub mirror: Vec<u8>,
    /// Where the mirror is not what the GUI side holds.
    pub stale: Ranges,
}

impl PoolMem {
    pub fn new(map: Mapping, id: u32) -> Self {
        let len = map.len();
        PoolMem { map, id, mirror: vec![0; len], stale: Ranges::default() }
    }

    /// A pool whose pixels go through the shared region: no mirror.
    pub fn without_mirror(map: Mapping) -> Self {
        PoolMem { map, id: 0, mirror: Vec::new(), stale: Ranges::default() }
    }
}

/// How the frames of one buffer are sent, learnt from its last compare.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Adapt {
    /// Frames still to send straight from the client's memory before comparing again.
    raw_left: u8,
    /// Compares in a row that found nearly everything changed. The first frame of a buffer
    /// always does (against an empty mirror), so it takes two.
    heavy: u8,
    /// Length of the last run without compare (0: none since the last compare that paid).
    run: u8,
}

/// A compare of at least this many bytes decides the mode.
const DECIDE_MIN: usize = 1 << 20;
/// Frames sent without compare after a compare found (nearly) everything changed; doubled
/// after each further such compare, up to `MAX_RAW_FRAMES`.
const RAW_FRAMES: u8 = 15;
const MAX_RAW_FRAMES: u8 = 60;
/// Most spans in one frame (each is one iovec of the writev).
const MAX_SPANS: usize = 512;

/// The pixels of one commit: `segments` (sorted, disjoint byte ranges of the pool).
pub struct PoolJob {
    pool: Rc<RefCell<PoolMem>>,
    segments: Vec<(usize, usize)>,
    seg: usize,
    at: usize,
    /// Bytes of the segments before `seg`.
    passed: usize,
    total: usize,
    raw: bool,
    encoder: Encoder,
    adapt: Rc<Cell<Adapt>>,
    /// Bytes compared against a valid mirror, and how many of them differed.
    compared: usize,
    changed: usize,
    spans: Vec<(u32, u32)>,
    scratch: Vec<u8>,
}

impl PoolJob {
    /// A job for one commit of a buffer whose mode is in `adapt`.
    pub fn new(
        pool: Rc<RefCell<PoolMem>>,
        segments: Vec<(usize, usize)>,
        encoder: Encoder,
        adapt: Rc<Cell<Adapt>>,
    ) -> Self {
        let mut a = adapt.get();
        let raw = a.raw_left > 0;
        a.raw_left = a.raw_left.saturating_sub(1);
        adapt.set(a);
        let total = segments.iter().map(|s| s.1).sum();
        PoolJob {
            pool,
            segments,
            seg: 0,
            at: 0,
            passed: 0,
            total,
            raw,
            encoder,
            adapt,
            compared: 0,
            changed: 0,
            spans: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Whether this job sends without comparing.
    pub fn is_raw(&self) -> bool {
        self.raw
    }

    fn finish(&mut self) {
        if !self.raw && self.compared >= DECIDE_MIN {
            let mut a = self.adapt.get();
            if self.changed * 8 >= self.compared * 7 {
                a.heavy = a.heavy.saturating_add(1);
                if a.heavy >= 2 {
                    a.run = if a.run == 0 { RAW_FRAMES } else { a.run.saturating_mul(2).min(MAX_RAW_FRAMES) };
                    tracing::debug!(frames = a.run, "a buffer changes everywhere: its next frames go without compare");
                    // One more such compare after these frames goes back to sending raw.
                    a.raw_left = a.run;
                    a.heavy = 1;
                }
            } else {
                a.heavy = 0;
                a.run = 0;
            }
            self.adapt.set(a);
        }
        // Nothing of the job is left to count against back-pressure.
        self.passed = self.total;
        self.seg = self.segments.len();
    }

    fn push(&mut self, start: usize, end: usize, base: *const u8, data: &mut Vec<Borrowed>) {
        match self.spans.last_mut() {
            Some(last) if (last.0 + last.1) as usize == start => last.1 += (end - start) as u32,
            _ => self.spans.push((start as u32, (end - start) as u32)),
        }
        // SAFETY: start < end lie within the memory `base` points to (checked by the slicing
        // in the callers).
        let ptr = unsafe { base.add(start) };
        match data.last_mut() {
            Some(d) if d.ptr.wrapping_add(d.len) == ptr => d.len += end - start,
            _ => data.push(Borrowed { ptr, len: end - start }),
        }
    }

    /// Takes up to one chunk of changed bytes into the mirror; `data` borrows them there.
    fn take_diff(&mut self, src: &[u8], mirror: &mut [u8], stale: &mut Ranges, data: &mut Vec<Borrowed>) {
        let chunk = self.encoder.chunk;
        let mut taken = 0;
        while self.seg < self.segments.len() {
            let (off, len) = self.segments[self.seg];
            let end = off + len;
            let mut i = self.at.max(off);
            while i < end {
                if taken >= chunk || self.spans.len() >= MAX_SPANS {
                    self.at = i;
                    return;
                }
                let (s0, s1) = stale.first_after(i).unwrap_or((usize::MAX, usize::MAX));
                if s0 <= i {
                    let k = end.min(s1).min(i + (chunk - taken));
                    mirror[i..k].copy_from_slice(&src[i..k]);
                    stale.remove(i, k);
                    self.push(i, k, mirror.as_ptr(), data);
                    taken += k - i;
                    i = k;
                    continue;
                }
                let valid_end = end.min(s0);
                let j = i + diff::equal_prefix(&src[i..valid_end], &mirror[i..valid_end]);
                self.compared += j - i;
                i = j;
                if j < valid_end {
                    let lim = valid_end.min(j + (chunk - taken));
                    let k = j + diff::copy_changed(&src[j..lim], &mut mirror[j..lim]);
                    self.compared += k - j;
                    self.changed += k - j;
                    self.push(j, k, mirror.as_ptr(), data);
                    taken += k - j;
                    i = k;
                }
            }
            self.passed += len;
            self.seg += 1;
            self.at = 0;
        }
    }

    /// Takes up to one chunk of the damage as it is in the client's memory.
    fn take_raw(&mut self, src: &[u8], stale: &mut Ranges, data: &mut Vec<Borrowed>) {
        let chunk = self.encoder.chunk;
        let mut taken = 0;
        while self.seg < self.segments.len() {
            if taken >= chunk || self.spans.len() >= MAX_SPANS {
                return;
            }
            let (off, len) = self.segments[self.seg];
            let end = off + len;
            let i = self.at.max(off);
            let k = end.min(i + (chunk - taken));
            let _ = &src[i..k]; // inside the mapping
            stale.insert(i, k);
            self.push(i, k, src.as_ptr(), data);
            taken += k - i;
            if k < end {
                self.at = k;
                return;
            }
            self.passed += len;
            self.seg += 1;
            self.at = 0;
        }
    }

    /// Takes the next group of spans; false when the job has no more.
    fn take(&mut self, p: &mut PoolMem, data: &mut Vec<Borrowed>) -> bool {
        self.spans.clear();
        while self.spans.is_empty() && self.seg < self.segments.len() {
            let PoolMem { map, mirror, stale, .. } = p;
            if self.raw {
                self.take_raw(map.bytes(), stale, data);
            } else {
                self.take_diff(map.bytes(), mirror, stale, data);
            }
        }
        !self.spans.is_empty()
    }
}

/// The spans of one LZ4 frame and the bytes they take.
type Group = (Vec<(u32, u32)>, Vec<Borrowed>);

/// The bytes `data` borrows, as slices.
fn slices(data: &[Borrowed]) -> Vec<&[u8]> {
    // SAFETY: the borrowed memory is the pool's mapping or mirror, alive and unchanged while
    // the job holds the pool (see `Chunker`).
    data.iter().map(|d| unsafe { std::slice::from_raw_parts(d.ptr, d.len) }).collect()
}

/// One LZ4 pool-data frame (or a raw one if LZ4 does not make it smaller).
fn compress(out: &mut Vec<u8>, id: u32, spans: &[(u32, u32)], parts: &[&[u8]], scratch: &mut Vec<u8>) {
    let input: &[u8] = if parts.len() == 1 {
        parts[0]
    } else {
        scratch.clear();
        for p in parts {
            scratch.extend_from_slice(p);
        }
        scratch
    };
    let start = out.len();
    wire::encode::pool_data_head(out, id, Encoding::Lz4, spans, 0);
    let data_at = out.len();
    out.resize(data_at + lz4_flex::block::get_maximum_output_size(input.len()), 0);
    match lz4_flex::block::compress_into(input, &mut out[data_at..]) {
        Ok(n) if n < input.len() => {
            out.truncate(data_at + n);
            wire::encode::fix_len(out, start);
        }
        _ => {
            out.truncate(start);
            wire::encode::pool_data_head(out, id, Encoding::Raw, spans, input.len());
            out.extend_from_slice(input);
        }
    }
}

// SAFETY: chunks borrow the pool's mapping (replaced only on a resize, which calls
// `FrameOut::own_borrowed` first) or its mirror, which only this job changes, and only inside
// `next`; the job holds the pool, so neither goes away while it lives.
unsafe impl Chunker for PoolJob {
    fn remaining(&self) -> usize {
        let here = self.segments.get(self.seg).map_or(0, |&(off, _)| self.at.saturating_sub(off));
        self.total - self.passed - here
    }

    fn next(&mut self, chunk: &mut Chunk) -> io::Result<bool> {
        let pool = self.pool.clone();
        let mut guard = pool.borrow_mut();
        let p = &mut *guard;
        let src = p.map.bytes();
        // SAFETY of the reads: the mapping stays alive; a client shrinking the file under it
        // is caught here rather than killing the proxy.
        let (src_ptr, src_len) = (src.as_ptr(), src.len());
        // SAFETY: the mapping lives as long as `guard`.
        let src_view = unsafe { std::slice::from_raw_parts(src_ptr, src_len) };
        let more = sigbus::guarded(src_view, || -> bool {
            if self.encoder.compression == Compression::None {
                if !self.take(p, &mut chunk.data) {
                    return false;
                }
                let raw_len = chunk.data.iter().map(|d| d.len).sum();
                wire::encode::pool_data_head(&mut chunk.head, p.id, Encoding::Raw, &self.spans, raw_len);
                return true;
            }
            // LZ4: a group of spans for each thread, compressed side by side.
            let mut groups: Vec<Group> = Vec::new();
            while groups.len() < self.encoder.threads.max(1) {
                let mut data = Vec::new();
                if !self.take(p, &mut data) {
                    break;
                }
                groups.push((self.spans.clone(), data));
            }
            let id = p.id;
            match groups.len() {
                0 => return false,
                1 => compress(&mut chunk.head, id, &groups[0].0, &slices(&groups[0].1), &mut self.scratch),
                _ => {
                    let outs: Vec<Vec<u8>> = std::thread::scope(|s| {
                        let handles: Vec<_> = groups
                            .iter()
                            .map(|(spans, data)| {
                                let parts = slices(data);
                                s.spawn(move || {
                                    let mut out = Vec::new();
                                    compress(&mut out, id, spans, &parts, &mut Vec::new());
                                    out
                                })
                            })
                            .collect();
                        handles.into_iter().map(|h| h.join().expect("compressing thread")).collect()
                    });
                    for o in outs {
                        chunk.head.extend_from_slice(&o);
                    }
                }
            }
            true
        })
        .map_err(|e| io::Error::other(e.to_string()))?;
        if !more {
            self.finish();
        }
        Ok(more)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shm::map::Memfd;
    use std::os::fd::AsFd;

    /// A client pool (memfd) and the guest's view of it.
    struct Setup {
        client: Memfd,
        pool: Rc<RefCell<PoolMem>>,
        gui: Vec<u8>,
        adapt: Rc<Cell<Adapt>>,
    }

    fn setup(len: usize) -> Setup {
        let client = Memfd::new("client", len).unwrap();
        let map = Mapping::new(client.fd.as_fd(), len, false).unwrap();
        Setup { client, pool: Rc::new(RefCell::new(PoolMem::new(map, 7))), gui: vec![0; len], adapt: Rc::default() }
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

    /// Runs a job to its end and applies its frames to `s.gui`; returns the frames' bytes.
    fn run(s: &mut Setup, enc: Encoder, segs: &[(usize, usize)]) -> (usize, bool) {
        let mut job = PoolJob::new(s.pool.clone(), segs.to_vec(), enc, s.adapt.clone());
        let raw = job.is_raw();
        let mut bytes = Vec::new();
        let mut chunk = Chunk::default();
        let mut frames = 0;
        while job.next(&mut chunk).unwrap() {
            let before = job.remaining();
            bytes.extend_from_slice(&chunk.head);
            for p in slices(&chunk.data) {
                bytes.extend_from_slice(p);
            }
            chunk.clear();
            frames += 1;
            assert!(frames < 10_000);
            let _ = before;
        }
        assert_eq!(job.remaining(), 0);
        let mut at = 0;
        let mut scratch = Vec::new();
        while at < bytes.len() {
            let (f, n) = wire::decode(&bytes[at..], 64 << 20).unwrap().unwrap();
            let wire::Frame::PoolData(pd) = f else { panic!("not pool data") };
            assert_eq!(pd.mem, 7);
            diff::apply(&pd, &mut s.gui, &mut scratch, 64 << 20).unwrap();
            at += n;
        }
        (bytes.len(), raw)
    }

    fn round_trip(enc: Encoder) {
        let len = 3 << 20;
        let mut s = setup(len);
        let src = pattern(len, 1);
        s.client.map.bytes_mut().copy_from_slice(&src);
        let (n, raw) = run(&mut s, enc, &[(0, len)]);
        assert!(!raw && s.gui == src);
        assert!(enc.compression == Compression::Lz4 || n > len);

        // A few scattered bytes change; only damaged segments are looked at.
        let mut src2 = src.clone();
        for i in (5000..len).step_by(100_003) {
            src2[i] ^= 0xff;
        }
        src2[10] ^= 1; // outside the damage below: must not be sent
        s.client.map.bytes_mut().copy_from_slice(&src2);
        let segs: Vec<(usize, usize)> = (0..len / 4096).map(|r| (r * 4096 + 1024, 2048)).collect();
        let (n, raw) = run(&mut s, enc, &segs);
        assert!(!raw && n < 200 * 40, "{n} bytes for 30 changed ones");
        assert_eq!(s.gui[10], src[10]);
        for &(o, l) in &segs {
            assert_eq!(s.gui[o..o + l], src2[o..o + l]);
        }
        let (n, _) = run(&mut s, enc, &segs);
        assert_eq!(n, 0, "nothing changed");
    }

    #[test]
    fn raw_round_trip() {
        round_trip(Encoder { compression: Compression::None, threads: 1, chunk: 100_000 });
    }

    #[test]
    fn lz4_round_trip_on_threads() {
        round_trip(Encoder { compression: Compression::Lz4, threads: 3, chunk: 100_000 });
    }

    #[test]
    fn lz4_shrinks_flat_content() {
        let len = 1 << 20;
        let mut s = setup(len);
        s.client.map.bytes_mut().fill(0x55);
        let enc = Encoder { compression: Compression::Lz4, threads: 1, ..Encoder::default() };
        let (n, _) = run(&mut s, enc, &[(0, len)]);
        assert!(n < len / 50, "{n} bytes");
        assert!(s.gui.iter().all(|&b| b == 0x55));
    }

    /// Frames that change everywhere go out without compare, and the stale mirror is caught
    /// up once frames are compared again.
    #[test]
    fn a_buffer_changing_everywhere_skips_the_compare_and_comes_back() {
        let len = 2 << 20;
        let mut s = setup(len);
        let enc = Encoder { compression: Compression::None, threads: 1, chunk: 256 << 10 };
        let mut modes = Vec::new();
        for f in 0..70u32 {
            let src = if f < 30 { pattern(len, f + 1) } else { pattern(len, 1000) };
            s.client.map.bytes_mut().copy_from_slice(&src);
            // Half the frames damage only the second half: stale ranges are then partly caught up.
            let segs = if f % 2 == 0 { vec![(0, len)] } else { vec![(len / 2, len / 2)] };
            let (n, raw) = run(&mut s, enc, &segs);
            modes.push(raw);
            let (o, l) = segs[0];
            assert!(s.gui[o..o + l] == src[o..o + l], "frame {f}");
            // Frames 49 and 50 catch up the halves that went raw before.
            if f >= 51 {
                assert!(!raw && n < 1000, "frame {f}: static content sent {n} bytes");
            }
        }
        // Compared: frames 0 and 1; after 15 raw, 17 (only stale bytes in its half: no
        // decision) and 18; after 30 raw, 49 and every frame from then on, as the content
        // stopped changing.
        let compared: Vec<usize> = (0..49).filter(|&f| !modes[f]).collect();
        assert_eq!(compared, [0, 1, 17, 18], "{modes:?}");
        assert!(modes[49..].iter().all(|&r| !r), "{modes:?}");
        // Whatever went raw was caught up: the mirror and the GUI agree everywhere.
        let p = s.pool.borrow();
        assert!(p.stale.is_empty());
        assert!(p.mirror == s.gui);
    }

    #[test]
    fn a_pool_shrunk_by_its_client_ends_the_job_with_an_error() {
        let len = 64 << 10;
        let mut s = setup(len);
        s.client.map.bytes_mut().fill(1);
        rustix::fs::ftruncate(&s.client.fd, 4096).unwrap();
        let enc = Encoder { compression: Compression::None, threads: 1, chunk: 1 << 20 };
        let mut job = PoolJob::new(s.pool.clone(), vec![(0, len)], enc, s.adapt.clone());
        let err = job.next(&mut Chunk::default()).unwrap_err();
        assert!(err.to_string().contains("shrank its pool"), "{err}");
        let _ = &mut s.gui;
    }
}
