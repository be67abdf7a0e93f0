//! `Engine`: the registry of modules (Python functions, manifests) and the compiler.
//!
//! Takes: `register(name, fn, signature, blocking=True)`, `load_manifest(path)`,
//! `compile(source, name="pipeline.cst")`. Gives: `Pipeline`s sharing this engine's modules,
//! caches and tokio runtime. Guarantees: compiling releases the GIL; a bad signature, manifest or
//! source raises `AsterismError` / `CompileError` with the engine's own words.

use crate::errors::{self, AsterismError};
use crate::module;
use crate::pipeline::Pipeline;
use crate::threads::Threads;
use asterism_registry::Signature;
use pyo3::prelude::*;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

#[pyclass(frozen, module = "asterism._native")]
pub struct Engine {
    inner: Mutex<asterism::Engine>,
    runtime: Arc<Threads>,
}

impl Engine {
    fn engine(&self) -> PyResult<std::sync::MutexGuard<'_, asterism::Engine>> {
        self.inner.lock().map_err(|_| AsterismError::new_err("the engine was left unusable by a panic"))
    }
}

#[pymethods]
impl Engine {
    #[new]
    fn new() -> PyResult<Engine> {
        let threads =
            Threads::new().map_err(|e| AsterismError::new_err(format!("cannot start the engine's threads: {e}")))?;
        Ok(Engine { inner: Mutex::new(asterism::Engine::new()), runtime: Arc::new(threads) })
    }

    /// Binds the Python callable `function` as the module `name` with `signature`, e.g.
    /// `(text: String) -> List<Float>`. `blocking` (the default) runs its calls on the engine's
    /// blocking threads, so that calls in parallel branches overlap; `blocking=False` calls it
    /// on the run's own thread (cheaper for a quick pure function).
    #[pyo3(signature = (name, function, signature, *, blocking = true))]
    fn register(
        &self,
        py: Python<'_>,
        name: &str,
        function: Py<PyAny>,
        signature: &str,
        blocking: bool,
    ) -> PyResult<()> {
        if !function.bind(py).is_callable() {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!("{name}: the module must be callable")));
        }
        let parsed = Signature::parse(name, signature).map_err(|e| AsterismError::new_err(format!("{name}: {e}")))?;
        let module = module::module(py, function, &parsed, blocking)?;
        let mut engine = self.engine()?;
        engine.register_module(name, signature, module, "python").map_err(|e| AsterismError::new_err(e.to_string()))
    }

    /// Binds the modules of a manifest (`asterism.toml`: http, process, openai, kserve, onnx).
    fn load_manifest(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let loaded = py.detach(|| self.engine().map(|mut e| e.load_manifest(&path)))?;
        loaded.map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            AsterismError::new_err(lines.join("\n"))
        })
    }

    /// Compiles `source` (diagnostics name it `name`).
    #[pyo3(signature = (source, name = "pipeline.cst"))]
    fn compile(&self, py: Python<'_>, source: &str, name: &str) -> PyResult<Pipeline> {
        let compiled = py.detach(|| self.engine().map(|e| e.compile(name, source)))?;
        match compiled {
            Ok(pipeline) => Ok(Pipeline::new(pipeline, self.runtime.clone())),
            Err(diagnostics) => Err(errors::compile(py, &diagnostics)),
        }
    }
}
