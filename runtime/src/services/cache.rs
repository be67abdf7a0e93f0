//! Caching of call results (SPEC §6.4 `cache`, `cache_backend`).
//!
//! Takes: backends, each behind the `CacheBackend` trait — in memory (`MemoryBackend`, the
//! default), tiers of others (`Tiered`), and those a host brings (the bindings' disk and Redis
//! backends). Gives: `CallCache`, a named backend as calls use it: the stored value, or else one
//! execution shared by every concurrent call with the same key (single-flight), whose success is
//! stored; how each call was answered (`Served`, for profiles and `run --explain`); counters per
//! cache and per tier (`CacheStats`). Guarantees: a backend never fails a call — its faults are
//! misses and skipped writes, counted, and said once per backend through the run's reporter; a
//! lookup that must wait (a remote store) is awaited by one caller while the others join it; a
//! hit from memory takes no lock but the backend's own.
//!
//! Children: `key` (canonical keys), `memory`, `tiered`.

mod key;
mod memory;
mod tiered;

pub(crate) use key::{KEY_FORMAT, KeyBuilder};
pub use memory::{DEFAULT_CAPACITY, MemoryBackend};
pub use tiered::{MAX_TIERS, Tiered};

use crate::outcome::Fault;
use asterism_registry::value::Value;
use asterism_registry::{Notice, NoticeKind, Reporter};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Acquire, Ordering::Relaxed, Ordering::Release};
use std::time::Duration;
use tokio::sync::OnceCell;

pub type CacheKey = [u8; 32];

/// A stored value found by a lookup.
#[derive(Clone, Debug)]
pub struct Found {
    pub value: Value,
    /// How much longer it lives (what a tier above it may keep it for).
    pub ttl: Duration,
    /// The tier it came from, 0 at the top (always 0 for a backend of one tier).
    pub tier: usize,
}

/// A lookup still under way (a request to a remote store).
pub type Pending<'a> = Pin<Box<dyn Future<Output = Option<Found>> + Send + 'a>>;

/// What a lookup gives at once: the value, its absence, or a lookup to await.
pub enum Lookup<'a> {
    Found(Found),
    Miss,
    Pending(Pending<'a>),
}

impl fmt::Debug for Lookup<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lookup::Found(found) => f.debug_tuple("Found").field(found).finish(),
            Lookup::Miss => f.write_str("Miss"),
            Lookup::Pending(_) => f.write_str("Pending"),
        }
    }
}

impl Lookup<'_> {
    /// The outcome, awaited if need be.
    pub async fn resolve(self) -> Option<Found> {
        match self {
            Lookup::Found(f) => Some(f),
            Lookup::Miss => None,
            Lookup::Pending(p) => p.await,
        }
    }
}

/// Storage of cached call results, called concurrently from many runs. Faults are never errors:
/// a lookup that fails is a miss, a write that fails is dropped, and the first fault of each
/// backend is kept for `warning`.
pub trait CacheBackend: Send + Sync + fmt::Debug {
    /// The value stored for `key`. Answers at once when it can; only a remote store should give
    /// `Lookup::Pending`.
    fn get(&self, key: &CacheKey) -> Lookup<'_>;
    /// Stores `value` for `ttl` (or less, if the backend caps it), replacing any entry with the
    /// same key. Never waits on a remote store.
    fn insert(&self, key: &CacheKey, value: &Value, ttl: Duration);
    /// Each tier's counters, top first (one for a backend that is not tiered).
    fn tiers(&self) -> Vec<TierStats>;
    /// The first fault not yet told, once: "cache 'shared' (redis): …".
    fn warning(&self) -> Option<String> {
        None
    }

    /// Whether every lookup answers at once (never `Lookup::Pending`): a call may then be
    /// answered from the cache without leaving the caller's pass.
    fn answers_at_once(&self) -> bool {
        false
    }
}

