//! Caching of call results (SPEC §6.4 `cache`).
//!
//! A `CacheBackend` stores values by key for a time; `MemoryBackend` is the default (bounded,
//! TTL, oldest entries evicted first). `CallCache` is a named backend as calls use it: it counts
//! hits and misses and makes concurrent calls with the same key share one execution
//! (single-flight). Only successful executions are stored. Keys are blake3 hashes of the call
//! site's identity (function, fingerprint, instantiated types, backend) and a canonical encoding
//! of the argument values, so equal values give equal keys whatever their representation.

use crate::outcome::Fault;
use asterism_registry::value::Value;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::OnceCell;
use tokio::time::Instant;

pub type CacheKey = [u8; 32];

/// Storage of cached call results. Called concurrently from many runs.
pub trait CacheBackend: Send + Sync + fmt::Debug {
    fn get(&self, key: &CacheKey) -> Option<Value>;
    /// Stores `value` for `ttl`, replacing any entry with the same key.
    fn insert(&self, key: CacheKey, value: Value, ttl: Duration);
    /// The number of live entries.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The in-memory backend: at most `capacity` entries; when full, expired entries go first, then
/// the oldest. Sweeping the expired ones scans every entry, so a full cache sweeps at most once
/// per `capacity / 2` insertions and otherwise evicts the oldest: insertion stays O(1) amortised.
#[derive(Debug)]
pub struct MemoryBackend {
    capacity: usize,
    inner: Mutex<Memory>,
}

#[derive(Debug, Default)]
struct Memory {
    entries: HashMap<CacheKey, (Value, Instant, u64)>,
    /// Keys in insertion order with the insertion number; stale pairs are skipped.
    order: VecDeque<(CacheKey, u64)>,
    inserted: u64,
    /// `inserted` when expired entries were last swept out.
    swept: u64,
}

/// Entries an in-memory backend holds unless told otherwise.
pub const DEFAULT_CAPACITY: usize = 10_000;

impl MemoryBackend {
    pub fn new(capacity: usize) -> MemoryBackend {
        MemoryBackend { capacity: capacity.max(1), inner: Mutex::default() }
    }
}

impl Default for MemoryBackend {
    fn default() -> MemoryBackend {
        MemoryBackend::new(DEFAULT_CAPACITY)
    }
}

impl CacheBackend for MemoryBackend {
    fn get(&self, key: &CacheKey) -> Option<Value> {
        let mut m = self.inner.lock();
        match m.entries.get(key) {
            Some((v, expires, _)) if Instant::now() < *expires => Some(v.clone()),
            Some(_) => {
                m.entries.remove(key);
                None
            }
            None => None,
        }
    }

    fn insert(&self, key: CacheKey, value: Value, ttl: Duration) {
        let now = Instant::now();
        let mut m = self.inner.lock();
        if m.entries.len() >= self.capacity && !m.entries.contains_key(&key) {
            if m.inserted >= m.swept + self.capacity as u64 / 2 {
                m.entries.retain(|_, (_, expires, _)| now < *expires);
                m.swept = m.inserted;
            }
            while m.entries.len() >= self.capacity {
                let Some((old, n)) = m.order.pop_front() else { break };
                if m.entries.get(&old).is_some_and(|e| e.2 == n) {
                    m.entries.remove(&old);
                }
            }
        }
        m.inserted += 1;
        let n = m.inserted;
        m.entries.insert(key, (value, now + ttl, n));
        m.order.push_back((key, n));
        if m.order.len() > 2 * self.capacity {
            let Memory { entries, order, .. } = &mut *m;
            order.retain(|(k, n)| entries.get(k).is_some_and(|e| e.2 == *n));
        }
    }

    fn len(&self) -> usize {
        let now = Instant::now();
        self.inner.lock().entries.values().filter(|(_, expires, _)| now < *expires).count()
    }
}

/// Counters of one named cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Calls answered without executing: stored values, and calls that joined an execution
    /// already in flight.
    pub hits: u64,
    /// Calls that executed the function.
    pub misses: u64,
    /// Live entries.
    pub entries: u64,
}

type Flight = Arc<OnceCell<Result<Value, Fault>>>;

/// A named cache as calls use it.
pub(crate) struct CallCache {
    backend: Arc<dyn CacheBackend>,
    hits: AtomicU64,
    misses: AtomicU64,
    inflight: Mutex<HashMap<CacheKey, Flight>>,
}

impl fmt::Debug for CallCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallCache").field("backend", &self.backend).field("stats", &self.stats()).finish()
    }
}

impl CallCache {
    pub fn new(backend: Arc<dyn CacheBackend>) -> CallCache {
        CallCache { backend, hits: AtomicU64::new(0), misses: AtomicU64::new(0), inflight: Mutex::default() }
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.backend.len() as u64,
        }
    }

    /// The stored value for `key`, else the outcome of `run`, shared with every concurrent call
    /// with the same key; a success is stored for `ttl`.
    pub async fn get_or_run<F>(&self, key: CacheKey, ttl: Duration, run: impl FnOnce() -> F) -> Result<Value, Fault>
    where
        F: Future<Output = Result<Value, Fault>>,
    {
        let flight = {
            let mut inflight = self.inflight.lock();
            // Checked under the lock: a finished execution stores its value before it leaves.
            if let Some(v) = self.backend.get(&key) {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(v);
            }
            inflight.entry(key).or_default().clone()
        };
        let mut executed = false;
        let outcome = flight
            .get_or_init(|| {
                executed = true;
                async {
                    let outcome = run().await;
                    if let Ok(v) = &outcome {
                        self.backend.insert(key, v.clone(), ttl);
                    }
                    outcome
                }
            })
            .await
            .clone();
        let counter = if executed { &self.misses } else { &self.hits };
        counter.fetch_add(1, Ordering::Relaxed);
        let mut inflight = self.inflight.lock();
        if inflight.get(&key).is_some_and(|f| Arc::ptr_eq(f, &flight)) {
            inflight.remove(&key);
        }
        outcome
    }
}

