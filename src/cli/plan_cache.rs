//! The on-disk plan cache of the CLI: a repeated `asterism run` of an unchanged file skips
//! parsing and checking.
//!
//! Entries are DagSpecs in their canonical encoding, keyed by blake3 of this build's version, the
//! registry fingerprint and the source, so a new build, a changed function or a changed source
//! never reuses a plan. Only pipelines without warnings are stored (a cache hit prints nothing the
//! compilation would have). The directory is `$ASTERISM_CACHE_DIR` (relative to the working
//! directory if relative), else `asterism` in the platform's cache directory (`dirs::cache_dir`:
//! `$XDG_CACHE_HOME` or `~/.cache` on Linux, `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on
//! Windows), which must be absolute: empty or relative location variables are ignored, as the XDG
//! rules say, and without a location there is no cache. `ASTERISM_NO_CACHE=1` turns the cache
//! off. Every failure to read or write the cache is ignored: it only ever saves time.

use asterism::DagSpec;
use asterism_registry::Registry;
use std::path::PathBuf;

fn dir() -> Option<PathBuf> {
    if std::env::var_os("ASTERISM_NO_CACHE").is_some_and(|v| !v.is_empty() && v != "0") {
        return None;
    }
    let base = match std::env::var_os("ASTERISM_CACHE_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => std::path::absolute(dir).ok()?,
        None => dirs::cache_dir().filter(|d| d.is_absolute())?.join("asterism"),
    };
    Some(base.join("plans"))
}

/// The cache entry of `source` compiled against `registry`.
pub fn path(source: &str, registry: &Registry) -> Option<PathBuf> {
    let mut h = blake3::Hasher::new();
    h.update(concat!("asterism ", env!("CARGO_PKG_VERSION"), "\0").as_bytes());
    h.update(&registry.fingerprint());
    h.update(source.as_bytes());
    Some(dir()?.join(format!("{}.dag", h.finalize().to_hex())))
}

pub fn load(path: &PathBuf) -> Option<DagSpec> {
    DagSpec::decode(&std::fs::read(path).ok()?).ok()
}

pub fn store(path: &PathBuf, spec: &DagSpec) {
    let Some(parent) = path.parent() else { return };
    if std::fs::create_dir_all(parent).is_err() {
        return;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, spec.encode()).is_ok() && std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}
