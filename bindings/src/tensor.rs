//! Values as tensors and back, for model servers and in-process models.
//!
//! Takes: a value and its type; a tensor (shape and row-major data) and the type to read it as.
//! Gives: `to_tensor` — a scalar is shape `[1]`, `List<X>` is `[1, n]`, `List<List<X>>` is `[b, n]`
//! (rows of one length); Floats are FP32 (or FP64 when asked), Ints INT64, Booleans BOOL, Strings
//! BYTES. `from_tensor` — the reverse, a list type taking every element of the tensor in order, a
//! list of lists its rows (the last dimension). `stack` and `unstack` join the `[1, n]` tensors of
//! a batch into one `[b, n]` and split an answer by its first dimension. `tensor_type` says which
//! types have a tensor form, for checking signatures when a manifest loads.
//! Guarantees: a value that does not fit (ragged rows, a tensor whose size its shape does not
//! give) is an error message, never a panic.

use asterism_registry::{Type, Value};

/// A tensor's elements, row-major.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I64(Vec<i64>),
    Bool(Vec<bool>),
    Bytes(Vec<String>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Data,
}

/// The element of a type with a tensor form, and how many dimensions of lists wrap it (0–2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem {
    Float,
    Int,
    Bool,
    Str,
}

/// The element and list depth of `ty`, if it has a tensor form.
pub fn tensor_type(ty: &Type) -> Result<(Elem, usize), String> {
    let mut depth = 0;
    let mut at = ty;
    while let Type::List(inner) | Type::Seq(inner) = at {
        depth += 1;
        at = inner;
    }
    let elem = match at {
        Type::Float => Elem::Float,
        Type::Int => Elem::Int,
        Type::Boolean => Elem::Bool,
        Type::String => Elem::Str,
        _ => return Err(format!("{ty} has no tensor form (use Float, Int, Boolean or String, in up to two lists)")),
    };
    match depth {
        0..=2 => Ok((elem, depth)),
        _ => Err(format!("{ty} has no tensor form: at most two levels of lists")),
    }
}

impl Data {
    fn len(&self) -> usize {
        match self {
            Data::F32(v) => v.len(),
            Data::F64(v) => v.len(),
            Data::I64(v) => v.len(),
            Data::Bool(v) => v.len(),
            Data::Bytes(v) => v.len(),
        }
    }

    /// The v2 protocol's name of the element type.
    pub fn datatype(&self) -> &'static str {
        match self {
            Data::F32(_) => "FP32",
            Data::F64(_) => "FP64",
            Data::I64(_) => "INT64",
            Data::Bool(_) => "BOOL",
            Data::Bytes(_) => "BYTES",
        }
    }

    fn empty_like(&self) -> Data {
        match self {
            Data::F32(_) => Data::F32(Vec::new()),
            Data::F64(_) => Data::F64(Vec::new()),
            Data::I64(_) => Data::I64(Vec::new()),
            Data::Bool(_) => Data::Bool(Vec::new()),
            Data::Bytes(_) => Data::Bytes(Vec::new()),
        }
    }

    fn extend(&mut self, other: &Data, range: std::ops::Range<usize>) -> Result<(), String> {
        match (self, other) {
            (Data::F32(a), Data::F32(b)) => a.extend_from_slice(&b[range]),
            (Data::F64(a), Data::F64(b)) => a.extend_from_slice(&b[range]),
            (Data::I64(a), Data::I64(b)) => a.extend_from_slice(&b[range]),
            (Data::Bool(a), Data::Bool(b)) => a.extend_from_slice(&b[range]),
            (Data::Bytes(a), Data::Bytes(b)) => a.extend_from_slice(&b[range]),
            _ => return Err("tensors of different element types".to_string()),
        }
        Ok(())
    }
}

