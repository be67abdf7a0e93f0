//! A manifest's `[caches.NAME]` tables: the call caches `cache_backend: "NAME"` stores in.
//!
//! Takes: the tables as written. Gives: a `CacheEntry` per name, in file order — what stores it
//! (`memory`, `disk`, `redis`, or `tiers` of those) with its bounds. Guarantees: unknown kinds,
//! keys a kind does not take, bad sizes, durations and URLs, and tiers naming a cache that is not
//! declared (or tiers of tiers) are errors at their line and column; nothing is contacted and no
//! environment variable is read here.

use super::{Problems, Size, parse_duration, size};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// The most entries of a memory or disk cache a manifest may ask for.
const MAX_ENTRIES: i64 = 1 << 32;
/// The most tiers of one cache.
pub const MAX_TIERS: usize = 4;
/// The name in `tiers` of a fresh in-memory tier with the default bounds, unless a cache of
/// that name is declared.
pub const MEMORY: &str = "memory";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCache {
    kind: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    url_env: Option<Spanned<String>>,
    max_entries: Option<Spanned<i64>>,
    max_size: Option<Spanned<Size>>,
    ttl: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    connect_timeout: Option<Spanned<String>>,
    prefix: Option<Spanned<String>>,
    tiers: Option<Spanned<Vec<String>>>,
}

/// One cache of a manifest.
#[derive(Clone, Debug)]
pub struct CacheEntry {
    pub name: String,
    pub spec: CacheSpec,
    /// Where its table starts.
    pub at: super::Place,
}

/// What stores a cache's values. `ttl` caps the time any entry is kept (a call's `cache: D`
/// beyond it is shortened); sizes and counts bound what is kept.
#[derive(Clone, Debug)]
pub enum CacheSpec {
    Memory {
        max_entries: Option<usize>,
        ttl: Option<Duration>,
    },
    /// `path` relative to the manifest's folder; none: `--cache-dir`, else the platform's.
    Disk {
        path: Option<PathBuf>,
        max_entries: Option<usize>,
        max_size: Option<u64>,
        ttl: Option<Duration>,
    },
    Redis(RedisSpec),
    /// The names of other caches, top first.
    Tiers(Vec<String>),
}

#[derive(Clone, Debug)]
pub struct RedisSpec {
    pub url: RedisUrl,
    pub timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    pub ttl: Option<Duration>,
    pub prefix: Option<String>,
}

/// A Redis server's URL, written out or in an environment variable (read when it is first used,
/// so a password stays out of the file).
#[derive(Clone, Debug)]
pub enum RedisUrl {
    Text(String),
    Env(String),
}

/// The keys each kind takes.
const MEMORY_KEYS: [&str; 3] = ["kind", "max_entries", "ttl"];
const DISK_KEYS: [&str; 5] = ["kind", "path", "max_entries", "max_size", "ttl"];
const REDIS_KEYS: [&str; 7] = ["kind", "url", "url_env", "timeout", "connect_timeout", "ttl", "prefix"];

pub(super) fn read(caches: Vec<(String, Spanned<RawCache>)>, dir: &Path, p: &mut Problems<'_>) -> Vec<CacheEntry> {
    let declared: Vec<(String, bool)> =
        caches.iter().map(|(name, raw)| (name.clone(), raw.get_ref().tiers.is_some())).collect();
    let mut entries = Vec::new();
    for (name, raw) in caches {
        let start = raw.span().start;
        let raw = raw.into_inner();
        if let Some(spec) = spec(&name, raw, start, dir, &declared, p) {
            entries.push(CacheEntry { name, spec, at: (p.at)(start..start) });
        }
    }
    entries
}

