//! Conversions of values to a more general type (SPEC §5.7) and checks of module results (§7.5).
//!
//! `Conversion::plan(from, to)` works out once, at preparation, what converting a value of static
//! type `from` to `to` takes (tagging into a union, re-tagging, dropping record fields, Int→Float,
//! repacking lists, …); `apply` then only follows the plan. `conform` checks that a value a module
//! returned has the shape of its declared type and brings it into that type's representation.

use asterism_registry::value::{ElemKind, ListBuilder, Value};
use asterism_registry::{Record, Type, is_subtype};
use std::sync::Arc;

#[derive(Clone, Debug)]
pub enum Conversion {
    /// Nothing to do.
    Identity,
    /// Int → Float.
    ToFloat,
    /// A non-union value into a union: tag with `tag`, converting the contents first.
    Tag(u32, Box<Conversion>),
    /// A union value into a union: for each source tag, the target tag and contents conversion.
    Retag(Vec<(u32, Conversion)>),
    /// A union value into a non-union type: drop the tag, converting per source member.
    Untag(Vec<Conversion>),
    /// A record into a record with the fields `(source index, conversion)`, in target order.
    Record(Vec<(u32, Conversion)>),
    /// A list converted element by element into the representation of `ElemKind`.
    List(Box<Conversion>, ElemKind),
    /// An optional's contents.
    Optional(Box<Conversion>),
    /// A map's keys and values.
    Map(Box<Conversion>, Box<Conversion>),
    /// From `Nothing`: no value has that type, but a call of that type whose failure `on_error`
    /// turned into its zero value gives one; it becomes the zero value of the target type, so it
    /// reads the same everywhere (SPEC §6.4).
    Zero(Value),
}

impl Conversion {
    /// How to convert a value of type `from` to type `to` (`from <: to`, or Int → Float).
    pub fn plan(from: &Type, to: &Type) -> Conversion {
        if from == to {
            return Conversion::Identity;
        }
        if *from == Type::Nothing {
            return Conversion::Zero(zero(to));
        }
        match (from, to) {
            (Type::Union(members), Type::Union(targets)) => Conversion::Retag(
                members
                    .iter()
                    .map(|m| {
                        let (tag, target) = union_member(m, targets);
                        (tag, Conversion::plan(m, target))
                    })
                    .collect(),
            ),
            (Type::Union(members), to) => Conversion::Untag(members.iter().map(|m| Conversion::plan(m, to)).collect()),
            (from, Type::Union(targets)) => {
                let (tag, target) = union_member(from, targets);
                Conversion::Tag(tag, Box::new(Conversion::plan(from, target)))
            }
            (Type::Int, Type::Float) => Conversion::ToFloat,
            (Type::Record(f), Type::Record(t)) => record(f, t),
            (Type::List(a) | Type::Seq(a), Type::List(b) | Type::Seq(b)) => {
                let inner = Conversion::plan(a, b);
                if matches!(inner, Conversion::Identity) && ElemKind::of(a) == ElemKind::of(b) {
                    Conversion::Identity
                } else {
                    Conversion::List(Box::new(inner), ElemKind::of(b))
                }
            }
            (Type::Optional(a), Type::Optional(b)) => match Conversion::plan(a, b) {
                Conversion::Identity => Conversion::Identity,
                inner => Conversion::Optional(Box::new(inner)),
            },
            (Type::Map(k1, v1), Type::Map(k2, v2)) => {
                Conversion::Map(Box::new(Conversion::plan(k1, k2)), Box::new(Conversion::plan(v1, v2)))
            }
            _ => Conversion::Identity,
        }
    }

    pub fn is_identity(&self) -> bool {
        matches!(self, Conversion::Identity)
    }

