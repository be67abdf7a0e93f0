//! Counters on the path of every request, sharded by thread: two cores answering requests at
//! once never write the same cache line, and no lock is taken (prometheus-client's histogram
//! takes one per observation).
//!
//! Takes: additions to numbered slots. Gives: each slot's sum over the shards, when read (a
//! scrape). Guarantees: additions are never lost; a read taken while requests are answered may
//! miss the additions of that instant, as any scrape does.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// How many shards: threads beyond this share them.
const SHARDS: usize = 16;
/// How many slots each counter set holds.
pub const SLOTS: usize = 32;

/// A shard: its own cache lines.
#[repr(align(128))]
#[derive(Debug)]
struct Shard([AtomicU64; SLOTS]);

#[derive(Debug)]
pub struct Tally(Box<[Shard]>);

impl Default for Tally {
    fn default() -> Tally {
        Tally((0..SHARDS).map(|_| Shard(std::array::from_fn(|_| AtomicU64::new(0)))).collect())
    }
}

/// This thread's shard, assigned round-robin on first use.
fn shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    SHARD.with(|s| *s)
}

impl Tally {
    pub fn add(&self, slot: usize, n: u64) {
        self.0[shard()].0[slot].fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self, slot: usize) -> u64 {
        self.0.iter().map(|s| s.0[slot].load(Ordering::Relaxed)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn additions_from_every_thread_are_counted() {
        let tally = std::sync::Arc::new(Tally::default());
        let threads: Vec<_> = (0..20)
            .map(|_| {
                let tally = tally.clone();
                std::thread::spawn(move || (0..1000).for_each(|_| tally.add(3, 2)))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!((tally.get(3), tally.get(4)), (40_000, 0));
    }
}
