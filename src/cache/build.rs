//! A manifest's caches made into backends.
//!
//! Takes: the `CacheEntry`s of a manifest, the `--cache-dir` folder if one was given. Gives: a
//! `Built` per name — the backend for the engine and the `Store` behind it (`cache stats|clear`
//! reach the disk folder or the Redis keys through it). Guarantees: a literal Redis URL that is
//! not one is an error at its table; a `url_env` is read here and, when unset, leaves a backend
//! that is a miss at every call with a warning (a missing secret never stops a run); tiers share
//! the backends of the caches they name.

use super::disk::{DEFAULT_MAX_ENTRIES, DEFAULT_MAX_SIZE, DiskBackend};
use super::redis::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_PREFIX, DEFAULT_TIMEOUT, RedisBackend, RedisSettings};
use asterism_bindings::manifest::{CacheEntry, CacheSpec, MEMORY, RedisSpec, RedisUrl};
use asterism_bindings::{ManifestError, Place};
use asterism_runtime::DEFAULT_CACHE;
use asterism_runtime::cache::{CacheBackend, DEFAULT_CAPACITY, MemoryBackend, Tiered};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What stores a cache's values.
#[derive(Clone, Debug)]
pub enum Store {
    Memory(Arc<MemoryBackend>),
    Disk(Arc<DiskBackend>),
    Redis(Arc<RedisBackend>),
    /// The tiers, top first, by name, and the backend walking them.
    Tiers(Vec<(String, Store)>, Arc<Tiered>),
}

impl Store {
    pub fn backend(&self) -> Arc<dyn CacheBackend> {
        match self {
            Store::Memory(b) => b.clone(),
            Store::Disk(b) => b.clone(),
            Store::Redis(b) => b.clone(),
            Store::Tiers(_, b) => b.clone(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Store::Memory(_) => "memory",
            Store::Disk(_) => "disk",
            Store::Redis(_) => "redis",
            Store::Tiers(..) => "tiers",
        }
    }
}

/// A cache of a manifest, made.
#[derive(Clone, Debug)]
pub struct Built {
    pub name: String,
    pub store: Store,
    /// Where it was declared (none: made by `--cache-dir`).
    pub declared: Option<Place>,
}

/// The folder of disk caches that name none, without `--cache-dir`: `calls` beside the plan
/// cache (`$ASTERISM_CACHE_DIR`, else the platform's cache folder).
pub fn default_dir() -> Option<PathBuf> {
    let base = match std::env::var_os("ASTERISM_CACHE_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => std::path::absolute(dir).ok()?,
        None => dirs::cache_dir().filter(|d| d.is_absolute())?.join("asterism"),
    };
    Some(base.join("calls"))
}

/// The backend of every cache in `caches`; disk caches without a `path` use `cache_dir`, else
/// `default_dir()`.
pub fn build(caches: &[CacheEntry], cache_dir: Option<&Path>) -> Result<Vec<Built>, Vec<ManifestError>> {
    let mut built: Vec<Built> = Vec::new();
    let mut errors = Vec::new();
    // Tiers name caches declared anywhere in the file: those without tiers first.
    let (tiered, plain): (Vec<&CacheEntry>, Vec<&CacheEntry>) =
        caches.iter().partition(|c| matches!(c.spec, CacheSpec::Tiers(_)));
    for entry in plain.into_iter().chain(tiered) {
        let fail = |message: String| ManifestError { at: entry.at.clone(), message };
        let store = match &entry.spec {
            CacheSpec::Memory { max_entries, ttl } => Ok(Store::Memory(Arc::new(
                MemoryBackend::new(max_entries.unwrap_or(DEFAULT_CAPACITY)).named(&entry.name).max_ttl(*ttl),
            ))),
            CacheSpec::Disk { path, max_entries, max_size, ttl } => {
                let dir = path.clone().or_else(|| cache_dir.map(Path::to_path_buf)).or_else(default_dir);
                match dir {
                    Some(dir) => Ok(Store::Disk(Arc::new(DiskBackend::new(
                        &entry.name,
                        dir,
                        max_entries.unwrap_or(DEFAULT_MAX_ENTRIES),
                        max_size.unwrap_or(DEFAULT_MAX_SIZE),
                        *ttl,
                    )))),
                    None => Err(fail(format!(
                        "cache '{}' has no 'path' and this system has no cache folder: give one (or --cache-dir)",
                        entry.name
                    ))),
                }
            }
            CacheSpec::Redis(spec) => redis(&entry.name, spec).map(Store::Redis).map_err(fail),
            CacheSpec::Tiers(names) => {
                let tiers: Vec<(String, Store)> = names
                    .iter()
                    .filter_map(|name| match built.iter().find(|b| b.name == *name) {
                        Some(b) => Some((name.clone(), b.store.clone())),
                        None if name == MEMORY => {
                            Some((name.clone(), Store::Memory(Arc::new(MemoryBackend::default()))))
                        }
                        // Declared but failed: its own error says why.
                        None => None,
                    })
                    .collect();
                let backends = tiers.iter().map(|(_, s)| s.backend()).collect();
                Tiered::new(backends).map(|t| Store::Tiers(tiers, Arc::new(t))).map_err(fail)
            }
        };
        match store {
            Ok(store) => built.push(Built { name: entry.name.clone(), store, declared: Some(entry.at.clone()) }),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(built) } else { Err(errors) }
}

fn redis(name: &str, spec: &RedisSpec) -> Result<Arc<RedisBackend>, String> {
    let url = match &spec.url {
        RedisUrl::Text(url) => Ok(url.clone()),
        RedisUrl::Env(var) => std::env::var(var).map_err(|_| format!("the environment variable {var} is not set")),
    };
    let settings = RedisSettings {
        url,
        timeout: spec.timeout.unwrap_or(DEFAULT_TIMEOUT),
        connect_timeout: spec.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
        max_ttl: spec.ttl,
        prefix: spec.prefix.clone().unwrap_or_else(|| DEFAULT_PREFIX.to_string()),
    };
    RedisBackend::new(name, &settings).map(Arc::new)
}

/// The backend `--cache-dir DIR` gives caches the manifest does not declare: memory in front of
/// the disk folder `dir`.
pub fn on_disk(dir: &Path) -> Built {
    let memory = Store::Memory(Arc::new(MemoryBackend::default()));
    let disk =
        Store::Disk(Arc::new(DiskBackend::new("disk", dir.to_path_buf(), DEFAULT_MAX_ENTRIES, DEFAULT_MAX_SIZE, None)));
    let tiers = vec![("memory".to_string(), memory), ("disk".to_string(), disk)];
    let backend = Tiered::new(tiers.iter().map(|(_, s)| s.backend()).collect()).expect("two tiers");
    Built { name: DEFAULT_CACHE.to_string(), store: Store::Tiers(tiers, Arc::new(backend)), declared: None }
}