    pub fn apply(&self, v: Value) -> Value {
        match self {
            Conversion::Identity => v,
            Conversion::ToFloat => match v {
                Value::Int(n) => Value::Float(n as f64),
                v => v,
            },
            Conversion::Tag(tag, inner) => Value::Tagged(*tag, Arc::new(inner.apply(v))),
            Conversion::Retag(map) => match v {
                Value::Tagged(t, inner) => match map.get(t as usize) {
                    Some((tag, c)) => Value::Tagged(*tag, Arc::new(c.apply(Arc::unwrap_or_clone(inner)))),
                    None => Value::Tagged(t, inner),
                },
                v => v,
            },
            Conversion::Untag(per_member) => match v {
                Value::Tagged(t, inner) => {
                    let inner = Arc::unwrap_or_clone(inner);
                    per_member.get(t as usize).map_or(inner.clone(), |c| c.apply(inner))
                }
                v => v,
            },
            Conversion::Record(fields) => match v.as_record() {
                Some(src) => Value::Record(
                    fields.iter().map(|(i, c)| c.apply(src.get(*i as usize).cloned().unwrap_or_default())).collect(),
                ),
                None => v,
            },
            Conversion::List(inner, kind) => match v.as_list() {
                Some(list) => {
                    let mut out = ListBuilder::new(*kind, list.len());
                    for item in list.iter() {
                        out.push(inner.apply(item));
                    }
                    out.finish()
                }
                None => v,
            },
            Conversion::Optional(inner) => match v {
                Value::None => Value::None,
                v => Value::some(inner.apply(v.unwrap_some())),
            },
            Conversion::Map(k, val) => match v.as_map() {
                Some(entries) => {
                    Value::Map(entries.iter().map(|(key, x)| (k.apply(key.clone()), val.apply(x.clone()))).collect())
                }
                None => v,
            },
            Conversion::Zero(zero) => zero.clone(),
        }
    }
}

/// The first member of a union (canonical order) that `t` is a subtype of, and its index.
fn union_member<'a>(t: &Type, targets: &'a [Type]) -> (u32, &'a Type) {
    let i = targets.iter().position(|m| is_subtype(t, m)).unwrap_or_default();
    (i as u32, &targets[i])
}

fn record(from: &Record, to: &Record) -> Conversion {
    let fields: Vec<(u32, Conversion)> = to
        .fields()
        .iter()
        .map(|(name, t)| {
            let i = from.index_of(name).unwrap_or_default();
            (i as u32, Conversion::plan(&from.fields()[i].1, t))
        })
        .collect();
    let identity = fields.len() == from.len() && fields.iter().all(|(_, c)| c.is_identity());
    if identity { Conversion::Identity } else { Conversion::Record(fields) }
}

/// Checks that a module's result has the shape of `ty` and brings it into that type's
/// representation (repacking lists, dropping extra record fields is not possible without names,
/// so records must have exactly the type's fields). `None` when it does not conform.
pub fn conform(v: Value, ty: &Type) -> Option<Value> {
    match (ty, v) {
        (Type::Int, v @ Value::Int(_))
        | (Type::Float, v @ Value::Float(_))
        | (Type::Boolean, v @ Value::Bool(_))
        | (Type::String, v @ Value::Str(_)) => Some(v),
        (Type::Float, Value::Int(n)) => Some(Value::Float(n as f64)),
        (Type::Optional(_), Value::None) => Some(Value::None),
        (Type::Optional(inner), v) => conform(v.unwrap_some(), inner).map(Value::some),
        (Type::List(e) | Type::Seq(e), v) => {
            let list = v.as_list()?;
            let kind = ElemKind::of(e);
            let packed = matches!((kind, &v), (ElemKind::Int, Value::Ints(_)) | (ElemKind::Float, Value::Floats(_)));
            if packed {
                return Some(v);
            }
            let mut out = ListBuilder::new(kind, list.len());
            for item in list.iter() {
                out.push(conform(item, e)?);
            }
            Some(out.finish())
        }
        (Type::Record(r), Value::Record(fields)) if fields.len() == r.len() => {
            let converted: Option<Vec<Value>> =
                r.fields().iter().zip(fields.iter()).map(|((_, t), v)| conform(v.clone(), t)).collect();
            converted.map(|f| Value::Record(f.into()))
        }
        (Type::Map(k, val), Value::Map(entries)) => {
            let converted: Option<Vec<(Value, Value)>> =
                entries.iter().map(|(a, b)| Some((conform(a.clone(), k)?, conform(b.clone(), val)?))).collect();
            converted.map(|e| Value::Map(e.into()))
        }
        (Type::Union(members), Value::Tagged(t, inner)) => {
            let m = members.get(t as usize)?;
            conform(Arc::unwrap_or_clone(inner), m).map(|v| Value::Tagged(t, Arc::new(v)))
        }
        (Type::Union(members), v) => {
            // An untagged value: the first member it conforms to.
            members
                .iter()
                .enumerate()
                .find_map(|(i, m)| conform(v.clone(), m).map(|v| Value::Tagged(i as u32, Arc::new(v))))
        }
        (Type::Error | Type::Var(_) | Type::Coll(_) | Type::Function(..), v) => Some(v),
        _ => None,
    }
}

