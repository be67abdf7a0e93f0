//! The driver: runs the stages in order — parse and check (`check_source`), then lower
//! (`ir`), then optimise and plan (`compile`). Diagnostics of every stage are sorted by position;
//! a program with an error never reaches `lower`.

use crate::check::Checked;
use crate::{check, lower, optimise, plan};
use asterism_lang::{Diagnostic, diagnostic};
use asterism_registry::{DagSpec, Registry};
use std::sync::Arc;

/// The front end in one call: parse and check `src`, all diagnostics sorted by position.
pub fn check_source(src: &str, registry: &Registry) -> Checked {
    let parsed = asterism_lang::parse(src);
    let mut checked = check::check(&parsed.program, registry, src);
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
