//! asterism-bindings: functions bound by a module manifest (`asterism.toml`) to services and
//! worker processes, so pipelines call models and services without a line of Rust.
//!
//! Takes: a manifest's path (and where workers' standard error lines go). Gives: its entries as
//! `Bound` modules (`load`), and their registration in a `Registry` (`register`), all or none.
//! Guarantees: a manifest's problems are `ManifestError`s at their line and column, never
//! panics; loading contacts nothing and starts nothing (HTTP connections open and workers start
//! on a module's first call), so `check` works without the services. Floors: `manifest`,
//! `wire`, `tensor` → `http`, `process`, `service` → `openai`, `kserve` (over `http`) → this face.

mod http;
mod kserve;
pub mod manifest;
#[cfg(feature = "onnx")]
mod onnx;
mod openai;
mod process;
mod service;
mod tensor;
mod wire;

pub use manifest::{CacheEntry, CacheSpec, Entry, Kind, ManifestError, Place};
pub use process::StderrSink;
pub use service::Service;

use asterism_registry::stdlib::{PRELUDE, STDLIB};
use asterism_registry::{Module, Registry, RegistryError};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// A manifest entry and the module that runs it.
#[derive(Debug)]
pub struct Bound {
    pub entry: Entry,
    pub module: Module,
}

/// The largest manifest read: anything bigger is not a hand-written manifest.
const MAX_MANIFEST_BYTES: u64 = 4 << 20;

/// A manifest's modules, and its call caches as declared.
#[derive(Debug, Default)]
pub struct Loaded {
    pub modules: Vec<Bound>,
    pub caches: Vec<CacheEntry>,
}

/// Reads the manifest at `path` and makes a module of each entry; workers' standard error lines
/// go to `stderr`.
pub fn load(path: &Path, stderr: StderrSink) -> Result<Loaded, Vec<ManifestError>> {
    let whole = |message: String| vec![ManifestError { at: Place { file: path.into(), line: 1, column: 1 }, message }];
    let size = std::fs::metadata(path).map_err(|e| whole(format!("cannot read the manifest: {e}")))?.len();
    if size > MAX_MANIFEST_BYTES {
        return Err(whole(format!("the manifest is larger than {} MiB", MAX_MANIFEST_BYTES >> 20)));
    }
    let text = std::fs::read_to_string(path).map_err(|e| whole(format!("cannot read the manifest: {e}")))?;
    let manifest::Manifest { entries, caches } = manifest::parse(path, &text)?;
    // One client (one keep-alive pool per host) for the modules of a connect timeout.
    let mut clients: HashMap<_, Arc<http::Client>> = HashMap::new();
    let mut client = |timeout| clients.entry(timeout).or_insert_with(|| Arc::new(http::Client::new(timeout))).clone();
    let mut bound = Vec::with_capacity(entries.len());
    for entry in entries {
        let signature = entry.signature.clone();
        let module = match &entry.kind {
            Kind::Http(spec) => http::module(signature, spec.clone(), client(spec.connect_timeout)),
            Kind::Process(spec) => process::module(signature, spec.clone(), stderr.clone()),
            Kind::OpenAi(spec) => openai::module(signature, spec.clone(), client(spec.http.connect_timeout)),
            Kind::KServe(spec) => kserve::module(signature, spec.clone(), client(spec.http.connect_timeout)),
            Kind::Onnx(spec) => {
                onnx_module(signature, spec).map_err(|message| vec![ManifestError { at: entry.at.clone(), message }])?
            }
        };
        bound.push(Bound { entry, module });
    }
    Ok(Loaded { modules: bound, caches })
}

#[cfg(feature = "onnx")]
fn onnx_module(signature: asterism_registry::Signature, spec: &manifest::OnnxSpec) -> Result<Module, String> {
    onnx::module(signature, spec)
}

#[cfg(not(feature = "onnx"))]
fn onnx_module(_: asterism_registry::Signature, _: &manifest::OnnxSpec) -> Result<Module, String> {
    Err("kind 'onnx' runs models with tract, which this build leaves out: build with the feature `onnx` (cargo build --release --features onnx)".to_string())
}

/// Registers `bound` in `registry`, all or none. `declared` says where a name was declared
/// before (another manifest), for the message of a duplicate. A module may not take a name of
/// the standard library or prelude, nor one whose last segment a standard function has (a
/// simple-name call of it would become ambiguous).
pub fn register(
    bound: &[Bound],
    registry: &mut Registry,
    declared: &dyn Fn(&str) -> Option<Place>,
) -> Result<(), Vec<ManifestError>> {
    let mut next = registry.clone();
    let mut errors = Vec::new();
    for Bound { entry, module } in bound {
        let name = &entry.signature.name;
        let error = |message: String| ManifestError { at: entry.at.clone(), message };
        if let Some(why) = shadows(name) {
            errors.push(error(why));
            continue;
        }
        match next.register(entry.signature.clone(), Some(module.clone()), &entry.version) {
            Ok(()) => {}
            Err(RegistryError::Duplicate(_)) => errors.push(error(match declared(name) {
                Some(at) => format!("module '{name}' is already declared at {at}"),
                None => format!("a function named '{name}' is already registered"),
            })),
            Err(e) => errors.push(error(e.to_string())),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    *registry = next;
    Ok(())
}

/// Why `name` would shadow the standard library, if it would.
fn shadows(name: &str) -> Option<String> {
    if name == "stdlib" || name.starts_with("stdlib.") {
        return Some(format!("'{name}': names under 'stdlib' belong to the standard library"));
    }
    let simple = name.rsplit('.').next().unwrap_or(name);
    let standard = STDLIB.iter().chain(PRELUDE).map(|(n, _)| *n);
    let clash = standard.into_iter().find(|n| *n == name || n.rsplit('.').next() == Some(simple))?;
    Some(match clash == name {
        true => format!("'{name}' is a function of the standard library's prelude"),
        false => format!("'{name}' would make calls of '{simple}' ambiguous with the standard function '{clash}'"),
    })
}
