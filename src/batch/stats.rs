//! The summary of a batch: rows, completed, failed, wall time, rows per second, and the run
//! latency's p50, p95 and p99 from a log-linear `Histogram` of fixed size whatever the number of
//! rows.

use crate::histogram::Histogram;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Summary {
    pub rows: u64,
    pub completed: u64,
    pub failed: u64,
    pub wall: Duration,
    latency: Histogram,
}

impl Summary {
    pub fn new() -> Summary {
        Summary { rows: 0, completed: 0, failed: 0, wall: Duration::ZERO, latency: Histogram::default() }
    }

    /// A run took `took`.
    pub fn ran(&mut self, took: Duration) {
        self.latency.record(took.as_nanos().min(u128::from(u64::MAX)) as u64);
    }

    /// The `q` quantile of the runs' times (0 when nothing ran).
    pub fn latency(&self, q: f64) -> Duration {
        Duration::from_nanos(self.latency.quantile(q))
    }

    pub fn per_second(&self) -> f64 {
        self.rows as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    /// `1,000 rows: 998 completed, 2 failed in 1.25s (800 rows/s); run latency p50 … p95 … p99 …`
    pub fn text(&self) -> String {
        format!(
            "{} rows: {} completed, {} failed in {:.2?} ({:.0} rows/s); run latency p50 {:.1?}, p95 {:.1?}, p99 {:.1?}",
            self.rows,
            self.completed,
            self.failed,
            self.wall,
            self.per_second(),
            self.latency(0.50),
            self.latency(0.95),
            self.latency(0.99)
        )
    }

    pub fn json(&self) -> serde_json::Value {
        let micros = |q| self.latency(q).as_secs_f64() * 1e6;
        serde_json::json!({
            "rows": self.rows, "completed": self.completed, "failed": self.failed,
            "seconds": self.wall.as_secs_f64(), "rowsPerSecond": self.per_second(),
            "latencyMicros": {"p50": micros(0.50), "p95": micros(0.95), "p99": micros(0.99)},
        })
    }
}

impl Default for Summary {
    fn default() -> Summary {
        Summary::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_a_sixty_fourth() {
        let mut s = Summary::new();
        for us in 1..=1000u64 {
            s.ran(Duration::from_micros(us));
        }
        for (q, want) in [(0.50, 500.0), (0.95, 950.0), (0.99, 990.0)] {
            let got = s.latency(q).as_secs_f64() * 1e6;
            assert!((got - want).abs() <= want / 64.0 + 1.0, "{q}: {got} vs {want}");
        }
        assert_eq!(Summary::new().latency(0.5), Duration::ZERO);
        s.ran(Duration::MAX);
    }
}
