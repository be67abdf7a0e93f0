//! Kind `onnx`: a model run in process by tract (with the feature `onnx`).
//!
//! Takes: an `OnnxSpec` and the entry's signature. Gives: the model loaded, optimised and made
//! runnable once, shared by every call and run; a module whose call turns each argument into the
//! model's input of the same position (`tensor::to_tensor`: `List<Float>` is `[1, n]`,
//! `List<List<Float>>` is `[b, n]`, Int lists are i64) and reads the chosen output (the entry's
//! `output`, else the first) as the return type. The call runs on the calling thread, as a direct
//! call of tract would; with `max_batch`, a batched module whose batches — the members' rows
//! stacked into one `[b, n]` per input — run on the blocking pool. Guarantees: a model that cannot
//! be read, or whose inputs and outputs the signature cannot match (their count, element types,
//! ranks), is an error when the manifest loads; a row of the wrong width is the call's error,
//! naming the argument.

use crate::manifest::OnnxSpec;
use crate::tensor::{self, Data, Elem, Tensor};
use asterism_registry::module::{Batched, BoxFuture};
use asterism_registry::{Module, ModuleError, Signature, Type, Value};
use std::sync::Arc;
use tract_onnx::prelude::tract_ndarray::{ArrayD, IxDyn};
use tract_onnx::prelude::{
    DatumType, Framework, InferenceModelExt, IntoRunnable, TValue, TVec, Tensor as TractTensor, TypedFact,
    TypedRunnableModel,
};
use tract_onnx::tract_hir::internal::DimLike;

struct Model {
    plan: Arc<TypedRunnableModel>,
    /// Per input: its element type (Floats as f64 when the model takes f64) and row width when fixed.
    inputs: Vec<(DatumType, Option<usize>)>,
    output: usize,
    signature: Signature,
    /// Per input: a `List<Float>` the model takes as f32 (the fast path of one call).
    packed: Vec<bool>,
    /// The return type is `List<Float>`.
    floats_out: bool,
}

/// The module of an `onnx` entry, its model loaded and checked against `signature`.
pub fn module(signature: Signature, spec: &OnnxSpec) -> Result<Module, String> {
    let shown = spec.path.display();
    let model = tract_onnx::onnx()
        .model_for_path(&spec.path)
        .and_then(|m| m.into_optimized())
        .map_err(|e| format!("cannot load the model {shown}: {e}"))?;
    let names: Vec<String> =
        model.output_outlets().map_err(|e| e.to_string())?.iter().map(|o| model.node(o.node).name.clone()).collect();
    let output = match &spec.output {
        Some(name) => names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| format!("the model {shown} has no output '{name}' (it has: {})", names.join(", ")))?,
        None => 0,
    };
    let count = model.inputs.len();
    if count != signature.params.len() {
        return Err(format!(
            "the model {shown} takes {count} inputs; the signature has {} parameters",
            signature.params.len()
        ));
    }
    let mut inputs = Vec::with_capacity(count);
    for (i, param) in signature.params.iter().enumerate() {
        let fact = model.input_fact(i).map_err(|e| e.to_string())?;
        let width = fits(fact, &param.ty, spec.max_batch.is_some())
            .map_err(|why| format!("parameter '{}' and input {i} of {shown}: {why}", param.name))?;
        inputs.push((fact.datum_type, width));
    }
    let out_fact = model.output_fact(output).map_err(|e| e.to_string())?;
    fits(out_fact, &signature.ret, false)
        .map_err(|why| format!("the return type and output '{}' of {shown}: {why}", names[output]))?;
    let plan = model.into_runnable().map_err(|e| format!("cannot prepare the model {shown}: {e}"))?;
    let floats = Type::list(Type::Float);
    let packed =
        signature.params.iter().zip(&inputs).map(|(p, (dt, _))| p.ty == floats && *dt == DatumType::F32).collect();
    let floats_out = signature.ret == floats;
    let model = Arc::new(Model { plan, inputs, output, signature, packed, floats_out });
    if let Some(max_batch) = spec.max_batch {
        let run = move |batch: Vec<Vec<Value>>| -> BoxFuture<Result<Vec<Value>, ModuleError>> {
            let model = model.clone();
            Box::pin(async move {
                let ran = tokio::task::spawn_blocking(move || {
                    let members: Vec<&[Value]> = batch.iter().map(Vec::as_slice).collect();
                    model.run(&members, true)
                })
                .await;
                ran.map_err(|e| ModuleError::new(format!("the model's run was lost: {e}")))?.map_err(ModuleError::new)
            })
        };
        return Ok(Module::Batched(Arc::new(Batched {
            run: Arc::new(run),
            max_batch: Some(max_batch),
            max_delay: spec.max_delay,
        })));
    }
    Ok(Module::sync(move |args| model.run_one(args).map_err(ModuleError::new)))
}

/// Whether a tensor of `fact` can hold a value of `ty` (rows of one call when `batched`): the
/// row width when the model fixes it.
fn fits(fact: &TypedFact, ty: &Type, batched: bool) -> Result<Option<usize>, String> {
    let (elem, depth) = tensor::tensor_type(ty)?;
    let dt = fact.datum_type;
    let ok = match elem {
        Elem::Float => matches!(dt, DatumType::F32 | DatumType::F64),
        Elem::Int => matches!(dt, DatumType::I64 | DatumType::I32),
        Elem::Bool => dt == DatumType::Bool,
        Elem::Str => false,
    };
    if !ok {
        return Err(format!("the model's {dt:?} elements cannot be {ty} values"));
    }
    let rank = fact.shape.rank();
    let wanted = match depth {
        0 => 1..=2,
        _ => 2..=2,
    };
    if !wanted.contains(&rank) || (batched && depth == 2) {
        return Err(format!(
            "a tensor of rank {rank} cannot be {ty}{}",
            if batched { " (one row per call)" } else { "" }
        ));
    }
    Ok(fact.shape.dims().last().and_then(|d| d.to_usize().ok()).filter(|_| depth > 0))
}

