//! asterism-compiler: from source text to a content-hashed DagSpec.
//!
//! Stages, each a free function named after itself: `resolve` (functions and namespaces, SPEC
//! §3.7/§4.5) serves `check` (types, SPEC §3–§6), which gives the `typed` tree and diagnostics;
//! `lower` turns a program without errors into IR (the DagSpec node language), `optimise` folds
//! constants and merges pure duplicates, `plan` drops what no run needs and gives the final
//! DagSpec, identified by `DagSpec::hash`. `cache` memoises the whole pipeline per source text and
//! registry. The compiler does no IO and no async work.

pub mod cache;
pub mod check;
pub mod lower;
pub mod optimise;
pub mod plan;
pub mod resolve;
pub mod typed;

pub use cache::CompileCache;
pub use check::{Checked, check};

use asterism_lang::{Diagnostic, diagnostic};
use asterism_registry::{DagSpec, Registry};
use std::sync::Arc;

/// The front end in one call: parse and check `src`, all diagnostics sorted by position.
pub fn check_source(src: &str, registry: &Registry) -> Checked {
    let parsed = asterism_lang::parse(src);
    let mut checked = check(&parsed.program, registry, src);
    let mut diagnostics: Vec<Diagnostic> = parsed.diagnostics;
    diagnostics.append(&mut checked.diagnostics);
    diagnostic::sort(&mut diagnostics);
    checked.diagnostics = diagnostics;
    checked
}

/// A compiled pipeline: the plan, its content hash, and the warnings of its compilation.
#[derive(Debug)]
pub struct Compiled {
    pub spec: DagSpec,
    pub hash: [u8; 32],
    pub warnings: Vec<Diagnostic>,
}

/// The IR of `src`: lowered, not yet optimised or planned.
pub fn ir(src: &str, registry: &Registry) -> Result<DagSpec, Vec<Diagnostic>> {
    let checked = check_source(src, registry);
    if checked.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(checked.diagnostics);
    }
    Ok(lower::lower(&checked.program, registry, src))
}

/// Compiles `src` to a DagSpec, or gives every diagnostic when there is an error.
pub fn compile(src: &str, registry: &Registry) -> Result<Arc<Compiled>, Vec<Diagnostic>> {
    let checked = check_source(src, registry);
    if checked.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(checked.diagnostics);
    }
    let mut ir = lower::lower(&checked.program, registry, src);
    optimise::optimise(&mut ir);
    let spec = plan::plan(ir);
    let hash = spec.hash();
    Ok(Arc::new(Compiled { spec, hash, warnings: checked.diagnostics }))
}