/// The counters of one backend (one tier), as reports show them (`--stats`, profiles,
/// `/metrics`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TierStats {
    /// The backend's name (a manifest's `[caches.NAME]`, else its kind).
    pub name: String,
    /// `memory`, `disk` or `redis`.
    pub kind: String,
    /// Lookups that found a live value.
    pub hits: u64,
    /// Lookups that found none (an expired, damaged or foreign entry is a miss).
    pub misses: u64,
    /// Values stored, whether by a call or by a fill from a tier below.
    pub writes: u64,
    /// Values stored because a tier below had them (a subset of `writes`).
    pub fills: u64,
    /// Lookups and writes that failed (unreachable server, full disk, timeouts).
    pub errors: u64,
    /// Live entries, when the backend can count them cheaply.
    pub entries: Option<u64>,
}

/// The counters a backend keeps, and its first fault until it is told.
#[derive(Debug, Default)]
pub struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    writes: AtomicU64,
    errors: AtomicU64,
    untold: AtomicBool,
    fault: Mutex<Option<String>>,
}

impl Counters {
    /// Counts a lookup and passes its outcome on.
    pub fn looked(&self, found: Option<Found>) -> Option<Found> {
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Relaxed);
        found
    }

    pub fn wrote(&self) {
        self.writes.fetch_add(1, Relaxed);
    }

    /// Counts a fault; the first is kept, as `message` makes it, for `warning`.
    pub fn fault(&self, message: impl FnOnce() -> String) {
        if self.errors.fetch_add(1, Relaxed) == 0 {
            *self.fault.lock() = Some(message());
            self.untold.store(true, Relaxed);
        }
    }

    /// The first fault, once.
    pub fn warning(&self) -> Option<String> {
        if !self.untold.load(Relaxed) || !self.untold.swap(false, Relaxed) {
            return None;
        }
        self.fault.lock().clone()
    }

    pub fn stats(&self, name: &str, kind: &'static str, entries: Option<u64>) -> TierStats {
        let n = |a: &AtomicU64| a.load(Relaxed);
        TierStats {
            name: name.to_string(),
            kind: kind.to_string(),
            hits: n(&self.hits),
            misses: n(&self.misses),
            writes: n(&self.writes),
            fills: 0,
            errors: n(&self.errors),
            entries,
        }
    }
}

/// Counters of one named cache as calls used it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Calls answered without executing: stored values, and calls that joined an execution
    /// (or a lookup) already in flight.
    pub hits: u64,
    /// Of the hits, those that joined one in flight.
    pub joined: u64,
    /// Calls that executed the function.
    pub misses: u64,
    /// The backend's tiers, top first.
    pub tiers: Vec<TierStats>,
}

/// How a call with `cache` was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Served {
    /// It executed.
    Ran,
    /// A stored value, from this tier (0 at the top).
    Stored(usize),
    /// It joined an identical call in flight and got its outcome.
    Joined,
}

impl Served {
    fn encode(self) -> usize {
        match self {
            Served::Joined => 0,
            Served::Ran => 1,
            Served::Stored(tier) => 2 + tier,
        }
    }

    fn decode(n: usize) -> Served {
        match n {
            0 => Served::Joined,
            1 => Served::Ran,
            n => Served::Stored(n - 2),
        }
    }
}

/// A lookup made before the call went to the scheduler, which missed: the key, and the values
/// stored by then (so the call does not look again unless one was stored since).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Looked {
    pub key: CacheKey,
    seen: u64,
}

/// What a cache can say of a call at once.
pub(crate) enum Now {
    /// A stored value, from this tier.
    Hit(Value, usize),
    /// Nothing stored: the call goes on, with this lookup made.
    Missed(Looked),
    /// The backend cannot answer without waiting.
    Later,
}

type Flight = Arc<OnceCell<Result<Value, Fault>>>;

/// A named cache as calls use it.
pub(crate) struct CallCache {
    backend: Arc<dyn CacheBackend>,
    hits: AtomicU64,
    joined: AtomicU64,
    misses: AtomicU64,
    /// Values stored so far: a leader looks again only if one was stored since its first look.
    stored: AtomicU64,
    inflight: Mutex<HashMap<CacheKey, Flight>>,
    /// `backend.answers_at_once()`.
    at_once: bool,
}

