//! `Pipeline`: a compiled pipeline, run from Python.
//!
//! Takes: a dict of inputs (`run`, `run_async`), or rows of them (`run_batch`: dicts or a
//! pyarrow Table). Gives: the dict of outputs; for a batch, one per row in row order. Guarantees: inputs are read, and outputs made, with
//! the GIL held; the run itself releases it, so Python threads and the pipeline's Python modules
//! run meanwhile, and Ctrl-C stops a run that waits (within a tenth of a second). A run that fails raises `RunError` (its errors, its finished outputs); inputs
//! that do not fit the declared types raise `InputError` naming each problem.

use crate::convert;
use crate::errors::{self, InputError};
use crate::threads::Threads;
use asterism::{Inputs, Outcome, Status};
use futures_util::StreamExt;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::sync::Arc;

/// How long a run is waited for before Python's signal handlers get a look in.
const SLICE: std::time::Duration = std::time::Duration::from_millis(100);

#[pyclass(frozen, module = "asterism._native")]
pub struct Pipeline {
    inner: asterism::Pipeline,
    runtime: Arc<Threads>,
}

impl Pipeline {
    pub fn new(inner: asterism::Pipeline, runtime: Arc<Threads>) -> Pipeline {
        Pipeline { inner, runtime }
    }

    fn read(&self, given: &Bound<'_, PyAny>) -> PyResult<Inputs> {
        convert::inputs(&self.inner, given)?.map_err(|problems| {
            let err = InputError::new_err(problems.join("; "));
            let _ = err.value(given.py()).setattr("errors", problems);
            err
        })
    }

    /// The outputs of a completed run, else its `RunError`.
    fn answer<'py>(py: Python<'py>, outcome: &Outcome) -> PyResult<Bound<'py, PyAny>> {
        match outcome.status() {
            Status::Completed => convert::outputs(py, outcome),
            Status::Failed => Err(errors::run(py, outcome)),
        }
    }
}

#[pymethods]
impl Pipeline {
    /// The pipeline's hash (hex): the same source, options and module versions give the same.
    #[getter]
    fn hash(&self) -> String {
        self.inner.hash_hex()
    }

    /// The declared inputs: name → type, in declaration order.
    #[getter]
    fn inputs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        typed(py, self.inner.inputs())
    }

    /// The outputs: name → type, in output order.
    #[getter]
    fn outputs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        typed(py, self.inner.outputs())
    }

    /// Runs the pipeline on `inputs` (a dict): the dict of its outputs.
    fn run<'py>(&self, py: Python<'py>, inputs: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let inputs = self.read(inputs)?;
        if self.inner.is_synchronous() {
            // Nothing waits: the run ends on this thread, without the runtime.
            let outcome = py.detach(|| self.inner.run_blocking(&inputs));
            return Self::answer(py, &outcome);
        }
        // Waited for in slices, so that Ctrl-C (KeyboardInterrupt) stops it between them.
        let mut run = Box::pin(self.inner.run(&inputs));
        loop {
            let slice = async { tokio::time::timeout(SLICE, &mut run).await.ok() };
            if let Some(outcome) = py.detach(|| self.runtime.block_on(slice)) {
                return Self::answer(py, &outcome);
            }
            py.check_signals()?;
        }
    }

    /// Runs the pipeline like `run`, in the running asyncio loop's default executor (the run
    /// releases the GIL): `await pipeline.run_async(inputs)`.
    fn run_async<'py>(slf: &Bound<'py, Self>, inputs: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let running = py.import("asyncio")?.call_method0("get_running_loop")?;
        running.call_method1("run_in_executor", (py.None(), slf.getattr("run")?, inputs))
    }

    /// Runs the pipeline on each row of `rows` — dicts, or a `pyarrow.Table` — up to
    /// `concurrency` runs at once: the outputs in row order, as a list of dicts (or a Table). The
    /// first failed row raises its error, unless `return_errors`: then a failed row's place holds
    /// its `RunError` or `InputError` (in a Table, its outputs are null and the column `error`
    /// says why; the column is null for the other rows).
    #[pyo3(signature = (rows, concurrency = 64, *, return_errors = false))]
    fn run_batch<'py>(
        &self,
        py: Python<'py>,
        rows: &Bound<'py, PyAny>,
        concurrency: usize,
        return_errors: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let table = rows.get_type().module().is_ok_and(|m| m.to_string().starts_with("pyarrow"));
        let rows = if table { rows.call_method0("to_pylist")? } else { rows.clone() };
        let mut inputs = Vec::new();
        for row in rows.try_iter()? {
            inputs.push(self.read(&row?));
        }
        let runs: Vec<Option<Inputs>> = inputs.iter().map(|r| r.as_ref().ok().cloned()).collect();
        let pipeline = &self.inner;
        let outcomes: Vec<Option<Outcome>> = py.detach(|| {
            self.runtime.block_on(async {
                let run = |i: Option<Inputs>| async move {
                    match i {
                        Some(i) => Some(pipeline.run(&i).await),
                        None => None,
                    }
                };
                futures_util::stream::iter(runs).map(run).buffered(concurrency.max(1)).collect().await
            })
        });
        let answers = PyList::empty(py);
        for (read, outcome) in inputs.into_iter().zip(outcomes) {
            let answer = match (read, outcome) {
                (Ok(_), Some(outcome)) => Self::answer(py, &outcome),
                (read, _) => read.and_then(|_| Err(errors::AsterismError::new_err("a row was not run"))),
            };
            match (answer, table) {
                (Ok(outputs), false) => answers.append(outputs)?,
                (Ok(outputs), true) => {
                    if return_errors {
                        outputs.set_item("error", py.None())?;
                    }
                    answers.append(outputs)?
                }
                (Err(e), false) if return_errors => answers.append(e.into_value(py))?,
                (Err(e), true) if return_errors => {
                    let row = PyDict::new(py);
                    for (name, _) in self.inner.outputs() {
                        row.set_item(name, py.None())?;
                    }
                    row.set_item("error", e.value(py).str()?)?;
                    answers.append(row)?
                }
                (Err(e), _) => return Err(e),
            }
        }
        match table {
            true => py.import("pyarrow")?.getattr("Table")?.call_method1("from_pylist", (answers,)),
            false => Ok(answers.into_any()),
        }
    }
}

/// Names and types as a dict of name → the type's text.
fn typed<'py, 'a>(
    py: Python<'py>,
    named: impl Iterator<Item = (&'a str, &'a asterism::Type)>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (name, ty) in named {
        d.set_item(name, ty.to_string())?;
    }
    Ok(d)
}
