//! The package's exceptions, with what a caller needs to act on them as attributes.
//!
//! Takes: diagnostics of a failed compile, or the outcome of a failed run. Gives: `CompileError`
//! whose message renders like the CLI's and whose `.diagnostics` is the structured list (as
//! `check --json`); `RunError` whose message lists the failures, with `.errors` (`[{message,
//! line}]`), and `.outputs` (what the run did finish).

use crate::convert;
use asterism::{Diagnostics, Outcome};
use pyo3::prelude::*;
use pyo3::types::PyDict;

pyo3::create_exception!(asterism, AsterismError, pyo3::exceptions::PyException, "An error of the Asterism engine.");
pyo3::create_exception!(asterism, CompileError, AsterismError, "A pipeline that does not compile.");
pyo3::create_exception!(asterism, RunError, AsterismError, "A run that did not complete.");
pyo3::create_exception!(asterism, InputError, AsterismError, "Inputs that do not fit the pipeline's declared types.");

/// A `CompileError` for `diagnostics`.
pub fn compile(py: Python<'_>, diagnostics: &Diagnostics) -> PyErr {
    let err = CompileError::new_err(diagnostics.render(false).trim_end().to_string());
    let list = convert::json_to_python(py, &diagnostics.to_json().to_string());
    if let Ok(list) = list {
        let _ = err.value(py).setattr("diagnostics", list);
    }
    err
}

/// A `RunError` for a run that did not complete.
pub fn run(py: Python<'_>, outcome: &Outcome) -> PyErr {
    let lines: Vec<String> = outcome.errors().iter().map(|e| format!("line {}: {}", e.line, e.message)).collect();
    let err = RunError::new_err(format!("the run failed: {}", lines.join("; ")));
    let value = err.value(py);
    let errors: Vec<Bound<'_, PyDict>> = outcome
        .errors()
        .iter()
        .map(|e| {
            let d = PyDict::new(py);
            let _ = d.set_item("message", &e.message);
            let _ = d.set_item("line", e.line);
            d
        })
        .collect();
    let _ = value.setattr("errors", errors);
    if let Ok(outputs) = convert::outputs(py, outcome) {
        let _ = value.setattr("outputs", outputs);
    }
    err
}

/// A Python exception as the message of a failed module call: `ValueError: bad text`.
pub fn described(py: Python<'_>, err: &PyErr) -> String {
    let kind = err.get_type(py).name().map(|n| n.to_string()).unwrap_or_else(|_| "Exception".to_string());
    format!("{kind}: {}", err.value(py))
}
