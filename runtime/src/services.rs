//! Floor 1 of the runtime, beside `values`: what all runs of one engine share (SPEC §6.4) — named
//! call caches (`cache`), the limiters of `concurrency` and `throttle` (`limit`), and the open
//! batches of `batch` (`batch`); and the per-node totals of profiled runs (`profile`).
//!
//! Plans resolve their caches and limiters here once, when they are prepared, so a call never
//! looks them up. A cache name not configured by the host gets the fallback backend, else an
//! in-memory backend of its own, on first use (`default` is the one `cache` uses without
//! `cache_backend`). A limiter is shared by all
//! call sites of the same function with the same option value, in every pipeline of the engine.

pub(crate) mod batch;
pub mod cache;
pub(crate) mod limit;
pub mod profile;

use asterism_registry::module::Batched;
use batch::{BatchQueue, BatchStats};
use cache::{CacheBackend, CacheStats, CallCache, MemoryBackend};
use limit::{Bucket, Gate};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

/// A function, and the values of its call's `batch` and `batch_timeout` (ms).
type BatchKey = (String, u32, Option<u64>);

/// The cache `cache` uses when no `cache_backend` is given.
pub const DEFAULT_CACHE: &str = "default";

#[derive(Debug, Default)]
pub struct Services {
    caches: Mutex<BTreeMap<String, Arc<CallCache>>>,
    /// The backend of cache names never set, if not a new in-memory one each.
    fallback: Mutex<Option<Arc<dyn CacheBackend>>>,
    gates: Mutex<HashMap<(String, u32), Arc<Gate>>>,
    buckets: Mutex<HashMap<(String, u64, u64), Arc<Bucket>>>,
    /// Open batches by function, size and wait; the statistics of each function's batches.
    batches: Mutex<HashMap<BatchKey, Arc<BatchQueue>>>,
    batch_stats: Mutex<BTreeMap<String, Arc<Mutex<BatchStats>>>>,
}

impl Services {
    pub fn new() -> Services {
        Services::default()
    }

    /// Makes `name` use `backend` from now on (plans prepared earlier keep the backend they got).
    pub fn set_cache_backend(&self, name: &str, backend: Arc<dyn CacheBackend>) {
        self.caches.lock().insert(name.to_string(), Arc::new(CallCache::new(backend)));
    }

    /// Makes cache names not set (now or later) store in `backend`, rather than each in a new
    /// in-memory one; names already used keep theirs.
    pub fn set_fallback_backend(&self, backend: Arc<dyn CacheBackend>) {
        *self.fallback.lock() = Some(backend);
    }

    /// The statistics of every cache used or configured so far, by name.
    pub fn cache_stats(&self) -> Vec<(String, CacheStats)> {
        self.caches.lock().iter().map(|(name, c)| (name.clone(), c.stats())).collect()
    }

    pub(crate) fn cache(&self, name: &str) -> Arc<CallCache> {
        self.caches
            .lock()
            .entry(name.to_string())
            .or_insert_with(|| {
                let backend = self.fallback.lock().clone().unwrap_or_else(|| Arc::new(MemoryBackend::default()));
                Arc::new(CallCache::new(backend))
            })
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

    /// The open batch of calls of `function` (its module `module`) with `batch: size` and
    /// `batch_timeout: wait_ms`, shared by every call site and run with the same values.
    pub(crate) fn batch_queue(
        &self,
        function: &str,
        module: &Arc<Batched>,
        size: u32,
        wait_ms: Option<u64>,
    ) -> Arc<BatchQueue> {
        let stats = self.batch_stats.lock().entry(function.to_string()).or_default().clone();
        self.batches
            .lock()
            .entry((function.to_string(), size, wait_ms))
            .or_insert_with(|| {
                Arc::new(BatchQueue::new(module.clone(), size, wait_ms.map(Duration::from_millis), stats))
            })
            .clone()
    }

    /// The batches sent so far, by function.
    pub fn batch_stats(&self) -> Vec<(String, BatchStats)> {
        self.batch_stats.lock().iter().map(|(name, s)| (name.clone(), s.lock().clone())).collect()
    }
}