/// Builds cache keys: a call site's identity, then the argument values in canonical form.
pub(crate) struct KeyBuilder(blake3::Hasher);

impl KeyBuilder {
    /// Starts a key with the identity of a call site.
    pub fn new(site: &CacheKey) -> KeyBuilder {
        let mut h = blake3::Hasher::new();
        h.update(site);
        KeyBuilder(h)
    }

    pub fn value(&mut self, v: &Value) -> &mut Self {
        let h = &mut self.0;
        let tag = |h: &mut blake3::Hasher, t: u8| {
            h.update(&[t]);
        };
        let len = |h: &mut blake3::Hasher, n: usize| {
            h.update(&(n as u64).to_le_bytes());
        };
        match v {
            Value::Int(n) => {
                tag(h, 1);
                h.update(&n.to_le_bytes());
            }
            Value::Float(x) => {
                tag(h, 2);
                let bits = if x.is_nan() { f64::NAN.to_bits() } else { x.to_bits() };
                h.update(&bits.to_le_bytes());
            }
            Value::Bool(b) => {
                tag(h, 3);
                h.update(&[u8::from(*b)]);
            }
            Value::Str(s) => {
                tag(h, 4);
                len(h, s.len());
                h.update(s.as_bytes());
            }
            Value::Ints(_) | Value::Floats(_) | Value::List(_) => {
                let items = v.as_list().into_iter().flat_map(|l| l.iter());
                tag(h, 5);
                len(h, v.as_list().map_or(0, |l| l.len()));
                for item in items {
                    self.value(&item);
                }
            }
            Value::Record(fields) => {
                tag(h, 6);
                len(h, fields.len());
                fields.iter().for_each(|f| {
                    self.value(f);
                });
            }
            Value::Map(entries) => {
                tag(h, 7);
                len(h, entries.len());
                for (k, v) in entries.iter() {
                    self.value(k).value(v);
                }
            }
            Value::None => tag(h, 8),
            Value::Some(inner) => {
                tag(h, 9);
                self.value(inner);
            }
            Value::Tagged(t, inner) => {
                tag(h, 10);
                h.update(&t.to_le_bytes());
                self.value(inner);
            }
        }
        self
    }

    pub fn finish(&self) -> CacheKey {
        *self.0.finalize().as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(values: &[Value]) -> CacheKey {
        let mut k = KeyBuilder::new(&[0; 32]);
        values.iter().for_each(|v| {
            k.value(v);
        });
        k.finish()
    }

    #[test]
    fn keys_are_canonical_and_tell_values_apart() {
        let packed = Value::Ints(Arc::from([1, 2]));
        let boxed = Value::List(Arc::from([Value::Int(1), Value::Int(2)]));
        assert_eq!(key(std::slice::from_ref(&packed)), key(&[boxed]));
        assert_ne!(key(&[packed]), key(&[Value::Ints(Arc::from([2, 1]))]));
        assert_ne!(key(&[Value::str("ab"), Value::str("c")]), key(&[Value::str("a"), Value::str("bc")]));
        assert_ne!(key(&[Value::Float(0.0)]), key(&[Value::Float(-0.0)]));
        assert_eq!(key(&[Value::Float(f64::NAN)]), key(&[Value::Float(-f64::NAN)]));
        assert_ne!(key(&[Value::Int(1)]), key(&[Value::Float(1.0)]));
    }

    #[tokio::test(start_paused = true)]
    async fn entries_expire_after_their_ttl_and_the_oldest_go_first() {
        let m = MemoryBackend::new(2);
        m.insert([1; 32], Value::Int(1), Duration::from_secs(10));
        m.insert([2; 32], Value::Int(2), Duration::from_secs(1));
        tokio::time::advance(Duration::from_millis(1500)).await;
        assert!(m.get(&[2; 32]).is_none(), "expired");
        assert_eq!(m.len(), 1);
        m.insert([3; 32], Value::Int(3), Duration::from_secs(10));
        m.insert([4; 32], Value::Int(4), Duration::from_secs(10));
        assert!(m.get(&[1; 32]).is_none(), "the oldest was evicted");
        assert_eq!(m.len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_cache_drops_expired_entries_before_live_ones() {
        let m = MemoryBackend::new(2);
        m.insert([1; 32], Value::Int(1), Duration::from_secs(10));
        m.insert([2; 32], Value::Int(2), Duration::from_secs(1));
        tokio::time::advance(Duration::from_millis(1500)).await;
        m.insert([3; 32], Value::Int(3), Duration::from_secs(10));
        assert!(m.get(&[1; 32]).is_some(), "the older but live entry stays");
        assert!(m.get(&[3; 32]).is_some());
    }
}
