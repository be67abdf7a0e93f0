//! Where runs spend their time, node by node of the main graph (`Env::profile`).
//!
//! Takes: from the first pass and the scheduler, each node of the main graph that ran — how long
//! after its run started it began (waiting on its inputs) and how long it ran (a call's time
//! includes waiting for a permit, a batch or a retry's delay); from the calls with options, how
//! many attempts each made and how its cache served it (which tier, or joined a call in flight). Gives: totals per node over every run profiled (`Profile::nodes`).
//! Guarantees: counters only — any number of concurrent runs may share one profile; a run without
//! a profile pays nothing but a branch per node. Nodes that did not run (a branch not taken, an
//! input failed) are not counted; nodes inside lambdas and branches count in their owner.

use super::cache::{MAX_TIERS, Served};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Totals per node of one pipeline's main graph, over the runs given it; and, for the nodes of
/// nested graphs (guards, branches, lazy calls, lambdas, fallbacks), how often their graph ran
/// and how their cached calls were served.
#[derive(Debug)]
pub struct Profile {
    runs: AtomicU64,
    /// Every node of every graph: the main graph's first, then each graph's from `offsets[g]`.
    nodes: Box<[Tally]>,
    offsets: Box<[usize]>,
    graph_runs: Box<[AtomicU64]>,
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
    tier_hits: [AtomicU64; MAX_TIERS],
    joined: AtomicU64,
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
    /// Calls answered by their `cache` without running: stored values and joined calls.
    pub cache_hits: u64,
    /// Of the hits, those served by each tier of the cache, top first.
    pub tier_hits: [u64; MAX_TIERS],
    /// Of the hits, those that joined an identical call in flight.
    pub joined: u64,
}

impl Tally {
    fn times(&self) -> NodeTimes {
        let ns = |a: &AtomicU64| Duration::from_nanos(a.load(Relaxed));
        NodeTimes {
            calls: self.calls.load(Relaxed),
            failed: self.failed.load(Relaxed),
            waiting: ns(&self.wait_ns),
            running: ns(&self.run_ns),
            longest: ns(&self.max_run_ns),
            retries: self.retries.load(Relaxed),
            cache_hits: self.cache_hits.load(Relaxed),
            tier_hits: std::array::from_fn(|k| self.tier_hits[k].load(Relaxed)),
            joined: self.joined.load(Relaxed),
        }
    }
}

impl Profile {
    /// A profile for a plan whose graphs have these numbers of nodes, the main graph first
    /// (`ExecutionPlan::graph_sizes`).
    pub fn new(sizes: &[usize]) -> Profile {
        let offsets: Box<[usize]> = sizes.iter().scan(0, |at, n| Some(std::mem::replace(at, *at + n))).collect();
        let total = sizes.iter().sum();
        Profile {
            runs: AtomicU64::new(0),
            nodes: (0..total).map(|_| Tally::default()).collect(),
            offsets,
            graph_runs: sizes.iter().map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Where node `i` of graph `g` is counted.
    fn at(&self, g: usize, i: usize) -> Option<&Tally> {
        let end = self.offsets.get(g + 1).copied().unwrap_or(self.nodes.len());
        let k = self.offsets.get(g)? + i;
        if k < end { self.nodes.get(k) } else { None }
    }

    /// How many runs were profiled.
    pub fn runs(&self) -> u64 {
        self.runs.load(Relaxed)
    }

    /// Each node's totals, by node index in the main graph.
    pub fn nodes(&self) -> Vec<NodeTimes> {
        let main = self.offsets.get(1).copied().unwrap_or(self.nodes.len());
        self.nodes[..main].iter().map(Tally::times).collect()
    }

    /// The totals of node `i` of graph `g` (of a nested graph: its retries and cache answers).
    pub fn node(&self, g: usize, i: usize) -> NodeTimes {
        self.at(g, i).map(Tally::times).unwrap_or_default()
    }

    /// How many times graph `g` (not the main graph) ran.
    pub fn graph_runs(&self, g: usize) -> u64 {
        self.graph_runs.get(g).map_or(0, |n| n.load(Relaxed))
    }

    /// Graph `g` ran once.
    pub(crate) fn graph_ran(&self, g: usize) {
        if let Some(n) = self.graph_runs.get(g) {
            n.fetch_add(1, Relaxed);
        }
    }

    /// A run begins: its clock.
    pub(crate) fn begin(&self) -> Instant {
        self.runs.fetch_add(1, Relaxed);
        Instant::now()
    }

    /// Node `node` of a run begun at `start` began at `began` and ends now.
    pub(crate) fn ran(&self, node: usize, start: Instant, began: Instant, ok: bool) {
        let Some(t) = self.at(0, node) else { return };
        let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let running = ns(began.elapsed());
        t.calls.fetch_add(1, Relaxed);
        t.failed.fetch_add(u64::from(!ok), Relaxed);
        t.wait_ns.fetch_add(ns(began.saturating_duration_since(start)), Relaxed);
        t.run_ns.fetch_add(running, Relaxed);
        t.max_run_ns.fetch_max(running, Relaxed);
    }

    /// A call at node `node` of graph `g`, with options, made `attempts` attempts and was
    /// `served` so.
    pub(crate) fn tried(&self, g: usize, node: usize, attempts: u32, served: Served) {
        let Some(t) = self.at(g, node) else { return };
        t.retries.fetch_add(u64::from(attempts.saturating_sub(1)), Relaxed);
        match served {
            Served::Ran => return,
            Served::Stored(tier) => t.tier_hits[tier.min(MAX_TIERS - 1)].fetch_add(1, Relaxed),
            Served::Joined => t.joined.fetch_add(1, Relaxed),
        };
        t.cache_hits.fetch_add(1, Relaxed);
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
        let p = Profile::new(&[2, 3]);
        let start = p.begin();
        let began = start + Duration::from_millis(2);
        p.ran(1, start, began, true);
        p.ran(1, start, began, false);
        p.tried(0, 1, 0, Served::Stored(1));
        p.tried(0, 1, 0, Served::Joined);
        p.tried(0, 1, 3, Served::Ran);
        p.tried(0, 1, 1, Served::Ran);
        p.tried(1, 2, 0, Served::Stored(0));
        p.tried(1, 3, 0, Served::Stored(0)); // past graph 1's nodes: ignored
        p.graph_ran(1);
        p.graph_ran(9);
        p.ran(7, start, began, true); // out of range: ignored, no panic
        let n = p.nodes();
        assert_eq!(p.runs(), 1);
        assert_eq!((n[0].calls, n[1].calls, n[1].failed), (0, 2, 1));
        assert_eq!(n[1].waiting, Duration::from_millis(4));
        assert_eq!((n[1].cache_hits, n[1].retries), (2, 2));
        assert_eq!((n[1].tier_hits, n[1].joined), ([0, 1, 0, 0], 1));
        assert!(n[1].longest <= n[1].running);
        assert_eq!(n.len(), 2, "the main graph's nodes");
        assert_eq!(p.node(1, 2).tier_hits, [1, 0, 0, 0]);
        assert_eq!((p.node(1, 0).cache_hits, p.graph_runs(1), p.graph_runs(0)), (0, 1, 0));
    }
}
