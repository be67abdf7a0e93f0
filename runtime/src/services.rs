//! Floor 1 of the runtime, beside `values`: what all runs of one engine share (SPEC §6.4) — named
//! call caches (`cache`) and the limiters of `concurrency` and `throttle` (`limit`).
//!
//! Plans resolve their caches and limiters here once, when they are prepared, so a call never
//! looks them up. A cache name not configured by the host gets an in-memory backend on first
//! use (`default` is the one `cache` uses without `cache_backend`). A limiter is shared by all
//! call sites of the same function with the same option value, in every pipeline of the engine.

pub mod cache;
pub(crate) mod limit;

use cache::{CacheBackend, CacheStats, CallCache, MemoryBackend};
use limit::{Bucket, Gate};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

/// The cache `cache` uses when no `cache_backend` is given.
pub const DEFAULT_CACHE: &str = "default";

#[derive(Debug, Default)]
pub struct Services {
    caches: Mutex<BTreeMap<String, Arc<CallCache>>>,
    gates: Mutex<HashMap<(String, u32), Arc<Gate>>>,
    buckets: Mutex<HashMap<(String, u64, u64), Arc<Bucket>>>,
}

impl Services {
    pub fn new() -> Services {
        Services::default()
    }

    /// Makes `name` use `backend` from now on (plans prepared earlier keep the backend they got).
    pub fn set_cache_backend(&self, name: &str, backend: Arc<dyn CacheBackend>) {
        self.caches.lock().insert(name.to_string(), Arc::new(CallCache::new(backend)));
    }

    /// The statistics of every cache used or configured so far, by name.
    pub fn cache_stats(&self) -> Vec<(String, CacheStats)> {
        self.caches.lock().iter().map(|(name, c)| (name.clone(), c.stats())).collect()
    }

    pub(crate) fn cache(&self, name: &str) -> Arc<CallCache> {
        self.caches
            .lock()
            .entry(name.to_string())
            .or_insert_with(|| Arc::new(CallCache::new(Arc::new(MemoryBackend::default()))))
            .clone()
    }

    pub(crate) fn gate(&self, function: &str, permits: u32) -> Arc<Gate> {
        self.gates
            .lock()
            .entry((function.to_string(), permits))
            .or_insert_with(|| Arc::new(Gate::new(permits as usize)))
            .clone()
    }

    pub(crate) fn bucket(&self, function: &str, count: u64, per_ms: u64) -> Arc<Bucket> {
        self.buckets
            .lock()
            .entry((function.to_string(), count, per_ms))
            .or_insert_with(|| Arc::new(Bucket::new(count, Duration::from_millis(per_ms))))
            .clone()
    }
}
