//! Runtime values (SPEC §8.1), without per-value type tags.
//!
//! A value's representation is fixed by its static type, which the DAG's type table knows:
//! - `Int`, `Float`, `Boolean`, `String` → `Int`, `Float`, `Bool`, `Str`;
//! - `List<T>`/`Seq<T>` → `Ints` when `T` is `Int`, `Floats` when `T` is `Float`, else `List`
//!   (so ML feature vectors and embeddings are packed);
//! - a record → `Record` holding the fields in canonical (name) order of its type;
//! - `Map<K, V>` → `Map`, entries in insertion order, keys unique;
//! - `Optional<T>` → `None`, or `Some(v)` represented as `v` itself unless `v` is `None` or a
//!   `Some` (only nested optionals allocate): see `Value::some` / `Value::unwrap_some`;
//! - a union → `Tagged(i, v)`: `i` indexes the union's members in canonical order.
//!
//! Cloning is a reference-count increment at most. Every producer of values (operators, stdlib,
//! host-module results after conversion, JSON input) keeps these invariants.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(Arc<str>),
    Ints(Arc<[i64]>),
    Floats(Arc<[f64]>),
    List(Arc<[Value]>),
    Record(Arc<[Value]>),
    Map(Arc<[(Value, Value)]>),
    #[default]
    None,
    /// `Some(v)` where `v` is `None` or itself a `Some` (any other `Some(v)` is just `v`).
    Some(Arc<Value>),
    Tagged(u32, Arc<Value>),
}

/// How the elements of a list type are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ElemKind {
    Int,
    Float,
    Any,
}

impl ElemKind {
    /// The storage of a list whose static element type is `elem`.
    pub fn of(elem: &crate::types::Type) -> ElemKind {
        match elem {
            crate::types::Type::Int => ElemKind::Int,
            crate::types::Type::Float => ElemKind::Float,
            _ => ElemKind::Any,
        }
    }
}

