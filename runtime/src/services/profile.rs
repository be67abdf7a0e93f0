//! Where runs spend their time, node by node of the main graph (`Env::profile`).
//!
//! Takes: from the first pass and the scheduler, each node of the main graph that ran — how long
//! after its run started it began (waiting on its inputs) and how long it ran (a call's time
//! includes waiting for a permit, a batch or a retry's delay); from the calls with options, how
//! many attempts each made. Gives: totals per node over every run profiled (`Profile::nodes`).
//! Guarantees: counters only — any number of concurrent runs may share one profile; a run without
//! a profile pays nothing but a branch per node. Nodes that did not run (a branch not taken, an
//! input failed) are not counted; nodes inside lambdas and branches count in their owner.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Totals per node of one pipeline's main graph, over the runs given it.
#[derive(Debug)]
pub struct Profile {
    runs: AtomicU64,
    nodes: Box<[Tally]>,
}

#[derive(Debug, Default)]
struct Tally {
    calls: AtomicU64,
    failed: AtomicU64,
    wait_ns: AtomicU64,
    run_ns: AtomicU64,
    max_run_ns: AtomicU64,
    retries: AtomicU64,
    cache_hits: AtomicU64,
}

/// One node's totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeTimes {
    /// How many times it ran.
    pub calls: u64,
    /// How many of those ended in a failure.
    pub failed: u64,
    /// Time from its run's start until it began, summed.
    pub waiting: Duration,
    /// Time it ran, summed.
    pub running: Duration,
    /// Its longest run.
    pub longest: Duration,
    /// Attempts after the first, over every call with `retry`.
    pub retries: u64,
    /// Calls answered by their `cache` without running.
    pub cache_hits: u64,
}

impl Profile {
    /// A profile for a plan whose main graph has `nodes` nodes (`ExecutionPlan::node_count`).
    pub fn new(nodes: usize) -> Profile {
        Profile { runs: AtomicU64::new(0), nodes: (0..nodes).map(|_| Tally::default()).collect() }
    }

    /// How many runs were profiled.
    pub fn runs(&self) -> u64 {
        self.runs.load(Relaxed)
    }

    /// Each node's totals, by node index in the main graph.
    pub fn nodes(&self) -> Vec<NodeTimes> {
        let ns = |a: &AtomicU64| Duration::from_nanos(a.load(Relaxed));
        self.nodes
            .iter()
            .map(|t| NodeTimes {
                calls: t.calls.load(Relaxed),
                failed: t.failed.load(Relaxed),
                waiting: ns(&t.wait_ns),
                running: ns(&t.run_ns),
                longest: ns(&t.max_run_ns),
                retries: t.retries.load(Relaxed),
                cache_hits: t.cache_hits.load(Relaxed),
            })
            .collect()
    }

    /// A run begins: its clock.
    pub(crate) fn begin(&self) -> Instant {
        self.runs.fetch_add(1, Relaxed);
        Instant::now()
    }

    /// Node `node` of a run begun at `start` began at `began` and ends now.
    pub(crate) fn ran(&self, node: usize, start: Instant, began: Instant, ok: bool) {
        let Some(t) = self.nodes.get(node) else { return };
        let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let running = ns(began.elapsed());
        t.calls.fetch_add(1, Relaxed);
        t.failed.fetch_add(u64::from(!ok), Relaxed);
        t.wait_ns.fetch_add(ns(began.saturating_duration_since(start)), Relaxed);
        t.run_ns.fetch_add(running, Relaxed);
        t.max_run_ns.fetch_max(running, Relaxed);
    }

    /// A call of node `node` with options made `attempts` attempts (none: its cache answered).
    pub(crate) fn tried(&self, node: usize, attempts: u32) {
        let Some(t) = self.nodes.get(node) else { return };
        match attempts {
            0 => t.cache_hits.fetch_add(1, Relaxed),
            n => t.retries.fetch_add(u64::from(n - 1), Relaxed),
        };
    }
}

/// A profiled run's clock: its profile and when it began.
#[derive(Clone, Copy)]
pub(crate) struct Clock<'a> {
    pub profile: &'a Profile,
    pub start: Instant,
}

impl Clock<'_> {
    /// Node `node` began at `began` and ends now.
    pub fn ran(&self, node: usize, began: Instant, ok: bool) {
        self.profile.ran(node, self.start, began, ok);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_up_and_attempts_split_into_hits_and_retries() {
        let p = Profile::new(2);
        let start = p.begin();
        let began = start + Duration::from_millis(2);
        p.ran(1, start, began, true);
        p.ran(1, start, began, false);
        p.tried(1, 0);
        p.tried(1, 3);
        p.tried(1, 1);
        p.ran(7, start, began, true); // out of range: ignored, no panic
        let n = p.nodes();
        assert_eq!(p.runs(), 1);
        assert_eq!((n[0].calls, n[1].calls, n[1].failed), (0, 2, 1));
        assert_eq!(n[1].waiting, Duration::from_millis(4));
        assert_eq!((n[1].cache_hits, n[1].retries), (1, 2));
        assert!(n[1].longest <= n[1].running);
    }
}
