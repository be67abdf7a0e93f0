//! The disk backend: cached call results as files, shared by every process that names the folder.
//!
//! Takes: a folder (`--cache-dir`, a manifest's `path`, else `calls` in the platform's cache
//! folder), bounds on entries and bytes, a cap on time to live. Gives: one file per key at
//! `<dir>/<2 hex>/<62 hex>`, in the `codec` format. Guarantees: readers see an entry whole or not
//! at all (written aside and renamed: two processes racing on a key both write whole files, the
//! last rename wins); a damaged, foreign or expired file is a miss (replaced by the call's
//! result); a link planted for an entry is a miss, never followed; nothing is
//! read through a link or from anything but a regular file; the folder is kept within its bounds
//! by sweeps on a thread of their own (at most one at a time across processes, by a lock file),
//! least recently used first; a failing write (full or read-only disk, no permission) stops
//! writes for `PAUSE` and is said once — reads go on, calls run uncached.

use super::codec;
use crate::files;
use asterism_registry::value::Value;
use asterism_runtime::cache::{CacheBackend, CacheKey, Counters, Found, Lookup, TierStats};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, SystemTime};

/// The largest entry read or written.
const MAX_ENTRY: u64 = 16 << 20;
/// How long writes stop after one failed.
const PAUSE: Duration = Duration::from_secs(30);
/// A hit refreshes an entry's time of use when it is older than this.
const REFRESH: Duration = Duration::from_secs(60);
/// Temporary files older than this are leftovers of a crashed writer.
const STALE_TMP: Duration = Duration::from_secs(3600);
pub const DEFAULT_MAX_ENTRIES: usize = 100_000;
pub const DEFAULT_MAX_SIZE: u64 = 1 << 30;

#[derive(Debug)]
pub struct DiskBackend {
    name: String,
    dir: PathBuf,
    max_entries: usize,
    max_size: u64,
    max_ttl: Option<Duration>,
    counters: Counters,
    /// Unix ms until which writes are skipped after a failure.
    paused_until: AtomicU64,
    /// Bytes and entries written since the last sweep began.
    written_bytes: AtomicU64,
    written_entries: AtomicU64,
    sweeping: Arc<AtomicBool>,
}

/// What a folder holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub entries: u64,
    pub bytes: u64,
}

impl DiskBackend {
    /// The backend `name` over `dir` (created on the first write), within its bounds. A sweep
    /// starts at once, off the caller's thread.
    pub fn new(name: &str, dir: PathBuf, max_entries: usize, max_size: u64, max_ttl: Option<Duration>) -> DiskBackend {
        let backend = DiskBackend {
            name: name.to_string(),
            dir,
            max_entries: max_entries.max(1),
            max_size: max_size.max(1),
            max_ttl,
            counters: Counters::default(),
            paused_until: AtomicU64::new(0),
            written_bytes: AtomicU64::new(0),
            written_entries: AtomicU64::new(0),
            sweeping: Arc::new(AtomicBool::new(false)),
        };
        if backend.dir.is_dir() {
            backend.sweep();
        }
        backend
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &CacheKey) -> PathBuf {
        let hex = blake3::Hash::from_bytes(*key).to_hex();
        self.dir.join(&hex[..2]).join(&hex[2..])
    }

    fn fault(&self, what: &str, e: &std::io::Error) {
        self.counters.fault(|| {
            format!(
                "cache '{}' (disk at {}): cannot {what}: {e}; calls run uncached where it fails",
                self.name,
                self.dir.display()
            )
        });
    }

    /// Starts a sweep on a thread of its own unless one is running in this process.
    fn sweep(&self) {
        if self.sweeping.swap(true, Relaxed) {
            return;
        }
        self.written_bytes.store(0, Relaxed);
        self.written_entries.store(0, Relaxed);
        let (dir, sweeping) = (self.dir.clone(), self.sweeping.clone());
        let (max_entries, max_size) = (self.max_entries, self.max_size);
        let started = std::thread::Builder::new().name("asterism-cache-sweep".into()).spawn(move || {
            sweep(&dir, max_entries, max_size);
            sweeping.store(false, Relaxed);
        });
        if started.is_err() {
            self.sweeping.store(false, Relaxed);
        }
    }

    /// The entries and bytes in the folder now.
    pub fn usage(&self) -> Usage {
        let (entries, bytes) = entries(&self.dir).fold((0, 0), |(n, b), (_, len, _)| (n + 1, b + len));
        Usage { entries, bytes }
    }