impl fmt::Debug for CallCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallCache").field("backend", &self.backend).finish_non_exhaustive()
    }
}

impl CallCache {
    pub fn new(backend: Arc<dyn CacheBackend>) -> CallCache {
        CallCache {
            at_once: backend.answers_at_once(),
            backend,
            hits: AtomicU64::new(0),
            joined: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            stored: AtomicU64::new(0),
            inflight: Mutex::default(),
        }
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Relaxed),
            joined: self.joined.load(Relaxed),
            misses: self.misses.load(Relaxed),
            tiers: self.backend.tiers(),
        }
    }

    /// Whether its backend answers every lookup at once.
    pub fn answers_at_once(&self) -> bool {
        self.at_once
    }

    /// The stored value for `key` if the backend can say at once (a hit counts as one).
    pub fn now(&self, key: CacheKey, reporter: &dyn Reporter) -> Now {
        if !self.at_once {
            return Now::Later;
        }
        let seen = self.stored.load(Acquire);
        match self.backend.get(&key) {
            Lookup::Found(found) => {
                self.hits.fetch_add(1, Relaxed);
                self.warn(reporter);
                Now::Hit(found.value, found.tier)
            }
            Lookup::Miss => Now::Missed(Looked { key, seen }),
            Lookup::Pending(_) => Now::Later,
        }
    }

    /// The stored value for `key`, else the outcome of `run`, shared with every concurrent call
    /// with the same key; a success is stored for `ttl`. `looked` is a lookup of the key made
    /// already (`now`), which missed. A backend's first fault goes to `reporter`.
    pub async fn get_or_run<F>(
        &self,
        key: CacheKey,
        ttl: Duration,
        reporter: &dyn Reporter,
        looked: Option<Looked>,
        run: impl FnOnce() -> F,
    ) -> (Result<Value, Fault>, Served)
    where
        F: Future<Output = Result<Value, Fault>>,
    {
        let (seen, first) = match looked {
            Some(looked) => (looked.seen, Lookup::Miss),
            None => (self.stored.load(Acquire), self.backend.get(&key)),
        };
        let first = match first {
            Lookup::Found(found) => {
                self.hits.fetch_add(1, Relaxed);
                self.warn(reporter);
                return (Ok(found.value), Served::Stored(found.tier));
            }
            other => other,
        };
        let flight = self.inflight.lock().entry(key).or_default().clone();
        let served = AtomicUsize::new(Served::Joined.encode());
        let outcome = flight
            .get_or_init(|| async {
                // The leader awaits the first look, or looks again if a value was stored since
                // (the last leader may have stored this one and left), then executes on a miss.
                let found = match first {
                    Lookup::Miss if self.stored.load(Acquire) == seen => None,
                    Lookup::Miss => self.backend.get(&key).resolve().await,
                    pending => pending.resolve().await,
                };
                if let Some(found) = found {
                    served.store(Served::Stored(found.tier).encode(), Relaxed);
                    return Ok(found.value);
                }
                served.store(Served::Ran.encode(), Relaxed);
                let outcome = run().await;
                if let Ok(v) = &outcome {
                    self.backend.insert(&key, v, ttl);
                    self.stored.fetch_add(1, Release);
                }
                outcome
            })
            .await
            .clone();
        let served = Served::decode(served.into_inner());
        match served {
            Served::Ran => self.misses.fetch_add(1, Relaxed),
            Served::Joined => {
                self.joined.fetch_add(1, Relaxed);
                self.hits.fetch_add(1, Relaxed)
            }
            Served::Stored(_) => self.hits.fetch_add(1, Relaxed),
        };
        {
            let mut inflight = self.inflight.lock();
            if inflight.get(&key).is_some_and(|f| Arc::ptr_eq(f, &flight)) {
                inflight.remove(&key);
            }
        }
        self.warn(reporter);
        (outcome, served)
    }

    /// Says the backend's first fault, once.
    fn warn(&self, reporter: &dyn Reporter) {
        if let Some(message) = self.backend.warning() {
            reporter.report(Notice { kind: NoticeKind::Cache, message, line: 0 });
        }
    }
}
