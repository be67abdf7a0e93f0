//! Module manifests bound to an engine (`Engine::load_manifest`), and what they bound.
//!
//! Takes: a manifest's path (docs/modules.md). Gives: its modules registered in the engine, all
//! or none, and `BoundModule`s describing each (name, kind, signature, where it was declared),
//! which `asterism modules` lists. Guarantees: a bad manifest changes nothing and gives every
//! problem with its line and column; workers' standard error lines reach the engine's reporter
//! (as set when they are written) prefixed by the module's name.

use crate::Engine;
use asterism_bindings::{ManifestError, Place, Service, StderrSink};
use asterism_registry::{Notice, NoticeKind, Reporter};
use std::path::Path;
use std::sync::{Arc, RwLock};

/// A module a manifest bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundModule {
    pub name: String,
    /// `http` or `process`.
    pub kind: &'static str,
    /// `(text: String) -> List<Float>`.
    pub signature: String,
    pub version: String,
    /// Where its table starts.
    pub declared: Place,
    /// The service its calls go to, for the kinds that call one (a server's readiness check).
    pub service: Option<Service>,
}

/// The reporter workers' lines go to: the engine's current one.
pub(crate) type SharedReporter = Arc<RwLock<Arc<dyn Reporter>>>;

impl Engine {
    /// Binds the modules of the manifest at `path`: each becomes a function pipelines compiled
    /// from now on can call; and its caches: each `[caches.NAME]` is where `cache_backend:
    /// "NAME"` stores from now on. Nothing is contacted or started until a module's first call
    /// (a cache's first use).
    pub fn load_manifest(&mut self, path: impl AsRef<Path>) -> Result<(), Vec<ManifestError>> {
        let reporter = self.worker_reporter.clone();
        let sink: StderrSink = Arc::new(move |module: &str, line: &str| {
            let reporter = reporter.read().map_or_else(|e| e.into_inner().clone(), |r| r.clone());
            reporter.report(Notice { kind: NoticeKind::Worker, message: format!("[{module}] {line}"), line: 0 });
        });
        let loaded = asterism_bindings::load(path.as_ref(), sink)?;
        let before = &self.bound;
        let declared = |name: &str| before.iter().find(|b| b.name == name).map(|b| b.declared.clone());
        let caches = crate::cache::build(&loaded.caches, self.cache_dir.as_deref())?;
        asterism_bindings::register(&loaded.modules, &mut self.registry, &declared)?;
        self.bind_caches(caches);
        self.bound.extend(loaded.modules.into_iter().map(|b| {
            let sig = &b.entry.signature;
            BoundModule {
                kind: b.entry.kind.name(),
                signature: sig.to_string()[sig.name.len()..].to_string(),
                name: sig.name.clone(),
                service: Service::of(&b.entry.kind),
                version: b.entry.version,
                declared: b.entry.at,
            }
        }));
        Ok(())
    }

    /// The modules bound by manifests, in the order they were declared.
    pub fn bound_modules(&self) -> &[BoundModule] {
        &self.bound
    }
}