    /// Removes every entry; gives what was removed.
    pub fn clear(&self) -> std::io::Result<Usage> {
        let mut removed = Usage::default();
        for (_, len, path) in entries(&self.dir) {
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    removed.entries += 1;
                    removed.bytes += len;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(removed)
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Whether `name` is an entry's: 62 hex digits in a folder of 2.
fn is_entry(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.len() == 62 && n.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The fan-out folders of `dir`.
fn folders(dir: &Path) -> impl Iterator<Item = PathBuf> {
    let dir = dir.to_path_buf();
    (0..=255u8).map(move |b| dir.join(format!("{b:02x}")))
}

fn entries(dir: &Path) -> impl Iterator<Item = files::Used> {
    folders(dir).flat_map(|folder| files::list(&folder, is_entry))
}

/// Keeps `dir` within its bounds and removes stale temporary files, unless another process is
/// sweeping it.
fn sweep(dir: &Path, max_entries: usize, max_size: u64) {
    let Ok(lock) = std::fs::File::options().create(true).truncate(false).write(true).open(dir.join(".sweep")) else {
        return;
    };
    if lock.try_lock().is_err() {
        return;
    }
    let stale = SystemTime::now() - STALE_TMP;
    for folder in folders(dir) {
        let tmp = |p: &Path| p.extension().is_some_and(|x| x == "tmp");
        for (modified, _, path) in files::list(&folder, tmp) {
            if modified < stale {
                let _ = std::fs::remove_file(path);
            }
        }
    }
    files::evict(entries(dir).collect(), max_entries, max_size);
}

impl CacheBackend for DiskBackend {
    fn get(&self, key: &CacheKey) -> Lookup<'_> {
        let path = self.path(key);
        let found = match files::read_regular(&path, MAX_ENTRY) {
            Ok(Some((bytes, modified))) => match codec::decode(key, &bytes, now_ms()) {
                Some((value, ttl)) => {
                    if modified.elapsed().is_ok_and(|age| age > REFRESH) {
                        files::touch(&path);
                    }
                    Some(Found { value, ttl, tier: 0 })
                }
                // Expired, damaged or foreign: a miss. Not removed here (another process may have
                // just put a sound entry in its place); the call's result replaces it.
                None => None,
            },
            Ok(None) => None,
            Err(e) => {
                self.fault("read", &e);
                None
            }
        };
        match self.counters.looked(found) {
            Some(found) => Lookup::Found(found),
            None => Lookup::Miss,
        }
    }

    fn insert(&self, key: &CacheKey, value: &Value, ttl: Duration) {
        let now = now_ms();
        if now < self.paused_until.load(Relaxed) {
            return;
        }
        let ttl = self.max_ttl.map_or(ttl, |cap| ttl.min(cap));
        let expires = now.saturating_add(ttl.as_millis().try_into().unwrap_or(u64::MAX));
        let Some(bytes) = codec::encode(key, value, expires).filter(|b| b.len() as u64 <= MAX_ENTRY) else { return };
        let path = self.path(key);
        let mut written = files::write_whole(&path, &bytes, false);
        if written.as_ref().is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
            written = path
                .parent()
                .map_or(Ok(()), files::create_private_dir)
                .and_then(|()| files::write_whole(&path, &bytes, false));
        }
        if let Err(e) = written {
            self.paused_until.store(now + PAUSE.as_millis() as u64, Relaxed);
            self.fault("write", &e);
            return;
        }
        self.counters.wrote();
        let bytes = self.written_bytes.fetch_add(bytes.len() as u64, Relaxed) + bytes.len() as u64;
        let entries = self.written_entries.fetch_add(1, Relaxed) + 1;
        if bytes > self.max_size / 10 || entries > self.max_entries as u64 / 10 {
            self.sweep();
        }
    }

    fn tiers(&self) -> Vec<TierStats> {
        vec![self.counters.stats(&self.name, "disk", None)]
    }

    fn warning(&self) -> Option<String> {
        self.counters.warning()
    }

    fn answers_at_once(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(backend: &DiskBackend, key: &CacheKey) -> Option<Value> {
        match backend.get(key) {
            Lookup::Found(f) => Some(f.value),
            _ => None,
        }
    }

    #[test]
    fn entries_read_back_and_damaged_or_expired_ones_are_misses() {
        let dir = tempfile::tempdir().unwrap();
        let disk = DiskBackend::new("local", dir.path().join("calls"), 100, 1 << 20, None);
        let key = [3; 32];
        disk.insert(&key, &Value::str("hello"), Duration::from_secs(60));
        assert_eq!(format!("{:?}", found(&disk, &key)), format!("{:?}", Some(Value::str("hello"))));
        let path = disk.path(&key);
        let mut bytes = std::fs::read(&path).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(found(&disk, &key).is_none(), "a flipped bit is a miss");
        disk.insert(&key, &Value::Int(1), Duration::from_millis(1));
        std::thread::sleep(Duration::from_millis(5));
        assert!(found(&disk, &key).is_none(), "expired");
        let stats = &disk.tiers()[0];
        assert_eq!((stats.hits, stats.misses, stats.writes, stats.errors), (1, 2, 2, 0));
        assert_eq!(disk.usage().entries, 1, "an expired file stays until replaced or swept");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_planted_for_an_entry_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let disk = DiskBackend::new("local", dir.path().join("calls"), 100, 1 << 20, None);
        let key = [4; 32];
        disk.insert(&key, &Value::Int(5), Duration::from_secs(60));
        let path = disk.path(&key);
        let real = dir.path().join("real");
        std::fs::rename(&path, &real).unwrap();
        let target = std::fs::read(&real).unwrap();
        std::os::unix::fs::symlink(&real, &path).unwrap();
        assert!(found(&disk, &key).is_none());
        assert_eq!(disk.tiers()[0].errors, 0, "a link is a miss, not a fault of the store");
        disk.insert(&key, &Value::Int(6), Duration::from_secs(60));
        assert!(!path.is_symlink(), "the entry replaced the link");
        assert!(matches!(found(&disk, &key), Some(Value::Int(6))));
        assert_eq!(std::fs::read(&real).unwrap(), target, "the link's target was not written");
    }

    #[test]
    fn the_folder_is_kept_within_its_bounds_least_recently_used_first() {
        let dir = tempfile::tempdir().unwrap();
        let disk = DiskBackend::new("local", dir.path().join("calls"), 10, 1 << 20, None);
        for k in 0..30u8 {
            disk.insert(&[k; 32], &Value::Int(k.into()), Duration::from_secs(60));
        }
        while disk.sweeping.load(Relaxed) {
            std::thread::sleep(Duration::from_millis(1));
        }
        sweep(disk.dir(), 10, 1 << 20);
        assert_eq!(disk.usage().entries, 10);
        assert!(found(&disk, &[29; 32]).is_some(), "the newest stays");
        let cleared = disk.clear().unwrap();
        assert_eq!((cleared.entries, disk.usage().entries), (10, 0));
    }
}