thread_local! {
    /// The f32 copy of a call's floats, reused from call to call.
    static ROW: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Model {
    /// Runs the model on one call's arguments.
    fn run_one(&self, args: &[Value]) -> Result<Value, String> {
        let fast = args.iter().zip(&self.packed).all(|(v, packed)| *packed && matches!(v, Value::Floats(_)));
        if !fast || !self.floats_out {
            let mut values = self.run(&[args], false)?;
            return values.pop().ok_or_else(|| "the model gave no answer".to_string());
        }
        let mut inputs: TVec<TValue> = TVec::new();
        for (i, value) in args.iter().enumerate() {
            let Value::Floats(v) = value else { unreachable!("checked above") };
            if let Some(w) = self.inputs[i].1
                && v.len() != w
            {
                let name = &self.signature.params[i].name;
                return Err(format!("argument '{name}': the model takes {w} values per row, given {}", v.len()));
            }
            let tensor = ROW.with_borrow_mut(|row| {
                row.clear();
                row.extend(v.iter().map(|&x| x as f32));
                TractTensor::from_shape(&[1, row.len()], row)
            });
            inputs.push(tensor.map_err(|e| e.to_string())?.into());
        }
        let outputs = self.plan.run(inputs).map_err(|e| format!("the model failed: {e}"))?;
        let view = outputs[self.output].to_plain_array_view::<f32>();
        match view {
            Ok(view) => Ok(Value::Floats(view.iter().map(|&x| f64::from(x)).collect())),
            Err(_) => tensor::from_tensor(&from_tract(&outputs[self.output])?, &self.signature.ret),
        }
    }

    /// Runs the model on the members' arguments (stacked into one batch when `stacked`).
    fn run(&self, members: &[&[Value]], stacked: bool) -> Result<Vec<Value>, String> {
        let mut inputs: TVec<TValue> = TVec::new();
        for (i, param) in self.signature.params.iter().enumerate() {
            let (dt, width) = self.inputs[i];
            let mut tensors = Vec::with_capacity(members.len());
            for args in members {
                let value = args.get(i).unwrap_or(&Value::None);
                let t = tensor::to_tensor(value, &param.ty, dt == DatumType::F64)
                    .map_err(|e| format!("argument '{}': {e}", param.name))?;
                if let (Some(w), Some(&given)) = (width, t.shape.last())
                    && given != w
                {
                    return Err(format!(
                        "argument '{}': the model takes {w} values per row, given {given}",
                        param.name
                    ));
                }
                tensors.push(t);
            }
            let t = match stacked {
                true => tensor::stack(&tensors)?,
                false => tensors.pop().ok_or("no arguments")?,
            };
            inputs.push(to_tract(t, dt)?.into());
        }
        let outputs = self.plan.run(inputs).map_err(|e| format!("the model failed: {e}"))?;
        let out = from_tract(&outputs[self.output])?;
        let parts = match stacked {
            true => tensor::unstack(&out, members.len())?,
            false => vec![out],
        };
        parts.iter().map(|t| tensor::from_tensor(t, &self.signature.ret)).collect()
    }
}

fn to_tract(t: Tensor, dt: DatumType) -> Result<TractTensor, String> {
    // The data is moved into the tensor, not copied.
    fn moved<T: tract_onnx::prelude::Datum>(shape: &[usize], v: Vec<T>) -> Result<TractTensor, String> {
        ArrayD::from_shape_vec(IxDyn(shape), v).map(Into::into).map_err(|e| e.to_string())
    }
    match (t.data, dt) {
        (Data::F32(v), _) => moved(&t.shape, v),
        (Data::F64(v), _) => moved(&t.shape, v),
        (Data::I64(v), DatumType::I32) => {
            let narrow: Vec<i32> = v
                .iter()
                .map(|&x| i32::try_from(x).map_err(|_| format!("{x} does not fit the model's i32")))
                .collect::<Result<_, _>>()?;
            moved(&t.shape, narrow)
        }
        (Data::I64(v), _) => moved(&t.shape, v),
        (Data::Bool(v), _) => moved(&t.shape, v),
        (Data::Bytes(_), _) => Err("strings have no tensor form for this model".to_string()),
    }
}

fn from_tract(t: &TractTensor) -> Result<Tensor, String> {
    let shape = t.shape().to_vec();
    let view = |e: tract_onnx::prelude::TractError| format!("cannot read the model's output: {e}");
    let data = match t.datum_type() {
        DatumType::F32 => Data::F32(t.to_plain_array_view::<f32>().map_err(view)?.iter().copied().collect()),
        DatumType::F64 => Data::F64(t.to_plain_array_view::<f64>().map_err(view)?.iter().copied().collect()),
        DatumType::I64 => Data::I64(t.to_plain_array_view::<i64>().map_err(view)?.iter().copied().collect()),
        DatumType::I32 => {
            Data::I64(t.to_plain_array_view::<i32>().map_err(view)?.iter().map(|&x| i64::from(x)).collect())
        }
        DatumType::Bool => Data::Bool(t.to_plain_array_view::<bool>().map_err(view)?.iter().copied().collect()),
        other => return Err(format!("the model's output has {other:?} elements, which no language type holds")),
    };
    Ok(Tensor { shape, data })
}
