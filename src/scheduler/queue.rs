//! FREE tasks per bin, in Koji's order: priority (lower first), then creation time, then id.

use super::Bin;
use std::collections::{BTreeSet, HashMap};

/// Orders like Koji's `ORDER BY priority, create_ts` with the id as a deterministic last key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueueKey {
    pub priority: i32,
    /// Microseconds since the epoch.
    pub created: i64,
    pub id: i32,
}

#[derive(Default)]
pub struct Queues {
    bins: HashMap<Bin, BTreeSet<QueueKey>>,
}

impl Queues {
    pub fn push(&mut self, bin: &Bin, key: QueueKey) {
        self.bins.entry(bin.clone()).or_default().insert(key);
    }

    pub fn remove(&mut self, bin: &Bin, key: &QueueKey) {
        if let Some(q) = self.bins.get_mut(bin) {
            q.remove(key);
            if q.is_empty() {
                self.bins.remove(bin);
            }
        }
    }

    /// The queued keys of `bin` from `after` (exclusive) on, in order.
    pub fn after<'a>(&'a self, bin: &Bin, after: Option<QueueKey>) -> impl Iterator<Item = QueueKey> + 'a {
        let q = self.bins.get(bin);
        let range = q.map(|q| match after {
            None => q.range(..),
            Some(k) => q.range((std::ops::Bound::Excluded(k), std::ops::Bound::Unbounded)),
        });
        range.into_iter().flatten().copied()
    }

    pub fn len(&self, bin: &Bin) -> usize {
        self.bins.get(bin).map_or(0, BTreeSet::len)
    }

    pub fn bins(&self) -> impl Iterator<Item = (&Bin, usize)> {
        self.bins.iter().map(|(b, q)| (b, q.len()))
    }

    pub fn clear(&mut self) {
        self.bins.clear();
    }
}