/// A borrowed view of any list representation.
#[derive(Clone, Copy, Debug)]
pub enum ListView<'a> {
    Ints(&'a [i64]),
    Floats(&'a [f64]),
    Values(&'a [Value]),
}

impl<'a> ListView<'a> {
    pub fn len(&self) -> usize {
        match self {
            ListView::Ints(v) => v.len(),
            ListView::Floats(v) => v.len(),
            ListView::Values(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element at `i` as a value (a clone).
    pub fn get(&self, i: usize) -> Option<Value> {
        match self {
            ListView::Ints(v) => v.get(i).map(|&n| Value::Int(n)),
            ListView::Floats(v) => v.get(i).map(|&x| Value::Float(x)),
            ListView::Values(v) => v.get(i).cloned(),
        }
    }

    pub fn iter(self) -> impl ExactSizeIterator<Item = Value> + 'a {
        (0..self.len()).map(move |i| self.get(i).unwrap_or_default())
    }

    /// The elements as Floats, converting Ints (for `Seq<N>` arguments computed in Float).
    pub fn to_f64s(&self) -> Vec<f64> {
        match self {
            ListView::Ints(v) => v.iter().map(|&n| n as f64).collect(),
            ListView::Floats(v) => v.to_vec(),
            ListView::Values(v) => v.iter().filter_map(Value::as_f64).collect(),
        }
    }

    /// A new list of the same representation holding the elements at `range`.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Value {
        match self {
            ListView::Ints(v) => Value::Ints(v[range].into()),
            ListView::Floats(v) => Value::Floats(v[range].into()),
            ListView::Values(v) => Value::List(v[range].into()),
        }
    }
}

/// Builds a list in the representation of its element kind.
#[derive(Debug)]
pub enum ListBuilder {
    Ints(Vec<i64>),
    Floats(Vec<f64>),
    Values(Vec<Value>),
}

impl ListBuilder {
    pub fn new(kind: ElemKind, capacity: usize) -> ListBuilder {
        match kind {
            ElemKind::Int => ListBuilder::Ints(Vec::with_capacity(capacity)),
            ElemKind::Float => ListBuilder::Floats(Vec::with_capacity(capacity)),
            ElemKind::Any => ListBuilder::Values(Vec::with_capacity(capacity)),
        }
    }

    /// Appends an element; an Int pushed into a Float list is converted.
    pub fn push(&mut self, v: Value) {
        match (self, v) {
            (ListBuilder::Ints(out), Value::Int(n)) => out.push(n),
            (ListBuilder::Floats(out), Value::Float(x)) => out.push(x),
            (ListBuilder::Floats(out), Value::Int(n)) => out.push(n as f64),
            (ListBuilder::Values(out), v) => out.push(v),
            (ListBuilder::Ints(out), other) => out.push(other.as_i64().unwrap_or_default()),
            (ListBuilder::Floats(out), other) => out.push(other.as_f64().unwrap_or_default()),
        }
    }

    pub fn finish(self) -> Value {
        match self {
            ListBuilder::Ints(v) => Value::Ints(v.into()),
            ListBuilder::Floats(v) => Value::Floats(v.into()),
            ListBuilder::Values(v) => Value::List(v.into()),
        }
    }
}

impl Value {
    pub fn str(s: impl Into<Arc<str>>) -> Value {
        Value::Str(s.into())
    }

    /// `Some(v)` in the representation described at the top of this module.
    pub fn some(v: Value) -> Value {
        match v {
            Value::None | Value::Some(_) => Value::Some(Arc::new(v)),
            v => v,
        }
    }

    /// The contents of a `Some` (the value must not be `None`).
    pub fn unwrap_some(self) -> Value {
        match self {
            Value::Some(inner) => Arc::unwrap_or_clone(inner),
            v => v,
        }
    }

    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }

    /// An optional value from a Rust option.
    pub fn from_option(v: Option<Value>) -> Value {
        v.map_or(Value::None, Value::some)
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// An Int or Float as `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(n) => Some(*n as f64),
            Value::Float(x) => Some(*x),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<ListView<'_>> {
        match self {
            Value::Ints(v) => Some(ListView::Ints(v)),
            Value::Floats(v) => Some(ListView::Floats(v)),
            Value::List(v) => Some(ListView::Values(v)),
            _ => None,
        }
    }

    pub fn as_record(&self) -> Option<&[Value]> {
        match self {
            Value::Record(fields) => Some(fields),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Value, Value)]> {
        match self {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }
}

/// Structural equality of two values of the same static type (SPEC §4.7): numbers numerically
/// (`0.0 == -0.0`, NaN unequal to everything), strings by scalars, lists element-wise, records
/// field by field, maps by keys and values regardless of order, union values by tag and contents.
pub fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => (*x as f64) == *y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::None, Value::None) => true,
        (Value::Some(x), Value::Some(y)) => equal(x, y),
        (Value::Tagged(t, x), Value::Tagged(u, y)) => t == u && equal(x, y),
        (Value::Record(x), Value::Record(y)) => x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| equal(a, b)),
        (Value::Map(x), Value::Map(y)) => x.len() == y.len() && same_entries(x, y),
        (a, b) => match (a.as_list(), b.as_list()) {
            (Some(ListView::Ints(x)), Some(ListView::Ints(y))) => x == y,
            (Some(l), Some(r)) => l.len() == r.len() && l.iter().zip(r.iter()).all(|(a, b)| equal(&a, &b)),
            _ => false,
        },
    }
}

/// Whether every entry of `x` is in `y` (maps of equal size, keys unique): by looking each key up
/// in a hash index of `y`, so comparing two large maps takes linear time.
fn same_entries(x: &[(Value, Value)], y: &[(Value, Value)]) -> bool {
    if y.len() <= 8 {
        return x.iter().all(|(k, v)| y.iter().any(|(k2, v2)| equal(k, k2) && equal(v, v2)));
    }
    let index: std::collections::HashMap<Equal<'_>, &Value> = y.iter().map(|(k, v)| (Equal(k), v)).collect();
    x.iter().all(|(k, v)| index.get(&Equal(k)).is_some_and(|v2| equal(v, v2)))
}

