//! The built-in operations on values: arithmetic (SPEC §4.6), comparison (§4.7), field access and
//! projection (§4.13), merge (§5.5), list and record construction, interpolation (§4.15).
//!
//! Each takes values already converted to the types the checker chose (both operands Int, or both
//! Float; comparison operands at one type) and gives a value or a failure message.

use asterism_registry::dag::{Arith, Compare, MergeField, MergeShape};
use asterism_registry::limits::Limits;
use asterism_registry::text;
use asterism_registry::types::Type;
use asterism_registry::value::{self, ElemKind, ListBuilder, Value};
use std::cmp::Ordering;
use std::sync::Arc;

pub(crate) type OpResult = Result<Value, String>;

fn overflow(op: &str) -> String {
    format!("integer overflow in '{op}'")
}

pub(crate) fn arith(op: Arith, a: &Value, b: &Value) -> OpResult {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => {
            let (x, y) = (*x, *y);
            if matches!(op, Arith::Div | Arith::Rem) && y == 0 {
                return Err("division by zero".into());
            }
            let r = match op {
                Arith::Add => x.checked_add(y),
                Arith::Sub => x.checked_sub(y),
                Arith::Mul => x.checked_mul(y),
                Arith::Div => x.checked_div(y),
                // i64::MIN % -1 is 0, not an overflow (SPEC §4.6).
                Arith::Rem => Some(if y == -1 { 0 } else { x % y }),
            };
            r.map(Value::Int).ok_or_else(|| overflow(op.symbol()))
        }
        (a, b) => {
            let (x, y) = (a.as_f64().unwrap_or(f64::NAN), b.as_f64().unwrap_or(f64::NAN));
            Ok(Value::Float(match op {
                Arith::Add => x + y,
                Arith::Sub => x - y,
                Arith::Mul => x * y,
                Arith::Div => x / y,
                Arith::Rem => x % y,
            }))
        }
    }
}

pub(crate) fn neg(a: &Value) -> OpResult {
    match a {
        Value::Int(n) => n.checked_neg().map(Value::Int).ok_or_else(|| overflow("-")),
        Value::Float(x) => Ok(Value::Float(-x)),
        other => Ok(other.clone()),
    }
}

pub(crate) fn compare(op: Compare, a: &Value, b: &Value) -> bool {
    let eq = || value::equal(a, b);
    let ord = || match (a, b) {
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        _ => a.as_f64().zip(b.as_f64()).and_then(|(x, y)| x.partial_cmp(&y)),
    };
    match op {
        Compare::Eq => eq(),
        Compare::Ne => !eq(),
        Compare::Lt => ord() == Some(Ordering::Less),
        Compare::Gt => ord() == Some(Ordering::Greater),
        Compare::Le => matches!(ord(), Some(Ordering::Less | Ordering::Equal)),
        Compare::Ge => matches!(ord(), Some(Ordering::Greater | Ordering::Equal)),
    }
}

pub(crate) fn concat(a: &Value, b: &Value, limits: &Limits) -> OpResult {
    let (x, y) = (a.as_str().unwrap_or_default(), b.as_str().unwrap_or_default());
    limits.string(x.len().saturating_add(y.len()))?;
    let mut s = String::with_capacity(x.len() + y.len());
    s.push_str(x);
    s.push_str(y);
    Ok(Value::str(s))
}

fn field_of(record: &Value, index: u32) -> Value {
    record.as_record().and_then(|f| f.get(index as usize)).cloned().unwrap_or_default()
}

fn project_of(record: &Value, indices: &[u32]) -> Value {
    Value::Record(indices.iter().map(|&i| field_of(record, i)).collect())
}

/// Applies `f` to every element of a list of records, building a list of `elem` representation.
fn lift(list: &Value, elem: ElemKind, f: impl Fn(&Value) -> Value) -> Value {
    let Some(items) = list.as_list() else { return Value::List(Arc::from([])) };
    let mut out = ListBuilder::new(elem, items.len());
    for item in items.iter() {
        out.push(f(&item));
    }
    out.finish()
}

pub(crate) fn field(v: &Value, index: u32, lifted: bool, elem: ElemKind) -> Value {
    if lifted { lift(v, elem, |r| field_of(r, index)) } else { field_of(v, index) }
}

pub(crate) fn project(v: &Value, indices: &[u32], lifted: bool) -> Value {
    if lifted { lift(v, ElemKind::Any, |r| project_of(r, indices)) } else { project_of(v, indices) }
}