/// The tensor of `value`, of type `ty`; Floats as FP64 when `f64` is set, else FP32.
pub fn to_tensor(value: &Value, ty: &Type, f64: bool) -> Result<Tensor, String> {
    let (elem, depth) = tensor_type(ty)?;
    // Packed numeric lists, the common case, without a value per element.
    match (value, elem, depth) {
        (Value::Floats(v), Elem::Float, 1) if f64 => {
            return Ok(Tensor { shape: vec![1, v.len()], data: Data::F64(v.to_vec()) });
        }
        (Value::Floats(v), Elem::Float, 1) => {
            return Ok(Tensor { shape: vec![1, v.len()], data: Data::F32(v.iter().map(|&x| x as f32).collect()) });
        }
        (Value::Ints(v), Elem::Int, 1) => return Ok(Tensor { shape: vec![1, v.len()], data: Data::I64(v.to_vec()) }),
        _ => {}
    }
    let mut scalars = Vec::new();
    let shape = match depth {
        0 => {
            scalars.push(value.clone());
            vec![1]
        }
        1 => {
            let list = value.as_list().ok_or("expected a list")?;
            let n = list.len();
            scalars.extend(list.iter());
            vec![1, n]
        }
        _ => {
            let rows = value.as_list().ok_or("expected a list of lists")?;
            let mut width = None;
            let b = rows.len();
            for row in rows.iter() {
                let row = row.as_list().ok_or("expected a list of lists")?;
                match width {
                    None => width = Some(row.len()),
                    Some(w) if w != row.len() => {
                        return Err(format!("rows of different lengths ({w} and {})", row.len()));
                    }
                    Some(_) => {}
                }
                scalars.extend(row.iter());
            }
            vec![b, width.unwrap_or(0)]
        }
    };
    let wrong = || format!("a value that is not of type {ty}");
    let data = match elem {
        Elem::Float if f64 => {
            Data::F64(scalars.iter().map(|v| v.as_f64().ok_or_else(wrong)).collect::<Result<_, _>>()?)
        }
        Elem::Float => {
            Data::F32(scalars.iter().map(|v| v.as_f64().map(|x| x as f32).ok_or_else(wrong)).collect::<Result<_, _>>()?)
        }
        Elem::Int => Data::I64(scalars.iter().map(|v| v.as_i64().ok_or_else(wrong)).collect::<Result<_, _>>()?),
        Elem::Bool => Data::Bool(scalars.iter().map(|v| v.as_bool().ok_or_else(wrong)).collect::<Result<_, _>>()?),
        Elem::Str => Data::Bytes(
            scalars.iter().map(|v| v.as_str().map(str::to_string).ok_or_else(wrong)).collect::<Result<_, _>>()?,
        ),
    };
    Ok(Tensor { shape, data })
}

/// `tensor` read as a value of type `ty`.
pub fn from_tensor(tensor: &Tensor, ty: &Type) -> Result<Value, String> {
    let (elem, depth) = tensor_type(ty)?;
    let size: usize = tensor.shape.iter().product();
    if size != tensor.data.len() {
        return Err(format!("a tensor of shape {:?} with {} elements", tensor.shape, tensor.data.len()));
    }
    // Numeric lists straight from the data.
    match (&tensor.data, elem, depth) {
        (Data::F32(v), Elem::Float, 1) => return Ok(Value::Floats(v.iter().map(|&x| f64::from(x)).collect())),
        (Data::F64(v), Elem::Float, 1) => return Ok(Value::Floats(v.as_slice().into())),
        (Data::I64(v), Elem::Int, 1) => return Ok(Value::Ints(v.as_slice().into())),
        _ => {}
    }
    let scalars = scalars(&tensor.data, elem)?;
    match depth {
        0 => scalars.into_iter().next().ok_or_else(|| "an empty tensor for a single value".to_string()),
        1 => Ok(list(elem, scalars)),
        _ => {
            let width = tensor.shape.last().copied().unwrap_or(0);
            if width == 0 {
                return Ok(Value::List(Vec::new().into()));
            }
            let rows: Vec<Value> = scalars.chunks(width).map(|row| list(elem, row.to_vec())).collect();
            Ok(Value::List(rows.into()))
        }
    }
}

/// The elements of `data` as values of `elem` (numbers convert between Float and Int only
/// when exact).
fn scalars(data: &Data, elem: Elem) -> Result<Vec<Value>, String> {
    let wrong = || format!("a tensor of {} for {elem:?} values", data.datatype());
    Ok(match (data, elem) {
        (Data::F32(v), Elem::Float) => v.iter().map(|&x| Value::Float(f64::from(x))).collect(),
        (Data::F64(v), Elem::Float) => v.iter().map(|&x| Value::Float(x)).collect(),
        (Data::I64(v), Elem::Float) => v.iter().map(|&x| Value::Float(x as f64)).collect(),
        (Data::I64(v), Elem::Int) => v.iter().map(|&x| Value::Int(x)).collect(),
        (Data::Bool(v), Elem::Bool) => v.iter().map(|&x| Value::Bool(x)).collect(),
        (Data::Bytes(v), Elem::Str) => v.iter().map(|x| Value::str(x.as_str())).collect(),
        _ => return Err(wrong()),
    })
}

