//! The on-disk plan cache: a repeated `asterism run` of an unchanged file skips parsing and
//! checking, and `asterism serve --plan-dir` replicas share the plans one of them compiled.
//!
//! Entries are DagSpecs in their canonical encoding, keyed by blake3 of this build's version, the
//! registry fingerprint and the source, so a new build, a changed function or a changed source
//! never reuses a plan. Only pipelines without warnings are stored (a cache hit prints nothing the
//! compilation would have), and only once a run got as far as its inputs. The directory is
//! `$ASTERISM_CACHE_DIR` (relative to the working directory if relative), else `asterism` in the
//! platform's cache directory (`dirs::cache_dir`: `$XDG_CACHE_HOME` or `~/.cache` on Linux,
//! `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows), which must be absolute: empty or
//! relative location variables are ignored, as the XDG rules say, and without a location there is
//! no cache. `ASTERISM_NO_CACHE=1` turns the cache off. A server names its folder itself
//! (`path_in`). Every failure to read or write the cache is ignored: it only ever saves time.
//!
//! The cache trusts nothing it finds. A file is `MAGIC`, the format version, the blake3 hash of
//! its name and payload, the payload; anything else — a flipped byte, a truncated or foreign
//! file, a sound entry moved to another name — is a miss (`Damaged`, for the caller to say) and is replaced. Only regular files are read, never through a link
//! (`O_NOFOLLOW`) and never blocking (`O_NONBLOCK`: a FIFO cannot stall a run), and never more
//! than `MAX_ENTRY` bytes. New entries are written to a fresh file created exclusively (`O_EXCL`,
//! no-follow, mode 0600) in the cache's own user-only (0700) folder and renamed into place, so a
//! link planted there redirects nothing. The folder is bounded: past `MAX_ENTRIES` files or
//! `MAX_TOTAL` bytes the least recently used entries (by modification time, refreshed on every
//! hit) are removed.

use crate::DagSpec;
use crate::files::{self, create_private_dir, read_regular};
use asterism_registry::Registry;
use std::path::{Path, PathBuf};

/// The first bytes of every entry.
const MAGIC: &[u8; 8] = b"ASTPLAN\0";
/// The layout of an entry (magic, this version, hash, payload); a new layout gets a new number.
const VERSION: u32 = 1;
/// The header: magic, version, blake3 hash of the payload.
const HEADER: usize = MAGIC.len() + 4 + 32;
/// The largest entry read or written.
pub const MAX_ENTRY: u64 = 16 << 20;
/// At most this many entries…
pub const MAX_ENTRIES: usize = 1024;
/// …and this many bytes in all.
pub const MAX_TOTAL: u64 = 256 << 20;

/// The CLI's folder: `$ASTERISM_CACHE_DIR`, else the platform's; none when turned off.
pub fn default_dir() -> Option<PathBuf> {
    if std::env::var_os("ASTERISM_NO_CACHE").is_some_and(|v| !v.is_empty() && v != "0") {
        return None;
    }
    let base = match std::env::var_os("ASTERISM_CACHE_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => std::path::absolute(dir).ok()?,
        None => dirs::cache_dir().filter(|d| d.is_absolute())?.join("asterism"),
    };
    Some(base.join("plans"))
}

/// The entry of `source` compiled against `registry` in the CLI's folder.
pub fn path(source: &str, registry: &Registry) -> Option<PathBuf> {
    Some(path_in(&default_dir()?, source, registry))
}

/// The entry of `source` compiled against `registry` in the folder `dir`.
pub fn path_in(dir: &Path, source: &str, registry: &Registry) -> PathBuf {
    let mut h = blake3::Hasher::new();
    h.update(concat!("asterism ", env!("CARGO_PKG_VERSION"), "\0").as_bytes());
    h.update(&registry.fingerprint());
    h.update(source.as_bytes());
    dir.join(format!("{}.dag", h.finalize().to_hex()))
}

/// An entry that was there but not sound (it will be replaced by the next store).
#[derive(Debug)]
pub struct Damaged(pub String);

impl std::fmt::Display for Damaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ignoring a damaged plan cache entry ({}); it will be replaced", self.0)
    }
}

/// The DagSpec stored at `path`, if there is a sound one; `Damaged` if there is another.
pub fn load(path: &Path) -> Result<Option<DagSpec>, Damaged> {
    let Ok(Some((bytes, _))) = read_regular(path, MAX_ENTRY) else { return Ok(None) };
    match decode(&bytes, &key(path)) {
        Some(spec) => {
            // A hit: this entry was used most recently.
            files::touch(path);
            Ok(Some(spec))
        }
        None => Err(Damaged(path.file_name().unwrap_or_default().to_string_lossy().into_owned())),
    }
}

