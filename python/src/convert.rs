//! Values between Python and the engine, by the engine's own rules (SPEC §8.4–§8.5).
//!
//! Takes: a Python dict of inputs, a Python function's result, or engine values with their types.
//! Gives: inputs read by the engine's typed input rules through a serde view of the Python objects
//! (pythonize) — the same values and messages as the same object in a JSON document; a numpy
//! array or scalar, anywhere in the inputs or a result, is read as its `tolist()`; outputs and a module's arguments
//! as the Python objects of their JSON (SPEC §8.4: records as dicts, optionals as `None`, unions
//! as `{"tag", "value"}`), made by `json.loads` from the engine's JSON writer, the one rendering
//! (scalar arguments, whose JSON is the scalar itself, are made directly).

use asterism::{Inputs, Outcome, Pipeline, Type, Value};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use pythonize::Depythonizer;

static LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static MODULES: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Python's `json.loads` of `text`.
pub fn json_to_python<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let loads = LOADS.get_or_try_init(py, || py.import("json")?.getattr("loads").map(Bound::unbind))?;
    loads.bind(py).call1((text,))
}

/// The inputs of `pipeline` from a dict; the problems, as the engine words them, else.
pub fn inputs(pipeline: &Pipeline, given: &Bound<'_, PyAny>) -> PyResult<Result<Inputs, Vec<String>>> {
    let given = plain(given)?;
    Ok(pipeline.parse_inputs_from(&mut Depythonizer::from_object(&given)))
}

/// `v` with every numpy array or scalar in it, at any depth of dicts and lists, replaced by its
/// `tolist()` (the serde view of Python objects reads only Python's own types). `v` itself when
/// there is none, or numpy was never imported.
fn plain<'py>(v: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = v.py();
    if numpy(v) {
        return v.call_method0("tolist");
    }
    let modules = MODULES.get_or_try_init(py, || py.import("sys")?.getattr("modules").map(Bound::unbind))?;
    if !modules.bind(py).contains("numpy")? {
        return Ok(v.clone());
    }
    deep(v)
}

fn deep<'py>(v: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = v.py();
    if numpy(v) {
        return v.call_method0("tolist");
    }
    if let Ok(dict) = v.cast::<PyDict>() {
        let copy = PyDict::new(py);
        let mut changed = false;
        for (k, item) in dict.iter() {
            let new = deep(&item)?;
            changed |= !new.is(&item);
            copy.set_item(k, new)?;
        }
        return Ok(if changed { copy.into_any() } else { v.clone() });
    }
    if let Ok(list) = v.cast::<PyList>() {
        let items: Vec<Bound<'py, PyAny>> = list.iter().map(|item| deep(&item)).collect::<PyResult<_>>()?;
        let changed = items.iter().zip(list.iter()).any(|(new, old)| !new.is(&old));
        return Ok(if changed { PyList::new(py, items)?.into_any() } else { v.clone() });
    }
    Ok(v.clone())
}

/// The outputs a run finished, as a dict.
pub fn outputs<'py>(py: Python<'py>, outcome: &Outcome) -> PyResult<Bound<'py, PyAny>> {
    json_to_python(py, &outcome.outputs_json(asterism::Layout::Compact))
}

/// A module's arguments, as a tuple of Python objects: scalars made directly (as their JSON
/// would read: a Float that is not finite is `None`), anything else through its JSON.
pub fn arguments<'py>(py: Python<'py>, args: &[Value], types: &[Type]) -> PyResult<Bound<'py, PyTuple>> {
    let scalar = |(v, ty): (&Value, &Type)| -> Option<Bound<'py, PyAny>> {
        Some(match (ty, v) {
            (Type::String, Value::Str(s)) => PyString::new(py, s).into_any(),
            (Type::Int, Value::Int(n)) => n.into_pyobject(py).ok()?.into_any(),
            (Type::Float, Value::Float(x)) if x.is_finite() => x.into_pyobject(py).ok()?.into_any(),
            (Type::Boolean, Value::Bool(b)) => b.into_pyobject(py).ok()?.to_owned().into_any(),
            _ => return None,
        })
    };
    let direct: Option<Vec<Bound<'py, PyAny>>> = args.iter().zip(types).map(scalar).collect();
    match direct {
        Some(items) => PyTuple::new(py, items),
        None => PyTuple::new(py, through_json(py, args, types)?),
    }
}

/// Arguments as the Python objects of their JSON.
fn through_json<'py>(py: Python<'py>, args: &[Value], types: &[Type]) -> PyResult<Bound<'py, PyList>> {
    let mut text = String::from("[");
    for (i, (v, ty)) in args.iter().zip(types).enumerate() {
        if i > 0 {
            text.push(',');
        }
        asterism_runtime::json::write_value(v, ty, asterism::Layout::Compact, &mut text);
    }
    text.push(']');
    Ok(json_to_python(py, &text)?.cast_into::<PyList>()?)
}

/// A Python function's result as a value of `ty`, or why it is not one.
pub fn result(value: &Bound<'_, PyAny>, ty: &Type, limits: &asterism::Limits) -> Result<Value, String> {
    let value = plain(value).map_err(|e| e.to_string())?;
    asterism_runtime::json::parse_value_from(&mut Depythonizer::from_object(&value), ty, limits)
        .map_err(|problems| format!("returned a value that is not {ty}: {}", problems.join("; ")))
}

/// Whether `v` is a numpy array or scalar (which the serde view of Python objects cannot read).
fn numpy(v: &Bound<'_, PyAny>) -> bool {
    v.get_type().module().is_ok_and(|m| m == "numpy") && v.hasattr("tolist").unwrap_or(false)
}
