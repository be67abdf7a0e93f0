//! Tiers: backends in front of one another (`tiers = ["memory", "shared"]`).
//!
//! Takes: backends, top (fastest) first. Gives: one backend whose lookup walks down the tiers
//! and, on a hit in a lower one, stores the value in the tiers above it for what is left of its
//! life (each tier capping it by its own `ttl`); whose insert stores in every tier. Guarantees: a
//! lookup awaits at most the tiers it reaches, in order; a tier's faults are its own (a miss
//! there, the walk goes on); counters stay per tier, with the fills each received.

use super::{CacheBackend, CacheKey, Found, Lookup, TierStats};
use asterism_registry::value::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// The most tiers one cache may have.
pub const MAX_TIERS: usize = 4;

#[derive(Debug)]
pub struct Tiered {
    tiers: Vec<(Arc<dyn CacheBackend>, AtomicU64)>,
}

impl Tiered {
    /// `tiers`, top first: at least one, at most `MAX_TIERS`.
    pub fn new(tiers: Vec<Arc<dyn CacheBackend>>) -> Result<Tiered, String> {
        if tiers.is_empty() || tiers.len() > MAX_TIERS {
            return Err(format!("a cache has 1 to {MAX_TIERS} tiers, not {}", tiers.len()));
        }
        Ok(Tiered { tiers: tiers.into_iter().map(|t| (t, AtomicU64::new(0))).collect() })
    }

    /// `found` in tier `tier`: stored in the tiers above it, and said to come from there.
    fn fill(&self, key: &CacheKey, tier: usize, found: Found) -> Found {
        for (above, fills) in &self.tiers[..tier] {
            above.insert(key, &found.value, found.ttl);
            fills.fetch_add(1, Relaxed);
        }
        Found { tier, ..found }
    }

    /// The walk from tier `from` on, its first lookup (`first`) under way.
    async fn walk(&self, key: CacheKey, from: usize, first: Lookup<'_>) -> Option<Found> {
        let mut lookup = Some(first);
        for tier in from..self.tiers.len() {
            let here = match lookup.take() {
                Some(first) => first,
                None => self.tiers[tier].0.get(&key),
            };
            if let Some(found) = here.resolve().await {
                return Some(self.fill(&key, tier, found));
            }
        }
        None
    }
}

impl CacheBackend for Tiered {
    fn get(&self, key: &CacheKey) -> Lookup<'_> {
        for (tier, (backend, _)) in self.tiers.iter().enumerate() {
            match backend.get(key) {
                Lookup::Found(found) => return Lookup::Found(self.fill(key, tier, found)),
                Lookup::Miss => {}
                pending @ Lookup::Pending(_) => return Lookup::Pending(Box::pin(self.walk(*key, tier, pending))),
            }
        }
        Lookup::Miss
    }

    fn insert(&self, key: &CacheKey, value: &Value, ttl: Duration) {
        for (backend, _) in &self.tiers {
            backend.insert(key, value, ttl);
        }
    }

    fn tiers(&self) -> Vec<TierStats> {
        let mut all = Vec::with_capacity(self.tiers.len());
        for (backend, fills) in &self.tiers {
            let mut stats = backend.tiers();
            if let Some(top) = stats.first_mut() {
                top.fills += fills.load(Relaxed);
            }
            all.extend(stats);
        }
        all
    }

    fn warning(&self) -> Option<String> {
        self.tiers.iter().find_map(|(backend, _)| backend.warning())
    }

    fn answers_at_once(&self) -> bool {
        self.tiers.iter().all(|(backend, _)| backend.answers_at_once())
    }
}

#[cfg(test)]
mod tests {
    use super::super::MemoryBackend;
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_lower_hit_fills_the_tiers_above_for_what_is_left_of_its_life() {
        let top = Arc::new(MemoryBackend::new(8).named("near").max_ttl(Some(Duration::from_secs(2))));
        let low = Arc::new(MemoryBackend::new(8).named("far"));
        let tiers = Tiered::new(vec![top.clone(), low.clone()]).unwrap();
        low.insert(&[1; 32], &Value::Int(7), Duration::from_secs(10));
        let Lookup::Found(found) = tiers.get(&[1; 32]) else { panic!("in the lower tier") };
        assert_eq!((found.tier, found.ttl), (1, Duration::from_secs(10)));
        let Lookup::Found(found) = tiers.get(&[1; 32]) else { panic!("filled above") };
        assert_eq!(found.tier, 0);
        assert_eq!(found.ttl, Duration::from_secs(2), "the top tier's own cap");
        tokio::time::advance(Duration::from_secs(3)).await;
        let Lookup::Found(found) = tiers.get(&[1; 32]) else { panic!("still below") };
        assert_eq!(found.tier, 1);
        let stats = tiers.tiers();
        let counts: Vec<_> = stats.iter().map(|t| (t.name.as_str(), t.hits, t.misses, t.fills)).collect();
        assert_eq!(counts, [("near", 1, 2, 2), ("far", 2, 0, 0)]);
        assert!(Tiered::new(Vec::new()).is_err());
    }

    /// A backend whose lookups must be awaited, like a remote store.
    #[derive(Debug)]
    struct Remote(MemoryBackend);

    impl CacheBackend for Remote {
        fn get(&self, key: &CacheKey) -> Lookup<'_> {
            let found = match self.0.get(key) {
                Lookup::Found(f) => Some(f),
                _ => None,
            };
            Lookup::Pending(Box::pin(async move {
                tokio::task::yield_now().await;
                found
            }))
        }
        fn insert(&self, key: &CacheKey, value: &Value, ttl: Duration) {
            self.0.insert(key, value, ttl)
        }
        fn tiers(&self) -> Vec<TierStats> {
            self.0.tiers()
        }
    }

    #[tokio::test]
    async fn a_tier_to_await_is_awaited_and_the_walk_goes_on_below_it() {
        let remote = Arc::new(Remote(MemoryBackend::new(8)));
        let last = Arc::new(MemoryBackend::new(8));
        let tiers = Tiered::new(vec![Arc::new(MemoryBackend::new(8)), remote.clone(), last.clone()]).unwrap();
        last.insert(&[2; 32], &Value::Int(2), Duration::from_secs(60));
        let Lookup::Pending(p) = tiers.get(&[2; 32]) else { panic!("the remote tier must be awaited") };
        let found = p.await.expect("found in the last tier");
        assert_eq!(found.tier, 2);
        assert!(matches!(remote.0.get(&[2; 32]), Lookup::Found(_)), "filled into the remote tier");
        assert!(matches!(tiers.get(&[2; 32]), Lookup::Found(Found { tier: 0, .. })));
    }
}
