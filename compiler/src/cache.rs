//! The in-process compile cache: source text + registry → compiled pipeline, and the bounded
//! map it keeps them in (the engine keeps its prepared plans in one too).
//!
//! Keyed by blake3 of the registry's fingerprint and the source, so a registry change (a new or
//! re-versioned function) never serves a stale plan. Bounded: when full, an arbitrary entry is
//! evicted, so a process compiling endless distinct sources (a server) holds at most `capacity`.
//! Safe to share between threads; concurrent compiles of the same source may both run, and either
//! result is kept (they are identical).

use crate::driver::{Compiled, compile};
use asterism_lang::Diagnostic;
use asterism_registry::Registry;
use dashmap::DashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A map from 32-byte hashes to shared values holding at most `capacity` entries: inserting
/// into a full map first evicts an arbitrary entry. Reads and writes from many threads.
#[derive(Debug)]
pub struct Bounded<V> {
    entries: DashMap<[u8; 32], Arc<V>>,
    capacity: usize,
}

impl<V> Bounded<V> {
    pub fn new(capacity: usize) -> Bounded<V> {
        Bounded { entries: DashMap::new(), capacity: capacity.max(1) }
    }

    pub fn get(&self, key: &[u8; 32]) -> Option<Arc<V>> {
        self.entries.get(key).map(|e| e.clone())
    }

    pub fn insert(&self, key: [u8; 32], value: Arc<V>) {
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            // Take the key in a statement of its own: the iterator holds a shard lock that
            // `remove` needs.
            let victim = self.entries.iter().next().map(|e| *e.key());
            if let Some(victim) = victim {
                self.entries.remove(&victim);
            }
        }
        self.entries.insert(key, value);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[derive(Debug)]
pub struct CompileCache {
    entries: Bounded<Compiled>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl Default for CompileCache {
    fn default() -> CompileCache {
        CompileCache::new(1024)
    }
}

impl CompileCache {
    pub fn new(capacity: usize) -> CompileCache {
        CompileCache { entries: Bounded::new(capacity), hits: 0.into(), misses: 0.into() }
    }

    /// The cache key of `src` compiled against `registry`.
    pub fn key(src: &str, registry: &Registry) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(&registry.fingerprint());
        h.update(src.as_bytes());
        *h.finalize().as_bytes()
    }

    /// The compiled pipeline of `src`, compiling it on a miss. Errors are not cached.
    pub fn compile(&self, src: &str, registry: &Registry) -> Result<Arc<Compiled>, Vec<Diagnostic>> {
        let key = CompileCache::key(src, registry);
        if let Some(hit) = self.entries.get(&key) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(hit);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let compiled = compile(src, registry)?;
        self.entries.insert(key, compiled.clone());
        Ok(compiled)
    }

    /// (hits, misses) so far.
    pub fn stats(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.misses.load(Ordering::Relaxed))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_bounded_and_counts_hits() {
        let registry = Registry::standard();
        let cache = CompileCache::new(2);
        for n in 0..5 {
            cache.compile(&format!("x = {n}\nout x\n"), &registry).unwrap();
        }
        assert_eq!(cache.len(), 2);
        cache.compile("x = 4\nout x\n", &registry).unwrap();
        assert!(cache.compile("x = y\nout x\n", &registry).is_err(), "errors are reported, not cached");
        assert_eq!(cache.len(), 2);
        let (hits, misses) = cache.stats();
        assert_eq!((hits, misses), (1, 6));
    }

    #[test]
    fn a_registry_change_is_a_different_key() {
        let mut registry = Registry::standard();
        let before = CompileCache::key("x = 1\nout x\n", &registry);
        registry.register_text("extra.f", "() -> Int").unwrap();
        assert_ne!(before, CompileCache::key("x = 1\nout x\n", &registry));
    }
}