/// Stores `spec` at `path` (atomically: readers see the old entry or the whole new one), then
/// keeps the folder within its bounds.
pub fn store(path: &Path, spec: &DagSpec) {
    let Some(parent) = path.parent() else { return };
    let payload = spec.encode();
    if (HEADER + payload.len()) as u64 > MAX_ENTRY || create_private_dir(parent).is_err() {
        return;
    }
    let mut bytes = Vec::with_capacity(HEADER + payload.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&VERSION.to_le_bytes());
    bytes.extend_from_slice(&digest(&key(path), &payload));
    bytes.extend_from_slice(&payload);
    if files::write_whole(path, &bytes, true).is_ok() {
        evict(parent, MAX_ENTRIES, MAX_TOTAL);
    }
}

/// What an entry is stored under: its file name.
fn key(path: &Path) -> Vec<u8> {
    path.file_name().unwrap_or_default().as_encoded_bytes().to_vec()
}

/// The hash an entry carries: of its key and its payload.
fn digest(key: &[u8], payload: &[u8]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(&(key.len() as u64).to_le_bytes()).update(key).update(payload);
    *h.finalize().as_bytes()
}

/// The payload of an entry stored under `key` whose header and hash are right.
fn decode(bytes: &[u8], key: &[u8]) -> Option<DagSpec> {
    let (header, payload) = bytes.split_at_checked(HEADER)?;
    let (magic, rest) = header.split_at(MAGIC.len());
    let (version, hash) = rest.split_at(4);
    let sound = magic == MAGIC && version == VERSION.to_le_bytes() && hash == digest(key, payload);
    sound.then(|| DagSpec::decode(payload).ok()).flatten()
}

/// Removes the least recently used entries until at most `max_entries` files of at most
/// `max_total` bytes remain.
fn evict(dir: &Path, max_entries: usize, max_total: u64) {
    files::evict(files::list(dir, |p| p.extension().is_some_and(|x| x == "dag")), max_entries, max_total);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("asterism-plan-cache-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn spec(src: &str) -> DagSpec {
        crate::Engine::new().compile("t.cst", src).unwrap().spec().clone()
    }

    #[test]
    fn an_entry_decodes_only_when_every_byte_is_as_written_under_its_own_name() {
        let dir = temp("bytes");
        let path = dir.join("entry.dag");
        store(&path, &spec("x = 1\nout x\n"));
        let bytes = std::fs::read(&path).unwrap();
        let key = key(&path);
        assert!(decode(&bytes, &key).is_some());
        for at in [0, 9, HEADER - 1, HEADER, bytes.len() / 2, bytes.len() - 1] {
            let mut flipped = bytes.clone();
            flipped[at] ^= 1;
            assert!(decode(&flipped, &key).is_none(), "byte {at}");
        }
        assert!(decode(&bytes[..bytes.len() - 1], &key).is_none());
        assert!(decode(&bytes[..HEADER - 1], &key).is_none());
        assert!(decode(&bytes, b"other.dag").is_none(), "a sound entry under another name");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn the_folder_is_private_and_entries_are_not_shared() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp("private");
        let path = dir.join("plans").join("entry.dag");
        store(&path, &spec("x = 1\nout x\n"));
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.join("plans")), 0o700);
        assert_eq!(mode(&path), 0o600);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_least_recently_used_entries_go_first() {
        let dir = temp("evict");
        std::fs::create_dir_all(&dir).unwrap();
        let t0 = SystemTime::now();
        for k in 0..6u64 {
            let path = dir.join(format!("{k}.dag"));
            std::fs::write(&path, vec![0; 100]).unwrap();
            // Entry 0 is the most recently used, then 5, 4, …
            let age = if k == 0 { 0 } else { 10 - k };
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(t0 - std::time::Duration::from_secs(age)).unwrap();
        }
        std::fs::write(dir.join("notes.txt"), b"not an entry").unwrap();
        evict(&dir, 4, 10_000);
        let names = |dir: &Path| {
            let mut names: Vec<String> =
                std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
            names.sort();
            names
        };
        assert_eq!(names(&dir), ["0.dag", "3.dag", "4.dag", "5.dag", "notes.txt"]);
        evict(&dir, 100, 250);
        let left = std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "dag"))
            .count();
        assert_eq!(left, 2, "at most 250 bytes: two entries of 100");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
