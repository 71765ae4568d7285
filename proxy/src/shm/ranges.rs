//! A set of byte ranges: where the guest's mirror of a pool is stale, because those bytes went
//! to the GUI side straight from the client's memory without passing through the mirror.

use std::collections::BTreeMap;
use std::ops::Bound::{Excluded, Unbounded};

/// Disjoint, non-adjacent `[start, end)` ranges.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Ranges {
    /// start → end
    map: BTreeMap<usize, usize>,
}

impl Ranges {
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Adds `[start, end)`, merging with what it touches.
    pub fn insert(&mut self, mut start: usize, mut end: usize) {
        if start >= end {
            return;
        }
        if let Some((&s, &e)) = self.map.range(..=start).next_back() {
            if e >= start {
                start = s;
                end = end.max(e);
                self.map.remove(&s);
            }
        }
        while let Some((&s, &e)) = self.map.range(start..=end).next() {
            end = end.max(e);
            self.map.remove(&s);
        }
        self.map.insert(start, end);
    }

    /// Removes `[start, end)`.
    pub fn remove(&mut self, start: usize, end: usize) {
        if start >= end {
            return;
        }
        if let Some((&s, &e)) = self.map.range(..start).next_back() {
            if e > start {
                self.map.insert(s, start);
                if e > end {
                    self.map.insert(end, e);
                    return;
                }
            }
        }
        while let Some((&s, &e)) = self.map.range(start..end).next() {
            self.map.remove(&s);
            if e > end {
                self.map.insert(end, e);
            }
        }
    }

    /// The first range that ends after `at` (it may contain `at` or lie wholly after it).
    pub fn first_after(&self, at: usize) -> Option<(usize, usize)> {
        if let Some((&s, &e)) = self.map.range(..=at).next_back() {
            if e > at {
                return Some((s, e));
            }
        }
        self.map.range((Excluded(at), Unbounded)).next().map(|(&s, &e)| (s, e))
    }

    pub fn iter(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.map.iter().map(|(&s, &e)| (s, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(r: &Ranges) -> Vec<(usize, usize)> {
        r.iter().collect()
    }

    #[test]
    fn inserts_merge_and_removes_split() {
        let mut r = Ranges::default();
        r.insert(10, 20);
        r.insert(30, 40);
        r.insert(20, 25); // adjacent: merges
        assert_eq!(all(&r), vec![(10, 25), (30, 40)]);
        r.insert(5, 35); // covers the gap
        assert_eq!(all(&r), vec![(5, 40)]);
        r.remove(10, 12);
        assert_eq!(all(&r), vec![(5, 10), (12, 40)]);
        r.remove(0, 6);
        r.remove(38, 100);
        assert_eq!(all(&r), vec![(6, 10), (12, 38)]);
        r.remove(8, 20);
        assert_eq!(all(&r), vec![(6, 8), (20, 38)]);
        assert_eq!(r.first_after(7), Some((6, 8)));
        assert_eq!(r.first_after(8), Some((20, 38)));
        assert_eq!(r.first_after(38), None);
        r.remove(0, 1000);
        assert!(r.is_empty());
    }

    #[test]
    fn matches_a_byte_map() {
        let mut r = Ranges::default();
        let mut bytes = vec![false; 200];
        let mut x = 12345u32;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let a = (x % 200) as usize;
            let b = (a + (x >> 8) as usize % 30).min(200);
            if x & 0x8000_0000 != 0 {
                r.insert(a, b);
                bytes[a..b].fill(true);
            } else {
                r.remove(a, b);
                bytes[a..b].fill(false);
            }
            let mut want = vec![false; 200];
            let mut prev_end = None;
            for (s, e) in r.iter() {
                assert!(s < e && prev_end.is_none_or(|p| p < s), "{:?}", all(&r));
                want[s..e].fill(true);
                prev_end = Some(e);
            }
            assert_eq!(want, bytes);
        }
    }
}