fn list(elem: Elem, scalars: Vec<Value>) -> Value {
    match elem {
        Elem::Float => Value::Floats(scalars.iter().filter_map(Value::as_f64).collect::<Vec<_>>().into()),
        Elem::Int => Value::Ints(scalars.iter().filter_map(Value::as_i64).collect::<Vec<_>>().into()),
        Elem::Bool | Elem::Str => Value::List(scalars.into()),
    }
}

/// The tensors of a batch's members (each `[1, …]` or `[1]`) as one, `[b, …]`.
pub fn stack(tensors: &[Tensor]) -> Result<Tensor, String> {
    let first = tensors.first().ok_or("an empty batch")?;
    let row: Vec<usize> = first.shape.iter().skip(1).copied().collect();
    let mut data = first.data.empty_like();
    for t in tensors {
        if t.shape.first() != Some(&1) || t.shape[1..] != row[..] {
            return Err(format!("members of shapes {:?} and {:?} cannot share a batch", first.shape, t.shape));
        }
        data.extend(&t.data, 0..t.data.len())?;
    }
    let mut shape = vec![tensors.len()];
    shape.extend(row);
    Ok(Tensor { shape, data })
}

/// An answer `[b, …]` split into `b` tensors `[1, …]`.
pub fn unstack(tensor: &Tensor, b: usize) -> Result<Vec<Tensor>, String> {
    if tensor.shape.first() != Some(&b) {
        return Err(format!("an answer of shape {:?} for a batch of {b}", tensor.shape));
    }
    let each = tensor.data.len() / b.max(1);
    let mut shape = tensor.shape.clone();
    shape[0] = 1;
    (0..b)
        .map(|i| {
            let mut data = tensor.data.empty_like();
            data.extend(&tensor.data, i * each..(i + 1) * each)?;
            Ok(Tensor { shape: shape.clone(), data })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_tensors_round_trip() {
        let floats = Type::list(Type::Float);
        let t = to_tensor(&Value::Floats(vec![1.0, 2.5].into()), &floats, false).unwrap();
        assert_eq!(t, Tensor { shape: vec![1, 2], data: Data::F32(vec![1.0, 2.5]) });
        assert!(matches!(from_tensor(&t, &floats).unwrap(), Value::Floats(v) if v[..] == [1.0, 2.5]));
        let rows = Type::list(Type::list(Type::Int));
        let value = Value::List(vec![Value::Ints(vec![1, 2].into()), Value::Ints(vec![3, 4].into())].into());
        let t = to_tensor(&value, &rows, false).unwrap();
        assert_eq!(t, Tensor { shape: vec![2, 2], data: Data::I64(vec![1, 2, 3, 4]) });
        assert!(asterism_registry::value::equal(&from_tensor(&t, &rows).unwrap(), &value));
        let ragged = Value::List(vec![Value::Ints(vec![1].into()), Value::Ints(vec![3, 4].into())].into());
        assert!(to_tensor(&ragged, &rows, false).unwrap_err().contains("different lengths"));
        let bad = Tensor { shape: vec![2, 2], data: Data::F32(vec![1.0]) };
        assert!(from_tensor(&bad, &floats).is_err());
        assert!(tensor_type(&Type::list(Type::list(Type::list(Type::Float)))).is_err());
    }

    #[test]
    fn a_batch_stacks_and_unstacks_by_its_first_dimension() {
        let one = |x: f32| Tensor { shape: vec![1, 2], data: Data::F32(vec![x, x]) };
        let batch = stack(&[one(1.0), one(2.0), one(3.0)]).unwrap();
        assert_eq!(batch.shape, [3, 2]);
        let parts = unstack(&batch, 3).unwrap();
        assert_eq!(parts[2], one(3.0));
        assert!(unstack(&batch, 2).is_err());
        let other = Tensor { shape: vec![1, 3], data: Data::F32(vec![0.0; 3]) };
        assert!(stack(&[one(1.0), other]).is_err());
    }
}