pub(crate) fn list(items: impl ExactSizeIterator<Item = Value>, elem: ElemKind) -> Value {
    let mut out = ListBuilder::new(elem, items.len());
    for v in items {
        out.push(v);
    }
    out.finish()
}

pub(crate) fn record(values: &[Value], layout: &[u32]) -> Value {
    Value::Record(layout.iter().map(|&i| values.get(i as usize).cloned().unwrap_or_default()).collect())
}

fn merge_records(l: &Value, r: &Value, fields: &[MergeField]) -> Value {
    Value::Record(fields.iter().map(|&(right, i)| field_of(if right { r } else { l }, i)).collect())
}

pub(crate) fn merge(shape: MergeShape, fields: &[MergeField], l: &Value, r: &Value) -> OpResult {
    match shape {
        MergeShape::Records => Ok(merge_records(l, r, fields)),
        MergeShape::ListRecord => Ok(lift(l, ElemKind::Any, |e| merge_records(e, r, fields))),
        MergeShape::RecordList => Ok(lift(r, ElemKind::Any, |e| merge_records(l, e, fields))),
        MergeShape::Lists => {
            let (a, b) = (l.as_list(), r.as_list());
            let (a, b) = (a.map_or(0, |x| x.len()), b.map_or(0, |x| x.len()));
            if a != b {
                return Err(format!("cannot merge lists of different lengths: left has {a} elements, right has {b}"));
            }
            let (ls, rs) =
                (l.as_list().into_iter().flat_map(|x| x.iter()), r.as_list().into_iter().flat_map(|x| x.iter()));
            Ok(Value::List(ls.zip(rs).map(|(x, y)| merge_records(&x, &y, fields)).collect()))
        }
    }
}

/// A piece of an interpolated string: text, or the input at an index with its type.
#[derive(Debug)]
pub(crate) enum Part {
    Text(Box<str>),
    Value(u32, Type),
}

pub(crate) fn interpolate(parts: &[Part], values: &[Value], limits: &Limits) -> OpResult {
    let (mut out, limit) = (String::new(), limits.string_bytes());
    for p in parts {
        match p {
            Part::Text(s) => out.push_str(s),
            Part::Value(i, ty) => text::text(&values[*i as usize], ty, &mut out, limit),
        }
        limits.string(out.len())?;
    }
    Ok(Value::str(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_arithmetic_fails_instead_of_wrapping() {
        let max = Value::Int(i64::MAX);
        assert_eq!(arith(Arith::Add, &max, &Value::Int(1)).unwrap_err(), "integer overflow in '+'");
        assert_eq!(arith(Arith::Div, &Value::Int(7), &Value::Int(0)).unwrap_err(), "division by zero");
        assert_eq!(arith(Arith::Div, &Value::Int(i64::MIN), &Value::Int(-1)).unwrap_err(), "integer overflow in '/'");
        assert!(matches!(arith(Arith::Rem, &Value::Int(i64::MIN), &Value::Int(-1)), Ok(Value::Int(0))));
        assert!(matches!(arith(Arith::Div, &Value::Int(-7), &Value::Int(2)), Ok(Value::Int(-3))));
        assert!(matches!(arith(Arith::Rem, &Value::Int(-7), &Value::Int(3)), Ok(Value::Int(-1))));
        assert!(matches!(arith(Arith::Rem, &Value::Float(-7.5), &Value::Float(2.0)), Ok(Value::Float(x)) if x == -1.5));
        assert_eq!(neg(&Value::Int(i64::MIN)).unwrap_err(), "integer overflow in '-'");
    }

    #[test]
    fn comparisons_with_nan_are_false_except_not_equal() {
        let nan = Value::Float(f64::NAN);
        assert!(!compare(Compare::Eq, &nan, &nan));
        assert!(compare(Compare::Ne, &nan, &nan));
        assert!(!compare(Compare::Le, &nan, &Value::Float(1.0)));
        assert!(compare(Compare::Lt, &Value::str("B"), &Value::str("a")));
    }

    #[test]
    fn merging_lists_of_different_lengths_fails() {
        let l = Value::List([Value::Record([Value::Int(1)].into())].into());
        let r = Value::List([].into());
        let e = merge(MergeShape::Lists, &[(false, 0)], &l, &r).unwrap_err();
        assert_eq!(e, "cannot merge lists of different lengths: left has 1 elements, right has 0");
    }
}
