//! Which hosts may take a task, and which of them does.

/// A host's live placement view.
#[derive(Debug, Clone)]
pub struct HostLoad {
    pub capacity: f64,
    pub load: f64,
    pub ntasks: u32,
    pub maxjobs: u32,
}

impl HostLoad {
    /// Koji's admission rule: `capacity − load > max(0, weight − CapacityOvercommit)` and `ntasks < maxjobs`.
    pub fn admits(&self, weight: f64, overcommit: f64) -> bool {
        let need = (weight - overcommit).max(0.0);
        self.capacity - self.load > need && self.ntasks < self.maxjobs
    }

    /// Whether the host can take any task at all, which keeps full hosts out of the bin indexes.
    pub fn has_room(&self) -> bool {
        self.capacity - self.load > 0.0 && self.ntasks < self.maxjobs
    }

    /// Koji ranks by absolute load plus task count, lower first. Stored as an integer (milli-units) so it
    /// orders totally; the host id breaks ties deterministically.
    pub fn rank(&self) -> i64 {
        ((self.load + f64::from(self.ntasks)) * 1000.0).round() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(capacity: f64, load: f64, ntasks: u32) -> HostLoad {
        HostLoad { capacity, load, ntasks, maxjobs: 10 }
    }

    #[test]
    fn admission_follows_koji() {
        // New tasks weigh 1.0 and CapacityOvercommit is 5: any host strictly below capacity qualifies.
        assert!(h(2.0, 1.9, 1).admits(1.0, 5.0));
        assert!(!h(2.0, 2.0, 1).admits(1.0, 5.0));
        // A heavy task needs weight − overcommit units free.
        assert!(!h(16.0, 2.0, 1).admits(19.5, 5.0));
        assert!(h(16.0, 1.0, 1).admits(19.5, 5.0));
        assert!(!HostLoad { maxjobs: 1, ..h(8.0, 0.0, 1) }.admits(1.0, 5.0));
    }

    #[test]
    fn rank_is_load_plus_tasks() {
        assert!(h(8.0, 1.5, 1).rank() < h(8.0, 1.0, 2).rank());
        assert_eq!(h(8.0, 0.2, 1).rank(), 1200);
    }
}
