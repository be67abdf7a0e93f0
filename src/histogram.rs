//! Latencies in a log-linear histogram: 64 buckets per power of two, so a quantile is within
//! 1/64 of the truth, in a fixed size (30 KiB) whatever the number of times recorded.
//!
//! Takes: times in nanoseconds. Gives: quantiles (`quantile`), the count, and the sum of two histograms
//! (`merge`, for per-thread histograms read together). Used by the batch summary and the
//! benchmarks.

/// Times in ns, 64 buckets per power of two.
#[derive(Clone, Debug)]
pub struct Histogram {
    buckets: Vec<u64>,
    count: u64,
}

const BUCKETS: usize = 64 * 60;

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram { buckets: vec![0; BUCKETS], count: 0 }
    }
}

impl Histogram {
    fn index(ns: u64) -> usize {
        if ns < 64 {
            return ns as usize;
        }
        let power = 63 - ns.leading_zeros() as usize;
        let sub = (ns >> (power - 6)) as usize & 63;
        ((power - 5) * 64 + sub).min(BUCKETS - 1)
    }

    /// The smallest time of bucket `i`.
    fn value(i: usize) -> u64 {
        if i < 64 {
            return i as u64;
        }
        let (power, sub) = (i / 64 + 5, (i % 64) as u64);
        (64 + sub) << (power - 6)
    }

    /// Counts a time of `ns` nanoseconds.
    pub fn record(&mut self, ns: u64) {
        self.buckets[Histogram::index(ns)] += 1;
        self.count += 1;
    }

    /// How many times were counted.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Adds the times `other` counted.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            *a += b;
        }
        self.count += other.count;
    }

    /// The `q` quantile (0 to 1) of the times counted, in ns; 0 when none was.
    pub fn quantile(&self, q: f64) -> u64 {
        let target = ((self.count as f64 * q).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= target {
                return Histogram::value(i);
            }
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::Histogram;

    #[test]
    fn quantiles_are_within_a_sixty_fourth_and_merging_adds() {
        let (mut a, mut b) = (Histogram::default(), Histogram::default());
        for us in 1..=1000u64 {
            if us % 2 == 0 { &mut a } else { &mut b }.record(us * 1000);
        }
        a.merge(&b);
        for (q, want) in [(0.50, 500e3), (0.95, 950e3), (0.99, 990e3)] {
            let got = a.quantile(q) as f64;
            assert!((got - want).abs() <= want / 64.0 + 1.0, "{q}: {got} vs {want}");
        }
        assert_eq!(Histogram::default().quantile(0.5), 0);
        a.record(u64::MAX);
    }
}
