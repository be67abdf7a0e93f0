//! `asterism._native`: the engine as a Python extension module (issue 16; docs/python.md).
//!
//! Takes: calls from the `asterism` Python package. Gives: `Engine` (Python functions and
//! manifests as modules, `compile`), `Pipeline` (`run`, `run_batch`, `hash`, `inputs`,
//! `outputs`), and the exceptions `AsterismError` ← `CompileError` (`.diagnostics`), `RunError`
//! (`.errors`, `.outputs`), `InputError` (`.errors`). Guarantees: the GIL is released while the engine compiles or runs;
//! a Python function called as a module takes it only around its call; a Python exception in a
//! module fails that node, never the interpreter. Floors: `convert` (values in and out),
//! `threads` → `errors` → `module` (Python callables as modules) → `pipeline` → `engine` → this
//! face.

mod convert;
mod engine;
mod errors;
mod module;
mod pipeline;
mod threads;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<engine::Engine>()?;
    m.add_class::<pipeline::Pipeline>()?;
    m.add("AsterismError", py.get_type::<errors::AsterismError>())?;
    m.add("CompileError", py.get_type::<errors::CompileError>())?;
    m.add("RunError", py.get_type::<errors::RunError>())?;
    m.add("InputError", py.get_type::<errors::InputError>())?;
    Ok(())
}
