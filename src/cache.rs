//! Call caches that outlive a run: on disk and in Redis, alone or in tiers (SPEC §6.4 `cache`,
//! docs/caching.md).
//!
//! Takes: a manifest's `[caches.NAME]` tables (read by the bindings) and the `--cache-dir`
//! folder. Gives: a backend per name for the engine (`Engine::load_manifest` binds them), and the
//! stores themselves for `asterism cache stats|clear`. Guarantees: nothing is contacted or
//! created until a call uses a cache (a Redis server is first asked on the first lookup, a
//! folder made on the first write); no fault of a backend fails a call.
//!
//! Children: `codec` (the bytes of an entry), `disk`, `redis`, `build` (manifest tables to
//! backends).

mod build;
pub mod codec;
pub mod disk;
pub mod redis;

pub use asterism_runtime::cache::{Found, Lookup, Pending};
pub use build::{Built, Store, build, default_dir, on_disk};

use crate::Engine;
use asterism_runtime::TierStats;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One call cache's counters, as reports show them (`--stats`, profiles, `/metrics`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheRow {
    pub name: String,
    /// Calls answered without executing (stored values and joined calls).
    pub hits: u64,
    /// Of the hits, calls that joined an identical call in flight.
    #[serde(default)]
    pub joined: u64,
    /// Calls that executed.
    pub misses: u64,
    /// Its tiers, top first (one for a cache that is not tiered).
    #[serde(default)]
    pub tiers: Vec<TierStats>,
}

impl CacheRow {
    /// The lines people read: `cache 'default': 1 hit, 1 miss, 1 entry`; a cache of several
    /// tiers adds a line per tier.
    pub fn lines(&self) -> Vec<String> {
        let count = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let joined = if self.joined > 0 { format!(" ({} joined)", self.joined) } else { String::new() };
        let mut head = format!(
            "cache '{}': {}{joined}, {}",
            self.name,
            count(self.hits, "hit", "hits"),
            count(self.misses, "miss", "misses")
        );
        let tier = |t: &TierStats, writes: bool| {
            let mut text = String::new();
            if writes || t.fills > 0 {
                text.push_str(&format!(", {}", count(t.writes, "write", "writes")));
            }
            if t.fills > 0 {
                text.push_str(&format!(" ({} from below)", t.fills));
            }
            if let Some(n) = t.entries {
                text.push_str(&format!(", {}", count(n, "entry", "entries")));
            }
            if t.errors > 0 {
                text.push_str(&format!(", {}", count(t.errors, "error", "errors")));
            }
            text
        };
        match self.tiers.as_slice() {
            [one] => {
                head.push_str(&tier(one, false));
                vec![head]
            }
            tiers => std::iter::once(head)
                .chain(tiers.iter().enumerate().map(|(k, t)| {
                    format!(
                        "  tier {} '{}' ({}): {}, {}{}",
                        k + 1,
                        t.name,
                        t.kind,
                        count(t.hits, "hit", "hits"),
                        count(t.misses, "miss", "misses"),
                        tier(t, true)
                    )
                }))
                .collect(),
        }
    }
}

impl Engine {
    /// Keeps call results on disk in `dir` (`--cache-dir`): every cache a manifest does not
    /// declare (`default` among them) becomes memory in front of that folder, and disk caches
    /// without a `path` store there. Set it before loading manifests and compiling.
    pub fn set_cache_dir(&mut self, dir: impl Into<PathBuf>) {
        let dir = dir.into();
        let built = build::on_disk(&dir);
        self.services.set_fallback_backend(built.store.backend());
        self.cache_dir = Some(dir);
        self.caches.retain(|c| c.declared.is_some());
        self.caches.push(built);
    }

    /// Each call cache used or configured so far, with its tiers' counters.
    pub fn cache_rows(&self) -> Vec<CacheRow> {
        self.call_cache_stats()
            .into_iter()
            .map(|(name, s)| CacheRow { name, hits: s.hits, joined: s.joined, misses: s.misses, tiers: s.tiers })
            .collect()
    }

    /// The caches manifests declared (and the one `set_cache_dir` made), in order.
    pub fn caches(&self) -> &[Built] {
        &self.caches
    }

    /// Makes each of `caches` the backend of its name.
    pub(crate) fn bind_caches(&mut self, caches: Vec<Built>) {
        for built in caches {
            self.services.set_cache_backend(&built.name, built.store.backend());
            self.caches.retain(|c| c.name != built.name);
            self.caches.push(built);
        }
    }
}