fn spec(
    name: &str,
    raw: RawCache,
    start: usize,
    dir: &Path,
    declared: &[(String, bool)],
    p: &mut Problems<'_>,
) -> Option<CacheSpec> {
    let given = given(&raw);
    let kind = raw.kind.as_ref().map(|k| (k.get_ref().clone(), k.span()));
    if let Some(tiers) = raw.tiers {
        let others: Vec<_> = given.iter().filter(|(k, _)| *k != "tiers").collect();
        for (key, span) in others {
            p.add(span.clone(), format!("cache '{name}' has tiers: '{key}' belongs to the caches it names"));
        }
        return p.check(Some(tiers), |tiers| read_tiers(name, tiers, declared)).map(CacheSpec::Tiers);
    }
    let Some((kind, kind_span)) = kind else {
        p.add(start..start, format!("cache '{name}' needs a 'kind' (\"memory\", \"disk\" or \"redis\") or 'tiers'"));
        return None;
    };
    let only = |keys: &[&str], p: &mut Problems<'_>| {
        for (key, span) in &given {
            if !keys.contains(key) {
                p.add(
                    span.clone(),
                    format!("'{key}' is not a setting of a {kind} cache (it takes: {})", keys[1..].join(", ")),
                );
            }
        }
    };
    let max_entries = |p: &mut Problems<'_>, n| {
        p.check(n, |n: i64| match n {
            1..=MAX_ENTRIES => Ok(n as usize),
            _ => Err(format!("'max_entries' must be between 1 and {MAX_ENTRIES}, not {n}")),
        })
    };
    let ttl = p.check(raw.ttl, |t| parse_duration(&t));
    match kind.as_str() {
        "memory" => {
            only(&MEMORY_KEYS, p);
            Some(CacheSpec::Memory { max_entries: max_entries(p, raw.max_entries), ttl })
        }
        "disk" => {
            only(&DISK_KEYS, p);
            let path = p.check(raw.path, |path| match path.is_empty() {
                true => Err("'path' is empty".to_string()),
                false => Ok(dir.join(path)),
            });
            let max_size = p.check(raw.max_size, size);
            Some(CacheSpec::Disk { path, max_entries: max_entries(p, raw.max_entries), max_size, ttl })
        }
        "redis" => {
            only(&REDIS_KEYS, p);
            let url = match (raw.url, raw.url_env) {
                (Some(_), Some(env)) => {
                    p.add(env.span(), format!("cache '{name}' gives both 'url' and 'url_env': keep one"));
                    None
                }
                (Some(url), None) => p.check(Some(url), redis_url).map(RedisUrl::Text),
                (None, Some(env)) => p.check(Some(env), env_name).map(RedisUrl::Env),
                (None, None) => {
                    p.add(kind_span, format!("cache '{name}' of kind 'redis' needs a 'url' or a 'url_env'"));
                    None
                }
            };
            let timeout = p.check(raw.timeout, |t| parse_duration(&t));
            let connect_timeout = p.check(raw.connect_timeout, |t| parse_duration(&t));
            let prefix = p.check(raw.prefix, |prefix| match prefix.is_empty() {
                true => Err("'prefix' is empty: the cache's keys must be told apart from others".to_string()),
                false => Ok(prefix),
            });
            Some(CacheSpec::Redis(RedisSpec { url: url?, timeout, connect_timeout, ttl, prefix }))
        }
        other => {
            p.add(
                kind_span,
                format!("unknown kind '{other}' of cache '{name}': expected \"memory\", \"disk\" or \"redis\""),
            );
            None
        }
    }
}

/// The settings given, with their spans.
fn given(raw: &RawCache) -> Vec<(&'static str, std::ops::Range<usize>)> {
    let spans = [
        ("kind", raw.kind.as_ref().map(Spanned::span)),
        ("path", raw.path.as_ref().map(Spanned::span)),
        ("url", raw.url.as_ref().map(Spanned::span)),
        ("url_env", raw.url_env.as_ref().map(Spanned::span)),
        ("max_entries", raw.max_entries.as_ref().map(Spanned::span)),
        ("max_size", raw.max_size.as_ref().map(Spanned::span)),
        ("ttl", raw.ttl.as_ref().map(Spanned::span)),
        ("timeout", raw.timeout.as_ref().map(Spanned::span)),
        ("connect_timeout", raw.connect_timeout.as_ref().map(Spanned::span)),
        ("prefix", raw.prefix.as_ref().map(Spanned::span)),
        ("tiers", raw.tiers.as_ref().map(Spanned::span)),
    ];
    spans.into_iter().filter_map(|(k, s)| Some((k, s?))).collect()
}

fn read_tiers(name: &str, tiers: Vec<String>, declared: &[(String, bool)]) -> Result<Vec<String>, String> {
    if tiers.is_empty() || tiers.len() > MAX_TIERS {
        return Err(format!("cache '{name}' needs 1 to {MAX_TIERS} tiers, not {}", tiers.len()));
    }
    for (k, tier) in tiers.iter().enumerate() {
        match declared.iter().find(|(n, _)| n == tier) {
            Some((_, true)) => {
                return Err(format!("tier '{tier}' of cache '{name}' has tiers itself: name its tiers here"));
            }
            Some(_) => {}
            None if tier == MEMORY => {}
            None => {
                return Err(format!(
                    "tier '{tier}' of cache '{name}' is not a cache of this manifest (declare [caches.{tier}], or use \"memory\")"
                ));
            }
        }
        if tiers[..k].contains(tier) {
            return Err(format!("tier '{tier}' of cache '{name}' is named twice"));
        }
    }
    Ok(tiers)
}

fn redis_url(url: String) -> Result<String, String> {
    let scheme = url.split_once("://").map(|(s, _)| s);
    match scheme {
        Some("redis" | "redis+unix" | "unix") => Ok(url),
        Some("rediss") => Err(format!(
            "'{url}': this build speaks to Redis without TLS (a server beside the engine, or a local tunnel)"
        )),
        _ => Err(format!("'{url}' is not a Redis URL (redis://host:port/db, redis+unix:///path)")),
    }
}

fn env_name(var: String) -> Result<String, String> {
    match var.is_empty() || var.contains('=') || var.contains('\0') {
        true => Err(format!("'{var}' is not an environment variable name")),
        false => Ok(var),
    }
}
