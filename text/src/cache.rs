//! A bounded cache in two generations: entries live in the current one; when it is full it
//! becomes the old one (the previous old one is dropped), and a hit in the old one moves the
//! entry back. What is used keeps being found; what a flood of new keys brings (a VM cycling
//! titles) costs at most two generations of memory.

use std::collections::HashMap;
use std::hash::Hash;

pub struct GenCache<K, V> {
    current: HashMap<K, V>,
    old: HashMap<K, V>,
    /// Cost of the current generation (entries, or bytes: whatever `insert` is told).
    cost: usize,
    budget: usize,
}

impl<K: Hash + Eq, V: Clone> GenCache<K, V> {
    /// A cache whose generation turns over once its entries cost more than `budget`.
    pub fn new(budget: usize) -> Self {
        GenCache { current: HashMap::new(), old: HashMap::new(), cost: 0, budget }
    }

    pub fn get(&mut self, key: &K) -> Option<V> {
        if let Some(v) = self.current.get(key) {
            return Some(v.clone());
        }
        let (k, v) = self.old.remove_entry(key)?;
        self.current.insert(k, v.clone());
        Some(v)
    }

    /// Keeps `value`, which costs `cost` against the budget.
    pub fn insert(&mut self, key: K, value: V, cost: usize) {
        if self.cost + cost > self.budget && !self.current.is_empty() {
            self.old = std::mem::take(&mut self.current);
            self.cost = 0;
        }
        self.cost += cost;
        self.current.insert(key, value);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.current.len() + self.old.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_is_used_and_bounds_the_rest() {
        let mut c = GenCache::new(3);
        for i in 0..3 {
            c.insert(i, i * 10, 1);
        }
        assert_eq!(c.get(&1), Some(10));
        // A flood of new keys: at most two generations are kept.
        for i in 100..1000 {
            c.insert(i, i, 1);
            assert!(c.len() <= 6, "{}", c.len());
        }
        assert_eq!(c.get(&1), None);
        // A key used in every generation survives the turnover.
        c.insert(7, 70, 1);
        for i in 2000..2010 {
            assert_eq!(c.get(&7), Some(70));
            c.insert(i, i, 1);
        }
        assert_eq!(c.get(&7), Some(70));
    }
}
