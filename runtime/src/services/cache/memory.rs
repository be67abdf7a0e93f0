//! The in-memory backend: bounded, each entry with its time to live.
//!
//! Takes: values to keep for a time. Gives: them back until they expire or are evicted.
//! Guarantees: at most `capacity` entries; when full, expired entries go first, then the oldest;
//! insertion stays O(1) amortised; a time to live is capped by `max_ttl` when one is set. Times
//! are tokio's clock, so tests can pause it.

use super::{CacheBackend, CacheKey, Counters, Found, Lookup, TierStats};
use asterism_registry::value::Value;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::time::Duration;
use tokio::time::Instant;

/// The in-memory backend. Sweeping the expired entries scans every one, so a full cache sweeps
/// at most once per `capacity / 2` insertions and otherwise evicts the oldest.
#[derive(Debug)]
pub struct MemoryBackend {
    name: String,
    max_ttl: Option<Duration>,
    counters: Counters,
    capacity: usize,
    inner: Mutex<Memory>,
}

#[derive(Debug, Default)]
struct Memory {
    entries: HashMap<CacheKey, (Value, Instant, u64), KeyHash>,
    /// Keys in insertion order with the insertion number; stale pairs are skipped.
    order: VecDeque<(CacheKey, u64)>,
    inserted: u64,
    /// `inserted` when expired entries were last swept out.
    swept: u64,
}

/// Hashes a key by its first 8 bytes: keys are blake3 hashes already, so no other mixing is
/// needed (SipHash of 32 bytes would be most of a hit's time).
#[derive(Clone, Copy, Debug, Default)]
struct KeyHash;

impl std::hash::BuildHasher for KeyHash {
    type Hasher = FirstBytes;
    fn build_hasher(&self) -> FirstBytes {
        FirstBytes(0)
    }
}

#[derive(Debug)]
struct FirstBytes(u64);

impl std::hash::Hasher for FirstBytes {
    fn write(&mut self, bytes: &[u8]) {
        for (k, b) in bytes.iter().take(8).enumerate() {
            self.0 ^= u64::from(*b) << (8 * k);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Entries an in-memory backend holds unless told otherwise.
pub const DEFAULT_CAPACITY: usize = 10_000;

impl MemoryBackend {
    pub fn new(capacity: usize) -> MemoryBackend {
        MemoryBackend {
            name: "memory".to_string(),
            max_ttl: None,
            counters: Counters::default(),
            capacity: capacity.max(1),
            inner: Mutex::default(),
        }
    }

    /// The same, named (a manifest's `[caches.NAME]`) in statistics.
    pub fn named(self, name: &str) -> MemoryBackend {
        MemoryBackend { name: name.to_string(), ..self }
    }

    /// The same, keeping no entry longer than `max_ttl`.
    pub fn max_ttl(self, max_ttl: Option<Duration>) -> MemoryBackend {
        MemoryBackend { max_ttl, ..self }
    }

    /// The number of live entries.
    pub fn len(&self) -> usize {
        let now = Instant::now();
        self.inner.lock().entries.values().filter(|(_, expires, _)| now < *expires).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for MemoryBackend {
    fn default() -> MemoryBackend {
        MemoryBackend::new(DEFAULT_CAPACITY)
    }
}

impl CacheBackend for MemoryBackend {
    fn get(&self, key: &CacheKey) -> Lookup<'_> {
        let now = Instant::now();
        let found = {
            let mut m = self.inner.lock();
            match m.entries.get(key) {
                Some((v, expires, _)) if now < *expires => {
                    Some(Found { value: v.clone(), ttl: *expires - now, tier: 0 })
                }
                Some(_) => {
                    m.entries.remove(key);
                    None
                }
                None => None,
            }
        };
        match self.counters.looked(found) {
            Some(found) => Lookup::Found(found),
            None => Lookup::Miss,
        }
    }

    fn insert(&self, key: &CacheKey, value: &Value, ttl: Duration) {
        let ttl = self.max_ttl.map_or(ttl, |cap| ttl.min(cap));
        let (key, value) = (*key, value.clone());
        self.counters.wrote();
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

    fn tiers(&self) -> Vec<TierStats> {
        vec![self.counters.stats(&self.name, "memory", Some(self.len() as u64))]
    }

    fn answers_at_once(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(m: &MemoryBackend, key: u8) -> Option<Value> {
        match m.get(&[key; 32]) {
            Lookup::Found(f) => Some(f.value),
            _ => None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn entries_expire_after_their_ttl_and_the_oldest_go_first() {
        let m = MemoryBackend::new(2);
        m.insert(&[1; 32], &Value::Int(1), Duration::from_secs(10));
        m.insert(&[2; 32], &Value::Int(2), Duration::from_secs(1));
        tokio::time::advance(Duration::from_millis(1500)).await;
        assert!(get(&m, 2).is_none(), "expired");
        assert_eq!(m.len(), 1);
        m.insert(&[3; 32], &Value::Int(3), Duration::from_secs(10));
        m.insert(&[4; 32], &Value::Int(4), Duration::from_secs(10));
        assert!(get(&m, 1).is_none(), "the oldest was evicted");
        assert_eq!(m.len(), 2);
        let stats = &m.tiers()[0];
        assert_eq!((stats.hits, stats.misses, stats.writes, stats.entries), (0, 2, 4, Some(2)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_cache_drops_expired_entries_before_live_ones() {
        let m = MemoryBackend::new(2);
        m.insert(&[1; 32], &Value::Int(1), Duration::from_secs(10));
        m.insert(&[2; 32], &Value::Int(2), Duration::from_secs(1));
        tokio::time::advance(Duration::from_millis(1500)).await;
        m.insert(&[3; 32], &Value::Int(3), Duration::from_secs(10));
        assert!(get(&m, 1).is_some(), "the older but live entry stays");
        assert!(get(&m, 3).is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn the_cap_shortens_a_long_ttl_and_a_hit_says_what_is_left() {
        let m = MemoryBackend::new(4).max_ttl(Some(Duration::from_secs(5)));
        m.insert(&[1; 32], &Value::Int(1), Duration::from_secs(60));
        tokio::time::advance(Duration::from_secs(2)).await;
        let Lookup::Found(found) = m.get(&[1; 32]) else { panic!("a live entry") };
        assert_eq!(found.ttl, Duration::from_secs(3));
        tokio::time::advance(Duration::from_secs(4)).await;
        assert!(get(&m, 1).is_none(), "capped at 5 s");
    }
}