/// The zero value of a type (SPEC §6.4): `""`, `0`, `0.0`, `false`, empty collections, `None`,
/// records of zero values, a union's first member's zero value.
pub(crate) fn zero(ty: &Type) -> Value {
    match ty {
        Type::String => Value::str(""),
        Type::Int => Value::Int(0),
        Type::Float => Value::Float(0.0),
        Type::Boolean => Value::Bool(false),
        Type::List(e) | Type::Seq(e) => ListBuilder::new(ElemKind::of(e), 0).finish(),
        Type::Map(..) => Value::Map(Arc::from([])),
        Type::Record(r) => Value::Record(r.fields().iter().map(|(_, t)| zero(t)).collect()),
        Type::Union(members) => match members.first() {
            Some(first) => Value::Tagged(0, Arc::new(zero(first))),
            None => Value::None,
        },
        _ => Value::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use asterism_registry::Name;

    #[test]
    fn zero_values_follow_the_type() {
        let record = Type::record([(Name::from("b"), Type::Boolean), (Name::from("a"), Type::list(Type::Float))]);
        let z = zero(&record);
        let fields = z.as_record().unwrap();
        assert!(fields[0].as_list().unwrap().is_empty() && matches!(fields[1], Value::Bool(false)));
        assert!(
            matches!(zero(&Type::Union(vec![Type::Int, Type::String].into())), Value::Tagged(0, ref v) if matches!(**v, Value::Int(0)))
        );
        assert!(zero(&Type::optional(Type::Int)).is_none());
        assert_eq!(zero(&Type::String).as_str(), Some(""));
    }

    #[test]
    fn the_value_of_a_nothing_typed_call_becomes_the_zero_value_of_its_target() {
        assert!(matches!(Conversion::plan(&Type::Nothing, &Type::Int).apply(Value::None), Value::Int(0)));
        let v = Conversion::plan(&Type::list(Type::Nothing), &Type::list(Type::Int))
            .apply(Value::List([Value::None].into()));
        assert!(matches!(v, Value::Ints(ref xs) if xs[..] == [0]));
    }

    fn rec(fields: &[(&str, Type)]) -> Type {
        Type::record(fields.iter().map(|(n, t)| (Name::from(*n), t.clone())))
    }

    #[test]
    fn into_unions_records_and_lists() {
        let u = Type::union([Type::Int, Type::String]);
        let v = Conversion::plan(&Type::String, &u).apply(Value::str("a"));
        assert!(matches!(v, Value::Tagged(1, _)));
        let wide = Type::union([Type::Int, Type::String, Type::Boolean]);
        // Int | String → Boolean | Int | String: Int moves from tag 0 to tag 1.
        let v = Conversion::plan(&u, &wide).apply(Value::Tagged(0, Arc::new(Value::Int(3))));
        assert!(matches!(v, Value::Tagged(1, ref inner) if matches!(**inner, Value::Int(3))));
        let from = rec(&[("a", Type::Int), ("b", Type::Int)]);
        let to = rec(&[("b", Type::Float)]);
        let v = Conversion::plan(&from, &to).apply(Value::Record([Value::Int(1), Value::Int(2)].into()));
        assert!(matches!(v, Value::Record(ref f) if matches!(f[..], [Value::Float(x)] if x == 2.0)));
        let v = Conversion::plan(&Type::list(Type::Nothing), &Type::list(Type::Int)).apply(Value::List([].into()));
        assert!(matches!(v, Value::Ints(_)));
        let v = Conversion::plan(&Type::list(Type::Int), &Type::seq(Type::Float)).apply(Value::Ints([1].into()));
        assert!(matches!(v, Value::Floats(ref f) if f[..] == [1.0]));
    }

    #[test]
    fn module_results_are_checked_and_repacked() {
        assert!(
            conform(Value::List([Value::Int(1)].into()), &Type::list(Type::Int))
                .is_some_and(|v| matches!(v, Value::Ints(_)))
        );
        assert!(conform(Value::str("x"), &Type::Int).is_none());
        assert!(conform(Value::Int(1), &Type::optional(Type::Int)).is_some());
    }
}
