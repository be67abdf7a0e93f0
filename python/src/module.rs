//! Python callables as modules of the engine.
//!
//! Takes: a callable and its signature. Gives: a module whose call takes the GIL, converts the
//! arguments by the declared parameter types, calls, and reads the result by the declared return
//! type (`convert`); an `async def` function's coroutine is run to its end by `asyncio.run` on the
//! calling thread. Guarantees: a Python exception, or a result of the wrong type, fails the call
//! with a message naming it (`ValueError: …`, `returned a value that is not Int: …`); a blocking
//! module (the default) runs on the engine's blocking threads, so calls in parallel branches
//! overlap whenever the functions release the GIL (I/O, sleeping, numpy).

use crate::{convert, errors};
use asterism::{Limits, Module, ModuleError, Type, Value};
use asterism_registry::Signature;
use pyo3::prelude::*;
use std::sync::Arc;

/// The module calling `function` with the types of `signature`.
pub fn module(py: Python<'_>, function: Py<PyAny>, signature: &Signature, blocking: bool) -> PyResult<Module> {
    let coroutine: bool = py.import("inspect")?.getattr("iscoroutinefunction")?.call1((&function,))?.extract()?;
    let asyncio_run = py.import("asyncio")?.getattr("run")?.unbind();
    let call = Arc::new(Call {
        function,
        coroutine: coroutine.then_some(asyncio_run),
        params: signature.params.iter().map(|p| p.ty.clone()).collect(),
        ret: signature.ret.clone(),
        limits: Limits::default(),
    });
    Ok(match blocking || coroutine {
        true => Module::blocking(move |args: Vec<Value>| call.call(&args)),
        false => Module::sync(move |args: &[Value]| call.call(args)),
    })
}

struct Call {
    function: Py<PyAny>,
    /// `asyncio.run`, for an `async def` function.
    coroutine: Option<Py<PyAny>>,
    params: Vec<Type>,
    ret: Type,
    limits: Limits,
}

impl Call {
    fn call(&self, args: &[Value]) -> Result<Value, ModuleError> {
        Python::attach(|py| {
            let failed = |e: PyErr| ModuleError::new(errors::described(py, &e));
            let args = convert::arguments(py, args, &self.params).map_err(failed)?;
            let mut out = self.function.bind(py).call1(args).map_err(failed)?;
            if let Some(run) = &self.coroutine {
                out = run.bind(py).call1((out,)).map_err(failed)?;
            }
            convert::result(&out, &self.ret, &self.limits).map_err(ModuleError::new)
        })
    }
}
