//! The Redis backend: cached call results shared by processes and machines.
//!
//! Takes: a server's URL (`redis://[user:password@]host:port/db`), a timeout per request, a
//! connect timeout, a cap on time to live, a key prefix. Gives: entries `<prefix><32 key bytes>`
//! in the `codec` format, each with its expiry (`SET … PX`), so the server's own bounds
//! (`maxmemory` with `volatile-lru`) evict them. Guarantees: a request never waits past its
//! timeout; a failure (refused, reset, timed out, a server answering nonsense) is a miss or a
//! dropped write, said once, and opens a breaker — for `BREAK` (doubling up to `MAX_BREAK`) the
//! backend answers "miss" at once without asking, then lets one request through to see whether
//! the server is back; writes never make a call wait (sent in the background, at most
//! `MAX_WRITES` pending, the rest dropped). The connection lives on a one-worker runtime of its
//! own, so it outlives the runtimes of the runs that use it.

use super::codec;
use asterism_registry::value::Value;
use asterism_runtime::cache::{CacheBackend, CacheKey, Counters, Found, Lookup, TierStats};
use parking_lot::Mutex;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

/// How long the breaker stays open after the first failure…
const BREAK: Duration = Duration::from_secs(5);
/// …doubling with each failed probe up to this.
const MAX_BREAK: Duration = Duration::from_secs(60);
/// Writes in flight beyond this are dropped.
const MAX_WRITES: usize = 1024;
/// Values whose entry is larger are not stored (one huge SET would hold the connection past its
/// timeout and stop the cache for everyone).
const MAX_ENTRY: usize = 16 << 20;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(50);
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(250);
pub const DEFAULT_PREFIX: &str = "asterism:c1:";

#[derive(Debug)]
pub struct RedisBackend {
    client: Result<redis::Client, String>,
    timeout: Duration,
    connect_timeout: Duration,
    max_ttl: Option<Duration>,
    prefix: Vec<u8>,
    /// Made on first use.
    link: OnceLock<Result<Link, String>>,
    health: Arc<Health>,
    writes: Arc<AtomicUsize>,
}

/// What requests tell of the server, shared with the writes in the background.
#[derive(Debug)]
struct Health {
    name: String,
    /// Where it is, without a password: for messages.
    place: String,
    counters: Counters,
    breaker: Breaker,
}

impl Health {
    fn fault(&self, e: &str) {
        self.breaker.failed();
        self.counters.fault(|| {
            format!(
                "cache '{}' ({}): {e}; calls run uncached until it answers again (checked every {} s or more)",
                self.name,
                self.place,
                BREAK.as_secs()
            )
        });
    }
}

/// The connection and the runtime that drives it.
struct Link {
    /// Always there until dropped.
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    connection: ConnectionManager,
}

impl Drop for Link {
    /// Lets the runtime go without waiting, so a backend can be dropped anywhere (inside another
    /// runtime too); writes still pending are dropped.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Link")
    }
}

/// Unix ms until which requests are not sent, and the length of the next opening.
#[derive(Debug, Default)]
struct Breaker {
    open_until: AtomicU64,
    next: Mutex<Duration>,
}

impl Breaker {
    /// Whether requests go to the server; `false` while the breaker is open and its probe is not
    /// due.
    fn closed(&self) -> bool {
        let until = self.open_until.load(Relaxed);
        until == 0 || now_ms() >= until
    }

    /// Whether this request may go: always while closed; past an opening, only the one request
    /// that claims the probe (by moving the opening on a second). Called when the request is
    /// really sent, so a lookup made and dropped unsent claims nothing.
    fn admit(&self) -> bool {
        let until = self.open_until.load(Relaxed);
        until == 0
            || (now_ms() >= until
                && self.open_until.compare_exchange(until, now_ms() + 1_000, Relaxed, Relaxed).is_ok())
    }

    fn failed(&self) {
        let mut next = self.next.lock();
        let opening = if next.is_zero() { BREAK } else { (*next * 2).min(MAX_BREAK) };
        *next = opening;
        self.open_until.store(now_ms() + opening.as_millis() as u64, Relaxed);
    }

