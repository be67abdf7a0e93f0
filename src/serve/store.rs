//! The server's pipelines: compiled ones by content hash, and the names that point to them.
//!
//! Takes: pipelines compiled by `/compile` or at start, each with an optional name. Gives: a
//! pipeline by reference — a name, or its hash as 64 hex digits (bare, or after `blake3:` or, as
//! the reference's clients write it, `sha256:`) — its listing, and removal. Guarantees: a name
//! points to one pipeline at a time (compiling under a name again moves it); at most `max`
//! pipelines are held, past which a new one is refused rather than an old one dropped unseen.

use crate::Pipeline;
use parking_lot::RwLock;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::SystemTime;

/// A pipeline the server holds.
#[derive(Debug)]
pub struct Stored {
    pub pipeline: Pipeline,
    /// The pipeline's hash, 64 lowercase hex digits (`structuralHash`).
    pub hash: String,
    /// blake3 of the source text (`syntacticHash`).
    pub syntactic: String,
    pub compiled_at: SystemTime,
}

#[derive(Debug, Default)]
struct Inner {
    by_hash: HashMap<String, Arc<Stored>>,
    /// Name → hash.
    names: BTreeMap<String, String>,
}

#[derive(Debug)]
pub struct Store {
    inner: RwLock<Inner>,
    max: usize,
}

/// Why a pipeline could not be stored or removed.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The store holds its most pipelines.
    Full(usize),
    NotFound,
    /// Names point to it: remove them first (`DELETE /pipelines/{name}`).
    Named(Vec<String>),
}

impl Store {
    pub fn new(max: usize) -> Store {
        Store { inner: RwLock::new(Inner::default()), max }
    }

    /// Holds `pipeline` compiled from `source`, under `name` if given; the stored entry.
    pub fn insert(&self, pipeline: Pipeline, source: &str, name: Option<&str>) -> Result<Arc<Stored>, Refused> {
        let hash = pipeline.hash_hex();
        let mut inner = self.inner.write();
        let stored = match inner.by_hash.get(&hash) {
            Some(stored) => stored.clone(),
            None if inner.by_hash.len() >= self.max => return Err(Refused::Full(self.max)),
            None => {
                let syntactic = blake3::hash(source.as_bytes()).to_hex().to_string();
                let stored =
                    Arc::new(Stored { pipeline, hash: hash.clone(), syntactic, compiled_at: SystemTime::now() });
                inner.by_hash.insert(hash.clone(), stored.clone());
                stored
            }
        };
        if let Some(name) = name {
            inner.names.insert(name.to_string(), hash);
        }
        Ok(stored)
    }

    /// The pipeline `reference` names: a name first, else a hash.
    pub fn get(&self, reference: &str) -> Option<Arc<Stored>> {
        let inner = self.inner.read();
        let hash = inner.names.get(reference).map(String::as_str).unwrap_or_else(|| bare_hash(reference));
        inner.by_hash.get(hash).cloned()
    }

    /// The names pointing to the pipeline of `hash`, sorted.
    pub fn names_of(&self, hash: &str) -> Vec<String> {
        let inner = self.inner.read();
        inner.names.iter().filter(|(_, h)| *h == hash).map(|(n, _)| n.clone()).collect()
    }

    /// Every pipeline held with its names, by hash.
    pub fn list(&self) -> Vec<(Arc<Stored>, Vec<String>)> {
        let inner = self.inner.read();
        let mut all: Vec<(Arc<Stored>, Vec<String>)> = inner
            .by_hash
            .values()
            .map(|s| {
                let names = inner.names.iter().filter(|(_, h)| **h == s.hash).map(|(n, _)| n.clone()).collect();
                (s.clone(), names)
            })
            .collect();
        all.sort_by(|a, b| a.0.hash.cmp(&b.0.hash));
        all
    }

    /// Removes a name (and its pipeline, when no other name points to it), or a pipeline by hash
    /// when no name points to it.
    pub fn remove(&self, reference: &str) -> Result<(), Refused> {
        let mut inner = self.inner.write();
        if let Some(hash) = inner.names.remove(reference) {
            if !inner.names.values().any(|h| *h == hash) {
                inner.by_hash.remove(&hash);
            }
            return Ok(());
        }
        let hash = bare_hash(reference).to_string();
        if !inner.by_hash.contains_key(&hash) {
            return Err(Refused::NotFound);
        }
        let names: Vec<String> = inner.names.iter().filter(|(_, h)| **h == hash).map(|(n, _)| n.clone()).collect();
        if !names.is_empty() {
            return Err(Refused::Named(names));
        }
        inner.by_hash.remove(&hash);
        Ok(())
    }
}

/// A hash reference without its `blake3:` or `sha256:` prefix.
fn bare_hash(reference: &str) -> &str {
    reference.strip_prefix("blake3:").or_else(|| reference.strip_prefix("sha256:")).unwrap_or(reference)
}

/// Whether `name` may name a pipeline: 1 to 128 letters, digits, `_`, `-` and `.`, not a hash.
pub fn valid_name(name: &str) -> bool {
    let chars = name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    let hash_like = name.len() == 64 && name.chars().all(|c| c.is_ascii_hexdigit());
    (1..=128).contains(&name.len()) && chars && !hash_like
}
