//! asterism-compiler: from a parsed program to a checked, typed program.
//!
//! Stages: `resolve` (functions and namespaces, SPEC §3.7/§4.5) is used by `check` (types, SPEC
//! §3–§6), which produces the `typed` tree and the diagnostics. The compiler does no IO and no
//! async work. Lowering, planning and hashing arrive with the engine.

pub mod check;
pub mod resolve;
pub mod typed;

pub use check::{Checked, check};

use asterism_lang::{Diagnostic, diagnostic};
use asterism_registry::Registry;

/// The front end in one call: parse and check `src`, all diagnostics sorted by position.
pub fn compile(src: &str, registry: &Registry) -> Checked {
    let parsed = asterism_lang::parse(src);
    let mut checked = check(&parsed.program, registry, src);
    let mut diagnostics: Vec<Diagnostic> = parsed.diagnostics;
    diagnostics.append(&mut checked.diagnostics);
    diagnostic::sort(&mut diagnostics);
    checked.diagnostics = diagnostics;
    checked
}