    fn succeeded(&self) {
        if self.open_until.load(Relaxed) != 0 {
            self.open_until.store(0, Relaxed);
            *self.next.lock() = Duration::ZERO;
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// The settings of a Redis backend.
#[derive(Clone, Debug)]
pub struct RedisSettings {
    /// The URL, or why there is none (an unset environment variable): every use is then a miss.
    pub url: Result<String, String>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_ttl: Option<Duration>,
    pub prefix: String,
}

impl RedisBackend {
    /// The backend `name`; contacts nothing until its first use. A URL that is not one is an
    /// error.
    pub fn new(name: &str, settings: &RedisSettings) -> Result<RedisBackend, String> {
        let client = match &settings.url {
            Ok(url) => Ok(redis::Client::open(url.as_str()).map_err(|e| format!("'{url}' is not a Redis URL: {e}"))?),
            Err(why) => Err(why.clone()),
        };
        let place = match &client {
            Ok(client) => format!("redis at {}", client.get_connection_info().addr()),
            Err(_) => "redis".to_string(),
        };
        let health =
            Health { name: name.to_string(), place, counters: Counters::default(), breaker: Breaker::default() };
        Ok(RedisBackend {
            client,
            timeout: settings.timeout,
            connect_timeout: settings.connect_timeout,
            max_ttl: settings.max_ttl,
            prefix: settings.prefix.as_bytes().to_vec(),
            link: OnceLock::new(),
            health: Arc::new(health),
            writes: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Where it is, without a password (`redis at host:port`).
    pub fn place(&self) -> &str {
        &self.health.place
    }

    fn link(&self) -> Result<&Link, String> {
        self.link
            .get_or_init(|| {
                let client = self.client.clone()?;
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .thread_name("asterism-redis")
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot start its runtime: {e}"))?;
                let config = ConnectionManagerConfig::new()
                    .set_number_of_retries(0)
                    .set_connection_timeout(Some(self.connect_timeout))
                    .set_response_timeout(Some(self.timeout));
                let connection = {
                    let _inside = runtime.enter();
                    ConnectionManager::new_lazy_with_config(client, config).map_err(|e| e.to_string())?
                };
                Ok(Link { handle: runtime.handle().clone(), runtime: Some(runtime), connection })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    fn key(&self, key: &CacheKey) -> Vec<u8> {
        let mut k = Vec::with_capacity(self.prefix.len() + key.len());
        k.extend_from_slice(&self.prefix);
        k.extend_from_slice(key);
        k
    }

    /// Runs `command` on the backend's runtime under the timeout.
    async fn ask<T: redis::FromRedisValue + Send + 'static>(&self, command: redis::Cmd) -> Result<T, String> {
        let link = self.link()?;
        let mut connection = link.connection.clone();
        let timeout = self.timeout + self.connect_timeout;
        let task = link.handle.spawn(async move {
            match tokio::time::timeout(timeout, command.query_async::<T>(&mut connection)).await {
                Ok(answer) => answer.map_err(|e| e.to_string()),
                Err(_) => Err(format!("no answer within {timeout:?}")),
            }
        });
        task.await.map_err(|e| e.to_string())?
    }

    /// The entries and bytes (of values) under the prefix.
    pub fn usage(&self) -> Result<(u64, u64), String> {
        self.scan(false)
    }

    /// Removes every entry under the prefix (SCAN + UNLINK; never FLUSHDB on a shared server);
    /// gives how many there were.
    pub fn clear(&self) -> Result<u64, String> {
        self.scan(true).map(|(n, _)| n)
    }

    fn scan(&self, unlink: bool) -> Result<(u64, u64), String> {
        let link = self.link()?;
        let connection = link.connection.clone();
        // The prefix matched literally: its glob characters escaped.
        let mut pattern = Vec::with_capacity(self.prefix.len() + 8);
        for &b in &self.prefix {
            if matches!(b, b'*' | b'?' | b'[' | b']' | b'\\') {
                pattern.push(b'\\');
            }
            pattern.push(b);
        }
        pattern.push(b'*');
        let prefix = self.prefix.clone();
        // Waits on the backend's runtime from a thread outside any runtime (the CLI's).
        let (answer, outcome) = std::sync::mpsc::channel();
        link.handle.spawn(async move {
            let _ = answer.send(scan(connection, pattern, &prefix, unlink).await.map_err(|e| e.to_string()));
        });
        outcome.recv().map_err(|e| e.to_string())?
    }
}

/// The count and size of the entries matching `pattern` that start with `prefix`, removed as they
/// are found if `unlink`.
async fn scan(
    mut connection: ConnectionManager,
    pattern: Vec<u8>,
    prefix: &[u8],
    unlink: bool,
) -> redis::RedisResult<(u64, u64)> {
    let (mut cursor, mut count, mut bytes) = (0u64, 0u64, 0u64);
    loop {
        let (next, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut connection)
            .await?;
        let keys: Vec<Vec<u8>> = keys.into_iter().filter(|k| k.starts_with(prefix)).collect();
        count += keys.len() as u64;
        if !keys.is_empty() && unlink {
            redis::cmd("UNLINK").arg(&keys).query_async::<u64>(&mut connection).await?;
        } else {
            for key in &keys {
                bytes += redis::cmd("STRLEN").arg(key).query_async::<u64>(&mut connection).await?;
            }
        }
        if next == 0 {
            return Ok((count, bytes));
        }
        cursor = next;
    }
}

impl CacheBackend for RedisBackend {
    fn get(&self, key: &CacheKey) -> Lookup<'_> {
        let health = &*self.health;
        if !health.breaker.closed() {
            health.counters.looked(None);
            return Lookup::Miss;
        }
        let key = *key;
        Lookup::Pending(Box::pin(async move {
            if !health.breaker.admit() {
                return health.counters.looked(None);
            }
            let mut command = redis::cmd("GET");
            command.arg(self.key(&key));
            let found = match self.ask::<Option<Vec<u8>>>(command).await {
                Ok(bytes) => {
                    health.breaker.succeeded();
                    bytes.and_then(|b| codec::decode(&key, &b, now_ms())).map(|(value, ttl)| Found {
                        value,
                        ttl,
                        tier: 0,
                    })
                }
                Err(e) => {
                    health.fault(&e);
                    None
                }
            };
            health.counters.looked(found)
        }))
    }

    fn insert(&self, key: &CacheKey, value: &Value, ttl: Duration) {
        // Writes never probe a server that failed: only lookups do.
        if self.health.breaker.open_until.load(Relaxed) != 0 {
            return;
        }
        let ttl = self.max_ttl.map_or(ttl, |cap| ttl.min(cap));
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let Some(bytes) = codec::encode(key, value, now_ms().saturating_add(ms)).filter(|b| b.len() <= MAX_ENTRY)
        else {
            return;
        };
        let link = match self.link() {
            Ok(link) => link,
            Err(e) => return self.health.fault(&e),
        };
        if self.writes.fetch_add(1, Relaxed) >= MAX_WRITES {
            self.writes.fetch_sub(1, Relaxed);
            return;
        }
        let mut command = redis::cmd("SET");
        command.arg(self.key(key)).arg(bytes).arg("PX").arg(ms);
        let mut connection = link.connection.clone();
        let (writes, health, timeout) = (self.writes.clone(), self.health.clone(), self.timeout + self.connect_timeout);
        link.handle.spawn(async move {
            match tokio::time::timeout(timeout, command.query_async::<()>(&mut connection)).await {
                Ok(Ok(())) => {
                    health.counters.wrote();
                    health.breaker.succeeded();
                }
                Ok(Err(e)) => health.fault(&e.to_string()),
                Err(_) => health.fault(&format!("no answer within {timeout:?}")),
            }
            writes.fetch_sub(1, Relaxed);
        });
    }

    fn tiers(&self) -> Vec<TierStats> {
        vec![self.health.counters.stats(&self.health.name, "redis", None)]
    }

    fn warning(&self) -> Option<String> {
        self.health.counters.warning()
    }
}