/// A value compared by `equal` and hashed by `hash`, for hash sets and maps of values.
#[derive(Clone, Copy, Debug)]
pub struct Equal<'a>(pub &'a Value);

impl PartialEq for Equal<'_> {
    fn eq(&self, other: &Self) -> bool {
        equal(self.0, other.0)
    }
}

impl Eq for Equal<'_> {}

impl Hash for Equal<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash(self.0, state);
    }
}

/// A hash under which `equal` values collide: numbers by their `f64` value (`0.0` and `-0.0`
/// alike), lists whatever their packing, maps regardless of entry order. (NaN hashes like NaN
/// but equals nothing, so it is never found again.)
pub fn hash<H: Hasher>(v: &Value, state: &mut H) {
    let number = |x: f64, state: &mut H| (if x == 0.0 { 0.0f64 } else { x }).to_bits().hash(state);
    match v {
        Value::Int(n) => number(*n as f64, state),
        Value::Float(x) => number(*x, state),
        Value::Bool(b) => b.hash(state),
        Value::Str(s) => s.hash(state),
        Value::None => 0u8.hash(state),
        Value::Some(inner) => hash(inner, state),
        Value::Tagged(tag, inner) => {
            tag.hash(state);
            hash(inner, state);
        }
        Value::Record(fields) => fields.iter().for_each(|f| hash(f, state)),
        Value::Map(entries) => {
            let sum = entries.iter().fold(0u64, |acc, (k, v)| {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                hash(k, &mut h);
                hash(v, &mut h);
                acc.wrapping_add(h.finish())
            });
            sum.hash(state);
        }
        Value::Ints(_) | Value::Floats(_) | Value::List(_) => {
            if let Some(list) = v.as_list() {
                list.len().hash(state);
                list.iter().for_each(|item| hash(&item, state));
            }
        }
    }
}

/// The ordering of `list-sort` and `sort-by` keys (SPEC §9.4): numbers numerically with NaN after
/// every number, strings by scalar values.
pub fn order(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => x.cmp(y),
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        _ => {
            let (x, y) = (a.as_f64().unwrap_or(f64::NAN), b.as_f64().unwrap_or(f64::NAN));
            match (x.is_nan(), y.is_nan()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optionals_allocate_only_when_nested() {
        let some3 = Value::some(Value::Int(3));
        assert!(matches!(some3, Value::Int(3)));
        let some_none = Value::some(Value::None);
        assert!(matches!(&some_none, Value::Some(inner) if inner.is_none()));
        let nested = Value::some(some_none.clone());
        assert!(equal(&nested.clone().unwrap_some(), &some_none));
        assert!(some_none.unwrap_some().is_none());
    }

    #[test]
    fn equality_and_order_follow_the_spec() {
        assert!(equal(&Value::Float(0.0), &Value::Float(-0.0)));
        assert!(!equal(&Value::Float(f64::NAN), &Value::Float(f64::NAN)));
        assert!(equal(&Value::Ints([1, 2].into()), &Value::List([Value::Int(1), Value::Int(2)].into())));
        let m1 = Value::Map([(Value::str("a"), Value::Int(1)), (Value::str("b"), Value::Int(2))].into());
        let m2 = Value::Map([(Value::str("b"), Value::Int(2)), (Value::str("a"), Value::Int(1))].into());
        assert!(equal(&m1, &m2));
        assert_eq!(order(&Value::str("B"), &Value::str("a")), Ordering::Less);
        assert_eq!(order(&Value::Float(f64::NAN), &Value::Float(1.0)), Ordering::Greater);
        assert_eq!(order(&Value::Int(2), &Value::Float(2.5)), Ordering::Less);
    }

    #[test]
    fn builders_pack_numbers() {
        let mut b = ListBuilder::new(ElemKind::Float, 2);
        b.push(Value::Int(1));
        b.push(Value::Float(2.5));
        assert!(matches!(b.finish(), Value::Floats(v) if *v == [1.0, 2.5]));
    }
}
